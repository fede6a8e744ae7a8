package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dropbridge/dropbridge"
)

// eventIDs makes the suite's event IDs.
var eventIDs dropbridge.EventIDs

// event returns a valid event of conn made now: a *.created with an After,
// a *.deleted with a Before, anything else with both.
func (f *fixture) event(conn *dropbridge.Connection, typ dropbridge.EventType, objectID string) dropbridge.Event {
	f.t.Helper()
	id, err := eventIDs.New(f.clock.Now())
	noErr(f.t, err, "new event ID")
	obj := json.RawMessage(fmt.Sprintf(`{"id":%q}`, objectID))
	e := dropbridge.Event{ID: id, Type: typ, SchemaVersion: dropbridge.EventSchemaVersion, Time: f.clock.Now(),
		EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, ExternalUserID: conn.ExternalUserID,
		Origin: dropbridge.OriginDropbox, ObjectID: objectID, Before: obj, After: obj}
	switch what := strings.TrimPrefix(string(typ), typ.Object()+"."); what {
	case "created", "added":
		e.Before = nil
	case "deleted", "removed", "revoked":
		e.After = nil
	}
	noErr(f.t, e.Validate(), "event")
	return e
}

// entry returns a mirror entry at p: a folder when kind is folder.
func entry(id, p string, kind dropbridge.EntryKind, parent string) *dropbridge.Entry {
	e := &dropbridge.Entry{ID: id, PathLower: p, Kind: kind, Parent: parent}
	tag := "folder"
	if kind != dropbridge.EntryFolder {
		tag, e.Rev, e.ContentHash = "file", "rev-"+id, "hash-"+id
	}
	e.Object = json.RawMessage(fmt.Sprintf(`{".tag":%q,"id":%q,"path_lower":%q,"path_display":%q}`, tag, id, p, p))
	return e
}

func puts(es ...*dropbridge.Entry) []dropbridge.EntryUpdate {
	var out []dropbridge.EntryUpdate
	for _, e := range es {
		out = append(out, dropbridge.EntryUpdate{ID: e.ID, Entry: e})
	}
	return out
}

// allEntries reads the whole files mirror, page by page.
func (f *fixture) allEntries(conn *dropbridge.Connection, pageSize int) []*dropbridge.Entry {
	f.t.Helper()
	var out []*dropbridge.Entry
	after := ""
	for {
		page, err := f.s.ListMirrorEntries(f.ctx, conn.EnvironmentID, conn.ID, after, pageSize)
		noErr(f.t, err, "ListMirrorEntries")
		out = append(out, page...)
		if len(page) < pageSize {
			return out
		}
		after = page[len(page)-1].ID
	}
}

// allEvents reads the environment's whole feed.
func (f *fixture) allEvents(envID string, filter dropbridge.EventFilter) []*dropbridge.Event {
	f.t.Helper()
	var out []*dropbridge.Event
	for {
		page, err := f.s.ListEvents(f.ctx, envID, filter)
		noErr(f.t, err, "ListEvents")
		out = append(out, page...)
		if len(page) < filter.PageSize() {
			return out
		}
		filter.After = page[len(page)-1].ID
	}
}

func eventPtrs(es ...dropbridge.Event) []*dropbridge.Event {
	var out []*dropbridge.Event
	for i := range es {
		out = append(out, &es[i])
	}
	return out
}

// testMirrorApply applies pages to a files mirror: each moves the cursor
// and the version on, its events land in the feed, and a page applied a
// second time from the same version (a restart after the commit) is
// refused and adds nothing.
func testMirrorApply(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")

	cur, err := f.s.FindMirrorCursor(f.ctx, env.ID, conn.ID, dropbridge.MirrorFiles)
	noErr(t, err, "FindMirrorCursor")
	diff(t, "cursor before the first page", &dropbridge.MirrorCursor{}, cur)

	docs := entry("id:docs", "/docs", dropbridge.EntryFolder, "")
	a := entry("id:a", "/docs/a.txt", dropbridge.EntryFile, "id:docs")
	b := entry("id:b", "/b.txt", dropbridge.EntryFile, "")
	page1 := &dropbridge.MirrorChange{
		EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles, IfVersion: 0, Cursor: "cursor-1",
		Entries: puts(docs, a, b),
		Events: []dropbridge.Event{f.event(conn, dropbridge.EventFolderCreated, docs.ID),
			f.event(conn, dropbridge.EventFileCreated, a.ID), f.event(conn, dropbridge.EventFileCreated, b.ID)},
	}
	v, err := f.s.ApplyMirrorChange(f.ctx, page1)
	noErr(t, err, "ApplyMirrorChange")
	if v != 1 {
		t.Fatalf("version after the first page = %d, want 1", v)
	}
	// The same page again, as after a crash right after the commit.
	_, err = f.s.ApplyMirrorChange(f.ctx, page1)
	wantCode(t, err, dropbridge.ECONFLICT)
	diff(t, "events after the page applied twice", eventPtrs(page1.Events...), f.allEvents(env.ID, dropbridge.EventFilter{}))

	// Page 2: b moves into docs (an update), a goes.
	b2 := entry("id:b", "/docs/b.txt", dropbridge.EntryFile, "id:docs")
	page2 := &dropbridge.MirrorChange{
		EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles, IfVersion: 1, Cursor: "cursor-2",
		Entries: append(puts(b2), dropbridge.EntryUpdate{ID: a.ID}),
		Events:  []dropbridge.Event{f.event(conn, dropbridge.EventFileMoved, b.ID), f.event(conn, dropbridge.EventFileDeleted, a.ID)},
	}
	v, err = f.s.ApplyMirrorChange(f.ctx, page2)
	noErr(t, err, "ApplyMirrorChange page 2")
	if v != 2 {
		t.Fatalf("version after the second page = %d, want 2", v)
	}
	cur, err = f.s.FindMirrorCursor(f.ctx, env.ID, conn.ID, dropbridge.MirrorFiles)
	noErr(t, err, "FindMirrorCursor")
	diff(t, "cursor after two pages", &dropbridge.MirrorCursor{Cursor: "cursor-2", Version: 2}, cur)
	diff(t, "mirror after two pages", []*dropbridge.Entry{b2, docs}, f.allEntries(conn, 1))
	diff(t, "mirror, one page", []*dropbridge.Entry{b2, docs}, f.allEntries(conn, dropbridge.MaxMirrorPage))

	// A failing change writes nothing: an event ID stored already ...
	bad := &dropbridge.MirrorChange{
		EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles, IfVersion: 2, Cursor: "cursor-3",
		Entries: puts(entry("id:c", "/c.txt", dropbridge.EntryFile, "")),
		Events:  []dropbridge.Event{f.event(conn, dropbridge.EventFileCreated, "id:c"), page1.Events[0]},
	}
	_, err = f.s.ApplyMirrorChange(f.ctx, bad)
	wantCode(t, err, dropbridge.ECONFLICT)
	// ... an event of another connection, or an invalid entry.
	other := f.connection(app, "user-2", "dbid:2")
	bad.Events = []dropbridge.Event{f.event(other, dropbridge.EventFileCreated, "id:c")}
	_, err = f.s.ApplyMirrorChange(f.ctx, bad)
	wantCode(t, err, dropbridge.EINVALID)
	bad.Events = nil
	bad.Entries = puts(&dropbridge.Entry{ID: "id:c", PathLower: "c.txt", Kind: dropbridge.EntryFile, Object: json.RawMessage(`{}`)})
	_, err = f.s.ApplyMirrorChange(f.ctx, bad)
	wantCode(t, err, dropbridge.EINVALID)
	cur, err = f.s.FindMirrorCursor(f.ctx, env.ID, conn.ID, dropbridge.MirrorFiles)
	noErr(t, err, "FindMirrorCursor")
	diff(t, "cursor after failed changes", &dropbridge.MirrorCursor{Cursor: "cursor-2", Version: 2}, cur)
	diff(t, "mirror after failed changes", []*dropbridge.Entry{b2, docs}, f.allEntries(conn, 10))
	diff(t, "events after failed changes", eventPtrs(append(page1.Events, page2.Events...)...),
		f.allEvents(env.ID, dropbridge.EventFilter{}))

	// Polled kinds have versions of their own, and no entries.
	links := &dropbridge.MirrorChange{
		EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorSharedLinks, IfVersion: 0,
		Objects: []dropbridge.MirrorObject{{Key: "https://l/2", Object: json.RawMessage(`{"url":"https://l/2"}`)},
			{Key: "https://l/1", Object: json.RawMessage(`{"url":"https://l/1"}`)}},
		Events: []dropbridge.Event{f.event(conn, dropbridge.EventSharedLinkCreated, "https://l/1"),
			f.event(conn, dropbridge.EventSharedLinkCreated, "https://l/2")},
	}
	v, err = f.s.ApplyMirrorChange(f.ctx, links)
	noErr(t, err, "ApplyMirrorChange shared links")
	if v != 1 {
		t.Fatalf("shared links version = %d, want 1", v)
	}
	links2 := &dropbridge.MirrorChange{
		EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorSharedLinks, IfVersion: 1,
		Objects: []dropbridge.MirrorObject{{Key: "https://l/2"}, {Key: "https://l/1", Object: json.RawMessage(`{"url":"https://l/1","x":1}`)}},
	}
	_, err = f.s.ApplyMirrorChange(f.ctx, links2)
	noErr(t, err, "ApplyMirrorChange shared links 2")
	objs, err := f.s.ListMirrorObjects(f.ctx, env.ID, conn.ID, dropbridge.MirrorSharedLinks)
	noErr(t, err, "ListMirrorObjects")
	diff(t, "shared links", []dropbridge.MirrorObject{{Key: "https://l/1", Object: json.RawMessage(`{"url":"https://l/1","x":1}`)}}, objs)
	objs, err = f.s.ListMirrorObjects(f.ctx, env.ID, conn.ID, dropbridge.MirrorFileRequests)
	noErr(t, err, "ListMirrorObjects")
	diff(t, "file requests", []dropbridge.MirrorObject(nil), objs)
	_, err = f.s.ListMirrorObjects(f.ctx, env.ID, conn.ID, dropbridge.MirrorFiles)
	wantCode(t, err, dropbridge.EINVALID)
	_, err = f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: conn.ID,
		Kind: dropbridge.MirrorSharedLinks, IfVersion: 2, Entries: puts(b2)})
	wantCode(t, err, dropbridge.EINVALID)
	cur, err = f.s.FindMirrorCursor(f.ctx, env.ID, conn.ID, dropbridge.MirrorFiles)
	noErr(t, err, "FindMirrorCursor")
	diff(t, "files cursor after polls", &dropbridge.MirrorCursor{Cursor: "cursor-2", Version: 2}, cur)

	// Another connection's mirror is its own.
	cur, err = f.s.FindMirrorCursor(f.ctx, env.ID, other.ID, dropbridge.MirrorFiles)
	noErr(t, err, "FindMirrorCursor")
	diff(t, "other connection's cursor", &dropbridge.MirrorCursor{}, cur)
	diff(t, "other connection's mirror", []*dropbridge.Entry(nil), f.allEntries(other, 10))
}

// testMirrorApplyRace applies one page from many goroutines at once, as
// workers that all picked up the same notification: one wins, the others
// get ECONFLICT, and the page's events are stored once.
func testMirrorApplyRace(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	for round := range 3 {
		ch := &dropbridge.MirrorChange{
			EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles, IfVersion: int64(round),
			Cursor:  fmt.Sprintf("cursor-%d", round+1),
			Entries: puts(entry(fmt.Sprintf("id:%d", round), fmt.Sprintf("/f%d", round), dropbridge.EntryFile, "")),
			Events:  []dropbridge.Event{f.event(conn, dropbridge.EventFileCreated, fmt.Sprintf("id:%d", round))},
		}
		const workers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, conflicts := 0, 0
		var other []error
		for range workers {
			wg.Go(func() {
				_, err := f.s.ApplyMirrorChange(f.ctx, ch)
				mu.Lock()
				defer mu.Unlock()
				switch dropbridge.ErrorCode(err) {
				case "":
					won++
				case dropbridge.ECONFLICT:
					conflicts++
				default:
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		if len(other) > 0 || won != 1 || conflicts != workers-1 {
			t.Fatalf("round %d: %d applied, %d conflicts, errors %v; want 1 and %d", round, won, conflicts, other, workers-1)
		}
	}
	if got := f.allEvents(env.ID, dropbridge.EventFilter{}); len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
}

// testMirrorQuery selects the working set of a page: entries by id (with
// the subtrees of folders), at paths, below paths, and every pending
// entry; nothing else.
func testMirrorQuery(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	other := f.connection(app, "user-2", "dbid:2")
	es := []*dropbridge.Entry{
		entry("id:a", "/a", dropbridge.EntryFolder, ""),
		entry("id:a-b", "/a/b", dropbridge.EntryFolder, "id:a"),
		entry("id:a-b-c", "/a/b/c.txt", dropbridge.EntryFile, "id:a-b"),
		entry("id:a-d", "/a/d.txt", dropbridge.EntryFile, "id:a"),
		entry("id:a.txt", "/a.txt", dropbridge.EntryFile, ""),
		entry("id:a0", "/a0", dropbridge.EntryFile, ""),
		entry("id:ab", "/ab", dropbridge.EntryFolder, ""),
		entry("id:ab-x", "/ab/x", dropbridge.EntryFile, "id:ab"),
		entry("id:p", "/p", dropbridge.EntryFolder, ""),
		entry("id:p-q", "/p/q", dropbridge.EntryFolder, "id:p"),
		entry("id:z", "/z.txt", dropbridge.EntryFile, ""),
	}
	gone := entry("id:gone", "/gone.txt", dropbridge.EntryFile, "")
	gone.Pending = true
	es = append(es, gone)
	_, err := f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: conn.ID,
		Kind: dropbridge.MirrorFiles, Cursor: "c", Entries: puts(es...)})
	noErr(t, err, "ApplyMirrorChange")
	// The other connection's entries are never selected.
	_, err = f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: other.ID,
		Kind: dropbridge.MirrorFiles, Cursor: "c", Entries: puts(entry("id:a", "/a", dropbridge.EntryFolder, ""), gone)})
	noErr(t, err, "ApplyMirrorChange")
	byID := map[string]*dropbridge.Entry{}
	for _, e := range es {
		byID[e.ID] = e
	}
	for _, tt := range []struct {
		name string
		q    dropbridge.MirrorQuery
		want []string
	}{
		{"nothing", dropbridge.MirrorQuery{}, nil},
		{"file by id", dropbridge.MirrorQuery{IDs: []string{"id:z", "id:unknown"}}, []string{"id:z"}},
		{"folder by id", dropbridge.MirrorQuery{IDs: []string{"id:a-b"}}, []string{"id:a-b", "id:a-b-c"}},
		{"paths", dropbridge.MirrorQuery{Paths: []string{"/a", "/p/q", "/nowhere"}}, []string{"id:a", "id:p-q"}},
		{"subtree", dropbridge.MirrorQuery{Subtrees: []string{"/a"}}, []string{"id:a", "id:a-b", "id:a-b-c", "id:a-d"}},
		{"nested subtrees", dropbridge.MirrorQuery{Subtrees: []string{"/a/b", "/a", "/a/b/c.txt", "/new"}},
			[]string{"id:a", "id:a-b", "id:a-b-c", "id:a-d"}},
		{"subtree of a file", dropbridge.MirrorQuery{Subtrees: []string{"/ab/x"}}, []string{"id:ab-x"}},
		{"all", dropbridge.MirrorQuery{IDs: []string{"id:p"}, Paths: []string{"/a.txt"}, Subtrees: []string{"/ab", "/z.txt"}},
			[]string{"id:a.txt", "id:ab", "id:ab-x", "id:p", "id:p-q", "id:z"}},
	} {
		got, err := f.s.QueryMirrorEntries(f.ctx, env.ID, conn.ID, tt.q)
		noErr(t, err, "QueryMirrorEntries "+tt.name)
		want := []*dropbridge.Entry{}
		for _, id := range append(tt.want, "id:gone") {
			want = append(want, byID[id])
		}
		slices.SortFunc(want, func(a, b *dropbridge.Entry) int { return strings.Compare(a.ID, b.ID) })
		diff(t, "QueryMirrorEntries "+tt.name, want, got)
	}
}
