package dropboxemu_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// TestRestartKeepsClock: an advanced clock stays advanced across a restart
// of a disk-backed emulator, so expiries and server_modified do not go back.
func TestRestartKeepsClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	emu.Advance(t, 10*time.Hour)
	var before struct {
		Now time.Time `json:"now"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/clock", nil, &before)
	stop()

	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})
	var after struct {
		Now time.Time `json:"now"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/clock", nil, &after)
	if after.Now.Before(before.Now) || after.Now.Before(time.Now().Add(9*time.Hour)) {
		t.Fatalf("clock after restart = %v, before = %v: the advance was lost", after.Now, before.Now)
	}
}

// TestRestartDeletesOrphanBlobs: bytes stored without a commit that refers
// to them (a crash between the two) are deleted at start; committed ones stay.
func TestRestartDeletesOrphanBlobs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "gc@example.com"})
	ok(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/kept.txt"}, Body: []byte("kept")})
	stop()

	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.PutBlob("0123456789abcdef0123456789abcdef", []byte("orphan")); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		if err := b.ListBlobs(func(string) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("blobs before restart = %d, want 2", n)
	}
	srv, err := dropboxemu.New(dropboxemu.Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("blobs after restart = %d, want 1 (the orphan deleted)", n)
	}
	if _, err := b.OpenBlob("0123456789abcdef0123456789abcdef"); err == nil {
		t.Error("orphan blob still there")
	}
	srv.Close()

	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})
	if got := downloadFile(t, emu, acct.AccessToken, "/kept.txt"); string(got.Content) != "kept" {
		t.Errorf("kept.txt = %q after the collection", got.Content)
	}
}
