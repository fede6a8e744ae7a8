package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
)

// runCmd runs "dropbridge args..." to the end and returns its output.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err = root.ExecuteContext(t.Context())
	return out.String(), errb.String(), err
}

// keyFile writes a new key ring to a file and returns its path.
func keyFile(t *testing.T) string {
	t.Helper()
	k, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAPIKeysCmd(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "db", "dropbridge.db")
	flags := []string{"--database", "sqlite:" + dbPath, "--secret-key-file", keyFile(t), "--env", "staging"}

	out, errOut, err := runCmd(t, append([]string{"apikeys", "create", "--name", "ci"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out)
	if !strings.HasPrefix(secret, dropbridge.APIKeySecretPrefix) || strings.Count(out, "\n") != 1 {
		t.Fatalf("create printed %q, want the secret alone", out)
	}
	if !strings.Contains(errOut, "Created environment staging") || !strings.Contains(errOut, "not shown again") {
		t.Errorf("create said %q", errOut)
	}
	out2, _, err := runCmd(t, append([]string{"apikeys", "create", "--name", "other"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}

	out, _, err = runCmd(t, append([]string{"apikeys", "list"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], " ci ") ||
		!strings.Contains(lines[1], secret[:12]) || strings.Contains(out, secret) {
		t.Fatalf("list printed:\n%s", out)
	}
	keyID := strings.Fields(lines[1])[0]
	if !strings.HasPrefix(keyID, dropbridge.APIKeyIDPrefix) {
		t.Fatalf("key ID %q", keyID)
	}

	// The keys authenticate until revoked.
	check := func(secret string, want bool) {
		t.Helper()
		keys, err := secrets.ParseKeyring(mustRead(t, flags[3]))
		if err != nil {
			t.Fatal(err)
		}
		store, err := openStore(t.Context(), "sqlite:"+dbPath, keys)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		_, err = store.AuthenticateAPIKey(t.Context(), dropbridge.Secret(secret))
		if (err == nil) != want {
			t.Errorf("authenticate: %v, want ok=%v", err, want)
		}
	}
	check(secret, true)
	out, _, err = runCmd(t, append([]string{"apikeys", "revoke", keyID}, flags...)...)
	if err != nil || !strings.Contains(out, "Revoked API key "+keyID) {
		t.Fatalf("revoke: %q, %v", out, err)
	}
	check(secret, false)
	check(strings.TrimSpace(out2), true)
	out, _, _ = runCmd(t, append([]string{"apikeys", "list"}, flags...)...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); strings.HasSuffix(strings.TrimSpace(lines[1]), "-") {
		t.Errorf("list does not show the revocation:\n%s", out)
	}

	// Errors a user can act on.
	if _, _, err := runCmd(t, "apikeys", "revoke", "key_nope", "--database", "sqlite:"+dbPath, "--secret-key-file", flags[3], "--env", "staging"); err == nil || !strings.Contains(err.Error(), "key_nope") {
		t.Errorf("revoke of an unknown key: %v", err)
	}
	if _, _, err := runCmd(t, "apikeys", "list", "--database", "sqlite:"+dbPath, "--secret-key-file", flags[3], "--env", "nope"); err == nil || !strings.Contains(err.Error(), "No environment") {
		t.Errorf("list of an unknown environment: %v", err)
	}
	if _, _, err := runCmd(t, "apikeys", "list", "--database", "mysql://x:secretpw@db/x", "--secret-key-file", flags[3]); err == nil ||
		strings.Contains(err.Error(), "secretpw") || !strings.Contains(err.Error(), "sqlite:PATH") {
		t.Errorf("unknown database kind: %v", err)
	}
}

func TestAPIKeysCmdUsesDevKey(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if _, err := devKeyring(data); err != nil {
		t.Fatal(err)
	}
	db := "sqlite:" + filepath.Join(data, "dropbridge.db")
	out, _, err := runCmd(t, "apikeys", "create", "--data", data, "--database", db, "--env", "development")
	if err != nil || !strings.HasPrefix(out, "dbk_") {
		t.Fatalf("create with dev's data folder: %q, %v", out, err)
	}
	if os.Getenv("DROPBRIDGE_SECRET_KEY") != "" {
		return // the key from the environment comes first
	}
	if _, _, err := runCmd(t, "apikeys", "list", "--data", t.TempDir(), "--database", db); err == nil || !strings.Contains(err.Error(), "openssl rand") {
		t.Errorf("no key anywhere: %v, want how to make one", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
