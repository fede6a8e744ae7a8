package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/events"
	"github.com/dropbridge/dropbridge/httpapi"
)

// fileSeq numbers the files that fileEvents makes, across tests.
var fileSeq atomic.Int64

// eventIDs makes the tests' event IDs.
var eventIDs dropbridge.EventIDs

// fileEvents applies one files mirror change to the connection that
// creates n files, with a file.created event each, through the store as
// change tracking does, and returns the events' IDs.
func (s *service) fileEvents(connID string, n int) []string {
	s.t.Helper()
	ctx := s.t.Context()
	conn, err := s.store.FindConnectionByID(ctx, s.env.ID, connID)
	if err != nil {
		s.t.Fatal(err)
	}
	cur, err := s.store.FindMirrorCursor(ctx, conn.EnvironmentID, conn.ID, dropbridge.MirrorFiles)
	if err != nil {
		s.t.Fatal(err)
	}
	ch := &dropbridge.MirrorChange{EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles,
		IfVersion: cur.Version, Cursor: fmt.Sprintf("cursor-%d", cur.Version+1)}
	var ids []string
	for range n {
		i := fileSeq.Add(1)
		id, p := fmt.Sprintf("id:f%d", i), fmt.Sprintf("/f-%d.txt", i)
		obj := json.RawMessage(fmt.Sprintf(`{".tag":"file","id":%q,"name":"f-%d.txt","path_lower":%q,"path_display":%q,"rev":"r%d"}`,
			id, i, p, p, i))
		ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: id, Entry: &dropbridge.Entry{ID: id, PathLower: p,
			Kind: dropbridge.EntryFile, Rev: fmt.Sprintf("r%d", i), ContentHash: "h", Object: obj}})
		eid, err := eventIDs.New(s.clock.Now())
		if err != nil {
			s.t.Fatal(err)
		}
		ch.Events = append(ch.Events, dropbridge.Event{ID: eid, Type: dropbridge.EventFileCreated,
			SchemaVersion: dropbridge.EventSchemaVersion, Time: s.clock.Now(), EnvironmentID: conn.EnvironmentID,
			ConnectionID: conn.ID, ExternalUserID: conn.ExternalUserID, Origin: dropbridge.OriginDropbox,
			ObjectID: id, After: obj})
		ids = append(ids, eid)
	}
	if _, err := s.store.ApplyMirrorChange(ctx, ch); err != nil {
		s.t.Fatal(err)
	}
	return ids
}

// feedPage is an answer of the pull feed.
type feedPage struct {
	Data      []httpapi.Event `json:"data"`
	NextAfter string          `json:"next_after"`
	HasMore   bool            `json:"has_more"`
}

func idsOf(es []httpapi.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestEventsPullFeed(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	bob, _ := s.connected("bob@example.com")
	want := s.fileEvents(alice, 3)
	want = append(want, s.fileEvents(bob, 2)...)

	var got []string
	after := ""
	for pages := 0; ; pages++ {
		var p feedPage
		s.must(http.StatusOK, http.MethodGet, "/v1/events?limit=2&after="+after, nil, &p)
		got = append(got, idsOf(p.Data)...)
		if !p.HasMore {
			if len(p.Data) > 0 && p.NextAfter != p.Data[len(p.Data)-1].ID {
				t.Errorf("next_after %q, last event %q", p.NextAfter, p.Data[len(p.Data)-1].ID)
			}
			if pages != 2 {
				t.Errorf("%d pages before the last, want 2", pages)
			}
			break
		}
		after = p.NextAfter
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}

	// The last page again is empty and keeps the position.
	var p feedPage
	s.must(http.StatusOK, http.MethodGet, "/v1/events?after="+want[4], nil, &p)
	if len(p.Data) != 0 || p.NextAfter != want[4] || p.HasMore {
		t.Errorf("after the last event: %+v", p)
	}
	// Filters.
	s.must(http.StatusOK, http.MethodGet, "/v1/events?connection_id="+bob, nil, &p)
	if diff := cmp.Diff(want[3:], idsOf(p.Data)); diff != "" {
		t.Errorf("bob's events (-want +got):\n%s", diff)
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/events?types=file.deleted,folder.created", nil, &p)
	if len(p.Data) != 0 {
		t.Errorf("deletions: %v", idsOf(p.Data))
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/events?types=file.created&limit=1", nil, &p)
	if diff := cmp.Diff(want[:1], idsOf(p.Data)); diff != "" || p.Data[0].Type != "file.created" || p.Data[0].ExternalUserID == "" ||
		len(p.Data[0].After) == 0 || p.Data[0].Before != nil {
		t.Errorf("first creation: %+v", p.Data)
	}
	// Bad input.
	s.must(http.StatusUnprocessableEntity, http.MethodGet, "/v1/events?types=file.exploded", nil, nil)
	s.must(http.StatusUnprocessableEntity, http.MethodGet, "/v1/events?after=evt_nonsense", nil, nil)
	// Another environment sees none of it, and not its IDs either.
	_, otherKey := s.newEnvironment("other")
	r := s.do(otherKey, http.MethodGet, "/v1/events", nil)
	r.decode(t, &p)
	if r.status != http.StatusOK || len(p.Data) != 0 {
		t.Errorf("other environment's feed: %d %s", r.status, r.body)
	}
	if r := s.do(otherKey, http.MethodGet, "/v1/events?after="+want[0], nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("other environment after an ID of ours: %d %s", r.status, r.body)
	}
	if r := s.do("", http.MethodGet, "/v1/events", nil); r.status != http.StatusUnauthorized {
		t.Errorf("without a key: %d", r.status)
	}
}

// openStream opens the event stream with the test's key and extra
// headers; the caller closes the body.
func (s *service) openStream(query string, header ...string) *http.Response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodGet, s.srv.URL+"/v1/events/stream"+query, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp
}

// errEnough stops reading a stream.
var errEnough = errors.New("enough")

// readStream reads n events of a stream.
func readStream(t *testing.T, resp *http.Response, n int) []string {
	t.Helper()
	var ids []string
	err := events.ReadStream(resp.Body, func(e events.StreamEvent) error {
		var ev httpapi.Event
		if err := json.Unmarshal(e.Data, &ev); err != nil {
			return err
		}
		if ev.ID != e.ID || ev.Type != e.Type {
			t.Errorf("stream event %s %s holds %s %s", e.ID, e.Type, ev.ID, ev.Type)
		}
		ids = append(ids, e.ID)
		if len(ids) == n {
			return errEnough
		}
		return nil
	})
	if !errors.Is(err, errEnough) {
		t.Fatalf("read %d of %d events: %v", len(ids), n, err)
	}
	return ids
}

func TestEventsStreamResumesFromLastEventID(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	want := s.fileEvents(alice, 3)

	resp := s.openStream("")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got := readStream(t, resp, 2)
	// The client goes away after the second event; more happen meanwhile.
	resp.Body.Close()
	want = append(want, s.fileEvents(alice, 2)...)

	resp = s.openStream("", "Last-Event-ID", got[1])
	defer resp.Body.Close()
	got = append(got, readStream(t, resp, 3)...)
	// And the stream goes on with what happens next.
	want = append(want, s.fileEvents(alice, 1)...)
	got = append(got, readStream(t, resp, 1)...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streamed (-want +got):\n%s", diff)
	}

	// Filters and after apply to the stream too.
	bob, _ := s.connected("bob@example.com")
	bobs := s.fileEvents(bob, 1)
	resp2 := s.openStream("?connection_id=" + url.QueryEscape(bob) + "&after=" + want[0])
	defer resp2.Body.Close()
	if diff := cmp.Diff(bobs, readStream(t, resp2, 1)); diff != "" {
		t.Errorf("bob's stream (-want +got):\n%s", diff)
	}

	// An unknown Last-Event-ID is a problem, before any stream.
	var ids dropbridge.EventIDs
	unknown, _ := ids.New(s.clock.Now())
	r := s.do(s.key, http.MethodGet, "/v1/events/stream", nil, "Last-Event-ID", unknown)
	if r.status != http.StatusUnprocessableEntity || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown Last-Event-ID: %d %s", r.status, r.body)
	}
	if r := s.do("", http.MethodGet, "/v1/events/stream", nil); r.status != http.StatusUnauthorized {
		t.Errorf("stream without a key: %d", r.status)
	}
}

func TestConnectionChanges(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	bob, _ := s.connected("bob@example.com")
	want := s.fileEvents(alice, 3)
	s.fileEvents(bob, 2)

	type changes struct {
		Changes []httpapi.Event `json:"changes"`
		Cursor  string          `json:"cursor"`
		HasMore bool            `json:"has_more"`
	}
	var c changes
	path := "/v1/connections/" + alice + "/changes"
	s.must(http.StatusOK, http.MethodGet, path+"?limit=2", nil, &c)
	got := idsOf(c.Changes)
	if !c.HasMore || c.Cursor != want[1] {
		t.Errorf("first page: cursor %q, has_more %v", c.Cursor, c.HasMore)
	}
	s.must(http.StatusOK, http.MethodGet, path+"?limit=2&cursor="+c.Cursor, nil, &c)
	got = append(got, idsOf(c.Changes)...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alice's changes (-want +got):\n%s", diff)
	}
	// Nothing new: the same cursor back.
	cursor := c.Cursor
	s.must(http.StatusOK, http.MethodGet, path+"?cursor="+cursor, nil, &c)
	if len(c.Changes) != 0 || c.Cursor != cursor {
		t.Errorf("no changes: %+v", c)
	}
	more := s.fileEvents(alice, 1)
	s.must(http.StatusOK, http.MethodGet, path+"?cursor="+cursor, nil, &c)
	if diff := cmp.Diff(more, idsOf(c.Changes)); diff != "" {
		t.Errorf("changes since the cursor (-want +got):\n%s", diff)
	}
	s.must(http.StatusNotFound, http.MethodGet, "/v1/connections/conn_nosuchconnection/changes", nil, nil)
	_, otherKey := s.newEnvironment("other")
	if r := s.do(otherKey, http.MethodGet, path, nil); r.status != http.StatusNotFound {
		t.Errorf("another environment's connection: %d %s", r.status, r.body)
	}
}

func TestEventsStreamEndsAtShutdown(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	ids := s.fileEvents(alice, 1)
	resp := s.openStream("")
	defer resp.Body.Close()
	if diff := cmp.Diff(ids, readStream(t, resp, 1)); diff != "" {
		t.Fatalf("streamed (-want +got):\n%s", diff)
	}
	// Graceful shutdown does not wait for the stream: it ends it.
	if err := s.srv.Config.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := events.ReadStream(resp.Body, func(e events.StreamEvent) error {
		return fmt.Errorf("event %s after the shutdown", e.ID)
	}); err != nil {
		t.Errorf("the stream's end: %v", err)
	}
}
