package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// Test app credentials, registered with the emulator and through the API.
const (
	testAppKey    = "testappkey"
	testAppSecret = "testappsecret-0123456789"
)

// appHost is the application's host in redirect URLs; the test browser
// stops before it, so nothing is ever fetched from it.
const appHost = "app.example.test"

// service is dropbridge's API on a real SQLite store, talking to a real
// emulator, for one test.
type service struct {
	t     *testing.T
	emu   *dropboxtest.Emulator
	store *sqlite.Store
	clock *clock
	srv   *httptest.Server
	logs  *lockedBuffer
	// env and key are the first environment and its API key.
	env *dropbridge.Environment
	key string
}

// clock is the store's clock, which tests move forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// lockedBuffer collects log lines from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newService starts the API with an environment "test", an API key for it,
// and the test app registered with the emulator (not yet with the API).
func newService(t *testing.T) *service {
	t.Helper()
	emu := dropboxtest.NewEmulator(t)
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
	clk := &clock{now: time.Now()}
	store.Now = clk.Now

	s := &service{t: t, emu: emu, store: store, clock: clk, logs: &lockedBuffer{}}
	var handler http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	svc := connect.New(store, s.srv.URL)
	svc.Dropbox = connect.SingleHost(emu.URL)
	svc.Now = clk.Now
	logger := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc.Logger = logger
	handler = httpapi.New(httpapi.Config{Store: store, Connect: svc, Logger: logger, Now: clk.Now})

	emu.CreateApp(t, dropboxtest.AppArg{AppKey: testAppKey, AppSecret: testAppSecret, RedirectURIs: []string{svc.RedirectURI()}})
	s.env, s.key = s.newEnvironment("test")
	return s
}

// newEnvironment makes an environment and an API key for it.
func (s *service) newEnvironment(name string) (*dropbridge.Environment, string) {
	s.t.Helper()
	env := &dropbridge.Environment{Name: name}
	if err := s.store.CreateEnvironment(s.t.Context(), env); err != nil {
		s.t.Fatal(err)
	}
	k, secret, err := dropbridge.NewAPIKey(env.ID, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.store.CreateAPIKey(s.t.Context(), k); err != nil {
		s.t.Fatal(err)
	}
	return env, string(secret)
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the body into v.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do calls the API with key (none if empty) and a JSON body (none if nil).
func (s *service) do(key, method, path string, body any, header ...string) *response {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// must calls the API with the test's key and fails unless the answer has
// status want; it decodes the body into out if not nil.
func (s *service) must(want int, method, path string, body, out any) *response {
	s.t.Helper()
	r := s.do(s.key, method, path, body)
	if r.status != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		r.decode(s.t, out)
	}
	return r
}

// registerApp registers the test app through the API as the default.
func (s *service) registerApp() httpapi.App {
	s.t.Helper()
	var app httpapi.App
	s.must(http.StatusCreated, http.MethodPost, "/v1/apps", map[string]any{
		"name": "Test app", "app_key": testAppKey, "app_secret": testAppSecret, "is_default": true,
	}, &app)
	return app
}

// createSession creates a connect session for externalUserID that sends
// the user on to the application's page.
func (s *service) createSession(externalUserID string) httpapi.ConnectSession {
	s.t.Helper()
	var cs httpapi.ConnectSession
	s.must(http.StatusCreated, http.MethodPost, "/v1/connect-sessions", map[string]any{
		"external_user_id": externalUserID, "redirect_url": "https://" + appHost + "/connected?from=test",
	}, &cs)
	return cs
}

// browser is an end user's browser: it follows redirects, but not to the
// application's host.
var browser = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
	if req.URL.Host == appHost {
		return http.ErrUseLastResponse
	}
	return nil
}}

// noRedirects stops at the first redirect.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var (
	hiddenInput   = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	accountButton = regexp.MustCompile(`<button class="acct" type="submit" name="account_id" value="([^"]*)">([^<]*)`)
	formAction    = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// consent opens a session's URL as a browser would, lands on the
// emulator's consent page, and submits it as the user who picks the
// account with email (or denies, with email ""). It returns the
// emulator's answer without following it: a redirect to the callback.
func (s *service) consent(sessionURL, email string) *url.URL {
	s.t.Helper()
	resp, err := browser.Get(sessionURL)
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		s.t.Fatalf("GET the session URL: %d %s", resp.StatusCode, page)
	}
	action := formAction.FindSubmatch(page)
	if action == nil {
		s.t.Fatalf("no consent form on the page:\n%s", page)
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	if email == "" {
		form.Set("decision", "deny")
	} else {
		for _, m := range accountButton.FindAllSubmatch(page, -1) {
			if strings.Contains(html.UnescapeString(string(m[2])), "<"+email+">") {
				form.Set("account_id", html.UnescapeString(string(m[1])))
			}
		}
		if form.Get("account_id") == "" {
			s.t.Fatalf("no account %s on the consent page:\n%s", email, page)
		}
	}
	target, err := resp.Request.URL.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err = noRedirects.PostForm(target.String(), form)
	if err != nil {
		s.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		s.t.Fatalf("submit consent: %d %s", resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil {
		s.t.Fatal(err)
	}
	return loc
}

// callback opens the callback URL as the browser and returns where the
// service sends the user next (the application's URL) or, without a
// redirect, the page's status and text.
func (s *service) callback(u *url.URL) (next *url.URL, status int, page string) {
	s.t.Helper()
	resp, err := browser.Get(u.String())
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if loc, err := resp.Location(); err == nil {
		return loc, resp.StatusCode, ""
	} else if !errors.Is(err, http.ErrNoLocation) {
		s.t.Fatal(err)
	}
	return nil, resp.StatusCode, string(b)
}

// connect runs the whole flow for externalUserID as the account with email
// and returns the connection ID the application receives.
func (s *service) connect(externalUserID, email string) string {
	s.t.Helper()
	cs := s.createSession(externalUserID)
	next, status, page := s.callback(s.consent(cs.URL, email))
	if next == nil || next.Host != appHost {
		s.t.Fatalf("callback: %d %s, want a redirect to the application", status, page)
	}
	if e := next.Query().Get("error"); e != "" {
		s.t.Fatalf("callback: error %s: %s", e, next.Query().Get("error_description"))
	}
	if got := next.Query().Get("connect_session_id"); got != cs.ID {
		s.t.Errorf("connect_session_id = %q, want %q", got, cs.ID)
	}
	id := next.Query().Get("connection_id")
	if id == "" {
		s.t.Fatalf("no connection_id in %s", next)
	}
	return id
}
