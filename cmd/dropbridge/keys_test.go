package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
)

// writeKeyring writes a key ring to a new file and returns its path.
func writeKeyring(t *testing.T, ring string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(ring+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openWith opens the SQLite database at dbPath with the key ring in the
// file keyFile.
func openWith(t *testing.T, dbPath, keyFile string) dropbridge.Store {
	t.Helper()
	keys, err := secrets.ParseKeyring(strings.TrimSpace(mustRead(t, keyFile)))
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(t.Context(), "sqlite:"+dbPath, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// TestKeysRotate rotates the key ring as the help says: generate a key,
// put it in front, rotate, drop the old key; then the store and apikeys
// open everything with the new key alone.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "db", "dropbridge.db")
	oldFile := keyFile(t)
	db := []string{"--database", "sqlite:" + dbPath}

	// Secrets sealed with k1: an app secret, a connection's two tokens, a
	// remembered Idempotency-Key answer.
	ctx := t.Context()
	store := openWith(t, dbPath, oldFile)
	env := &dropbridge.Environment{Name: "production"}
	if err := store.CreateEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "App", AppKey: "appkey", AppSecret: "app-secret-1", IsDefault: true}
	if err := store.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	conn := &dropbridge.Connection{
		EnvironmentID: env.ID, AppID: app.ID, ExternalUserID: "user-1", AccountID: "dbid:1", Email: "ada@example.com",
		DisplayName: "Ada", AccountType: "pro", Status: dropbridge.ConnectionActive,
		Token: dropbridge.Token{AccessToken: "access-1", RefreshToken: "refresh-1", Expiry: time.Now().Add(time.Hour)},
	}
	if err := store.UpsertConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	rec := &dropbridge.IdempotencyRecord{EnvironmentID: env.ID, Key: "k-1", Method: "POST", Path: "/v1/connect-sessions",
		Fingerprint: []byte("fp"), ExpiresAt: time.Now().Add(time.Hour)}
	claim, err := store.ClaimIdempotencyKey(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	claim.StatusCode, claim.Body = 201, []byte(`{"url":"https://example.test/authorize?state=s"}`)
	if err := store.SaveIdempotentResponse(ctx, claim); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	out, errOut, err := runCmd(t, "keys", "generate", "--secret-key-file", oldFile)
	if err != nil {
		t.Fatal(err)
	}
	newKey := strings.TrimSpace(out)
	if !strings.HasPrefix(newKey, "k2:") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "keys rotate") {
		t.Fatalf("generate printed %q (stderr %q), want a k2 key alone on its line", out, errOut)
	}
	newFile := writeKeyring(t, newKey)
	bothFile := writeKeyring(t, newKey+","+strings.TrimSpace(mustRead(t, oldFile)))

	// The new key alone does not open what k1 sealed.
	if _, err := openWith(t, dbPath, newFile).FindAppByID(ctx, env.ID, app.ID); dropbridge.ErrorCode(err) != dropbridge.EINTERNAL {
		t.Fatalf("FindAppByID with k2 alone before the rotation: %v, want EINTERNAL", err)
	}

	out, _, err = runCmd(t, append([]string{"keys", "rotate", "--secret-key-file", bothFile}, db...)...)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Re-sealed 4 secrets with key k2.\nEvery secret now opens with key k2: drop k1 from the key ring.\n"; out != want {
		t.Errorf("rotate printed %q, want %q", out, want)
	}
	out, _, err = runCmd(t, append([]string{"keys", "rotate", "--secret-key-file", bothFile}, db...)...)
	if err != nil || !strings.HasPrefix(out, "Re-sealed 0 secrets") {
		t.Errorf("a second rotate: %q, %v; want nothing re-sealed", out, err)
	}

	// k1 dropped: everything opens with k2 alone.
	s := openWith(t, dbPath, newFile)
	if got, err := s.FindAppByID(ctx, env.ID, app.ID); err != nil || got.AppSecret != app.AppSecret {
		t.Errorf("app with k2 alone: %v", err)
	}
	if got, err := s.FindConnectionByID(ctx, env.ID, conn.ID); err != nil || got.Token.AccessToken != "access-1" || got.Token.RefreshToken != "refresh-1" {
		t.Errorf("connection with k2 alone: %v", err)
	}
	if got, err := s.ClaimIdempotencyKey(ctx, rec); err != nil || string(got.Body) != string(claim.Body) {
		t.Errorf("idempotent answer with k2 alone: %v", err)
	}
	if _, _, err := runCmd(t, append([]string{"apikeys", "create", "--secret-key-file", newFile}, db...)...); err != nil {
		t.Errorf("apikeys create with k2 alone: %v", err)
	}

	// A rotation with a ring that lacks a key still in use says so.
	if _, _, err := runCmd(t, append([]string{"keys", "rotate", "--secret-key-file", keyFile(t)}, db...)...); err == nil ||
		!strings.Contains(err.Error(), "not in the key ring") {
		t.Errorf("rotate without the key in use: %v, want an error that says so", err)
	}
}

func TestKeysGenerate(t *testing.T) {
	t.Parallel()
	out, _, err := runCmd(t, "keys", "generate", "--id", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	ring := strings.TrimSpace(out)
	keys, err := secrets.ParseKeyring(ring)
	if err != nil || keys.Newest() != "2026-11" {
		t.Fatalf("generate --id printed %q: %v", out, err)
	}
	ring2 := writeKeyring(t, "k7:"+ring[len("2026-11:"):]+","+ring)
	if out, _, err := runCmd(t, "keys", "generate", "--secret-key-file", ring2); err != nil || !strings.HasPrefix(out, "k8:") {
		t.Errorf("generate after k7: %q, %v; want k8", out, err)
	}
	if _, _, err := runCmd(t, "keys", "generate", "--id", "bad id"); err == nil {
		t.Error("generate --id with a space: no error")
	}
}
