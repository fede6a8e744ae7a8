package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
	"github.com/dropbridge/dropbridge/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		path := filepath.Join(t.TempDir(), "dropbridge.db")
		return storetest.Backend{
			Open: func(t *testing.T, opts storetest.Options) dropbridge.Store {
				t.Helper()
				s, err := sqlite.Open(t.Context(), path, opts.Keys)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Now = opts.Now
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
				return s
			},
			Raw: func(t *testing.T) []byte {
				t.Helper()
				return rawFiles(t, path)
			},
			Exec: func(t *testing.T, statement string) {
				t.Helper()
				db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.ExecContext(t.Context(), statement); err != nil {
					t.Fatalf("exec %s: %v", statement, err)
				}
			},
		}
	})
}

// rawFiles returns the bytes of the database and its WAL.
func rawFiles(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func testKeys(t *testing.T) *secrets.Keyring {
	t.Helper()
	k, err := secrets.NewKeyring(secrets.Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, secrets.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestOpenRefusesURIsAndMemory(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := sqlite.Open(t.Context(), path, testKeys(t)); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
	if _, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), nil); err == nil {
		t.Error("Open without a key ring succeeded")
	}
}

func TestOpenConfiguresDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dropbridge.db")
	s, err := sqlite.Open(t.Context(), path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var versions []string
	rows, err := db.QueryContext(t.Context(), `SELECT version || ' ' || name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if len(versions) == 0 || versions[0] != "1 0001_init" {
		t.Errorf("schema_migrations = %q", versions)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dropbridge.db")
	s, err := sqlite.Open(t.Context(), path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO schema_migrations VALUES (9999, '9999_future', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = sqlite.Open(t.Context(), path, testKeys(t))
	if err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}
