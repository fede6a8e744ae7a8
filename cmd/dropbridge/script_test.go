package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// TestMain lets the scripts run "exec dropbridge ...": the test binary,
// run under that name, is the dropbridge command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"dropbridge": main})
}

// TestScripts runs the CLI's scripts in testdata/script, each against its
// own service and emulator (see startScriptService for what they hold and
// the variables a script gets).
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			tb, ok := env.T().(testing.TB)
			if !ok {
				return errors.New("testscript's T is not a testing.TB")
			}
			s, err := startScriptService(tb)
			if err != nil {
				return err
			}
			env.Setenv("DROPBRIDGE_SERVER", s.url)
			env.Setenv("DROPBRIDGE_API_KEY", s.key)
			env.Setenv("OTHER_API_KEY", s.otherKey)
			env.Setenv("CONN", s.conn)
			env.Setenv("EMULATOR", s.emu.URL)
			// Under -race, a command that exits 0 would wait a second
			// for late race reports.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"consent":  cmdConsent,
			"randfile": cmdRandfile,
			"envfrom":  cmdEnvfrom,
		},
	})
}

// cmdConsent is the script command "consent LINKFILE EMAIL": it opens the
// connect link in the file (as "dropbridge connect" prints it) as the end
// user's browser, and allows access as the emulator's account with email.
func cmdConsent(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: consent LINKFILE EMAIL")
	}
	link := strings.TrimSpace(ts.ReadFile(args[0]))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := consentAs(ctx, link, args[1])
	switch {
	case err != nil && !neg:
		ts.Fatalf("consent: %v", err)
	case err == nil && neg:
		ts.Fatalf("consent succeeded unexpectedly")
	}
}

// cmdEnvfrom is the script command "envfrom NAME FILE REGEXP": it sets
// the variable NAME to the first group of REGEXP's first match in FILE
// (such as an ID that a command printed).
func cmdEnvfrom(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: envfrom NAME FILE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[2])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(args[1]))
	if len(m) < 2 {
		ts.Fatalf("no match for %s (with a group) in %s", args[2], args[1])
	}
	ts.Setenv(args[0], m[1])
}

// cmdRandfile is the script command "randfile NAME SIZE": it writes SIZE
// (a number, with an optional Ki or Mi suffix) pseudo-random bytes to
// NAME, the same bytes for the same name and size.
func cmdRandfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: randfile NAME SIZE")
	}
	n, unit := args[1], int64(1)
	if rest, ok := strings.CutSuffix(n, "Mi"); ok {
		n, unit = rest, 1<<20
	} else if rest, ok := strings.CutSuffix(n, "Ki"); ok {
		n, unit = rest, 1<<10
	}
	size, err := strconv.ParseInt(n, 10, 64)
	ts.Check(err)
	var seed [32]byte
	copy(seed[:], args[0]+"/"+args[1])
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	_, err = io.CopyN(f, rand.NewChaCha8(seed), size*unit)
	ts.Check(errors.Join(err, f.Close()))
}

// Accounts of the scripts' emulator.
const (
	scriptDemoEmail  = "demo@example.com"  // pro, with files, connected as $CONN
	scriptAliceEmail = "alice@example.com" // basic, not connected
)

// scriptFiles are the demo account's files: a few in folders, and a
// folder of many, for paging.
func scriptFiles() map[string]string {
	files := map[string]string{
		"/hello.txt":         "Hello from the emulator.\n",
		"/Reports/q1.csv":    "month,revenue\njanuary,1200\n",
		"/Reports/q2.csv":    "month,revenue\napril,1600\n",
		"/Reports/2025/y.md": "# 2025\n",
		"/Notes/ideas.md":    "# Ideas\n",
	}
	for i := 1; i <= 25; i++ {
		files[fmt.Sprintf("/Many/item-%02d.txt", i)] = fmt.Sprintf("item %d\n", i)
	}
	return files
}

// scriptService is a dropbridge service on SQLite, talking to an
// emulator, for one test or script.
type scriptService struct {
	url      string // the service's base URL
	key      string // an API key of its environment
	otherKey string // an API key of another environment
	conn     string // a connection of scriptDemoEmail, user "demo-user"
	store    *sqlite.Store
	emu      *dropboxtest.Emulator
}

// startScriptService starts the service with an environment, its default
// app, an API key, and a connection made through the consent page to the
// demo account, whose files are scriptFiles. Another environment has a
// key too. Everything stops when tb's test ends.
func startScriptService(tb testing.TB) (*scriptService, error) {
	ctx := tb.Context()
	emu := dropboxtest.NewEmulator(tb)
	k, err := secrets.GenerateKey("k1")
	if err != nil {
		return nil, err
	}
	keys, err := secrets.ParseKeyring(k)
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "dropbridge.db"), keys)
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { store.Close() })
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	svc := connect.New(store, srv.URL)
	svc.Dropbox = connect.SingleHost(emu.URL)
	handler = httpapi.New(httpapi.Config{Store: store, Connect: svc})
	s := &scriptService{url: srv.URL, store: store, emu: emu}

	env, key, err := scriptEnvironment(ctx, store, "scripts")
	if err != nil {
		return nil, err
	}
	s.key = key
	if _, s.otherKey, err = scriptEnvironment(ctx, store, "other"); err != nil {
		return nil, err
	}
	const appKey, appSecret = "scriptappkey", "scriptappsecret-0123456789"
	emu.CreateApp(tb, dropboxtest.AppArg{AppKey: appKey, AppSecret: appSecret, RedirectURIs: []string{svc.RedirectURI()}})
	if err := store.CreateApp(ctx, &dropbridge.App{EnvironmentID: env.ID, Name: "Script app", AppKey: appKey,
		AppSecret: appSecret, IsDefault: true}); err != nil {
		return nil, err
	}
	demo := emu.CreateAccount(tb, dropboxtest.AccountArg{Email: scriptDemoEmail, DisplayName: "Demo User", AccountType: "pro"})
	emu.CreateAccount(tb, dropboxtest.AccountArg{Email: scriptAliceEmail, DisplayName: "Alice", AccountType: "basic"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(demo.AccessToken))
	for path, content := range scriptFiles() {
		if err := upload(ctx, c, path, content); err != nil {
			return nil, err
		}
	}

	sess, err := svc.CreateSession(ctx, env.ID, connect.SessionRequest{ExternalUserID: "demo-user"})
	if err != nil {
		return nil, err
	}
	if err := consentAs(ctx, sess.URL, scriptDemoEmail); err != nil {
		return nil, err
	}
	conns, err := store.ListConnections(ctx, env.ID, dropbridge.ConnectionFilter{ExternalUserID: "demo-user"})
	if err != nil {
		return nil, err
	}
	if len(conns.Connections) != 1 {
		return nil, fmt.Errorf("%d connections after the consent, want 1", len(conns.Connections))
	}
	s.conn = conns.Connections[0].ID
	return s, nil
}

// scriptEnvironment makes an environment and an API key of it.
func scriptEnvironment(ctx context.Context, store dropbridge.Store, name string) (*dropbridge.Environment, string, error) {
	env := &dropbridge.Environment{Name: name}
	if err := store.CreateEnvironment(ctx, env); err != nil {
		return nil, "", err
	}
	k, secret, err := dropbridge.NewAPIKey(env.ID, "scripts")
	if err != nil {
		return nil, "", err
	}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return env, string(secret), nil
}

// consentForm is the form of the emulator's consent page.
var consentForm = regexp.MustCompile(`<form method="post" action="([^"]*)">`)

// consentAs opens a connect link as the end user's browser, picks the
// account with email on the emulator's consent page, follows Dropbox's
// redirect to the service, and checks the service's final page.
func consentAs(ctx context.Context, link, email string) error {
	get, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(get)
	if err != nil {
		return err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	action := consentForm.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || action == nil {
		return fmt.Errorf("no consent page at the link (%d):\n%s", resp.StatusCode, page)
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	for _, m := range accountButton.FindAllSubmatch(page, -1) {
		if strings.Contains(html.UnescapeString(string(m[2])), "<"+email+">") {
			form.Set("account_id", html.UnescapeString(string(m[1])))
		}
	}
	if form.Get("account_id") == "" {
		return fmt.Errorf("no account %s on the consent page", email)
	}
	target, err := resp.Request.URL.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		return err
	}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = http.DefaultClient.Do(post)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	page, err = io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Dropbox is connected") {
		return fmt.Errorf("after the consent (%d):\n%s", resp.StatusCode, page)
	}
	return nil
}
