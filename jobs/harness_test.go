package jobs_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/jobs"
	"github.com/dropbridge/dropbridge/postgres"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

const (
	testAppKey    = "jobsappkey"
	testAppSecret = "jobsappsecret-0123456789"
	testEmail     = "refresh@example.com"
	// tokenLifetime is the emulator's, and Dropbox's, access token life.
	tokenLifetime = 4 * time.Hour
)

// clock is the service's clock, which tests move forward with the
// emulator's.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// fixture is a store, a connect service and an emulator for one test,
// and the database URL that runners open.
type fixture struct {
	t     *testing.T
	dbURL string
	store dropbridge.Store
	svc   *connect.Service
	emu   *dropboxtest.Emulator
	clock *clock
	env   *dropbridge.Environment
	// tokenCalls counts requests to the emulator's token endpoint.
	tokenCalls atomic.Int64
}

// backends are the databases the tests run on.
var backends = []string{"sqlite", "postgres"}

// newFixture returns a fixture on backend, or skips the test when the
// backend is PostgreSQL and DROPBRIDGE_TEST_POSTGRES is unset.
func newFixture(t *testing.T, backend string) *fixture {
	t.Helper()
	kr, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(kr)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: &clock{now: time.Now()}, emu: dropboxtest.NewEmulator(t)}
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "dropbridge.db")
		s, err := sqlite.Open(t.Context(), path, keys)
		if err != nil {
			t.Fatal(err)
		}
		s.Now = f.clock.Now
		f.store, f.dbURL = s, "sqlite:"+path
	case "postgres":
		f.dbURL = newSchema(t)
		s, err := postgres.Open(t.Context(), f.dbURL, keys)
		if err != nil {
			t.Fatal(err)
		}
		s.Now = f.clock.Now
		f.store = s
	}
	t.Cleanup(func() { f.store.Close() })

	f.svc = connect.New(f.store, "http://dropbridge.test")
	f.svc.Dropbox = connect.SingleHost(f.emu.URL)
	f.svc.Now = f.clock.Now
	f.svc.HTTPClient = &http.Client{Transport: countTokenCalls{&f.tokenCalls, http.DefaultTransport}}
	f.emu.CreateApp(t, dropboxtest.AppArg{AppKey: testAppKey, AppSecret: testAppSecret, RedirectURIs: []string{f.svc.RedirectURI()}})
	f.emu.CreateAccount(t, dropboxtest.AccountArg{Email: testEmail, AccountType: "pro"})
	f.env = &dropbridge.Environment{Name: "test"}
	if err := f.store.CreateEnvironment(t.Context(), f.env); err != nil {
		t.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: f.env.ID, Name: "Test app", AppKey: testAppKey, AppSecret: testAppSecret, IsDefault: true}
	if err := f.store.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	return f
}

// newSchema returns the URL of a PostgreSQL schema of the test's own,
// dropped when the test ends, or skips the test.
func newSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DROPBRIDGE_TEST_POSTGRES")
	if base == "" {
		t.Skip("DROPBRIDGE_TEST_POSTGRES is unset: set it to a PostgreSQL URL, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL job tests")
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "jobstest_" + hex.EncodeToString(b)
	exec := func(ctx context.Context, stmt string) {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to DROPBRIDGE_TEST_POSTGRES: %v", err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Errorf("%s: %v", stmt, err)
		}
	}
	exec(t.Context(), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("DROPBRIDGE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// countTokenCalls counts the requests to the OAuth token endpoint.
type countTokenCalls struct {
	n    *atomic.Int64
	next http.RoundTripper
}

func (c countTokenCalls) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/oauth2/token" {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// advance moves the service's and the emulator's clocks forward by d.
func (f *fixture) advance(d time.Duration) {
	f.t.Helper()
	f.emu.Advance(f.t, d)
	f.clock.mu.Lock()
	f.clock.now = f.clock.now.Add(d)
	f.clock.mu.Unlock()
}

var (
	hiddenInput   = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	accountButton = regexp.MustCompile(`<button class="acct" type="submit" name="account_id" value="([^"]*)">([^<]*)`)
	noRedirects   = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
)

// connect connects the test account through the OAuth flow, as a user
// on the emulator's consent page, and returns the connection.
func (f *fixture) connect(externalUserID string) *dropbridge.Connection {
	t := f.t
	t.Helper()
	sess, err := f.svc.CreateSession(t.Context(), f.env.ID, connect.SessionRequest{ExternalUserID: externalUserID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(sess.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	for _, m := range accountButton.FindAllSubmatch(page, -1) {
		if strings.Contains(html.UnescapeString(string(m[2])), "<"+testEmail+">") {
			form.Set("account_id", html.UnescapeString(string(m[1])))
		}
	}
	if form.Get("account_id") == "" {
		t.Fatalf("no account %s on the consent page (%d):\n%s", testEmail, resp.StatusCode, page)
	}
	resp, err = noRedirects.PostForm(f.emu.URL+"/oauth2/authorize/decide", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("consent: %d, no redirect: %v", resp.StatusCode, err)
	}
	_, conn, err := f.svc.Complete(t.Context(), connect.Callback{State: loc.Query().Get("state"), Code: loc.Query().Get("code")})
	if err != nil {
		t.Fatalf("complete the connect session: %v", err)
	}
	if conn.Token.RefreshToken == "" || conn.Token.Expiry.IsZero() {
		t.Fatalf("connection without a refresh token or expiry")
	}
	return conn
}

// find reads the connection back.
func (f *fixture) find(id string) *dropbridge.Connection {
	f.t.Helper()
	c, err := f.store.FindConnectionByID(f.t.Context(), f.env.ID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// refresh is one refresh attempt that a runner reported.
type refresh struct {
	connectionID string
	outcome      connect.RefreshOutcome
	err          error
}

// runner opens a runner on the fixture's database that reports every
// refresh attempt on the returned channel, and stops and closes it when
// the test ends. It is not started.
func (f *fixture) runner(cfg jobs.Config) (*jobs.Runner, <-chan refresh) {
	f.t.Helper()
	reports := make(chan refresh, 100)
	cfg.Store, cfg.Connect, cfg.Now = f.store, f.svc, f.clock.Now
	cfg.PollInterval = 20 * time.Millisecond
	cfg.OnRefresh = func(_, id string, outcome connect.RefreshOutcome, err error) {
		reports <- refresh{connectionID: id, outcome: outcome, err: err}
	}
	r, err := jobs.Open(f.t.Context(), f.dbURL, cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			f.t.Errorf("stop: %v", err)
		}
		r.Close()
	})
	return r, reports
}

// next waits for the next refresh report.
func next(t *testing.T, reports <-chan refresh) refresh {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	select {
	case r := <-reports:
		return r
	case <-ctx.Done():
		t.Fatal("no refresh attempt within 30s")
		return refresh{}
	}
}
