package events_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/postgres"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
	"github.com/dropbridge/dropbridge/webhooks"
)

// clock is the fake clock of a test: the store's and the deliverer's.
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

// fixture is a store with an environment, an app and connections.
type fixture struct {
	t     *testing.T
	store dropbridge.Store
	clock *clock
	env   *dropbridge.Environment
	app   *dropbridge.App
	ids   dropbridge.EventIDs

	mu       sync.Mutex
	versions map[string]int64 // files mirror version by connection
	files    int
}

// backend opens a store whose clock is now, for one test.
type backend struct {
	name string
	open func(t *testing.T, keys *secrets.Keyring, now func() time.Time) dropbridge.Store
}

// backends are the stores the tests run on: SQLite always, PostgreSQL
// when DROPBRIDGE_TEST_POSTGRES names a database (each test in a schema of
// its own).
var backends = []backend{
	{"sqlite", func(t *testing.T, keys *secrets.Keyring, now func() time.Time) dropbridge.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "dropbridge.db"), keys)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.Now = now
		return s
	}},
	{"postgres", func(t *testing.T, keys *secrets.Keyring, now func() time.Time) dropbridge.Store {
		s, err := postgres.Open(t.Context(), postgresSchema(t), keys)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.Now = now
		return s
	}},
}

// forEachBackend runs test on each backend, in parallel.
func forEachBackend(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, newFixture(t, b))
		})
	}
}

// postgresSchema creates a schema of its own for one test in the database
// of DROPBRIDGE_TEST_POSTGRES, or skips the test when it is unset; it drops
// the schema when the test ends, and returns a URL whose search_path is it.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DROPBRIDGE_TEST_POSTGRES")
	if base == "" {
		t.Skip("DROPBRIDGE_TEST_POSTGRES is unset: set it to a PostgreSQL URL to run these tests on PostgreSQL too")
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := pgx.Identifier{"eventstest_" + hex.EncodeToString(b)}.Sanitize()
	exec := func(ctx context.Context, stmt string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, stmt)
		return err
	}
	if err := exec(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("DROPBRIDGE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", strings.Trim(schema, `"`))
	u.RawQuery = q.Encode()
	return u.String()
}

func newFixture(t *testing.T, b backend) *fixture {
	t.Helper()
	k, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	f := &fixture{t: t, store: b.open(t, keys, clk.Now), clock: clk, versions: map[string]int64{}}
	f.env, f.app = f.environment("test")
	return f
}

// environment makes an environment with a default app.
func (f *fixture) environment(name string) (*dropbridge.Environment, *dropbridge.App) {
	f.t.Helper()
	env := &dropbridge.Environment{Name: name}
	if err := f.store.CreateEnvironment(f.t.Context(), env); err != nil {
		f.t.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "App", AppKey: "key-" + name,
		AppSecret: "secret-of-" + dropbridge.Secret(name), IsDefault: true}
	if err := f.store.CreateApp(f.t.Context(), app); err != nil {
		f.t.Fatal(err)
	}
	return env, app
}

// connection makes a connection of app for externalUserID.
func (f *fixture) connection(app *dropbridge.App, externalUserID string) *dropbridge.Connection {
	f.t.Helper()
	c := &dropbridge.Connection{
		EnvironmentID: app.EnvironmentID, AppID: app.ID, ExternalUserID: externalUserID,
		AccountID: "dbid:" + externalUserID, Email: externalUserID + "@example.com", DisplayName: externalUserID,
		AccountType: "pro", Scopes: []string{"files.content.read"}, Status: dropbridge.ConnectionActive,
		Token: dropbridge.Token{AccessToken: "access-" + dropbridge.Secret(externalUserID),
			RefreshToken: "refresh-" + dropbridge.Secret(externalUserID), Expiry: f.clock.Now().Add(4 * time.Hour)},
	}
	if err := f.store.UpsertConnection(f.t.Context(), c); err != nil {
		f.t.Fatal(err)
	}
	return c
}

// endpoint makes an enabled webhook endpoint of env at url for the types
// (all if none) and returns it with its secret.
func (f *fixture) endpoint(env *dropbridge.Environment, url string, types ...dropbridge.EventType) *dropbridge.WebhookEndpoint {
	f.t.Helper()
	secret, err := webhooks.NewSecret()
	if err != nil {
		f.t.Fatal(err)
	}
	w := &dropbridge.WebhookEndpoint{EnvironmentID: env.ID, URL: url, EventTypes: types, Secret: secret, Enabled: true}
	if err := f.store.CreateWebhookEndpoint(f.t.Context(), w); err != nil {
		f.t.Fatal(err)
	}
	return w
}

// createFiles applies one files mirror change to conn that creates n new
// files, with a file.created event each, and returns the events.
func (f *fixture) createFiles(conn *dropbridge.Connection, n int) []dropbridge.Event {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := &dropbridge.MirrorChange{EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles,
		IfVersion: f.versions[conn.ID], Cursor: fmt.Sprintf("cursor-%d", f.files+n)}
	for range n {
		f.files++
		id := fmt.Sprintf("id:file%d", f.files)
		p := fmt.Sprintf("/file-%d.txt", f.files)
		obj := json.RawMessage(fmt.Sprintf(`{".tag":"file","id":%q,"name":"file-%d.txt","path_lower":%q,"path_display":%q,"rev":"r%d"}`,
			id, f.files, p, p, f.files))
		ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: id, Entry: &dropbridge.Entry{ID: id, PathLower: p,
			Kind: dropbridge.EntryFile, Rev: fmt.Sprintf("r%d", f.files), ContentHash: "h", Object: obj}})
		eid, err := f.ids.New(f.clock.Now())
		if err != nil {
			f.t.Fatal(err)
		}
		ch.Events = append(ch.Events, dropbridge.Event{ID: eid, Type: dropbridge.EventFileCreated,
			SchemaVersion: dropbridge.EventSchemaVersion, Time: f.clock.Now(), EnvironmentID: conn.EnvironmentID,
			ConnectionID: conn.ID, ExternalUserID: conn.ExternalUserID, Origin: dropbridge.OriginDropbox,
			ObjectID: id, After: obj})
	}
	v, err := f.store.ApplyMirrorChange(f.t.Context(), ch)
	if err != nil {
		f.t.Fatal(err)
	}
	f.versions[conn.ID] = v
	return ch.Events
}

// received is one request a subscriber received.
type received struct {
	header http.Header
	body   []byte
	status int       // what the subscriber answered
	at     time.Time // the fake clock's time when it came
}

// subscriber is an application's webhook endpoint: it records every
// request and answers with the status its answer function picks.
type subscriber struct {
	srv   *httptest.Server
	clock *clock

	mu     sync.Mutex
	got    []received
	answer func() int
	signal chan struct{}
}

func newSubscriber(t *testing.T, clk *clock) *subscriber {
	s := &subscriber{clock: clk, answer: func() int { return http.StatusNoContent }, signal: make(chan struct{}, 1)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		status := s.answer()
		s.got = append(s.got, received{header: r.Header.Clone(), body: body, status: status, at: s.clock.Now()})
		s.mu.Unlock()
		select {
		case s.signal <- struct{}{}:
		default:
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// setAnswer sets the status the subscriber answers with.
func (s *subscriber) setAnswer(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = func() int { return status }
}

// requests returns what the subscriber received so far.
func (s *subscriber) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// acknowledged returns the requests the subscriber answered 2xx.
func (s *subscriber) acknowledged() []received {
	var out []received
	for _, r := range s.requests() {
		if r.status >= 200 && r.status < 300 {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until cond holds of the subscriber's requests, or fails
// the test when its context ends.
func (s *subscriber) waitFor(t *testing.T, what string, cond func([]received) bool) {
	t.Helper()
	for !cond(s.requests()) {
		select {
		case <-s.signal:
		case <-t.Context().Done():
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// eventIDsOf returns the IDs of events.
func eventIDsOf(events []dropbridge.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}
