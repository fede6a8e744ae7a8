package changes_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/postgres"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

const (
	testAppKey    = "changesappkey"
	testAppSecret = "changesappsecret-0123456789"
)

// backends are the databases the tests run on.
var backends = []string{"sqlite", "postgres"}

// fixture is one connected account on an emulator, with a store, a
// connect service and a client that acts as the account's owner outside
// dropbridge.
type fixture struct {
	t     *testing.T
	emu   *dropboxtest.Emulator
	store dropbridge.Store
	svc   *connect.Service
	env   *dropbridge.Environment
	conn  *dropbridge.Connection
	acct  dropboxtest.Account
	// user is the account's owner, changing their Dropbox elsewhere.
	user *dropbox.Client
	// seen is the last event ID that newEvents returned.
	seen string
}

// newFixture returns a fixture on backend, or skips the test for
// PostgreSQL without DROPBRIDGE_TEST_POSTGRES. With webhookURI, the app
// sends webhook notifications there, and webhookURI is called first to
// start what serves it.
func newFixture(t *testing.T, backend string, webhookURI func(*fixture) string) *fixture {
	t.Helper()
	kr, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(kr)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, emu: dropboxtest.NewEmulator(t)}
	switch backend {
	case "sqlite":
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "dropbridge.db"), keys)
		if err != nil {
			t.Fatal(err)
		}
		f.store = s
	case "postgres":
		s, err := postgres.Open(t.Context(), newSchema(t), keys)
		if err != nil {
			t.Fatal(err)
		}
		f.store = s
	}
	t.Cleanup(func() { f.store.Close() })
	f.svc = connect.New(f.store, "http://dropbridge.test")
	f.svc.Dropbox = connect.SingleHost(f.emu.URL)
	f.svc.WriteLog = f.store
	f.svc.Events = f.store

	f.env = &dropbridge.Environment{Name: "test"}
	if err := f.store.CreateEnvironment(t.Context(), f.env); err != nil {
		t.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: f.env.ID, Name: "Test app", AppKey: testAppKey, AppSecret: testAppSecret, IsDefault: true}
	if err := f.store.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	arg := dropboxtest.AppArg{AppKey: testAppKey, AppSecret: testAppSecret, RedirectURIs: []string{f.svc.RedirectURI()}}
	if webhookURI != nil {
		arg.WebhookURI = webhookURI(f)
	}
	f.emu.CreateApp(t, arg)
	f.acct = f.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "owner@example.com", AccountType: "pro", AppKey: testAppKey})
	f.conn = &dropbridge.Connection{EnvironmentID: f.env.ID, AppID: app.ID, ExternalUserID: "user-1", AccountID: f.acct.AccountID,
		Email: f.acct.Email, AccountType: "pro", Status: dropbridge.ConnectionActive,
		Token: dropbridge.Token{AccessToken: dropbridge.Secret(f.acct.AccessToken)}}
	if err := f.store.UpsertConnection(t.Context(), f.conn); err != nil {
		t.Fatal(err)
	}
	f.user = dropbox.New(dropbox.WithBaseURL(f.emu.URL), dropbox.WithToken(f.acct.AccessToken))
	return f
}

// newSchema returns the URL of a PostgreSQL schema of the test's own,
// dropped when the test ends, or skips the test.
func newSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DROPBRIDGE_TEST_POSTGRES")
	if base == "" {
		t.Skip("DROPBRIDGE_TEST_POSTGRES is unset: set it to a PostgreSQL URL to run the PostgreSQL change tracking tests")
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "changestest_" + hex.EncodeToString(b)
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

// service returns a change tracking service of the fixture.
func (f *fixture) service(cfg changes.Config) *changes.Service {
	f.t.Helper()
	cfg.Store, cfg.Connect = f.store, f.svc
	if cfg.PollGap == 0 {
		cfg.PollGap = -1
	}
	s, err := changes.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// sync syncs the connection with s.
func (f *fixture) sync(s *changes.Service) {
	f.t.Helper()
	if err := s.Sync(f.t.Context(), f.env.ID, f.conn.ID); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

// seenEvent is what the tests compare of an event.
type seenEvent struct {
	Type   dropbridge.EventType
	Path   string // path_display of the object after (before, for removals); a link's or request's name
	Origin dropbridge.Origin
}

// newEvents returns the events stored since the last call, checked for
// validity.
func (f *fixture) newEvents() []seenEvent {
	f.t.Helper()
	var out []seenEvent
	for {
		evs, err := f.store.ListEvents(f.t.Context(), f.env.ID, dropbridge.EventFilter{After: f.seen, Limit: dropbridge.MaxPageSize})
		if err != nil {
			f.t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				f.t.Errorf("event %s: %v", e.ID, err)
			}
			if e.Type.Object() == "connection" {
				continue
			}
			out = append(out, seenEvent{Type: e.Type, Path: eventPath(e), Origin: e.Origin})
		}
		f.seen = evs[len(evs)-1].ID
	}
}

// eventPath names an event's object for the tests.
func eventPath(e *dropbridge.Event) string {
	obj := e.After
	if e.Type == dropbridge.EventFileRequestFileReceived {
		obj = e.File
	}
	if len(obj) == 0 {
		obj = e.Before
	}
	var m struct {
		PathDisplay string `json:"path_display"`
		Path        string `json:"path"`
		Name        string `json:"name"`
		Title       string `json:"title"`
	}
	_ = json.Unmarshal(obj, &m)
	for _, s := range []string{m.PathDisplay, m.Path, m.Title, m.Name} {
		if s != "" {
			return s
		}
	}
	return e.ObjectID
}

// sorted returns evs sorted, for changes whose order does not matter.
func sorted(evs []seenEvent) []seenEvent {
	out := slices.Clone(evs)
	slices.SortFunc(out, func(a, b seenEvent) int {
		return strings.Compare(string(a.Type)+a.Path, string(b.Type)+b.Path)
	})
	return out
}

// upload writes content at path as the account's owner.
func (f *fixture) upload(path, content string) *dropbox.FileMetadata {
	f.t.Helper()
	m, err := f.user.Files.Upload(f.t.Context(), &dropbox.UploadArg{Path: path, Mode: dropbox.WriteMode{Tag: dropbox.WriteModeOverwrite}},
		bytes.NewReader([]byte(content)))
	if err != nil {
		f.t.Fatalf("upload %s: %v", path, err)
	}
	return m
}

// mkdir creates a folder as the account's owner.
func (f *fixture) mkdir(path string) {
	f.t.Helper()
	if _, err := f.user.Files.CreateFolderV2(f.t.Context(), &dropbox.CreateFolderArg{Path: path}); err != nil {
		f.t.Fatalf("create folder %s: %v", path, err)
	}
}

// move moves from to to as the account's owner.
func (f *fixture) move(from, to string) {
	f.t.Helper()
	if _, err := f.user.Files.MoveV2(f.t.Context(), &dropbox.RelocationArg{FromPath: from, ToPath: to}); err != nil {
		f.t.Fatalf("move %s to %s: %v", from, to, err)
	}
}

// remove deletes path as the account's owner.
func (f *fixture) remove(path string) {
	f.t.Helper()
	if _, err := f.user.Files.DeleteV2(f.t.Context(), &dropbox.DeleteArg{Path: path}); err != nil {
		f.t.Fatalf("delete %s: %v", path, err)
	}
}

// through runs fn with the connection's client, as dropbridge's API does.
func (f *fixture) through(fn func(ctx context.Context, c *dropbox.Client) error) {
	f.t.Helper()
	if err := f.svc.Do(f.t.Context(), f.env.ID, f.conn.ID, fn); err != nil {
		f.t.Fatalf("through dropbridge: %v", err)
	}
}
