package connect_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRefreshTokenOutcomes covers what RefreshToken does short of a
// successful refresh (which the jobs package's tests show end to end).
func TestRefreshTokenOutcomes(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	due := now.Add(30 * time.Minute)
	for _, c := range []struct {
		name string
		// conn changes the connection before it is stored; status sets
		// its status after.
		conn   func(*dropbridge.Connection)
		status dropbridge.ConnectionStatus
		// onTokenCall runs when the service calls the token endpoint, in
		// place of the call when it returns a non-nil error.
		onTokenCall func(t *testing.T, store *sqlite.Store, c *dropbridge.Connection) error
		want        connect.RefreshOutcome
		wantCode    string
		wantStatus  dropbridge.ConnectionStatus
		wantVersion int64 // how much the token version grows meanwhile
	}{
		{name: "not due", conn: func(c *dropbridge.Connection) { c.Token.Expiry = due.Add(time.Second) },
			want: connect.RefreshNotDue, wantStatus: dropbridge.ConnectionActive},
		{name: "no expiry", conn: func(c *dropbridge.Connection) { c.Token.Expiry = time.Time{} },
			want: connect.RefreshNotDue, wantStatus: dropbridge.ConnectionActive},
		{name: "needs reauth already", status: dropbridge.ConnectionNeedsReauth,
			want: connect.RefreshInactive, wantStatus: dropbridge.ConnectionNeedsReauth},
		{name: "revoked", status: dropbridge.ConnectionRevoked,
			want: connect.RefreshInactive, wantStatus: dropbridge.ConnectionRevoked},
		{name: "no refresh token", conn: func(c *dropbridge.Connection) { c.Token.RefreshToken = "" },
			want: connect.RefreshUnrefreshable, wantStatus: dropbridge.ConnectionActive},
		{name: "refresh token refused", want: connect.RefreshNeedsReauth, wantStatus: dropbridge.ConnectionNeedsReauth},
		{name: "reconnected meanwhile", want: connect.RefreshSuperseded, wantStatus: dropbridge.ConnectionActive, wantVersion: 1,
			onTokenCall: func(t *testing.T, store *sqlite.Store, c *dropbridge.Connection) error {
				// Another refresh saves a token while this one asks Dropbox.
				tok := dropbridge.Token{AccessToken: "newer", RefreshToken: "refresh", Expiry: now.Add(4 * time.Hour)}
				if _, err := store.UpdateConnection(context.Background(), c.EnvironmentID, c.ID,
					dropbridge.ConnectionUpdate{IfTokenVersion: c.TokenVersion, Token: &tok}); err != nil {
					t.Error(err)
				}
				return nil
			}},
		{name: "Dropbox unreachable", wantCode: dropbridge.EUNAVAILABLE, wantStatus: dropbridge.ConnectionActive,
			onTokenCall: func(*testing.T, *sqlite.Store, *dropbridge.Connection) error { return errors.New("connection refused") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			emu := dropboxtest.NewEmulator(t)
			emu.CreateApp(t, dropboxtest.AppArg{AppKey: "appkey", AppSecret: "appsecret", RedirectURIs: []string{"http://dropbridge.test/oauth/callback"}})
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
			store.Now = func() time.Time { return now }
			env := &dropbridge.Environment{Name: "test"}
			if err := store.CreateEnvironment(t.Context(), env); err != nil {
				t.Fatal(err)
			}
			app := &dropbridge.App{EnvironmentID: env.ID, Name: "App", AppKey: "appkey", AppSecret: "appsecret", IsDefault: true}
			if err := store.CreateApp(t.Context(), app); err != nil {
				t.Fatal(err)
			}
			conn := &dropbridge.Connection{EnvironmentID: env.ID, AppID: app.ID, ExternalUserID: "user", AccountID: "dbid:1",
				Status: dropbridge.ConnectionActive, Scopes: []string{"files.content.read"},
				Token: dropbridge.Token{AccessToken: "access", RefreshToken: "refresh-unknown-to-dropbox", Expiry: now.Add(10 * time.Minute)}}
			if c.conn != nil {
				c.conn(conn)
			}
			if err := store.UpsertConnection(t.Context(), conn); err != nil {
				t.Fatal(err)
			}
			if c.status != "" {
				if conn, err = store.UpdateConnection(t.Context(), env.ID, conn.ID, dropbridge.ConnectionUpdate{Status: &c.status}); err != nil {
					t.Fatal(err)
				}
			}

			svc := connect.New(store, "http://dropbridge.test")
			svc.Dropbox = connect.SingleHost(emu.URL)
			svc.Now = store.Now
			svc.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if c.onTokenCall != nil && r.URL.Path == "/oauth2/token" {
					if err := c.onTokenCall(t, store, conn); err != nil {
						return nil, err
					}
				}
				return http.DefaultTransport.RoundTrip(r)
			})}
			got, err := svc.RefreshToken(t.Context(), env.ID, conn.ID, due)
			if got != c.want || dropbridge.ErrorCode(err) != c.wantCode {
				t.Fatalf("RefreshToken = %q, %v (code %q); want %q, code %q", got, err, dropbridge.ErrorCode(err), c.want, c.wantCode)
			}
			after, err := store.FindConnectionByID(t.Context(), env.ID, conn.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := conn.TokenVersion + c.wantVersion; after.Status != c.wantStatus || after.TokenVersion != want {
				t.Errorf("after: status %s, token version %d; want %s, %d", after.Status, after.TokenVersion, c.wantStatus, want)
			}
		})
	}
	t.Run("unknown connection", func(t *testing.T) {
		t.Parallel()
		kr, _ := secrets.GenerateKey("k1")
		keys, _ := secrets.ParseKeyring(kr)
		store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"), keys)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		_, err = connect.New(store, "http://dropbridge.test").RefreshToken(t.Context(), "env_x", "conn_x", due)
		if dropbridge.ErrorCode(err) != dropbridge.ENOTFOUND {
			t.Fatalf("RefreshToken of an unknown connection: %v, want not_found", err)
		}
	})
}
