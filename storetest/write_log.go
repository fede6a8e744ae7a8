package storetest

import (
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

// testWriteLog records dropbridge's writes, lists the recent ones, drops
// the ones a mirror change consumed, and sweeps the old ones.
func testWriteLog(t *testing.T, f *fixture) {
	prod, dev := f.env("production"), f.env("development")
	app := f.app(prod, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	other := f.connection(app, "user-2", "dbid:2")

	w1 := &dropbridge.WriteRecord{EnvironmentID: prod.ID, ConnectionID: conn.ID, ObjectID: "id:1", PathLower: "/a.txt",
		Rev: "015f1", ContentHash: "abc", At: f.clock.Now()}
	noErr(t, f.s.RecordWrite(f.ctx, w1), "RecordWrite")
	w2 := &dropbridge.WriteRecord{EnvironmentID: prod.ID, ConnectionID: conn.ID, PathLower: "/old", Removal: true,
		At: f.clock.Now().Add(time.Minute)}
	noErr(t, f.s.RecordWrite(f.ctx, w2), "RecordWrite")
	w3 := &dropbridge.WriteRecord{EnvironmentID: prod.ID, ConnectionID: conn.ID, ObjectID: "id:3",
		At: f.clock.Now().Add(2 * time.Minute)}
	noErr(t, f.s.RecordWrite(f.ctx, w3), "RecordWrite")
	wOther := &dropbridge.WriteRecord{EnvironmentID: prod.ID, ConnectionID: other.ID, ObjectID: "id:9", At: f.clock.Now()}
	noErr(t, f.s.RecordWrite(f.ctx, wOther), "RecordWrite")
	if w1.ID == 0 || w1.ID == w2.ID {
		t.Fatalf("write IDs %d and %d", w1.ID, w2.ID)
	}

	got, err := f.s.ListWrites(f.ctx, prod.ID, conn.ID, start)
	noErr(t, err, "ListWrites")
	diff(t, "writes", []*dropbridge.WriteRecord{w1, w2, w3}, got)
	got, err = f.s.ListWrites(f.ctx, prod.ID, conn.ID, start.Add(time.Minute))
	noErr(t, err, "ListWrites")
	diff(t, "writes since a minute", []*dropbridge.WriteRecord{w2, w3}, got)

	// A mirror change consumes what it matched; another connection's
	// write is not its to consume.
	_, err = f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: prod.ID, ConnectionID: conn.ID,
		Kind: dropbridge.MirrorFiles, Cursor: "c", ConsumedWrites: []int64{w2.ID, wOther.ID}})
	noErr(t, err, "ApplyMirrorChange")
	got, err = f.s.ListWrites(f.ctx, prod.ID, conn.ID, start)
	noErr(t, err, "ListWrites")
	diff(t, "writes after the change", []*dropbridge.WriteRecord{w1, w3}, got)
	got, err = f.s.ListWrites(f.ctx, prod.ID, other.ID, start)
	noErr(t, err, "ListWrites")
	diff(t, "other connection's writes", []*dropbridge.WriteRecord{wOther}, got)

	n, err := f.s.DeleteWritesBefore(f.ctx, start.Add(time.Minute))
	noErr(t, err, "DeleteWritesBefore")
	if n != 2 {
		t.Fatalf("swept %d writes, want 2", n)
	}
	got, err = f.s.ListWrites(f.ctx, prod.ID, conn.ID, start)
	noErr(t, err, "ListWrites")
	diff(t, "writes after the sweep", []*dropbridge.WriteRecord{w3}, got)

	wantCode(t, f.s.RecordWrite(f.ctx, &dropbridge.WriteRecord{EnvironmentID: prod.ID, ConnectionID: conn.ID, At: start}), dropbridge.EINVALID)
	wantCode(t, f.s.RecordWrite(f.ctx, &dropbridge.WriteRecord{EnvironmentID: dev.ID, ConnectionID: conn.ID, ObjectID: "x", At: start}), dropbridge.ENOTFOUND)
	_, err = f.s.ListWrites(f.ctx, dev.ID, conn.ID, start)
	wantCode(t, err, dropbridge.ENOTFOUND)
}

// testChangeTrackingIsolation calls the mirror, event and delivery methods
// with another environment's IDs: all miss and change nothing.
func testChangeTrackingIsolation(t *testing.T, f *fixture) {
	prod, dev := f.env("production"), f.env("development")
	app := f.app(prod, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	f.endpoint(prod, "https://app.example.com/", nil)
	e := f.event(conn, dropbridge.EventFileCreated, "id:1")
	a := entry("id:1", "/a.txt", dropbridge.EntryFile, "")
	_, err := f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: prod.ID, ConnectionID: conn.ID,
		Kind: dropbridge.MirrorFiles, Cursor: "c", Entries: puts(a), Events: []dropbridge.Event{e}})
	noErr(t, err, "ApplyMirrorChange")
	ds, err := f.s.ListDeliveries(f.ctx, prod.ID, dropbridge.DeliveryFilter{})
	noErr(t, err, "ListDeliveries")
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds))
	}

	_, err = f.s.FindMirrorCursor(f.ctx, dev.ID, conn.ID, dropbridge.MirrorFiles)
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: dev.ID, ConnectionID: conn.ID,
		Kind: dropbridge.MirrorFiles, IfVersion: 1, Cursor: "stolen"})
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.ListMirrorEntries(f.ctx, dev.ID, conn.ID, "", 10)
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.QueryMirrorEntries(f.ctx, dev.ID, conn.ID, dropbridge.MirrorQuery{IDs: []string{a.ID}})
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.ListMirrorObjects(f.ctx, dev.ID, conn.ID, dropbridge.MirrorSharedLinks)
	wantCode(t, err, dropbridge.ENOTFOUND)
	events, err := f.s.ListEvents(f.ctx, dev.ID, dropbridge.EventFilter{ConnectionID: conn.ID})
	noErr(t, err, "ListEvents")
	diff(t, "dev's events", []*dropbridge.Event(nil), events)
	_, err = f.s.FindDeliveryByID(f.ctx, dev.ID, ds[0].ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.ListDeliveryAttempts(f.ctx, dev.ID, ds[0].ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	devDs, err := f.s.ListDeliveries(f.ctx, dev.ID, dropbridge.DeliveryFilter{})
	noErr(t, err, "ListDeliveries")
	diff(t, "dev's deliveries", []*dropbridge.Delivery(nil), devDs)
	n, err := f.s.ReplayDeliveries(f.ctx, dev.ID, dropbridge.DeliveryFilter{EventID: e.ID})
	noErr(t, err, "ReplayDeliveries")
	if n != 0 {
		t.Fatalf("dev replayed %d of production's deliveries", n)
	}

	// Nothing above changed production.
	cur, err := f.s.FindMirrorCursor(f.ctx, prod.ID, conn.ID, dropbridge.MirrorFiles)
	noErr(t, err, "FindMirrorCursor")
	diff(t, "production's cursor", &dropbridge.MirrorCursor{Cursor: "c", Version: 1}, cur)
	diff(t, "production's mirror", []*dropbridge.Entry{a}, f.allEntries(conn, 10))
	got, err := f.s.FindDeliveryByID(f.ctx, prod.ID, ds[0].ID)
	noErr(t, err, "FindDeliveryByID")
	diff(t, "production's delivery", ds[0], got)
}
