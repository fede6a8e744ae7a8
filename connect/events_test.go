package connect_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

var (
	consentField  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	consentButton = regexp.MustCompile(`<button class="acct" type="submit" name="account_id" value="([^"]*)"`)
	stopRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
)

// TestConnectionEvents follows a connection from its creation through a
// refused token to its deletion, in the event feed and OnConnection.
func TestConnectionEvents(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	kr, _ := secrets.GenerateKey("k1")
	keys, err := secrets.ParseKeyring(kr)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"), keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := connect.New(store, "http://dropbridge.test")
	svc.Dropbox = connect.SingleHost(emu.URL)
	svc.Events = store
	var mu sync.Mutex
	var told []dropbridge.ConnectionStatus
	svc.OnConnection = func(c *dropbridge.Connection) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, c.Status)
	}
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "appkey", AppSecret: "appsecret", RedirectURIs: []string{svc.RedirectURI()}})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "events@example.com"})
	env := &dropbridge.Environment{Name: "test"}
	if err := store.CreateEnvironment(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "App", AppKey: "appkey", AppSecret: "appsecret", IsDefault: true}
	if err := store.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}

	// Connected twice: one connection, one connection.created.
	var conn *dropbridge.Connection
	for range 2 {
		conn = connectThroughConsent(t, svc, emu, env.ID, acct.AccountID)
	}
	// Dropbox stops taking the token.
	revoke := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(string(mustFind(t, store, env.ID, conn.ID).Token.AccessToken)))
	if err := revoke.Auth.TokenRevoke(t.Context()); err != nil {
		t.Fatal(err)
	}
	err = svc.Do(t.Context(), env.ID, conn.ID, func(ctx context.Context, c *dropbox.Client) error {
		_, err := c.Users.GetCurrentAccount(ctx)
		return err
	})
	if err == nil {
		t.Fatal("a call with a revoked token worked")
	}
	if _, err := svc.Delete(t.Context(), env.ID, conn.ID); err != nil {
		t.Fatal(err)
	}

	evs, err := store.ListEvents(t.Context(), env.ID, dropbridge.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		Type           dropbridge.EventType
		Object         string
		Before, After  dropbridge.ConnectionStatus
		ExternalUserID string
	}
	var got []seen
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("event %s: %v", e.ID, err)
		}
		got = append(got, seen{e.Type, e.ObjectID, statusOf(t, e.Before), statusOf(t, e.After), e.ExternalUserID})
	}
	want := []seen{
		{dropbridge.EventConnectionCreated, conn.ID, "", dropbridge.ConnectionActive, "user-1"},
		{dropbridge.EventConnectionNeedsReauth, conn.ID, dropbridge.ConnectionActive, dropbridge.ConnectionNeedsReauth, "user-1"},
		{dropbridge.EventConnectionRevoked, conn.ID, dropbridge.ConnectionNeedsReauth, dropbridge.ConnectionRevoked, "user-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connection events (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	wantTold := []dropbridge.ConnectionStatus{dropbridge.ConnectionActive, dropbridge.ConnectionActive,
		dropbridge.ConnectionNeedsReauth, dropbridge.ConnectionRevoked}
	if diff := cmp.Diff(wantTold, told); diff != "" {
		t.Errorf("OnConnection (-want +got):\n%s", diff)
	}
}

// statusOf returns the status of a connection as an event holds it.
func statusOf(t *testing.T, raw []byte) dropbridge.ConnectionStatus {
	t.Helper()
	if len(raw) == 0 {
		return ""
	}
	var c dropbridge.Connection
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.Token.AccessToken != "" {
		t.Error("an event holds a token")
	}
	return c.Status
}

func mustFind(t *testing.T, store *sqlite.Store, env, id string) *dropbridge.Connection {
	t.Helper()
	c, err := store.FindConnectionByID(t.Context(), env, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// connectThroughConsent runs the connect flow for external user "user-1"
// as the user who picks accountID on the emulator's consent page.
func connectThroughConsent(t *testing.T, svc *connect.Service, emu *dropboxtest.Emulator, env, accountID string) *dropbridge.Connection {
	t.Helper()
	sess, err := svc.CreateSession(t.Context(), env, connect.SessionRequest{ExternalUserID: "user-1"})
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
	for _, m := range consentField.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	for _, m := range consentButton.FindAllSubmatch(page, -1) {
		if html.UnescapeString(string(m[1])) == accountID {
			form.Set("account_id", accountID)
		}
	}
	if form.Get("account_id") == "" {
		t.Fatalf("account %s is not on the consent page:\n%s", accountID, page)
	}
	resp, err = stopRedirects.PostForm(emu.URL+"/oauth2/authorize/decide", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("consent: %d without a redirect: %v", resp.StatusCode, err)
	}
	_, conn, err := svc.Complete(t.Context(), connect.Callback{State: loc.Query().Get("state"), Code: loc.Query().Get("code")})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
