package tracker_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/tracker"
	"github.com/google/go-cmp/cmp"
)

func TestFilesReceived(t *testing.T) {
	t.Parallel()
	f := mirrorOf(t, folder("id:in", "/inbox"), folder("id:in2", "/inbox/sub"), folder("id:o", "/other"))
	res := f.ApplyPage(page(false,
		file("id:1", "/inbox/a.pdf", "r1", "h1"),     // received
		file("id:2", "/inbox/sub/b.pdf", "r2", "h2"), // below the destination: not through the request
		file("id:3", "/other/c.pdf", "r3", "h3"),     // closed request
		file("id:4", "/inbox/d.pdf", "r4", "h4"),     // uploaded through dropbridge
		file("id:5", "/shared/e.pdf", "r5", "h5"),    // two open requests
		folder("id:6", "/inbox/f"),                   // a folder is no file received
	))
	changes, _ := tracker.Attribute(res.Changes, []tracker.Write{{Rev: "r4", At: mustTime("2026-01-01T00:00:00Z")}},
		mustTime("2026-01-01T00:00:01Z"), tracker.DefaultOriginWindow)
	requests := []dropbox.FileRequest{
		request("req1", true, "Inbox", "/Inbox/"), request("req2", false, "Other", "/Other"),
		request("req3", true, "S1", "/Shared"), request("req4", true, "S2", "/shared"),
		{ID: "req5", IsOpen: true}, // its destination is gone
	}
	got, err := tracker.FilesReceived(changes, requests)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range got {
		var r dropbox.FileRequest
		if err := json.Unmarshal(c.After, &r); err != nil || r.ID != c.ObjectID {
			t.Errorf("%s: After %s is not the request", c.ObjectID, c.After)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s %s", c.Type, c.ObjectID, pathOf(c.File), c.Origin))
	}
	want := []string{
		"file_request.file_received req1 /inbox/a.pdf dropbox",
		"file_request.file_received req3 /shared/e.pdf dropbox",
		"file_request.file_received req4 /shared/e.pdf dropbox",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	for _, c := range got {
		e := c.Event(&dropbridge.Connection{ID: "conn_1", EnvironmentID: "env_1", ExternalUserID: "u"}, newEventID(t), mustTime("2026-01-01T00:00:02Z"))
		if err := e.Validate(); err != nil {
			t.Errorf("event of %s: %v", c.ObjectID, err)
		}
	}
}
