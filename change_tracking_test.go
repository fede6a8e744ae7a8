package dropbridge_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

func TestWebhookEndpointMatches(t *testing.T) {
	t.Parallel()
	e := &dropbridge.Event{EnvironmentID: "env_1", ConnectionID: "conn_1", Type: dropbridge.EventFileCreated}
	tests := []struct {
		name string
		w    dropbridge.WebhookEndpoint
		want bool
	}{
		{"everything", dropbridge.WebhookEndpoint{EnvironmentID: "env_1", Enabled: true}, true},
		{"disabled", dropbridge.WebhookEndpoint{EnvironmentID: "env_1"}, false},
		{"other environment", dropbridge.WebhookEndpoint{EnvironmentID: "env_2", Enabled: true}, false},
		{"its connection", dropbridge.WebhookEndpoint{EnvironmentID: "env_1", Enabled: true, ConnectionID: "conn_1"}, true},
		{"other connection", dropbridge.WebhookEndpoint{EnvironmentID: "env_1", Enabled: true, ConnectionID: "conn_2"}, false},
		{"its type", dropbridge.WebhookEndpoint{EnvironmentID: "env_1", Enabled: true,
			EventTypes: []dropbridge.EventType{dropbridge.EventFileDeleted, dropbridge.EventFileCreated}}, true},
		{"other types", dropbridge.WebhookEndpoint{EnvironmentID: "env_1", Enabled: true,
			EventTypes: []dropbridge.EventType{dropbridge.EventFileDeleted}}, false},
	}
	for _, tt := range tests {
		if got := tt.w.Matches(e); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWebhookEndpointValidate(t *testing.T) {
	t.Parallel()
	for url, valid := range map[string]bool{
		"https://app.example.com/hooks": true, "http://127.0.0.1:8080/x?y=1": true,
		"": false, "/hooks": false, "ftp://example.com/": false, "https://u:p@example.com/": false, "https:///x": false,
	} {
		w := &dropbridge.WebhookEndpoint{EnvironmentID: "env_1", URL: url, Secret: "whsec_x"}
		checkValid(t, w.Validate(), valid)
	}
	w := &dropbridge.WebhookEndpoint{EnvironmentID: "env_1", URL: "https://x.example.com/", Secret: "whsec_x"}
	_, err := dropbridge.WebhookEndpointUpdate{Secret: new(dropbridge.Secret)}.Apply(w, time.Now())
	checkValid(t, err, false)
	types := []dropbridge.EventType{dropbridge.EventFileCreated}
	n, err := dropbridge.WebhookEndpointUpdate{EventTypes: &types}.Apply(w, time.Now())
	checkValid(t, err, true)
	types[0] = dropbridge.EventFileDeleted
	if n.EventTypes[0] != dropbridge.EventFileCreated || w.EventTypes != nil {
		t.Error("Apply shares the update's slice or changes its input")
	}
}

func TestMirrorChangeValidate(t *testing.T) {
	t.Parallel()
	obj := json.RawMessage(`{".tag":"file","path_display":"/A.txt"}`)
	entry := &dropbridge.Entry{ID: "id:1", PathLower: "/a.txt", Kind: dropbridge.EntryFile, Object: obj}
	if got := entry.PathDisplay(); got != "/A.txt" {
		t.Errorf("PathDisplay = %q", got)
	}
	var ids dropbridge.EventIDs
	id, err := ids.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	event := dropbridge.Event{ID: id, Type: dropbridge.EventFileCreated, SchemaVersion: dropbridge.EventSchemaVersion,
		Time: time.Now(), EnvironmentID: "env_1", ConnectionID: "conn_1", ExternalUserID: "u", Origin: dropbridge.OriginAPI,
		ObjectID: "id:1", After: obj}
	ok := func() dropbridge.MirrorChange {
		return dropbridge.MirrorChange{EnvironmentID: "env_1", ConnectionID: "conn_1", Kind: dropbridge.MirrorFiles,
			Cursor: "c", Entries: []dropbridge.EntryUpdate{{ID: "id:1", Entry: entry}, {ID: "id:2"}},
			Events: []dropbridge.Event{event}}
	}
	tests := []struct {
		name  string
		mod   func(ch *dropbridge.MirrorChange)
		valid bool
	}{
		{"valid", func(*dropbridge.MirrorChange) {}, true},
		{"no connection", func(ch *dropbridge.MirrorChange) { ch.ConnectionID = "" }, false},
		{"unknown kind", func(ch *dropbridge.MirrorChange) { ch.Kind = "photos" }, false},
		{"negative version", func(ch *dropbridge.MirrorChange) { ch.IfVersion = -1 }, false},
		{"entries of a polled kind", func(ch *dropbridge.MirrorChange) { ch.Kind = dropbridge.MirrorSharedLinks }, false},
		{"objects of files", func(ch *dropbridge.MirrorChange) { ch.Objects = []dropbridge.MirrorObject{{Key: "k"}} }, false},
		{"polled objects", func(ch *dropbridge.MirrorChange) {
			ch.Kind, ch.Cursor, ch.Entries = dropbridge.MirrorSharedLinks, "", nil
			ch.Objects = []dropbridge.MirrorObject{{Key: "k", Object: json.RawMessage(`{}`)}, {Key: "gone"}}
		}, true},
		{"object without key", func(ch *dropbridge.MirrorChange) {
			ch.Kind, ch.Cursor, ch.Entries = dropbridge.MirrorSharedLinks, "", nil
			ch.Objects = []dropbridge.MirrorObject{{Object: json.RawMessage(`{}`)}}
		}, false},
		{"entry under another id", func(ch *dropbridge.MirrorChange) { ch.Entries[0].ID = "id:9" }, false},
		{"entry without path", func(ch *dropbridge.MirrorChange) {
			e := *entry
			e.PathLower = ""
			ch.Entries[0].Entry = &e
		}, false},
		{"entry of unknown kind", func(ch *dropbridge.MirrorChange) {
			e := *entry
			e.Kind = "link"
			ch.Entries[0].Entry = &e
		}, false},
		{"event of another connection", func(ch *dropbridge.MirrorChange) { ch.Events[0].ConnectionID = "conn_2" }, false},
		{"invalid event", func(ch *dropbridge.MirrorChange) { ch.Events[0].After = nil }, false},
	}
	for _, tt := range tests {
		ch := ok()
		ch.Events = append([]dropbridge.Event(nil), ch.Events...)
		ch.Entries = append([]dropbridge.EntryUpdate(nil), ch.Entries...)
		tt.mod(&ch)
		err := ch.Validate()
		if tt.valid != (err == nil) || (err != nil && dropbridge.ErrorCode(err) != dropbridge.EINVALID) {
			t.Errorf("%s: Validate = %v, want valid %v", tt.name, err, tt.valid)
		}
	}
}

func TestDeliveryValidate(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for name, tt := range map[string]struct {
		o     dropbridge.DeliveryOutcome
		valid bool
	}{
		"success":           {dropbridge.DeliveryOutcome{DeliveryID: "d", Token: "t", At: now, StatusCode: 200, Succeeded: true}, true},
		"retry":             {dropbridge.DeliveryOutcome{DeliveryID: "d", Token: "t", At: now, Error: "timeout", RetryAt: now}, true},
		"dead":              {dropbridge.DeliveryOutcome{DeliveryID: "d", Token: "t", At: now, StatusCode: 500}, true},
		"no token":          {dropbridge.DeliveryOutcome{DeliveryID: "d", At: now, Succeeded: true}, false},
		"no time":           {dropbridge.DeliveryOutcome{DeliveryID: "d", Token: "t", Succeeded: true}, false},
		"status":            {dropbridge.DeliveryOutcome{DeliveryID: "d", Token: "t", At: now, StatusCode: 1000}, false},
		"retried success":   {dropbridge.DeliveryOutcome{DeliveryID: "d", Token: "t", At: now, Succeeded: true, RetryAt: now}, false},
		"negative duration": {dropbridge.DeliveryOutcome{DeliveryID: "d", Token: "t", At: now, Duration: -1}, false},
	} {
		err := tt.o.Validate()
		if tt.valid != (err == nil) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
	checkValid(t, dropbridge.DeliveryFilter{Status: "lost"}.Validate(), false)
	checkValid(t, dropbridge.DeliveryFilter{Since: now, Until: now}.Validate(), false)
	checkValid(t, dropbridge.DeliveryFilter{Since: now, Until: now.Add(time.Second), Limit: 10}.Validate(), true)
	checkValid(t, dropbridge.EventFilter{After: "evt_nope"}.Validate(), false)
	checkValid(t, dropbridge.EventFilter{Limit: dropbridge.MaxPageSize + 1}.Validate(), false)
	checkValid(t, (&dropbridge.WriteRecord{EnvironmentID: "e", ConnectionID: "c", At: now}).Validate(), false)
	checkValid(t, (&dropbridge.WriteRecord{EnvironmentID: "e", ConnectionID: "c", At: now, Rev: "r"}).Validate(), true)
}
