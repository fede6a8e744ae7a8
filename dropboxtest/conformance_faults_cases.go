package dropboxtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
)

// keyData is the content of key k's file.
func keyData(k int) []byte { return fmt.Appendf(nil, "content of key %d", k) }

// faultGetMetadata: a read.
func faultGetMetadata(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	data := []byte("metadata through faults")
	put(t, e, r.check, "/f.txt", data)
	r.through(t, "files/get_metadata", retried, 1, false, func(c *dropbox.Client, k int) error {
		md, err := c.Files.GetMetadata(e.ctx, &dropbox.GetMetadataArg{Path: "/f.txt"})
		if err == nil {
			diff(t, "get_metadata through faults", fileWant("/f.txt", data), itemOf(*md))
		}
		return err
	})
}

// faultListContinue: a read with a cursor.
func faultListContinue(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	put(t, e, r.check, "/L/a.txt", []byte("a"))
	cur := must(r.check.Files.ListFolder(e.ctx, &dropbox.ListFolderArg{Path: "/L"}))(t, "list_folder").Cursor
	put(t, e, r.check, "/L/b.txt", []byte("b"))
	r.through(t, "files/list_folder/continue", retried, 1, false, func(c *dropbox.Client, k int) error {
		res, err := c.Files.ListFolderContinue(e.ctx, &dropbox.ListFolderContinueArg{Cursor: cur})
		if err == nil {
			var got []item
			for _, m := range res.Entries {
				got = append(got, itemOf(m))
			}
			diff(t, "list_folder/continue through faults", []item{fileWant("/L/b.txt", []byte("b"))}, got)
		}
		return err
	})
}

// faultLongpoll: the no-auth route of the notify host.
func faultLongpoll(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	cur := must(r.check.Files.ListFolderGetLatestCursor(e.ctx, &dropbox.ListFolderArg{Path: ""}))(t, "get_latest_cursor").Cursor
	put(t, e, r.check, "/changed.txt", []byte("a change"))
	r.through(t, "files/list_folder/longpoll", retried, 1, false, func(c *dropbox.Client, k int) error {
		res, err := c.Files.ListFolderLongpoll(e.ctx, &dropbox.ListFolderLongpollArg{Cursor: cur, Timeout: dropbox.Ptr[uint64](30)})
		if err == nil && !res.Changes {
			t.Errorf("longpoll through faults: %+v, want changes", res)
		}
		return err
	})
}

// faultDownload: the client's Download through cut bodies too.
func faultDownload(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	data := randomBytes(7, 1<<20+123)
	put(t, e, r.check, "/big.bin", data)
	r.through(t, "files/download", retried, 1, true, func(c *dropbox.Client, k int) error {
		var buf bytes.Buffer
		md, err := c.Download(e.ctx, "/big.bin", &buf, nil)
		if err == nil && (!bytes.Equal(buf.Bytes(), data) || deref(md.ContentHash) != fileWant("", data).Hash) {
			t.Errorf("Download through faults: %d bytes (hash %s), want the %d uploaded", buf.Len(), deref(md.ContentHash), len(data))
		}
		return err
	})
}

// faultRawDownload: the typed method goes through faults that come before
// the body; a body cut short is an error of the read, never a short file.
func faultRawDownload(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	data := randomBytes(8, 300_000)
	put(t, e, r.check, "/raw.bin", data)
	r.through(t, "files/download", retried, 1, false, func(c *dropbox.Client, k int) error {
		_, body, err := c.Files.Download(e.ctx, &dropbox.DownloadArg{Path: "/raw.bin"})
		if err != nil {
			return err
		}
		defer body.Close()
		got, err := io.ReadAll(body)
		if err == nil && !bytes.Equal(got, data) {
			t.Errorf("download through faults: %d bytes that differ from the %d uploaded", len(got), len(data))
		}
		return err
	})
	e.inject(Fault{Route: "files/download", Truncate: true, Times: 1})
	_, body, err := r.client().Files.Download(e.ctx, &dropbox.DownloadArg{Path: "/raw.bin"})
	check(t, "download with a cut body", err)
	got, err := io.ReadAll(body)
	body.Close()
	if err == nil {
		t.Errorf("reading a cut body: %d of %d bytes and no error", len(got), len(data))
	}
}

// faultUpload: the client's Upload of a small file (files/upload), which
// repeats an unanswered write: one file each, none renamed.
func faultUpload(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	n := r.through(t, "files/upload", retried, 1, false, func(c *dropbox.Client, k int) error {
		path := keyName("/Up/f", k) + ".txt"
		md, err := c.Upload(e.ctx, path, bytes.NewReader(keyData(k)), int64(len(keyData(k))), &dropbox.UploadOptions{Autorename: true})
		if err == nil {
			diff(t, "Upload through faults", fileWant(path, keyData(k)), fileItem(md))
		}
		return err
	})
	want := []item{folderWant("/Up")}
	for k := range n {
		want = append(want, fileWant(keyName("/Up/f", k)+".txt", keyData(k)))
	}
	diff(t, "files after uploads through faults", want, tree(t, e, r.check, ""))
}

// sessionData is the content of key k's file uploaded through a session:
// a 4 MiB part and a short last one.
func sessionData(k int) []byte { return randomBytes(uint64(100+k), 4<<20+100) }

// faultSessionAppend: the parts of a concurrent session, and the typed
// append_v2 after a lost answer.
func faultSessionAppend(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	opts := &dropbox.UploadOptions{Threshold: 1 << 20, PartSize: 4 << 20, Autorename: true}
	n := r.through(t, "files/upload_session/append_v2", retried, 2, false, func(c *dropbox.Client, k int) error {
		path := keyName("/Session/f", k) + ".bin"
		md, err := c.Upload(e.ctx, path, bytes.NewReader(sessionData(k)), int64(len(sessionData(k))), opts)
		if err == nil {
			diff(t, "Upload through faults", fileWant(path, sessionData(k)), fileItem(md))
		}
		return err
	})
	want := []item{folderWant("/Session")}
	for k := range n {
		want = append(want, fileWant(keyName("/Session/f", k)+".bin", sessionData(k)))
	}
	diff(t, "files after session uploads through faults", want, tree(t, e, r.check, ""))

	// The typed method: a repeat after a lost answer finds the bytes in
	// (incorrect_offset past them), never twice.
	c := r.client()
	part := []byte("appended once")
	s := must(c.Files.UploadSessionStart(e.ctx, &dropbox.UploadSessionStartArg{}, nil))(t, "upload_session/start")
	e.rec.lose("files/upload_session/append_v2", 1)
	err := c.Files.UploadSessionAppendV2(e.ctx, &dropbox.UploadSessionAppendArg{Cursor: dropbox.UploadSessionCursor{SessionID: s.SessionID}}, bytes.NewReader(part))
	var ae *dropbox.UploadSessionAppendError
	if err != nil && (!errors.As(err, &ae) || ae.IncorrectOffset == nil || ae.IncorrectOffset.CorrectOffset != uint64(len(part))) {
		t.Errorf("append_v2 after a lost answer: %v, want success or incorrect_offset at %d", err, len(part))
	}
	md := must(c.Files.UploadSessionFinish(e.ctx, &dropbox.UploadSessionFinishArg{Cursor: dropbox.UploadSessionCursor{SessionID: s.SessionID, Offset: uint64(len(part))},
		Commit: dropbox.CommitInfo{Path: "/appended.txt"}}, nil))(t, "upload_session/finish")
	diff(t, "a session appended to through a lost answer", fileWant("/appended.txt", part), fileItem(md))
}

// faultSessionFinish: the commit of a sequential session, repeated and
// looked up by the client.
func faultSessionFinish(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	opts := &dropbox.UploadOptions{Threshold: 1 << 20, PartSize: 4 << 20, Autorename: true}
	n := r.through(t, "files/upload_session/finish", retried, 1, false, func(c *dropbox.Client, k int) error {
		path := keyName("/Session/f", k) + ".bin"
		// A stream: a sequential session.
		md, err := c.Upload(e.ctx, path, io.MultiReader(bytes.NewReader(sessionData(k))), -1, opts)
		if err == nil {
			diff(t, "Upload through faults", fileWant(path, sessionData(k)), fileItem(md))
		}
		return err
	})
	want := []item{folderWant("/Session")}
	for k := range n {
		want = append(want, fileWant(keyName("/Session/f", k)+".bin", sessionData(k)))
	}
	diff(t, "files after session uploads through faults", want, tree(t, e, r.check, ""))
}

// faultBatchUpload: the commit of the client's UploadBatch.
func faultBatchUpload(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	n := r.through(t, "files/upload_session/finish_batch_v2", retried, 1, false, func(c *dropbox.Client, k int) error {
		var files []dropbox.BatchFile
		for i := range 3 {
			data := keyData(10*k + i)
			files = append(files, dropbox.BatchFile{Path: fmt.Sprintf("/Batch/k%d-%d.txt", k, i), Content: bytes.NewReader(data), Size: int64(len(data)),
				Options: &dropbox.UploadOptions{Autorename: true}})
		}
		res, err := c.UploadBatch(e.ctx, files, nil)
		if err != nil {
			return err
		}
		for _, x := range res {
			if x.Err != nil {
				return x.Err
			}
		}
		return nil
	})
	want := []item{folderWant("/Batch")}
	for k := range n {
		for i := range 3 {
			want = append(want, fileWant(fmt.Sprintf("/Batch/k%d-%d.txt", k, i), keyData(10*k+i)))
		}
	}
	diff(t, "files after batch uploads through faults", want, tree(t, e, r.check, ""))
}

// faultCreateFolder: a write: one folder each, none renamed.
func faultCreateFolder(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	n := r.through(t, "files/create_folder_v2", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		_, err := c.Files.CreateFolderV2(e.ctx, &dropbox.CreateFolderArg{Path: keyName("/F", k), Autorename: true})
		return err
	})
	var want []item
	for k := range n {
		want = append(want, folderWant(keyName("/F", k)))
	}
	diff(t, "folders after create_folder_v2 through faults: one each", want, tree(t, e, r.check, ""))
}

// faultMove: a write that cannot be repeated.
func faultMove(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	for k := range 2 {
		put(t, e, r.check, keyName("/M/a", k), keyData(k))
	}
	n := r.through(t, "files/move_v2", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		_, err := c.Files.MoveV2(e.ctx, &dropbox.RelocationArg{FromPath: keyName("/M/a", k), ToPath: keyName("/N/a", k), Autorename: true})
		return err
	})
	want := []item{folderWant("/M"), folderWant("/N")}
	for k := range n {
		want = append(want, fileWant(keyName("/N/a", k), keyData(k)))
	}
	diff(t, "files after move_v2 through faults", want, tree(t, e, r.check, ""))
}

// faultDelete: a write that cannot be repeated.
func faultDelete(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	for k := range 2 {
		put(t, e, r.check, keyName("/D/x", k), keyData(k))
	}
	put(t, e, r.check, "/D/keep", []byte("keep"))
	r.through(t, "files/delete_v2", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		_, err := c.Files.DeleteV2(e.ctx, &dropbox.DeleteArg{Path: keyName("/D/x", k)})
		return err
	})
	diff(t, "files after delete_v2 through faults", []item{folderWant("/D"), fileWant("/D/keep", []byte("keep"))}, tree(t, e, r.check, ""))
}

// faultCopyBatch: a batch write: one copy each, none renamed.
func faultCopyBatch(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	put(t, e, r.check, "/S/a.txt", []byte("a"))
	n := r.through(t, "files/copy_batch_v2", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		l, err := c.Files.CopyBatchV2(e.ctx, &dropbox.RelocationBatchArgBase{Entries: []dropbox.RelocationPath{{FromPath: "/S/a.txt", ToPath: keyName("/C", k) + "/a.txt"}}, Autorename: true})
		if err != nil {
			return err
		}
		// Polled by the checking client, which no 429 has slowed down.
		got := batchV2Items(t, e, "copy_batch/check_v2", l, r.check.Files.CopyBatchCheckV2)
		diff(t, "copy_batch_v2 through faults", []item{fileWant(keyName("/C", k)+"/a.txt", []byte("a"))}, got)
		return nil
	})
	want := []item{}
	for k := range n {
		want = append(want, folderWant(keyName("/C", k)), fileWant(keyName("/C", k)+"/a.txt", []byte("a")))
	}
	want = append(want, folderWant("/S"), fileWant("/S/a.txt", []byte("a")))
	diff(t, "files after copy_batch_v2 through faults", want, tree(t, e, r.check, ""))
}

// faultPaperCreate: a write that numbers a repeated document's name.
func faultPaperCreate(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	n := r.through(t, "files/paper/create", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		_, err := c.Paper.Create(e.ctx, &dropbox.PaperCreateArg{Path: keyName("/P/Doc", k) + ".paper", ImportFormat: dropbox.ImportFormat{Tag: dropbox.ImportFormatPlainText}},
			strings.NewReader(string(keyData(k))))
		return err
	})
	var got []string
	for _, it := range tree(t, e, r.check, "") {
		got = append(got, it.Path)
	}
	want := []string{"/P"}
	for k := range n {
		want = append(want, keyName("/P/Doc", k)+".paper")
	}
	diff(t, "Paper documents after paper/create through faults: one each, none renamed", want, got)
}

// faultSharedLink: a write: one link each.
func faultSharedLink(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	for k := range 2 {
		put(t, e, r.check, keyName("/S/f", k), keyData(k))
	}
	n := r.through(t, "sharing/create_shared_link_with_settings", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		_, err := c.Sharing.CreateSharedLinkWithSettings(e.ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: keyName("/S/f", k)})
		return err
	})
	links := must(r.check.Sharing.ListSharedLinks(e.ctx, &dropbox.ListSharedLinksArg{}))(t, "list_shared_links")
	var got, want []string
	for _, l := range links.Links {
		got = append(got, deref(l.PathLower()))
	}
	for k := range n {
		want = append(want, keyName("/s/f", k))
	}
	slices.Sort(got)
	diff(t, "shared links after create_shared_link_with_settings through faults", want, got)
}

// faultListSharedLinks: a read.
func faultListSharedLinks(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	put(t, e, r.check, "/l.txt", []byte("l"))
	l := must(r.check.Sharing.CreateSharedLinkWithSettings(e.ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: "/l.txt"}))(t, "create_shared_link_with_settings")
	r.through(t, "sharing/list_shared_links", retried, 1, false, func(c *dropbox.Client, k int) error {
		res, err := c.Sharing.ListSharedLinks(e.ctx, &dropbox.ListSharedLinksArg{})
		if err == nil && (len(res.Links) != 1 || res.Links[0].URL() != l.URL()) {
			t.Errorf("list_shared_links through faults: %d links, want %s alone", len(res.Links), l.URL())
		}
		return err
	})
}

// faultShareFolder: a write: one shared folder each.
func faultShareFolder(t *testing.T, e *env) {
	r := userRun(e, PlanBasic)
	for k := range 2 {
		mkdir(t, e, r.check, keyName("/Sh", k))
	}
	n := r.through(t, "sharing/share_folder", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		l, err := c.Sharing.ShareFolder(e.ctx, &dropbox.ShareFolderArg{Path: keyName("/Sh", k)})
		if err == nil && l.Tag == dropbox.ShareFolderLaunchAsyncJobID {
			poll(e.ctx, t, "check_share_job_status", func() (*dropbox.ShareFolderJobStatus, error) {
				return c.Sharing.CheckShareJobStatus(e.ctx, &dropbox.PollArg{AsyncJobID: l.AsyncJobID})
			}, func(s *dropbox.ShareFolderJobStatus) bool { return s.Tag != dropbox.ShareFolderJobStatusInProgress })
		}
		return err
	})
	var got, want []sharedFolder
	for f, err := range r.check.Sharing.ListFoldersAll(e.ctx, nil) {
		check(t, "ListFoldersAll", err)
		got = append(got, sharedFolder{Name: f.Name, Path: deref(f.PathLower), Access: f.AccessType.Tag})
	}
	for k := range n {
		want = append(want, sharedFolder{Name: keyName("Sh", k), Path: keyName("/sh", k), Access: dropbox.AccessLevelOwner})
	}
	diff(t, "shared folders after share_folder through faults", want, sortShared(got))
}

// faultFileRequestCreate: a write: one request each.
func faultFileRequestCreate(t *testing.T, e *env) {
	r := userRun(e, PlanPro)
	n := r.through(t, "file_requests/create", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		_, err := c.FileRequests.Create(e.ctx, &dropbox.CreateFileRequestArgs{Title: keyName("R", k), Destination: keyName("/R", k)})
		return err
	})
	list := must(r.check.FileRequests.ListV2(e.ctx, &dropbox.ListFileRequestsArg{}))(t, "file_requests/list_v2")
	var got, want []string
	for _, fr := range list.FileRequests {
		got = append(got, fr.Title)
	}
	for k := range n {
		want = append(want, keyName("R", k))
	}
	slices.Sort(got)
	diff(t, "file requests after file_requests/create through faults", want, got)
}

// faultFileRequestList: a read.
func faultFileRequestList(t *testing.T, e *env) {
	r := userRun(e, PlanPro)
	fr := must(r.check.FileRequests.Create(e.ctx, &dropbox.CreateFileRequestArgs{Title: "Only", Destination: "/Only"}))(t, "file_requests/create")
	r.through(t, "file_requests/list_v2", retried, 1, false, func(c *dropbox.Client, k int) error {
		res, err := c.FileRequests.ListV2(e.ctx, &dropbox.ListFileRequestsArg{})
		if err == nil && (len(res.FileRequests) != 1 || res.FileRequests[0].ID != fr.ID) {
			t.Errorf("file_requests/list_v2 through faults: %d requests, want %s alone", len(res.FileRequests), fr.ID)
		}
		return err
	})
}

// faultCurrentAccount: a read.
func faultCurrentAccount(t *testing.T, e *env) {
	a := e.target.NewAccount(t, PlanBasic)
	r := newFaultRun(e, dropbox.WithToken(a.AccessToken))
	r.through(t, "users/get_current_account", retried, 1, false, func(c *dropbox.Client, k int) error {
		me, err := c.Users.GetCurrentAccount(e.ctx)
		if err == nil && (me.AccountID != a.AccountID || me.Email != a.Email) {
			t.Errorf("get_current_account through faults: %s %s, want %s %s", me.AccountID, me.Email, a.AccountID, a.Email)
		}
		return err
	})
}

// faultCheckApp: a route with app authentication through faults.
func faultCheckApp(t *testing.T, e *env) {
	app := e.target.NewApp(t)
	r := newFaultRun(e, dropbox.WithAppAuth(app.Key, app.Secret))
	r.through(t, "check/app", retried, 1, false, func(c *dropbox.Client, k int) error {
		res, err := c.Check.App(e.ctx, &dropbox.EchoArg{Query: keyName("echo", k)})
		if err == nil && res.Result != keyName("echo", k) {
			t.Errorf("check/app through faults echoed %q, want %q", res.Result, keyName("echo", k))
		}
		return err
	})
}

// faultTeamMembers: a read with a team token.
func faultTeamMembers(t *testing.T, e *env) {
	ta := e.target.NewTeam(t, 2)
	r := newFaultRun(e, dropbox.WithToken(ta.Team.AccessToken))
	r.through(t, "team/members/list_v2", retried, 1, false, func(c *dropbox.Client, k int) error {
		res, err := c.Team.MembersListV2(e.ctx, &dropbox.MembersListArg{})
		if err == nil {
			var got []string
			for _, m := range res.Members {
				got = append(got, m.Profile.TeamMemberID)
			}
			slices.Sort(got)
			want := []string{ta.Members[0].MemberID, ta.Members[1].MemberID}
			slices.Sort(want)
			diff(t, "team/members/list_v2 through faults", want, got)
		}
		return err
	})
}

// faultTeamFolderCreate: a team write: one team folder each.
func faultTeamFolderCreate(t *testing.T, e *env) {
	ta := e.target.NewTeam(t, 1)
	r := newFaultRun(e, dropbox.WithToken(ta.Team.AccessToken))
	n := r.through(t, "team/team_folder/create", writeOnce, 1, false, func(c *dropbox.Client, k int) error {
		_, err := c.Team.TeamFolderCreate(e.ctx, &dropbox.TeamFolderCreateArg{Name: keyName("TF", k)})
		return err
	})
	var got, want []string
	for f, err := range r.check.Team.TeamFolderListAll(e.ctx, nil) {
		check(t, "TeamFolderListAll", err)
		if !f.IsTeamSharedDropbox {
			got = append(got, f.Name)
		}
	}
	for k := range n {
		want = append(want, keyName("TF", k))
	}
	slices.Sort(got)
	diff(t, "team folders after team/team_folder/create through faults", want, got)
}
