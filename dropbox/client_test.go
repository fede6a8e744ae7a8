package dropbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropbox/contenthash"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// fastRetries keeps retry waits short in tests.
var fastRetries = dropbox.RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Budget: 30 * time.Second}

func TestCallAgainstEmulator(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))

	var me struct {
		AccountID string `json:"account_id"`
		Email     string `json:"email"`
	}
	if err := c.Call(t.Context(), "users/get_current_account", nil, &me); err != nil {
		t.Fatal(err)
	}
	if me.AccountID != acct.AccountID || me.Email != "ada@example.com" {
		t.Errorf("get_current_account = %+v", me)
	}

	err := c.Call(t.Context(), "files/get_metadata", map[string]string{"path": "/missing"}, nil)
	var ae *dropbox.APIError
	if !errors.As(err, &ae) || !errors.Is(err, dropbox.ErrNotFound) || ae.Route != "files/get_metadata" {
		t.Errorf("missing file: %v", err)
	}
	err = c.Call(t.Context(), "files/get_metadata", map[string]string{"path": "no-slash"}, nil)
	var bi *dropbox.BadInputError
	if !errors.As(err, &bi) {
		t.Errorf("bad path: %v", err)
	}
	bad := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken("sl.nope"))
	var au *dropbox.AuthError
	if err := bad.Call(t.Context(), "users/get_current_account", nil, nil); !errors.As(err, &au) || au.Tag != "invalid_access_token" {
		t.Errorf("bad token: %v", err)
	}
}

// TestCallRetries: rate limits (both reasons), 503s and dropped
// connections are retried until the call completes, once.
func TestCallRetries(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))
	// A write goes through rate limits of both kinds: Dropbox did nothing.
	for _, f := range []dropboxtest.Fault{
		{Route: "files/create_folder_v2", Status: 429, Reason: "too_many_write_operations", Times: 1},
		{Route: "files/create_folder_v2", Status: 429, Reason: "too_many_requests", Times: 1},
	} {
		emu.AddFault(t, f)
	}
	var res struct {
		Metadata struct {
			PathDisplay string `json:"path_display"`
		} `json:"metadata"`
	}
	if err := c.Call(t.Context(), "files/create_folder_v2", map[string]string{"path": "/Once"}, &res); err != nil {
		t.Fatalf("create_folder_v2 through faults: %v", err)
	}
	if res.Metadata.PathDisplay != "/Once" {
		t.Errorf("result = %+v", res)
	}
	// A read goes through server errors and dropped connections as well.
	for _, f := range []dropboxtest.Fault{
		{Route: "files/get_metadata", Status: 429, Reason: "too_many_requests", Times: 1},
		{Route: "files/get_metadata", Status: 503, Times: 1},
		{Route: "files/get_metadata", Reset: true, Times: 1},
		{Route: "files/get_metadata", Status: 500, Times: 1},
	} {
		emu.AddFault(t, f)
	}
	if err := c.Call(t.Context(), "files/get_metadata", map[string]string{"path": "/once"}, nil); err != nil {
		t.Fatalf("get_metadata through faults: %v", err)
	}
	// A write is not repeated after a 503: the first try may have worked.
	// Call knows it from the spec; CallOnce says it of any route.
	for _, call := range []func(context.Context, string, any, any) error{c.Call, c.CallOnce} {
		emu.AddFault(t, dropboxtest.Fault{Route: "files/create_folder_v2", Status: 503, Times: 1})
		var se *dropbox.ServerError
		if err := call(t.Context(), "files/create_folder_v2", map[string]string{"path": "/Twice"}, nil); !errors.As(err, &se) || se.Status != 503 {
			t.Errorf("a write after a 503: %v", err)
		}
	}
	if err := c.CallOnce(t.Context(), "files/get_metadata", map[string]string{"path": "/twice"}, nil); !errors.Is(err, dropbox.ErrNotFound) {
		t.Errorf("the refused write happened: %v", err)
	}
}

func TestUploadDownloadLongpoll(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))
	ctx := t.Context()

	var cur struct {
		Cursor string `json:"cursor"`
	}
	if err := c.Call(ctx, "files/list_folder/get_latest_cursor", map[string]any{"path": ""}, &cur); err != nil {
		t.Fatal(err)
	}
	var up struct {
		PathDisplay string `json:"path_display"`
		ContentHash string `json:"content_hash"`
	}
	data := []byte("héllo, dropbox")
	if err := c.CallUpload(ctx, "files/upload", map[string]any{"path": "/Dir/Café.txt"}, bytes.NewReader(data), &up); err != nil {
		t.Fatal(err)
	}
	if up.PathDisplay != "/Dir/Café.txt" || up.ContentHash != contenthash.Of(data) {
		t.Errorf("upload = %+v", up)
	}

	var meta struct {
		Size int `json:"size"`
	}
	rc, err := c.CallDownload(ctx, "files/download", map[string]any{"path": "/dir/café.txt"}, &meta, "bytes=7-")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != string(data[7:]) || meta.Size != len(data) {
		t.Errorf("ranged download = %q (size %d)", got, meta.Size)
	}

	var lp struct {
		Changes bool `json:"changes"`
	}
	if err := c.CallNoAuth(ctx, "files/list_folder/longpoll", map[string]any{"cursor": cur.Cursor, "timeout": 30}, &lp); err != nil {
		t.Fatal(err)
	}
	if !lp.Changes {
		t.Error("longpoll after an upload: no changes")
	}
}

// TestUploadBodies: bytes for an upload session whose body can seek are
// sent again after a 503; a body that cannot seek is not, and the error
// says why.
func TestUploadBodies(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))
	ctx := t.Context()
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	start := func(body io.Reader) (string, error) {
		res, err := c.Files.UploadSessionStart(ctx, &dropbox.UploadSessionStartArg{}, body)
		if err != nil {
			return "", err
		}
		return res.SessionID, nil
	}

	// A section of a larger source, part-way in: only its bytes go, twice.
	src := io.NewSectionReader(bytes.NewReader(append([]byte("skip"), data...)), 4, int64(len(data)))
	emu.AddFault(t, dropboxtest.Fault{Route: "files/upload_session/start", Status: 503, Times: 1})
	id, err := start(src)
	if err != nil {
		t.Fatalf("seekable body after a 503: %v", err)
	}
	md, err := c.Files.UploadSessionFinish(ctx, &dropbox.UploadSessionFinishArg{
		Cursor: dropbox.UploadSessionCursor{SessionID: id, Offset: uint64(len(data))},
		Commit: dropbox.CommitInfo{Path: "/seek.bin"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if md.Size != uint64(len(data)) || md.GetContentHash() != contenthash.Of(data) {
		t.Errorf("seekable upload = %d bytes, hash %s", md.Size, md.GetContentHash())
	}

	// A pipe cannot be read twice.
	emu.AddFault(t, dropboxtest.Fault{Route: "files/upload_session/start", Status: 503, Times: 1})
	_, err = start(io.MultiReader(bytes.NewReader(data)))
	var se *dropbox.ServerError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "cannot be sent again") {
		t.Errorf("stream body after a 503: %v", err)
	}
	// With no fault it goes through, chunked.
	if _, err := start(io.MultiReader(bytes.NewReader(data))); err != nil {
		t.Errorf("stream upload: %v", err)
	}
}
