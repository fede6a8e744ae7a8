package dropboxemu_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

func TestUploadResultShape(t *testing.T) {
	t.Parallel()
	emu, acct, _ := coreSetup(t)
	r := do(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload", Body: []byte("hello"),
		Arg: map[string]any{"path": "/Shape/Hello.txt", "mode": "add", "autorename": false,
			"client_modified": "2020-01-02T03:04:05Z", "mute": true, "strict_conflict": false,
			"property_groups": []any{}, "content_hash": coreContentHash([]byte("hello"))}})
	if r.Status != http.StatusOK {
		t.Fatalf("upload with every UploadArg field: %d %s", r.Status, r.Body)
	}
	got := r.json(t)
	for _, k := range []string{"id", "rev", "server_modified"} {
		if _, ok := got[k].(string); !ok {
			t.Fatalf("%s missing: %s", k, r.Body)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{9,}$`).MatchString(got["rev"].(string)) {
		t.Errorf("rev %q is not a Rev", got["rev"])
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(got["server_modified"].(string)) {
		t.Errorf("server_modified %q is not a DropboxTimestamp", got["server_modified"])
	}
	delete(got, "id")
	delete(got, "rev")
	delete(got, "server_modified")
	want := map[string]any{ // FileMetadata as a struct: no ".tag"
		"name": "Hello.txt", "path_lower": "/shape/hello.txt", "path_display": "/Shape/Hello.txt",
		"client_modified": "2020-01-02T03:04:05Z", "size": 5.0, "is_downloadable": true,
		"content_hash": coreContentHash([]byte("hello")),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("upload result (-want +got):\n%s", diff)
	}

	for _, c := range []struct {
		arg  map[string]any
		ct   string
		want string
	}{
		{map[string]any{"path": "/x", "bogus": true}, "", "unknown field"},
		{map[string]any{"path": "/x", "client_modified": "yesterday"}, "", "client_modified"},
		{map[string]any{"path": "/x", "mode": "replace"}, "", "mode"},
		{map[string]any{"path": "/x", "mode": map[string]any{".tag": "update", "update": "1"}}, "", "mode"},
		{map[string]any{"path": "/x", "content_hash": "abc"}, "", "content_hash"},
		{map[string]any{"autorename": true}, "", "path"},
		{map[string]any{"path": "/x"}, "application/json", "Content-Type"},
	} {
		h := map[string]string{}
		if c.ct != "" {
			h["Content-Type"] = c.ct
		}
		r := do(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload", Arg: c.arg, Header: h, Body: []byte("x")})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("upload %v: %d %s, want 400 about %s", c.arg, r.Status, r.Body, c.want)
		}
	}
	// None of the refused uploads wrote anything.
	r = do(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken, Arg: map[string]any{"path": "/x"}})
	if r.Status != http.StatusConflict {
		t.Errorf("/x after refused uploads: %d %s", r.Status, r.Body)
	}
}

func TestUploadPayloadTooLarge(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.MaxUploadRequest = 1024 }))
	big := coreRandom(5, 1025)
	e := coreUploadErr(t, fc, files.NewUploadArg("/big.bin"), big)
	if e.Tag != files.UploadErrorPayloadTooLarge {
		t.Errorf("upload over the limit: %v", e.Tag)
	}
	// The same without a Content-Length (a streamed body).
	pr, pw := io.Pipe()
	go func() {
		pw.Write(big)
		pw.Close()
	}()
	_, err := fc.UploadContext(t.Context(), files.NewUploadArg("/big.bin"), pr)
	if e := coreAPIErr[files.UploadAPIError](t, err); e.EndpointError.Tag != files.UploadErrorPayloadTooLarge {
		t.Errorf("streamed upload over the limit: %v", err)
	}
	// Exactly at the limit is fine.
	if m := corePut(t, fc, "/fits.bin", big[:1024]); m.Size != 1024 {
		t.Errorf("upload at the limit: size %d", m.Size)
	}
	// Sessions have the same limit per request.
	_, err = fc.UploadSessionStartContext(t.Context(), files.NewUploadSessionStartArg(), bytes.NewReader(big))
	if e := coreAPIErr[files.UploadSessionStartAPIError](t, err); e.EndpointError.Tag != files.UploadSessionStartErrorPayloadTooLarge {
		t.Errorf("session start over the limit: %v", err)
	}
	id := coreStart(t, fc, files.NewUploadSessionStartArg(), big[:1000])
	if e := coreAppend(t, fc, id, 1000, big, false); e == nil || e.Tag != files.UploadSessionAppendErrorPayloadTooLarge {
		t.Errorf("append over the limit: %+v", e)
	}
	if _, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/big.bin")); err == nil {
		t.Error("an oversized upload was written")
	}
}

func TestUploadContentHashMismatch(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	arg := files.NewUploadArg("/h.txt")
	arg.ContentHash = coreContentHash([]byte("other bytes"))
	if e := coreUploadErr(t, fc, arg, []byte("bytes")); e.Tag != files.UploadErrorContentHashMismatch {
		t.Errorf("upload with a wrong hash: %v", e.Tag)
	}
	if _, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/h.txt")); err == nil {
		t.Error("an upload with a wrong hash was written")
	}
	arg.ContentHash = coreContentHash([]byte("bytes"))
	if _, err := fc.UploadContext(t.Context(), arg, strings.NewReader("bytes")); err != nil {
		t.Errorf("upload with its hash: %v", err)
	}
}

// TestUploadWriteFailedSession checks UploadWriteFailed.upload_session_id:
// the bytes of a refused upload wait in a session for upload_session/finish.
func TestUploadWriteFailedSession(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreMkdir(t, fc, "/folder")
	data := coreRandom(9, 5000)
	e := coreUploadErr(t, fc, files.NewUploadArg("/folder"), data)
	if e.Tag != files.UploadErrorPath || e.Path.Reason.Conflict == nil || e.Path.Reason.Conflict.Tag != files.WriteConflictErrorFolder {
		t.Fatalf("upload onto a folder: %+v", e)
	}
	m, fe := coreFinish(t, fc, e.Path.UploadSessionId, uint64(len(data)), "/saved.bin", nil)
	if fe != nil {
		t.Fatalf("finish of the upload's session: %v", fe.Tag)
	}
	if m.ContentHash != coreContentHash(data) || !bytes.Equal(coreRead(t, fc, "/saved.bin"), data) {
		t.Errorf("file from the failed upload's session differs")
	}
}

// TestUploadNamespaceWriteLock checks that an upload whose body is still
// streaming holds its namespace's write lock: with one write at a time, a
// second write gets 429 too_many_write_operations with Retry-After.
func TestUploadNamespaceWriteLock(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.NamespaceWriteLimit = 1 }))
	pr, pw := io.Pipe()
	type answer struct {
		m   *files.FileMetadata
		err error
	}
	done := make(chan answer, 1)
	go func() {
		m, err := fc.UploadContext(t.Context(), files.NewUploadArg("/slow.bin"), pr)
		done <- answer{m, err}
	}()
	if _, err := pw.Write([]byte("first part;")); err != nil {
		t.Fatal(err)
	}
	// Once the upload has the lock, other writes are refused. Until then a
	// write may slip in: each try uses a new path.
	var refused rawResult
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatal("no write was refused while the upload streamed")
		}
		r := do(t, emu, rawCall{Route: "files/create_folder_v2", Token: acct.AccessToken,
			Arg: map[string]any{"path": "/probe" + strings.Repeat("x", i%50) + string(rune('a'+i/50%26))}})
		if r.Status == http.StatusTooManyRequests {
			refused = r
			break
		}
		if r.Status != http.StatusOK {
			t.Fatalf("create_folder_v2: %d %s", r.Status, r.Body)
		}
	}
	if refused.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %v", refused.Header)
	}
	body := coreJSON(t, string(refused.Body))
	if reason, _ := body["error"].(map[string]any)["reason"].(map[string]any); reason[".tag"] != "too_many_write_operations" {
		t.Errorf("429 body = %s", refused.Body)
	}
	// A file upload is refused the same way, and reads are not held up.
	_, err := fc.UploadContext(t.Context(), files.NewUploadArg("/other.txt"), strings.NewReader("o"))
	if rl := coreAPIErr[auth.RateLimitAPIError](t, err); rl.RateLimitError.Reason.Tag != auth.RateLimitReasonTooManyWriteOperations ||
		rl.RateLimitError.RetryAfter == 0 {
		t.Errorf("second upload: %+v", rl.RateLimitError)
	}
	if _, err := fc.ListFolderContext(t.Context(), files.NewListFolderArg("")); err != nil {
		t.Errorf("list_folder while the lock is held: %v", err)
	}
	pw.Write([]byte("second part"))
	pw.Close()
	a := <-done
	if a.err != nil || a.m.Size != uint64(len("first part;second part")) {
		t.Fatalf("streamed upload = %+v, %v", a.m, a.err)
	}
	// The lock is free again.
	corePut(t, fc, "/after.txt", []byte("a"))
}
