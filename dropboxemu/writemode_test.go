package dropboxemu_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// TestWriteMode runs the write-mode rules of files/upload as a table: mode x
// what is at the path x same or different content x autorename x
// strict_conflict. Identical content is never a conflict and writes nothing,
// unless strict_conflict is set.
func TestWriteMode(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)

	// Outcomes: "unchanged" (the existing file, same rev), "written" (same
	// id, new rev), "new" (a new file at the path), "renamed <name>" (a new
	// file beside), "conflict <kind>".
	type row struct {
		mode       string // add, overwrite, update (current rev), stale (update with an old rev)
		target     string // file, folder, none (for update: a file that was deleted)
		same       bool   // the upload carries the existing file's content
		autorename bool
		strict     bool
		want       string
	}
	var rows []row
	add := func(mode, target string, same, autorename, strict bool, want string) {
		rows = append(rows, row{mode, target, same, autorename, strict, want})
	}
	for _, ar := range []bool{false, true} {
		pick := func(conflict, renamed string) string {
			if ar {
				return renamed
			}
			return conflict
		}
		for _, strict := range []bool{false, true} {
			// An existing file with the same content.
			if strict {
				add("add", "file", true, ar, strict, pick("conflict file", "renamed f (1).txt"))
				add("overwrite", "file", true, ar, strict, "written")
				add("update", "file", true, ar, strict, "written")
				add("stale", "file", true, ar, strict, pick("conflict file", "renamed f (conflicted copy).txt"))
			} else {
				for _, m := range []string{"add", "overwrite", "update", "stale"} {
					add(m, "file", true, ar, strict, "unchanged")
				}
			}
			// An existing file with other content.
			add("add", "file", false, ar, strict, pick("conflict file", "renamed f (1).txt"))
			add("overwrite", "file", false, ar, strict, "written")
			add("update", "file", false, ar, strict, "written")
			add("stale", "file", false, ar, strict, pick("conflict file", "renamed f (conflicted copy).txt"))
			// A folder in the way: always a conflict.
			add("add", "folder", false, ar, strict, pick("conflict folder", "renamed f (1).txt"))
			add("overwrite", "folder", false, ar, strict, pick("conflict folder", "renamed f (1).txt"))
			add("update", "folder", false, ar, strict, pick("conflict folder", "renamed f (conflicted copy).txt"))
			// Nothing there.
			add("add", "none", false, ar, strict, "new")
			add("overwrite", "none", false, ar, strict, "new")
			if strict {
				// strict_conflict: the file the rev names is gone, a conflict.
				add("update", "none", false, ar, strict, pick("conflict file", "renamed f (conflicted copy).txt"))
			} else {
				add("update", "none", false, ar, strict, "new")
			}
		}
	}

	for i, r := range rows {
		name := fmt.Sprintf("%s/%s/same=%v/autorename=%v/strict=%v", r.mode, r.target, r.same, r.autorename, r.strict)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := fmt.Sprintf("/case%d", i)
			path := dir + "/f.txt"
			var existing *files.FileMetadata
			rev := ""
			switch r.target {
			case "file":
				older := corePut(t, fc, path, []byte("older"))
				existing = coreOverwrite(t, fc, path, []byte("old"))
				rev = existing.Rev
				if r.mode == "stale" {
					rev = older.Rev
				}
			case "folder":
				coreMkdir(t, fc, path)
				rev = "0123456789abcdef"
			case "none":
				gone := corePut(t, fc, path, []byte("gone"))
				if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg(path)); err != nil {
					t.Fatal(err)
				}
				rev = gone.Rev
			}
			content := []byte("new")
			if r.same {
				content = []byte("old")
			}
			arg := files.NewUploadArg(path)
			arg.Autorename = r.autorename
			arg.StrictConflict = r.strict
			switch r.mode {
			case "add", "overwrite":
				arg.Mode = &files.WriteMode{Tagged: dropbox.Tagged{Tag: r.mode}}
			default:
				arg.Mode = &files.WriteMode{Tagged: dropbox.Tagged{Tag: files.WriteModeUpdate}, Update: rev}
			}
			got, err := fc.UploadContext(t.Context(), arg, bytes.NewReader(content))
			var outcome string
			switch {
			case err != nil:
				e := coreAPIErr[files.UploadAPIError](t, err)
				we := e.EndpointError.Path.Reason
				if e.EndpointError.Tag != files.UploadErrorPath || we.Tag != files.WriteErrorConflict {
					t.Fatalf("upload failed: %v", err)
				}
				outcome = "conflict " + we.Conflict.Tag
			case got.PathDisplay != path:
				outcome = "renamed " + got.Name
			case existing != nil && got.Rev == existing.Rev:
				outcome = "unchanged"
			case existing != nil && got.Id == existing.Id:
				outcome = "written"
			case existing == nil:
				outcome = "new"
			default:
				outcome = fmt.Sprintf("replaced with a new id (%+v)", got)
			}
			if outcome != r.want {
				t.Fatalf("outcome = %q, want %q", outcome, r.want)
			}
			// What is at the path now.
			m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(path))
			switch {
			case r.target == "folder":
				if _, ok := m.(*files.FolderMetadata); err != nil || !ok {
					t.Errorf("the folder in the way became %v, %v", m, err)
				}
			case strings.HasPrefix(outcome, "conflict") || strings.HasPrefix(outcome, "renamed"):
				if existing != nil {
					if f, ok := m.(*files.FileMetadata); err != nil || !ok || f.Rev != existing.Rev {
						t.Errorf("the file in the way changed: %v, %v", m, err)
					}
				} else if err == nil {
					t.Errorf("a failed write left %v", coreSummary(m))
				}
			default:
				if f, ok := m.(*files.FileMetadata); err != nil || !ok || f.Rev != got.Rev || f.Size != uint64(len(content)) {
					t.Errorf("after the write: %v, %v", m, err)
				}
			}
			if strings.HasPrefix(outcome, "renamed") {
				_, rc, err := fc.DownloadContext(t.Context(), files.NewDownloadArg(got.PathLower))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(b, content) {
					t.Errorf("renamed file holds %q", b)
				}
			}
		})
	}
}

// coreOverwrite uploads data to path in overwrite mode.
func coreOverwrite(t *testing.T, fc files.ContextClient, path string, data []byte) *files.FileMetadata {
	t.Helper()
	arg := files.NewUploadArg(path)
	arg.Mode = &files.WriteMode{Tagged: dropbox.Tagged{Tag: files.WriteModeOverwrite}}
	m, err := fc.UploadContext(t.Context(), arg, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("overwrite %s: %v", path, err)
	}
	return m
}

// coreUploadErr uploads and returns the UploadError the SDK decoded.
func coreUploadErr(t *testing.T, fc files.ContextClient, arg *files.UploadArg, data []byte) *files.UploadError {
	t.Helper()
	_, err := fc.UploadContext(t.Context(), arg, bytes.NewReader(data))
	if err == nil {
		t.Fatalf("upload %s succeeded, want an error", arg.Path)
	}
	return coreAPIErr[files.UploadAPIError](t, err).EndpointError
}

func TestWriteModeAutorenameSequence(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	var got []string
	for i := range 4 {
		arg := files.NewUploadArg("/dir/Report.final.pdf")
		arg.Autorename = true
		m, err := fc.UploadContext(t.Context(), arg, strings.NewReader(fmt.Sprint("v", i)))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.PathDisplay)
	}
	want := []string{"/dir/Report.final.pdf", "/dir/Report.final (1).pdf", "/dir/Report.final (2).pdf", "/dir/Report.final (3).pdf"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("autorenamed paths (-want +got):\n%s", diff)
	}
}

func TestWriteModeErrors(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	corePut(t, fc, "/a.txt", []byte("a"))

	if e := coreUploadErr(t, fc, files.NewUploadArg("/a.txt/b.txt"), []byte("b")); e.Path.Reason.Tag != files.WriteErrorConflict ||
		e.Path.Reason.Conflict.Tag != files.WriteConflictErrorFileAncestor {
		t.Errorf("below a file: %+v", e.Path.Reason)
	}
	if e := coreUploadErr(t, fc, files.NewUploadArg("/a.txt/deeper/b.txt"), []byte("b")); e.Path.Reason.Conflict == nil ||
		e.Path.Reason.Conflict.Tag != files.WriteConflictErrorFileAncestor {
		t.Errorf("two levels below a file: %+v", e.Path.Reason)
	}
	for _, name := range []string{"desktop.ini", "Thumbs.db", ".DS_Store"} {
		e := coreUploadErr(t, fc, files.NewUploadArg("/x/"+name), []byte("junk"))
		if e.Path.Reason.Tag != files.WriteErrorDisallowedName {
			t.Errorf("%s: %+v", name, e.Path.Reason)
		}
		if !strings.HasPrefix(e.Path.UploadSessionId, "pid_upload_session:") {
			t.Errorf("%s: upload_session_id = %q", name, e.Path.UploadSessionId)
		}
	}
	ua := files.NewUploadArg("/m.txt")
	ua.Mode = &files.WriteMode{Tagged: dropbox.Tagged{Tag: files.WriteModeUpdate}, Update: "xyz"}
	_, err := fc.UploadContext(t.Context(), ua, strings.NewReader("m"))
	coreBadRequest(t, err, "mode")
	// None of it left anything behind (not even the parent folder of a refused name).
	entries, _ := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	if diff := cmp.Diff([]string{"file /a.txt"}, coreSummaries(entries)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// TestWriteModeInsufficientSpace fills a basic account's 2 GiB with copies of
// one 64 MiB file (copies share their bytes), then writes past the quota.
func TestWriteModeInsufficientSpace(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "basic@example.com", AccountType: "basic"})
	fc := files.NewContext(sdkConfig(emu, acct.AccessToken))
	const chunk = 64 << 20
	corePut(t, fc, "/fill/0.bin", make([]byte, chunk))
	for i := 1; i < (2<<30)/chunk; i++ {
		if _, err := fc.CopyV2Context(t.Context(), files.NewRelocationArg("/fill/0.bin", fmt.Sprintf("/fill/%d.bin", i))); err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
	}
	// The account is exactly full: one more byte does not fit.
	e := coreUploadErr(t, fc, files.NewUploadArg("/one-more.txt"), []byte("x"))
	if e.Tag != files.UploadErrorPath || e.Path.Reason.Tag != files.WriteErrorInsufficientSpace {
		t.Errorf("upload past the quota: %+v", e)
	}
	// An empty file fits, and so does an overwrite that frees as much as it takes.
	corePut(t, fc, "/empty.txt", nil)
	arg := files.NewUploadArg("/fill/1.bin")
	arg.Mode = &files.WriteMode{Tagged: dropbox.Tagged{Tag: files.WriteModeOverwrite}}
	big := make([]byte, chunk)
	big[0] = 1
	if _, err := fc.UploadContext(t.Context(), arg, bytes.NewReader(big)); err != nil {
		t.Errorf("same-size overwrite of a full account: %v", err)
	}
	big = append(big, 2)
	if e := coreUploadErr(t, fc, arg, big); e.Path == nil || e.Path.Reason.Tag != files.WriteErrorInsufficientSpace {
		t.Errorf("growing overwrite of a full account: %+v", e)
	}
	if _, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/one-more.txt")); err == nil {
		t.Error("the refused upload was written")
	}
}
