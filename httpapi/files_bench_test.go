package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// BenchmarkDownload downloads one file through the service and, as the
// baseline in the same run, straight from the emulator with the client,
// and reports the service's throughput as a ratio of the client's.
func BenchmarkDownload(b *testing.B) {
	const size = 64 << 20
	emu := dropboxtest.NewEmulator(b)
	acct := emu.CreateAccount(b, dropboxtest.AccountArg{Email: "bench@example.com", AccountType: "pro"})
	direct := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken))
	if _, err := direct.Upload(b.Context(), "/bench.bin", bytes.NewReader(randomBytes(size, 5)), size, nil); err != nil {
		b.Fatal(err)
	}
	srvURL, key, connID := benchService(b, emu, acct)
	url := srvURL + contentPath(connID, "/bench.bin")

	var viaService, viaClient time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := direct.Download(b.Context(), "/bench.bin", io.Discard, nil); err != nil {
			b.Fatal(err)
		}
		viaClient += time.Since(start)

		start = time.Now()
		req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != size || resp.StatusCode != http.StatusOK {
			b.Fatalf("download through the service: %d, %d bytes, %v", resp.StatusCode, n, err)
		}
		viaService += time.Since(start)
	}
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/viaService.Seconds(), "service-MB/s")
	b.ReportMetric(mb/viaClient.Seconds(), "direct-MB/s")
	b.ReportMetric(viaClient.Seconds()/viaService.Seconds(), "service/direct")
}

// benchService starts the API on a SQLite store with a connection of acct
// whose token is the emulator's, and returns its URL, an API key and the
// connection's ID.
func benchService(b *testing.B, emu *dropboxtest.Emulator, acct dropboxtest.Account) (string, string, string) {
	ctx := b.Context()
	kr, err := secrets.GenerateKey("k1")
	if err != nil {
		b.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(kr)
	if err != nil {
		b.Fatal(err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "dropbridge.db"), keys)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	env := &dropbridge.Environment{Name: "bench"}
	if err := store.CreateEnvironment(ctx, env); err != nil {
		b.Fatal(err)
	}
	k, secret, err := dropbridge.NewAPIKey(env.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		b.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "Bench", AppKey: testAppKey, AppSecret: testAppSecret, IsDefault: true}
	if err := store.CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	conn := &dropbridge.Connection{EnvironmentID: env.ID, AppID: app.ID, ExternalUserID: "bench", AccountID: acct.AccountID,
		Email: acct.Email, DisplayName: "Bench", AccountType: acct.AccountType, Scopes: []string{"files.content.read"},
		Status: dropbridge.ConnectionActive, Token: dropbridge.Token{AccessToken: dropbridge.Secret(acct.AccessToken)}}
	if err := store.UpsertConnection(ctx, conn); err != nil {
		b.Fatal(err)
	}
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	b.Cleanup(srv.Close)
	svc := connect.New(store, srv.URL)
	svc.Dropbox = connect.SingleHost(emu.URL)
	handler = httpapi.New(httpapi.Config{Store: store, Connect: svc})
	return srv.URL, string(secret), conn.ID
}
