// Package postgres is the connector's store on PostgreSQL (pgx, pgxpool): a
// dropbridge.Store that several dropbridge processes can share.
//
// Transactions run at READ COMMITTED and lock the rows they change (SELECT
// ... FOR UPDATE), so concurrent updates of one row queue instead of losing
// each other's writes.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a dropbridge.Store on a PostgreSQL database. It is safe for
// concurrent use, and several processes may share the database.
type Store struct {
	// Now returns the current time; it defaults to time.Now. Replace it
	// right after Open, before the store is shared.
	Now func() time.Time

	keys *secrets.Keyring
	pool *pgxpool.Pool
}

var _ dropbridge.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at url (a postgres:// URL or a
// key=value connection string, as pgx takes them; a search_path parameter
// picks the schema), applies any migrations it lacks, and returns a Store
// that seals secrets with keys.
func Open(ctx context.Context, url string, keys *secrets.Keyring) (*Store, error) {
	if keys == nil {
		return nil, errors.New("postgres: open: no key ring to seal secrets with")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("postgres: open: the database URL is not valid")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &Store{Now: time.Now, keys: keys, pool: pool}, nil
}

// Close closes the database's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// now returns the store's time, in UTC and at microsecond precision (what
// the database keeps).
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// micro returns t in UTC at microsecond precision, what the database keeps;
// the zero time stays zero.
func micro(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// utc returns a time read from the database in UTC; nil stays nil.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// inTx runs fn in a transaction and commits it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// querier is what reads need: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// PostgreSQL error codes the store translates.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

func isCode(err error, code string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == code
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

// scopes returns scopes as a non-NULL array.
func scopes(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// readScopes returns the scopes read from the database; none is nil.
func readScopes(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
