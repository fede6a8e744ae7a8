package storetest

import (
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

// testMirrorFiles reads the files mirror as listings do: one entry by path
// or id, a folder's children or subtree in path order, a page at a time,
// never a pending entry nor another connection's, with where the mirror
// stood.
func testMirrorFiles(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	other := f.connection(app, "user-2", "dbid:2")
	read := func(c *dropbridge.Connection, q dropbridge.MirrorFilesQuery) *dropbridge.MirrorFilesPage {
		t.Helper()
		got, err := f.s.ReadMirrorFiles(f.ctx, c.EnvironmentID, c.ID, q)
		noErr(t, err, "ReadMirrorFiles")
		return got
	}
	diff(t, "before the first page", &dropbridge.MirrorFilesPage{},
		read(conn, dropbridge.MirrorFilesQuery{List: true, Recursive: true, Limit: 10}))

	// Paths that sort between a folder and its children (" " and "." come
	// before "/"), and after them ("0" follows "/").
	es := []*dropbridge.Entry{
		entry("id:a", "/a", dropbridge.EntryFolder, ""),
		entry("id:a-sp", "/a b", dropbridge.EntryFile, ""),
		entry("id:a.txt", "/a.txt", dropbridge.EntryFile, ""),
		entry("id:a-b", "/a/b", dropbridge.EntryFolder, "id:a"),
		entry("id:a-b-c", "/a/b/c.txt", dropbridge.EntryFile, "id:a-b"),
		entry("id:a-d", "/a/d.txt", dropbridge.EntryFile, "id:a"),
		entry("id:a-e", "/a/e", dropbridge.EntryFolder, "id:a"),
		entry("id:a0", "/a0", dropbridge.EntryFile, ""),
		entry("id:z", "/z.txt", dropbridge.EntryFile, ""),
	}
	gone := entry("id:gone", "/a/gone.txt", dropbridge.EntryFile, "id:a")
	gone.Pending = true
	f.clock.Advance(time.Minute)
	applied := f.clock.Now()
	_, err := f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: conn.ID,
		Kind: dropbridge.MirrorFiles, Cursor: "c1", Entries: puts(append(es, gone)...)})
	noErr(t, err, "ApplyMirrorChange")
	_, err = f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: other.ID,
		Kind: dropbridge.MirrorFiles, Cursor: "o1", Entries: puts(entry("id:a", "/a", dropbridge.EntryFolder, ""),
			entry("id:o", "/a/other.txt", dropbridge.EntryFile, "id:a"))})
	noErr(t, err, "ApplyMirrorChange other")
	f.clock.Advance(time.Minute)

	byID := map[string]*dropbridge.Entry{}
	for _, e := range es {
		byID[e.ID] = e
	}
	pick := func(ids ...string) []*dropbridge.Entry {
		var out []*dropbridge.Entry
		for _, id := range ids {
			out = append(out, byID[id])
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		q     dropbridge.MirrorFilesQuery
		entry string
		want  []string
	}{
		{"root", dropbridge.MirrorFilesQuery{List: true, Limit: 100}, "",
			[]string{"id:a", "id:a-sp", "id:a.txt", "id:a0", "id:z"}},
		{"root, recursive", dropbridge.MirrorFilesQuery{List: true, Recursive: true, Limit: 100}, "",
			[]string{"id:a", "id:a-sp", "id:a.txt", "id:a-b", "id:a-b-c", "id:a-d", "id:a-e", "id:a0", "id:z"}},
		{"folder", dropbridge.MirrorFilesQuery{Path: "/a", List: true, Limit: 100}, "id:a",
			[]string{"id:a-b", "id:a-d", "id:a-e"}},
		{"folder by id, recursive", dropbridge.MirrorFilesQuery{Path: "id:a", List: true, Recursive: true, Limit: 100}, "id:a",
			[]string{"id:a", "id:a-b", "id:a-b-c", "id:a-d", "id:a-e"}},
		{"page after", dropbridge.MirrorFilesQuery{Path: "/a", List: true, Recursive: true, After: "/a/b", Limit: 2}, "id:a",
			[]string{"id:a-b-c", "id:a-d"}},
		{"empty folder", dropbridge.MirrorFilesQuery{Path: "/a/e", List: true, Recursive: true, Limit: 10}, "id:a-e",
			[]string{"id:a-e"}},
		{"a file", dropbridge.MirrorFilesQuery{Path: "/a/d.txt", List: true, Limit: 10}, "id:a-d", nil},
		{"an entry", dropbridge.MirrorFilesQuery{Path: "id:a-b-c"}, "id:a-b-c", nil},
		{"nothing there", dropbridge.MirrorFilesQuery{Path: "/nowhere", List: true, Limit: 10}, "", nil},
		{"pending", dropbridge.MirrorFilesQuery{Path: "/a/gone.txt"}, "", nil},
	} {
		want := &dropbridge.MirrorFilesPage{Cursor: dropbridge.MirrorCursor{Cursor: "c1", Version: 1}, UpdatedAt: applied,
			Entry: byID[tt.entry], Entries: pick(tt.want...)}
		diff(t, tt.name, want, read(conn, tt.q))
	}
	// Paged through, a recursive listing gives each entry once, in order.
	var got []*dropbridge.Entry
	after := ""
	for range len(es) + 1 {
		p := read(conn, dropbridge.MirrorFilesQuery{List: true, Recursive: true, After: after, Limit: 2})
		got = append(got, p.Entries...)
		if len(p.Entries) < 2 {
			break
		}
		after = p.Entries[len(p.Entries)-1].PathLower
	}
	diff(t, "paged", pick("id:a", "id:a-sp", "id:a.txt", "id:a-b", "id:a-b-c", "id:a-d", "id:a-e", "id:a0", "id:z"), got)

	// Bad input, and another environment's connection.
	_, err = f.s.ReadMirrorFiles(f.ctx, env.ID, conn.ID, dropbridge.MirrorFilesQuery{Path: "a"})
	wantCode(t, err, dropbridge.EINVALID)
	_, err = f.s.ReadMirrorFiles(f.ctx, env.ID, conn.ID, dropbridge.MirrorFilesQuery{List: true, Limit: dropbridge.MaxMirrorPage + 1})
	wantCode(t, err, dropbridge.EINVALID)
	staging := f.env("staging")
	_, err = f.s.ReadMirrorFiles(f.ctx, staging.ID, conn.ID, dropbridge.MirrorFilesQuery{})
	wantCode(t, err, dropbridge.ENOTFOUND)
}
