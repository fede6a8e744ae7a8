package sqlite_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// BenchmarkApplyMirrorChange stores pages of 2,000 new entries, each with
// its file.created event, as an initial listing does, and reports entries
// per second.
func BenchmarkApplyMirrorChange(b *testing.B) {
	ctx := b.Context()
	keys, err := secrets.NewKeyring(secrets.Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, secrets.KeySize)})
	if err != nil {
		b.Fatal(err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), keys)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	env := &dropbridge.Environment{Name: "bench"}
	app := &dropbridge.App{Name: "bench", AppKey: "k", AppSecret: "s"}
	if err := s.CreateEnvironment(ctx, env); err != nil {
		b.Fatal(err)
	}
	app.EnvironmentID = env.ID
	if err := s.CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	conn := &dropbridge.Connection{EnvironmentID: env.ID, AppID: app.ID, ExternalUserID: "u", AccountID: "dbid:1",
		Status: dropbridge.ConnectionActive, Token: dropbridge.Token{AccessToken: "a"}}
	if err := s.UpsertConnection(ctx, conn); err != nil {
		b.Fatal(err)
	}
	const pageSize = 2000
	var ids dropbridge.EventIDs
	var version int64
	n := 0
	for b.Loop() {
		b.StopTimer()
		ch := &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles,
			IfVersion: version, Cursor: fmt.Sprintf("cursor-%d", version)}
		for range pageSize {
			n++
			id, p := fmt.Sprintf("id:%09d", n), fmt.Sprintf("/folder-%d/file-%d.txt", n/1000, n)
			obj := json.RawMessage(fmt.Sprintf(`{".tag":"file","id":%q,"path_lower":%q,"path_display":%q,"rev":"015f%d","size":1024,"content_hash":"%064d"}`, id, p, p, n, n))
			ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: id, Entry: &dropbridge.Entry{ID: id, PathLower: p,
				Kind: dropbridge.EntryFile, Rev: fmt.Sprintf("015f%d", n), ContentHash: fmt.Sprintf("%064d", n), Object: obj}})
			eid, err := ids.New(time.Now())
			if err != nil {
				b.Fatal(err)
			}
			ch.Events = append(ch.Events, dropbridge.Event{ID: eid, Type: dropbridge.EventFileCreated,
				SchemaVersion: dropbridge.EventSchemaVersion, Time: time.Now(), EnvironmentID: env.ID, ConnectionID: conn.ID,
				ExternalUserID: "u", Origin: dropbridge.OriginDropbox, ObjectID: id, After: obj})
		}
		b.StartTimer()
		if version, err = s.ApplyMirrorChange(ctx, ch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*pageSize)/b.Elapsed().Seconds(), "entries/s")
}
