package dropbridge_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/google/go-cmp/cmp"
)

func validEvent(t *testing.T) dropbridge.Event {
	t.Helper()
	var ids dropbridge.EventIDs
	id, err := ids.New(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return dropbridge.Event{
		ID: id, Type: dropbridge.EventFileMoved, SchemaVersion: dropbridge.EventSchemaVersion,
		Time: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), EnvironmentID: "env_1", ConnectionID: "conn_1",
		ExternalUserID: "user-1", Origin: dropbridge.OriginDropbox, ObjectID: "id:abc",
		Before: json.RawMessage(`{".tag":"file","path_lower":"/a"}`),
		After:  json.RawMessage(`{".tag":"file","path_lower":"/b"}`),
	}
}

func TestEventValidate(t *testing.T) {
	t.Parallel()
	obj := json.RawMessage(`{"id":"x"}`)
	for name, tt := range map[string]struct {
		mutate func(*dropbridge.Event)
		valid  bool
	}{
		"valid":               {func(*dropbridge.Event) {}, true},
		"no id":               {func(e *dropbridge.Event) { e.ID = "" }, false},
		"foreign id":          {func(e *dropbridge.Event) { e.ID = "conn_" + e.ID[4:] }, false},
		"id with upper case":  {func(e *dropbridge.Event) { e.ID = strings.ToUpper(e.ID) }, false},
		"id too short":        {func(e *dropbridge.Event) { e.ID = e.ID[:len(e.ID)-1] }, false},
		"unknown type":        {func(e *dropbridge.Event) { e.Type = "file.renamed" }, false},
		"old schema":          {func(e *dropbridge.Event) { e.SchemaVersion = 0 }, false},
		"no time":             {func(e *dropbridge.Event) { e.Time = time.Time{} }, false},
		"no environment":      {func(e *dropbridge.Event) { e.EnvironmentID = "" }, false},
		"no connection":       {func(e *dropbridge.Event) { e.ConnectionID = "" }, false},
		"no external user":    {func(e *dropbridge.Event) { e.ExternalUserID = "" }, false},
		"no object":           {func(e *dropbridge.Event) { e.ObjectID = "" }, false},
		"bad origin":          {func(e *dropbridge.Event) { e.Origin = "user" }, false},
		"api origin":          {func(e *dropbridge.Event) { e.Origin = dropbridge.OriginAPI }, true},
		"move without before": {func(e *dropbridge.Event) { e.Before = nil }, false},
		"move with null":      {func(e *dropbridge.Event) { e.After = json.RawMessage("null") }, false},
		"after not an object": {func(e *dropbridge.Event) { e.After = json.RawMessage(`[1]`) }, false},
		"after not JSON":      {func(e *dropbridge.Event) { e.After = json.RawMessage(`{"a":`) }, false},
		"file on a move":      {func(e *dropbridge.Event) { e.File = obj }, false},
		"created with after": {func(e *dropbridge.Event) {
			e.Type, e.Before = dropbridge.EventFolderCreated, nil
		}, true},
		"created with before": {func(e *dropbridge.Event) { e.Type = dropbridge.EventFolderCreated }, false},
		"deleted with before": {func(e *dropbridge.Event) {
			e.Type, e.After = dropbridge.EventPaperDeleted, nil
		}, true},
		"deleted with after": {func(e *dropbridge.Event) { e.Type = dropbridge.EventFileDeleted }, false},
		"revoked link": {func(e *dropbridge.Event) {
			e.Type, e.After = dropbridge.EventSharedLinkRevoked, nil
		}, true},
		"closed request": {func(e *dropbridge.Event) { e.Type = dropbridge.EventFileRequestClosed }, true},
		"file received": {func(e *dropbridge.Event) {
			e.Type, e.Before, e.File = dropbridge.EventFileRequestFileReceived, nil, obj
		}, true},
		"file received without file": {func(e *dropbridge.Event) {
			e.Type, e.Before = dropbridge.EventFileRequestFileReceived, nil
		}, false},
		"needs reauth": {func(e *dropbridge.Event) { e.Type = dropbridge.EventConnectionNeedsReauth }, true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := validEvent(t)
			tt.mutate(&e)
			checkValid(t, e.Validate(), tt.valid)
		})
	}
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	types := dropbridge.EventTypes()
	if !slices.IsSorted(types) {
		t.Errorf("EventTypes() = %v, not sorted", types)
	}
	// Every object kind of issue 6 has its types.
	objects := map[string][]string{}
	for _, et := range types {
		if !et.Valid() {
			t.Errorf("%q from EventTypes() is not Valid", et)
		}
		o, what, ok := strings.Cut(string(et), ".")
		if !ok || o != et.Object() {
			t.Errorf("%q: Object() = %q", et, et.Object())
		}
		objects[o] = append(objects[o], what)
	}
	want := map[string][]string{
		"connection":    {"created", "needs_reauth", "revoked"},
		"file":          {"created", "deleted", "moved", "updated"},
		"file_request":  {"closed", "created", "deleted", "file_received", "updated"},
		"folder":        {"created", "deleted", "moved", "updated"},
		"paper_doc":     {"created", "deleted", "moved", "updated"},
		"shared_folder": {"created", "deleted", "member_added", "member_removed", "member_updated", "updated"},
		"shared_link":   {"created", "revoked", "updated"},
		"team_folder":   {"archived", "created", "deleted", "updated"},
		"team_member":   {"added", "removed", "updated"},
	}
	if diff := cmp.Diff(want, objects); diff != "" {
		t.Errorf("event types (-want +got):\n%s", diff)
	}
	if dropbridge.EventType("file.renamed").Valid() {
		t.Error("file.renamed is Valid")
	}
}

func TestEventJSON(t *testing.T) {
	t.Parallel()
	e := validEvent(t)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	want := []string{"after", "before", "connection_id", "environment_id", "external_user_id", "id", "object_id", "origin", "schema_version", "time", "type"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("JSON fields (-want +got):\n%s", diff)
	}
	var back dropbridge.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestEventIDs(t *testing.T) {
	t.Parallel()
	var ids dropbridge.EventIDs
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	times := []time.Time{
		t0, t0, t0.Add(time.Microsecond), t0.Add(time.Millisecond), t0.Add(-time.Hour), // same ms, same ms, a step back
		t0.Add(time.Second), t0.Add(time.Second), t0.Add(24 * time.Hour),
	}
	var got []string
	for _, at := range times {
		id, err := ids.New(at)
		if err != nil {
			t.Fatal(err)
		}
		if !dropbridge.ValidEventID(id) {
			t.Errorf("New(%v) = %q, not ValidEventID", at, id)
		}
		got = append(got, id)
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("IDs do not strictly increase: %q", got)
	}
	for i, want := range []time.Time{t0, t0, t0, t0.Add(time.Millisecond), t0.Add(time.Millisecond), t0.Add(time.Second)} {
		if at, ok := dropbridge.EventIDTime(got[i]); !ok || !at.Equal(want) {
			t.Errorf("EventIDTime(%q) = %v, %v; want %v", got[i], at, ok, want)
		}
	}

	// IDs of different generators sort by their time.
	var other dropbridge.EventIDs
	later, err := other.New(t0.Add(48 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if later <= got[len(got)-1] {
		t.Errorf("an ID of a later day %q sorts before %q", later, got[len(got)-1])
	}
	if _, ok := dropbridge.EventIDTime("evt_x"); ok {
		t.Error("EventIDTime of a malformed ID is ok")
	}
	if _, err := ids.New(time.Unix(-1, 0)); err == nil {
		t.Error("New before 1970: no error")
	}
}

func TestEventIDsConcurrent(t *testing.T) {
	t.Parallel()
	var ids dropbridge.EventIDs
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	const workers, each = 8, 200
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				id, err := ids.New(now)
				if err != nil {
					t.Error(err)
					return
				}
				out[w] = append(out[w], id)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ws := range out {
		if !slices.IsSorted(ws) {
			t.Errorf("one goroutine's IDs do not increase")
		}
		for _, id := range ws {
			if seen[id] {
				t.Fatalf("duplicate ID %q", id)
			}
			seen[id] = true
		}
	}
}
