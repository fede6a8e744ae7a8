package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/sqlite"
	"github.com/google/go-cmp/cmp"
)

// mirrorFixture opens a store at path with one connection and returns
// both.
func mirrorFixture(t *testing.T, path string) (*sqlite.Store, *dropbridge.Connection) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	env := &dropbridge.Environment{Name: "test"}
	if err := s.CreateEnvironment(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "test", AppKey: "k", AppSecret: "s"}
	if err := s.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	conn := &dropbridge.Connection{EnvironmentID: env.ID, AppID: app.ID, ExternalUserID: "u", AccountID: "dbid:1",
		Status: dropbridge.ConnectionActive, Token: dropbridge.Token{AccessToken: "a"}}
	if err := s.UpsertConnection(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	return s, conn
}

// fileEntry returns a file entry at path p, its metadata as Dropbox has it.
func fileEntry(id, p string) *dropbridge.Entry {
	obj := fmt.Sprintf(`{".tag":"file","id":%q,"name":"x","path_lower":%q,"path_display":%q,"rev":"015f1","size":1}`, id, p, p)
	return &dropbridge.Entry{ID: id, PathLower: p, Kind: dropbridge.EntryFile, Rev: "015f1", ContentHash: "h", Object: json.RawMessage(obj)}
}

// allEntries returns every entry of the connection's files mirror.
func allEntries(t *testing.T, s *sqlite.Store, conn *dropbridge.Connection) map[string]*dropbridge.Entry {
	t.Helper()
	got := map[string]*dropbridge.Entry{}
	for after := ""; ; {
		page, err := s.ListMirrorEntries(t.Context(), conn.EnvironmentID, conn.ID, after, dropbridge.MaxMirrorPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			got[e.ID] = e
		}
		if len(page) < dropbridge.MaxMirrorPage {
			return got
		}
		after = page[len(page)-1].ID
	}
}

// TestApplyMirrorChangeManyRows applies one change of more entries than
// one INSERT statement holds, with an entry updated twice and an entry
// removed between its writes: the store ends with each entry's last state,
// as if the updates were applied one by one.
func TestApplyMirrorChangeManyRows(t *testing.T) {
	t.Parallel()
	s, conn := mirrorFixture(t, filepath.Join(t.TempDir(), "dropbridge.db"))
	defer s.Close()
	ch := &dropbridge.MirrorChange{EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles, Cursor: "c1"}
	want := map[string]*dropbridge.Entry{}
	put := func(e *dropbridge.Entry) {
		ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: e.ID, Entry: e})
		want[e.ID] = e
	}
	for i := range 450 {
		put(fileEntry(fmt.Sprintf("id:%04d", i), fmt.Sprintf("/f/%04d", i)))
		switch i {
		case 10:
			put(fileEntry("id:0003", "/moved/0003")) // the same statement
		case 300:
			put(fileEntry("id:0005", "/moved/0005")) // a later statement
		case 320:
			ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: "id:0007"})
			delete(want, "id:0007")
			ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: "id:0316"})
			put(fileEntry("id:0316", "/again/0316"))
		}
	}
	if _, err := s.ApplyMirrorChange(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, allEntries(t, s, conn)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

// TestMigrationKeepsMirrorEntries turns a database's mirror_entries back
// into the WITHOUT ROWID table of migrations 0003 and 0005, with rows, and
// checks that migration 0006 keeps every row and computes path_display.
func TestMigrationKeepsMirrorEntries(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dropbridge.db")
	s, conn := mirrorFixture(t, path)
	s.Close()

	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`DROP TABLE mirror_entries`)
	exec(`CREATE TABLE mirror_entries (
		connection_id TEXT NOT NULL REFERENCES connections (id),
		id            TEXT NOT NULL,
		path_lower    TEXT NOT NULL,
		path_display  TEXT NOT NULL,
		kind          TEXT NOT NULL CHECK (kind IN ('file', 'folder', 'paper_doc')),
		rev           TEXT NOT NULL,
		content_hash  TEXT NOT NULL,
		parent        TEXT NOT NULL,
		pending       INTEGER NOT NULL CHECK (pending IN (0, 1)),
		object        BLOB NOT NULL,
		PRIMARY KEY (connection_id, id)
	) STRICT, WITHOUT ROWID`)
	exec(`CREATE INDEX mirror_entries_by_path ON mirror_entries (connection_id, path_lower)`)
	exec(`CREATE INDEX mirror_entries_pending ON mirror_entries (connection_id, id) WHERE pending = 1`)
	exec(`CREATE INDEX mirror_entries_by_folder
		ON mirror_entries (connection_id, rtrim(path_lower, replace(path_lower, '/', '')), path_lower)`)
	exec(`DELETE FROM schema_migrations WHERE version >= 6`)
	want := map[string]*dropbridge.Entry{}
	for i := range 50 {
		e := fileEntry(fmt.Sprintf("id:%04d", i), fmt.Sprintf("/Dir %d/File %d", i%3, i))
		if i%2 == 1 {
			e.Kind, e.Rev, e.ContentHash, e.Parent = dropbridge.EntryFolder, "", "", "id:0000"
		}
		e.Pending = i%7 == 0
		want[e.ID] = e
		exec(`INSERT INTO mirror_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			conn.ID, e.ID, e.PathLower, e.PathLower, string(e.Kind), e.Rev, e.ContentHash, e.Parent, e.Pending, []byte(e.Object))
	}

	s, err = sqlite.Open(t.Context(), path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diff := cmp.Diff(want, allEntries(t, s, conn)); diff != "" {
		t.Errorf("entries after the migration (-want +got):\n%s", diff)
	}
	rows, err := db.QueryContext(t.Context(), `SELECT id, path_display FROM mirror_entries`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, display string
		if err := rows.Scan(&id, &display); err != nil {
			t.Fatal(err)
		}
		if display != want[id].PathLower {
			t.Errorf("path_display of %s = %q, want %q", id, display, want[id].PathLower)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("%d rows after the migration, want %d", n, len(want))
	}
}
