package tracker_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/tracker"
	"github.com/google/go-cmp/cmp"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var idGen dropbridge.EventIDs

func newEventID(t *testing.T) string {
	t.Helper()
	id, err := idGen.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAttribute(t *testing.T) {
	t.Parallel()
	now := mustTime("2026-01-01T12:00:00Z")
	obj := json.RawMessage(`{}`)
	put := func(typ dropbridge.EventType, id, path, rev, hash string) tracker.Change {
		return tracker.Change{Type: typ, ObjectID: id, PathLower: path, Rev: rev, ContentHash: hash, After: obj}
	}
	gone := func(typ dropbridge.EventType, id, path, rev string) tracker.Change {
		return tracker.Change{Type: typ, ObjectID: id, PathLower: path, Rev: rev, Before: obj}
	}
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name    string
		changes []tracker.Change
		writes  []tracker.Write
		want    []dropbridge.Origin
		used    []int
	}{{
		name:    "upload matched by rev",
		changes: []tracker.Change{put(dropbridge.EventFileCreated, "id:1", "/a", "r1", "h1")},
		writes:  []tracker.Write{{PathLower: "/a", Rev: "r1", ContentHash: "h1", At: ago(time.Second)}},
		want:    []dropbridge.Origin{"api"}, used: []int{0},
	}, {
		name:    "another rev at the same path is someone else's",
		changes: []tracker.Change{put(dropbridge.EventFileUpdated, "id:1", "/a", "r2", "h2")},
		writes:  []tracker.Write{{ObjectID: "id:1", PathLower: "/a", Rev: "r1", ContentHash: "h1", At: ago(time.Second)}},
		want:    []dropbridge.Origin{"dropbox"},
	}, {
		name:    "no rev: content hash and path",
		changes: []tracker.Change{put(dropbridge.EventFileCreated, "id:1", "/a", "", "h1"), put(dropbridge.EventFileCreated, "id:2", "/b", "", "h9")},
		writes:  []tracker.Write{{PathLower: "/a", ContentHash: "h1", At: ago(time.Second)}, {PathLower: "/b", ContentHash: "h1", At: ago(time.Second)}},
		want:    []dropbridge.Origin{"api", "dropbox"}, used: []int{0},
	}, {
		name:    "folder by path, once",
		changes: []tracker.Change{put(dropbridge.EventFolderCreated, "id:1", "/f", "", ""), put(dropbridge.EventFolderCreated, "id:2", "/f", "", "")},
		writes:  []tracker.Write{{PathLower: "/f", At: ago(time.Minute)}},
		want:    []dropbridge.Origin{"api", "dropbox"}, used: []int{0},
	}, {
		name:    "folder move by id",
		changes: []tracker.Change{put(dropbridge.EventFolderMoved, "id:1", "/g", "", "")},
		writes:  []tracker.Write{{ObjectID: "id:1", PathLower: "/g", At: ago(time.Minute)}},
		want:    []dropbridge.Origin{"api"}, used: []int{0},
	}, {
		name:    "outside the window, or in the future",
		changes: []tracker.Change{put(dropbridge.EventFileCreated, "id:1", "/a", "r1", ""), put(dropbridge.EventFileCreated, "id:2", "/b", "r2", "")},
		writes:  []tracker.Write{{Rev: "r1", At: ago(11 * time.Minute)}, {Rev: "r2", At: now.Add(time.Second)}},
		want:    []dropbridge.Origin{"dropbox", "dropbox"},
	}, {
		name: "a deletion and what was below it",
		changes: []tracker.Change{
			gone(dropbridge.EventFileDeleted, "id:x", "/d/x", "r1"), gone(dropbridge.EventFolderDeleted, "id:d", "/d", ""),
			gone(dropbridge.EventFileDeleted, "id:y", "/dd/y", "r2"),
		},
		writes: []tracker.Write{{PathLower: "/d", Removal: true, At: ago(time.Second)}},
		want:   []dropbridge.Origin{"api", "api", "dropbox"}, used: []int{0},
	}, {
		name:    "a removal is not matched by a write that is none",
		changes: []tracker.Change{gone(dropbridge.EventFileDeleted, "id:x", "/x", "r1"), put(dropbridge.EventFileCreated, "id:y", "/y", "r2", "")},
		writes:  []tracker.Write{{PathLower: "/x", Rev: "r1", At: ago(time.Second)}, {PathLower: "/y", Rev: "r2", Removal: true, At: ago(time.Second)}},
		want:    []dropbridge.Origin{"dropbox", "dropbox"},
	}, {
		name: "polled objects by ID",
		changes: []tracker.Change{
			put(dropbridge.EventSharedLinkCreated, "https://l/1", "", "", ""), gone(dropbridge.EventSharedLinkRevoked, "https://l/2", "", ""),
			put(dropbridge.EventFileRequestClosed, "r1", "", "", ""),
		},
		writes: []tracker.Write{{ObjectID: "https://l/2", Removal: true, At: ago(time.Second)}, {ObjectID: "https://l/1", At: ago(time.Second)}},
		want:   []dropbridge.Origin{"api", "api", "dropbox"}, used: []int{0, 1},
	}, {
		name:    "a file received is never the API's",
		changes: []tracker.Change{{Type: dropbridge.EventFileRequestFileReceived, ObjectID: "r1", After: obj, File: obj}},
		writes:  []tracker.Write{{ObjectID: "r1", At: ago(time.Second)}},
		want:    []dropbridge.Origin{"dropbox"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, used := tracker.Attribute(tt.changes, tt.writes, now, tracker.DefaultOriginWindow)
			var origins []dropbridge.Origin
			for _, c := range got {
				origins = append(origins, c.Origin)
			}
			if diff := cmp.Diff(tt.want, origins); diff != "" {
				t.Errorf("origins (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.used, used); diff != "" {
				t.Errorf("used writes (-want +got):\n%s", diff)
			}
			for _, c := range tt.changes {
				if c.Origin != "" {
					t.Error("Attribute changed its input")
				}
			}
		})
	}
}

func TestChangeEvent(t *testing.T) {
	t.Parallel()
	conn := &dropbridge.Connection{ID: "conn_1", EnvironmentID: "env_1", ExternalUserID: "user-1"}
	f := mirrorOf(t, file("id:1", "/a", "r1", "h1"))
	res := f.ApplyPage(page(false, deleted("/a"), file("id:1", "/b", "r2", "h1"), file("id:2", "/c", "r3", "h3")))
	now := mustTime("2026-01-01T12:00:00Z")
	changes, _ := tracker.Attribute(res.Changes, []tracker.Write{{Rev: "r3", At: now}}, now, time.Minute)
	var got []string
	for _, c := range changes {
		e := c.Event(conn, newEventID(t), now)
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", c.Type, err)
		}
		got = append(got, string(e.Type)+" "+string(e.Origin)+" "+e.ConnectionID+" "+e.ExternalUserID)
	}
	want := []string{"file.moved dropbox conn_1 user-1", "file.created api conn_1 user-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
