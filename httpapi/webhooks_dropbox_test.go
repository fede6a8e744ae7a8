package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// notified records the accounts of the notifications the intake accepted.
type notified struct {
	mu       sync.Mutex
	accounts [][]string
}

func (n *notified) Notify(accountIDs ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.accounts = append(n.accounts, accountIDs)
}

func (n *notified) got() [][]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([][]string(nil), n.accounts...)
}

// dropboxSignature signs body as Dropbox does with an app's secret.
func dropboxSignature(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestDropboxWebhookIntake(t *testing.T) {
	t.Parallel()
	kr, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(kr)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "dropbridge.db"), keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	// Two environments, an app in each: a notification signed by either
	// app is Dropbox's.
	for i, name := range []string{"prod", "staging"} {
		env := &dropbridge.Environment{Name: name}
		if err := store.CreateEnvironment(t.Context(), env); err != nil {
			t.Fatal(err)
		}
		app := &dropbridge.App{EnvironmentID: env.ID, Name: "App", AppKey: "key" + name, AppSecret: dropbridge.Secret("secret-" + name), IsDefault: i == 0}
		if err := store.CreateApp(t.Context(), app); err != nil {
			t.Fatal(err)
		}
	}
	logs := &lockedBuffer{}
	n := &notified{}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: store, Connect: connect.New(store, "http://dropbridge.test"),
		Logger: slog.New(slog.NewTextHandler(logs, nil)), DropboxNotifier: n}))
	t.Cleanup(srv.Close)
	url := srv.URL + httpapi.DropboxWebhookPath

	resp, err := http.Get(url + "?challenge=abc123")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "abc123" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("challenge: %d %q %v", resp.StatusCode, b, resp.Header)
	}

	const body = `{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, "delta": {"users": [12345678]}}`
	const other = `{"list_folder": {"accounts": ["dbid:someone-else"]}, "delta": {"users": [1]}}`
	post := func(signature, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if signature != "" {
			req.Header.Set("X-Dropbox-Signature", signature)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for name, tt := range map[string]struct {
		signature, body string
		want            int
	}{
		"unsigned":                   {"", body, http.StatusForbidden},
		"not hex":                    {"not-a-signature", body, http.StatusForbidden},
		"unknown secret":             {dropboxSignature("someone-elses-secret", body), body, http.StatusForbidden},
		"replayed on another body":   {dropboxSignature("secret-prod", body), other, http.StatusForbidden},
		"truncated":                  {dropboxSignature("secret-prod", body)[:40], body, http.StatusForbidden},
		"signed by the app of prod":  {dropboxSignature("secret-prod", body), body, http.StatusOK},
		"signed by the app of stage": {strings.ToUpper(dropboxSignature("secret-staging", other)), other, http.StatusOK},
	} {
		if got := post(tt.signature, tt.body); got != tt.want {
			t.Errorf("%s: status %d, want %d", name, got, tt.want)
		}
	}
	want := [][]string{{"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"}, {"dbid:someone-else"}}
	got := n.got()
	sortAccounts := func(a, b []string) bool { return a[0] < b[0] }
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(sortAccounts)); diff != "" {
		t.Errorf("accounts handed on (-want +got):\n%s", diff)
	}
	if c := strings.Count(logs.String(), "dropbox webhook refused"); c != 5 {
		t.Errorf("%d refusals logged, want 5:\n%s", c, logs)
	}
	if strings.Contains(logs.String(), "secret-prod") {
		t.Error("a secret is in the logs")
	}
}
