package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// apiPost posts a JSON body to the service's API and decodes the answer.
func apiPost(t *testing.T, base, key, path string, in, out any) int {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
		}
	}
	return resp.StatusCode
}

func TestServeCmd(t *testing.T) {
	// Not parallel: it sets DROPBOX_APP_SECRET.
	emu := dropboxtest.NewEmulator(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "dropbridge.db")
	keys := keyFile(t)
	t.Setenv("DROPBOX_APP_SECRET", "serve-test-secret")
	args := []string{"serve", "--listen", "127.0.0.1:0", "--database", db, "--secret-key-file", keys,
		"--dropbox-url", emu.URL, "--dropbox-app-key", "servetestkey", "--env", "prod"}
	srv := startCmd(t, args...)
	app := srv.line(t, "Default app ")
	base := srv.line(t, "dropbridge listening on ")
	redirect := base + "/oauth/callback"
	if !strings.Contains(app, "(servetestkey) in environment prod") || !strings.HasSuffix(app, redirect+" as its redirect URI") {
		t.Errorf("default app line %q", app)
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d", resp.StatusCode)
	}

	key, _, err := runCmd(t, "apikeys", "create", "--database", db, "--secret-key-file", keys, "--env", "prod")
	if err != nil {
		t.Fatal(err)
	}
	key = strings.TrimSpace(key)
	// A connect session without an app uses the default app, at the
	// emulator, with the service's redirect URI.
	var cs struct {
		URL string `json:"url"`
	}
	if status := apiPost(t, base, key, "/v1/connect-sessions", map[string]any{"external_user_id": "u1"}, &cs); status != http.StatusCreated {
		t.Fatalf("create connect session: %d", status)
	}
	if !strings.HasPrefix(cs.URL, emu.URL+"/oauth2/authorize?") || !strings.Contains(cs.URL, "client_id=servetestkey") {
		t.Errorf("session URL %s", cs.URL)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("serve stopped with %v\n%s", err, srv.stderr)
	}

	// Starting again with the same app changes nothing.
	srv = startCmd(t, args...)
	if again := srv.line(t, "Default app "); !strings.Contains(again, "(servetestkey)") {
		t.Errorf("second start: %q", again)
	}
	srv.stop(t)
}

func TestServeCmdNeedsASecretKey(t *testing.T) {
	// Not parallel: it clears DROPBRIDGE_SECRET_KEY.
	t.Setenv("DROPBRIDGE_SECRET_KEY", "")
	_, _, err := runCmd(t, "serve", "--listen", "127.0.0.1:0", "--database", "sqlite:"+filepath.Join(t.TempDir(), "db"))
	if err == nil || !strings.Contains(err.Error(), "DROPBRIDGE_SECRET_KEY is not set") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Errorf("serve without a key: %v", err)
	}
	t.Setenv("DROPBRIDGE_SECRET_KEY", "not a key ring")
	_, _, err = runCmd(t, "serve", "--listen", "127.0.0.1:0", "--database", "sqlite:"+filepath.Join(t.TempDir(), "db"))
	if err == nil || !strings.Contains(err.Error(), "DROPBRIDGE_SECRET_KEY") {
		t.Errorf("serve with a bad key: %v", err)
	}
	_, _, err = runCmd(t, "serve", "--dropbox-url", "api.dropboxapi.com")
	if err == nil || !strings.Contains(err.Error(), "absolute http or https URL") {
		t.Errorf("serve with a bad Dropbox URL: %v", err)
	}
}
