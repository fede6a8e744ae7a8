package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

// testResealSecrets rotates the key ring: after ResealSecrets, a store
// with only the new key opens everything.
func testResealSecrets(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	cs, _ := f.session(app, "user-2")

	// A store without the old key cannot read what the old key sealed.
	newOnly := f.open(keyring(t, key2))
	_, err := newOnly.FindAppByID(f.ctx, env.ID, app.ID)
	wantCode(t, err, dropbridge.EINTERNAL)
	noErr(t, newOnly.Close(), "Close")

	// The new key in front, the old one behind: reads work, writes use the
	// new key.
	both := f.open(keyring(t, key2, key1))
	got, err := both.FindConnectionByID(f.ctx, env.ID, conn.ID)
	noErr(t, err, "FindConnectionByID with both keys")
	diff(t, "connection", conn, got)
	conn2 := newConnection(app, "user-3", "dbid:3")
	noErr(t, both.UpsertConnection(f.ctx, conn2), "UpsertConnection")

	n, err := both.ResealSecrets(f.ctx)
	noErr(t, err, "ResealSecrets")
	// The app secret, the session's verifier, and conn's two tokens;
	// conn2 was sealed with the new key already.
	if n != 4 {
		t.Fatalf("ResealSecrets re-sealed %d values, want 4", n)
	}
	n, err = both.ResealSecrets(f.ctx)
	noErr(t, err, "ResealSecrets again")
	if n != 0 {
		t.Fatalf("a second ResealSecrets re-sealed %d values, want 0", n)
	}

	// Now the old key can go.
	s := f.open(keyring(t, key2))
	gotApp, err := s.FindAppByID(f.ctx, env.ID, app.ID)
	noErr(t, err, "FindAppByID with the new key only")
	diff(t, "app", app, gotApp)
	for _, c := range []*dropbridge.Connection{conn, conn2} {
		got, err := s.FindConnectionByID(f.ctx, env.ID, c.ID)
		noErr(t, err, "FindConnectionByID with the new key only")
		diff(t, "connection", c, got)
	}
	gotSession, err := s.FindConnectSessionByID(f.ctx, env.ID, cs.ID)
	noErr(t, err, "FindConnectSessionByID with the new key only")
	diff(t, "session", cs, gotSession)
}

// testNoSecretsInClear writes every kind of secret and looks for each in
// the raw database.
func testNoSecretsInClear(t *testing.T, f *fixture) {
	env := f.env("production")
	appSecret := dropbridge.Secret("APPSECRET-c4f1e0d2b3a4")
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "Visible App", AppKey: "VISIBLE-APPKEY-77", AppSecret: appSecret}
	noErr(t, f.s.CreateApp(f.ctx, app), "CreateApp")
	c := newConnection(app, "VISIBLE-USER-42", "dbid:visible")
	c.Token = dropbridge.Token{AccessToken: "ACCESSTOKEN-9f8e7d6c5b4a", RefreshToken: "REFRESHTOKEN-0a1b2c3d4e5f"}
	noErr(t, f.s.UpsertConnection(f.ctx, c), "UpsertConnection")
	refreshed := dropbridge.Token{AccessToken: "ACCESSTOKEN-REFRESHED-1234", RefreshToken: c.Token.RefreshToken}
	_, err := f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{IfTokenVersion: c.TokenVersion, Token: &refreshed})
	noErr(t, err, "UpdateConnection")
	cs, state := f.session(app, "VISIBLE-USER-42")
	key, apiSecret, err := dropbridge.NewAPIKey(env.ID, "backend")
	noErr(t, err, "NewAPIKey")
	noErr(t, f.s.CreateAPIKey(f.ctx, key), "CreateAPIKey")

	raw := f.backend.Raw(t)
	// Raw sees the rows: the values that are not secret are there.
	for _, visible := range []string{"VISIBLE-APPKEY-77", "VISIBLE-USER-42", "dbid:visible"} {
		if !bytes.Contains(raw, []byte(visible)) {
			t.Fatalf("the raw database lacks %q: Raw does not show the rows", visible)
		}
	}
	for name, secret := range map[string]dropbridge.Secret{
		"app secret":          appSecret,
		"access token":        c.Token.AccessToken,
		"refreshed token":     refreshed.AccessToken,
		"refresh token":       c.Token.RefreshToken,
		"PKCE verifier":       cs.PKCEVerifier,
		"OAuth state":         state,
		"API key":             apiSecret,
		"API key (no prefix)": apiSecret[len(key.Prefix):],
	} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the raw database holds the %s in clear", name)
		}
	}
}

// testConcurrentWriters writes from many goroutines at once: none fails
// (SQLite must not answer SQLITE_BUSY), and every write lands.
func testConcurrentWriters(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	const writers, each = 8, 5
	errs := make(chan error, writers*each*3)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				c := newConnection(app, fmt.Sprintf("user-%d-%d", w, i), "dbid:1")
				if err := f.s.UpsertConnection(f.ctx, c); err != nil {
					errs <- err
					continue
				}
				tok := dropbridge.Token{AccessToken: "refreshed", Expiry: start.Add(time.Hour)}
				if _, err := f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{IfTokenVersion: 1, Token: &tok}); err != nil {
					errs <- err
				}
				if _, err := f.s.FindConnectionByID(f.ctx, env.ID, c.ID); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	page, err := f.s.ListConnections(f.ctx, env.ID, dropbridge.ConnectionFilter{Status: dropbridge.ConnectionActive})
	noErr(t, err, "ListConnections")
	if len(page.Connections) != writers*each {
		t.Fatalf("%d connections, want %d", len(page.Connections), writers*each)
	}
	for _, c := range page.Connections {
		if c.TokenVersion != 2 || c.Token.AccessToken != "refreshed" {
			t.Fatalf("connection %s at version %d", c.ID, c.TokenVersion)
		}
	}
}

// testSecretsBoundToTheirRow copies sealed values between rows and columns
// in the database: they no longer open, and reading the row fails instead
// of handing out another row's secret.
func testSecretsBoundToTheirRow(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	a := f.connection(app, "user-a", "dbid:a")
	b := f.connection(app, "user-b", "dbid:b")
	c := f.connection(app, "user-c", "dbid:c")
	other := f.app(env, "appkey2", false)

	f.backend.Exec(t, fmt.Sprintf(`UPDATE connections SET access_token = (SELECT access_token FROM connections WHERE id = '%s') WHERE id = '%s'`, a.ID, b.ID))
	f.backend.Exec(t, fmt.Sprintf(`UPDATE connections SET refresh_token = access_token WHERE id = '%s'`, c.ID))
	f.backend.Exec(t, fmt.Sprintf(`UPDATE apps SET app_secret = (SELECT app_secret FROM apps WHERE id = '%s') WHERE id = '%s'`, app.ID, other.ID))

	for _, id := range []string{b.ID, c.ID} {
		_, err := f.s.FindConnectionByID(f.ctx, env.ID, id)
		wantCode(t, err, dropbridge.EINTERNAL)
	}
	_, err := f.s.FindAppByID(f.ctx, env.ID, other.ID)
	wantCode(t, err, dropbridge.EINTERNAL)
	// Re-sealing refuses too, rather than launder the copies.
	_, err = f.s.ResealSecrets(f.ctx)
	wantCode(t, err, dropbridge.EINTERNAL)

	// The rows the values came from are intact.
	got, err := f.s.FindConnectionByID(f.ctx, env.ID, a.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "source connection", a, got)
	gotApp, err := f.s.FindAppByID(f.ctx, env.ID, app.ID)
	noErr(t, err, "FindAppByID")
	diff(t, "source app", app, gotApp)
}
