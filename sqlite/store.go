// Package sqlite is the connector's store on an embedded SQLite database
// (modernc.org/sqlite, pure Go): a dropbridge.Store in one file.
//
// The database runs in WAL mode with foreign keys on. Writes go through one
// connection in BEGIN IMMEDIATE transactions, so concurrent writers queue in
// the process instead of failing with SQLITE_BUSY; reads use a pool of
// read-only connections and never wait for writers.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is a dropbridge.Store on a SQLite database file. It is safe for
// concurrent use; several processes may open the same file (they wait for
// each other's writes up to the busy timeout).
type Store struct {
	// Now returns the current time; it defaults to time.Now. Replace it
	// right after Open, before the store is shared.
	Now func() time.Time

	keys  *secrets.Keyring
	write *sql.DB // one connection; BEGIN IMMEDIATE
	read  *sql.DB // read-only connections
}

var _ dropbridge.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for another process's lock.
const busyTimeout = 10 * time.Second

// Open opens or creates the SQLite database at path, applies any migrations
// it lacks, and returns a Store that seals secrets with keys. path is a file
// name: in-memory databases are not supported, because the store's read and
// write connections must share the database.
func Open(ctx context.Context, path string, keys *secrets.Keyring) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: want the path of a database file (no URI, no ':memory:')", path)
	}
	if keys == nil {
		return nil, errors.New("sqlite: open: no key ring to seal secrets with")
	}
	pragmas := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		for _, p := range extra {
			q.Add("_pragma", p)
		}
		return path + "?" + q.Encode()
	}
	write, err := sql.Open("sqlite", pragmas("journal_mode(WAL)")+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", pragmas("query_only(1)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	return &Store{Now: time.Now, keys: keys, write: write, read: read}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// now returns the store's time, in UTC and at microsecond precision (what
// the database keeps).
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a write transaction and commits it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// querier is what reads need: the read pool or a write transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// micro returns t in UTC at microsecond precision, what the database
// keeps; the zero time stays zero.
func micro(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// timeLayout is how times are stored: fixed width, so text order is time
// order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime stores a zero or nil time as NULL.
func nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// isConstraint reports whether err is the SQLite constraint violation code
// (an extended code such as SQLITE_CONSTRAINT_UNIQUE).
func isConstraint(err error, code int) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == code
}

func isUnique(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) || isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// seal seals a secret for one column of one row.
func (s *Store) seal(v dropbridge.Secret, table, column, id string) (string, error) {
	sealed, err := s.keys.Seal([]byte(v), secrets.Field(table, column, id))
	if err != nil {
		return "", fmt.Errorf("seal %s.%s: %w", table, column, err)
	}
	return sealed, nil
}

// open opens a sealed column of one row. A value no key opens is an
// internal error that names the row but no secret.
func (s *Store) open(sealed, table, column, id string) (dropbridge.Secret, error) {
	v, err := s.keys.Open(sealed, secrets.Field(table, column, id))
	if err != nil {
		return "", fmt.Errorf("open %s.%s of %s: %w", table, column, id, err)
	}
	return dropbridge.Secret(v), nil
}

// encodeScopes stores scopes as a JSON array.
func encodeScopes(scopes []string) (string, error) {
	if scopes == nil {
		scopes = []string{}
	}
	b, err := json.Marshal(scopes)
	if err != nil {
		return "", fmt.Errorf("encode scopes: %w", err)
	}
	return string(b), nil
}

// decodeScopes reads a JSON array of scopes; none is nil.
func decodeScopes(s string) ([]string, error) {
	var scopes []string
	if err := json.Unmarshal([]byte(s), &scopes); err != nil {
		return nil, fmt.Errorf("decode stored scopes: %w", err)
	}
	if len(scopes) == 0 {
		return nil, nil
	}
	return scopes, nil
}
