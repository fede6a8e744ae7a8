package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/postgres"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/storetest"
	"github.com/jackc/pgx/v5"
)

// testDatabase returns the URL of the test database, or skips the test.
func testDatabase(t *testing.T) string {
	t.Helper()
	u := os.Getenv("DROPBRIDGE_TEST_POSTGRES")
	if u == "" {
		t.Skip("DROPBRIDGE_TEST_POSTGRES is unset: set it to a PostgreSQL URL, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL store tests")
	}
	return u
}

// newSchema creates a schema of its own for one test, drops it when the
// test ends, and returns a URL whose search_path is that schema.
func newSchema(t *testing.T) (schemaURL, schema string) {
	t.Helper()
	base := testDatabase(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema = "storetest_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatalf("connect to DROPBRIDGE_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("DROPBRIDGE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

func open(t *testing.T, u string, keys *secrets.Keyring) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u, keys)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	testDatabase(t)
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		u, schema := newSchema(t)
		return storetest.Backend{
			Open: func(t *testing.T, opts storetest.Options) dropbridge.Store {
				s := open(t, u, opts.Keys)
				s.Now = opts.Now
				return s
			},
			Raw: func(t *testing.T) []byte {
				t.Helper()
				return rawRows(t, u, schema)
			},
			Exec: func(t *testing.T, statement string) {
				t.Helper()
				conn, err := pgx.Connect(t.Context(), u)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(context.Background())
				if _, err := conn.Exec(t.Context(), statement); err != nil {
					t.Fatalf("exec %s: %v", statement, err)
				}
			},
		}
	})
}

// rawRows returns every row of every table of the schema as text.
func rawRows(t *testing.T, u, schema string) []byte {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, table := range tables {
		var text string
		q := `SELECT coalesce(string_agg(t::text, E'\n'), '') FROM ` + pgx.Identifier{schema, table}.Sanitize() + ` t`
		if err := conn.QueryRow(t.Context(), q).Scan(&text); err != nil {
			t.Fatal(err)
		}
		all.WriteString(text + "\n")
	}
	return all.Bytes()
}

func testKeys(t *testing.T) *secrets.Keyring {
	t.Helper()
	k, err := secrets.NewKeyring(secrets.Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, secrets.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	u, _ := newSchema(t)
	s := open(t, u, testKeys(t))
	s.Close()
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(t.Context(), u, testKeys(t))
	if err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestOpenHidesURL(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(t.Context(), "postgres://user:hunter2@[bad", testKeys(t))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Open of a bad URL: %v", err)
	}
	if _, err := postgres.Open(t.Context(), "postgres://127.0.0.1/x", nil); err == nil {
		t.Fatal("Open without a key ring succeeded")
	}
}
