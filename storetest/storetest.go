// Package storetest is the one test suite that every dropbridge.Store
// implementation runs, so that SQLite and PostgreSQL behave alike:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Backend { ... })
//	}
package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Backend is one fresh, empty database for one test.
type Backend struct {
	// Open opens a store on the database, applying migrations, and closes it
	// when the test ends. The suite may open the database several times,
	// one after the other or at once.
	Open func(t *testing.T, opts Options) dropbridge.Store
	// Raw returns everything the database holds as bytes (the files of a
	// SQLite database; every row of every table as text for PostgreSQL), to
	// check that no secret is stored in clear.
	Raw func(t *testing.T) []byte
	// Exec runs one SQL statement (without parameters, in SQL that both
	// databases speak) directly on the database, to tamper with rows.
	Exec func(t *testing.T, statement string)
}

// Options are what the suite gives Backend.Open.
type Options struct {
	// Keys seal the store's secrets.
	Keys *secrets.Keyring
	// Now is the store's clock.
	Now func() time.Time
}

// Run runs the suite. newBackend makes a fresh database for each test; the
// tests run in parallel.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Migrations", testMigrations},
		{"Environments", testEnvironments},
		{"APIKeys", testAPIKeys},
		{"Apps", testApps},
		{"AppDefaults", testAppDefaults},
		{"ConnectSessions", testConnectSessions},
		{"ConnectSessionSingleUse", testConnectSessionSingleUse},
		{"CompleteConnectSession", testCompleteConnectSession},
		{"UpsertConnection", testUpsertConnection},
		{"UpdateConnection", testUpdateConnection},
		{"UpdateConnectionRace", testUpdateConnectionRace},
		{"ListConnections", testListConnections},
		{"ListConnectionsPaging", testListConnectionsPaging},
		{"ListExpiringConnections", testListExpiringConnections},
		{"EnvironmentIsolation", testEnvironmentIsolation},
		{"Idempotency", testIdempotency},
		{"IdempotencyExpiry", testIdempotencyExpiry},
		{"IdempotencyRace", testIdempotencyRace},
		{"ResealSecrets", testResealSecrets},
		{"NoSecretsInClear", testNoSecretsInClear},
		{"SecretsBoundToTheirRow", testSecretsBoundToTheirRow},
		{"ConcurrentWriters", testConcurrentWriters},
		{"MirrorApply", testMirrorApply},
		{"MirrorApplyRace", testMirrorApplyRace},
		{"MirrorQuery", testMirrorQuery},
		{"MirrorFiles", testMirrorFiles},
		{"Events", testEvents},
		{"EventFeedConcurrent", testEventFeedConcurrent},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"WebhookSecrets", testWebhookSecrets},
		{"Deliveries", testDeliveries},
		{"DeliveryReplayRange", testDeliveryReplayRange},
		{"DeliveryClaimRace", testDeliveryClaimRace},
		{"WriteLog", testWriteLog},
		{"ChangeTrackingIsolation", testChangeTrackingIsolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			clock := &clock{now: start}
			f := &fixture{t: t, ctx: t.Context(), backend: b, clock: clock}
			f.s = f.open(keyring(t, key1))
			tt.fn(t, f)
		})
	}
}

// start is when every test's clock starts.
var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a manual clock for stores under test, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Test keys, newest last: key1 is the first key a store had, key2 the one
// rotated to.
var (
	key1 = secrets.Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, secrets.KeySize)}
	key2 = secrets.Key{ID: "k2", Secret: bytes.Repeat([]byte{2}, secrets.KeySize)}
)

func keyring(t *testing.T, keys ...secrets.Key) *secrets.Keyring {
	t.Helper()
	k, err := secrets.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture is one test's store, clock and helpers.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	backend Backend
	clock   *clock
	s       dropbridge.Store
}

// open opens another store on the test's database.
func (f *fixture) open(keys *secrets.Keyring) dropbridge.Store {
	f.t.Helper()
	return f.backend.Open(f.t, Options{Keys: keys, Now: f.clock.Now})
}

func (f *fixture) env(name string) *dropbridge.Environment {
	f.t.Helper()
	e := &dropbridge.Environment{Name: name}
	if err := f.s.CreateEnvironment(f.ctx, e); err != nil {
		f.t.Fatalf("CreateEnvironment(%q): %v", name, err)
	}
	return e
}

func (f *fixture) app(env *dropbridge.Environment, appKey string, isDefault bool) *dropbridge.App {
	f.t.Helper()
	a := &dropbridge.App{
		EnvironmentID: env.ID,
		Name:          "App " + appKey,
		AppKey:        appKey,
		AppSecret:     dropbridge.Secret("secret-of-" + appKey),
		DefaultScopes: []string{"account_info.read", "files.content.read"},
		IsDefault:     isDefault,
	}
	if err := f.s.CreateApp(f.ctx, a); err != nil {
		f.t.Fatalf("CreateApp(%q): %v", appKey, err)
	}
	return a
}

// newConnection returns a connection ready for UpsertConnection.
func newConnection(app *dropbridge.App, externalUserID, accountID string) *dropbridge.Connection {
	return &dropbridge.Connection{
		EnvironmentID:  app.EnvironmentID,
		AppID:          app.ID,
		ExternalUserID: externalUserID,
		AccountID:      accountID,
		Email:          externalUserID + "@example.com",
		DisplayName:    "User " + externalUserID,
		AccountType:    "pro",
		Scopes:         []string{"files.content.read"},
		Status:         dropbridge.ConnectionActive,
		Token: dropbridge.Token{
			AccessToken:  dropbridge.Secret("access-" + externalUserID + "-" + accountID),
			RefreshToken: dropbridge.Secret("refresh-" + externalUserID + "-" + accountID),
			Expiry:       start.Add(4 * time.Hour),
		},
	}
}

func (f *fixture) connection(app *dropbridge.App, externalUserID, accountID string) *dropbridge.Connection {
	f.t.Helper()
	c := newConnection(app, externalUserID, accountID)
	if err := f.s.UpsertConnection(f.ctx, c); err != nil {
		f.t.Fatalf("UpsertConnection(%q, %q): %v", externalUserID, accountID, err)
	}
	return c
}

// verifier is a PKCE verifier of the right shape.
var verifier = dropbridge.Secret(base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte("pkce"), 8)))

// newSession returns a connect session ready for CreateConnectSession, and
// its state.
func newSession(t *testing.T, app *dropbridge.App, externalUserID string, expiresAt time.Time) (*dropbridge.ConnectSession, dropbridge.Secret) {
	t.Helper()
	state, err := dropbridge.NewSecret("")
	if err != nil {
		t.Fatal(err)
	}
	return &dropbridge.ConnectSession{
		EnvironmentID:  app.EnvironmentID,
		AppID:          app.ID,
		ExternalUserID: externalUserID,
		Scopes:         []string{"files.content.read", "files.content.write"},
		RedirectURL:    "https://app.example.com/connected?x=1",
		StateHash:      dropbridge.HashSecret(state),
		PKCEVerifier:   verifier,
		ExpiresAt:      expiresAt,
	}, state
}

func (f *fixture) session(app *dropbridge.App, externalUserID string) (*dropbridge.ConnectSession, dropbridge.Secret) {
	f.t.Helper()
	cs, state := newSession(f.t, app, externalUserID, f.clock.Now().Add(10*time.Minute))
	if err := f.s.CreateConnectSession(f.ctx, cs); err != nil {
		f.t.Fatalf("CreateConnectSession: %v", err)
	}
	return cs, state
}

// wantCode fails the test unless err carries the dropbridge error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := dropbridge.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	var e *dropbridge.Error
	if code != dropbridge.EINTERNAL && (!errors.As(err, &e) || e.Message == "") {
		t.Fatalf("error %v has no message for users", err)
	}
}

// noErr fails the test on err.
func noErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// diff fails the test when want and got differ; nil and empty slices are
// equal.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	// Secrets show in diffs: these are test values.
	reveal := cmp.Transformer("reveal", func(s dropbridge.Secret) string { return string(s) })
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty(), reveal); d != "" {
		t.Fatalf("%s (-want +got):\n%s", what, d)
	}
}
