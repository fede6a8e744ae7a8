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

// BenchmarkReadMirrorFiles reads pages of 100 entries from the files
// mirror, as listings from the mirror do (a folder's children, the
// root's, and a page in the middle of a recursive listing), of an account
// with 100,100 entries (100 folders of 1,000 files) and, as the baseline
// in the same run and store, of one with 10,100 (100 folders of 100). It reports the time of a page of the
// large account and its ratio to the small one's: near 1 when a page
// costs what it reads, not what the account holds.
func BenchmarkReadMirrorFiles(b *testing.B) {
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
	if err := s.CreateEnvironment(ctx, env); err != nil {
		b.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "bench", AppKey: "k", AppSecret: "s"}
	if err := s.CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	// fill makes a connection whose mirror has 100 folders of perFolder
	// files each.
	fill := func(user string, perFolder int) string {
		conn := &dropbridge.Connection{EnvironmentID: env.ID, AppID: app.ID, ExternalUserID: user, AccountID: "dbid:" + user,
			Status: dropbridge.ConnectionActive, Token: dropbridge.Token{AccessToken: "a"}}
		if err := s.UpsertConnection(ctx, conn); err != nil {
			b.Fatal(err)
		}
		var version int64
		ch := &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles}
		flush := func() {
			ch.IfVersion, ch.Cursor = version, fmt.Sprintf("cursor-%d", version+1)
			if version, err = s.ApplyMirrorChange(ctx, ch); err != nil {
				b.Fatal(err)
			}
			ch.Entries = ch.Entries[:0]
		}
		put := func(id, p string, kind dropbridge.EntryKind) {
			tag := "file"
			if kind == dropbridge.EntryFolder {
				tag = "folder"
			}
			obj := json.RawMessage(fmt.Sprintf(`{".tag":%q,"id":%q,"path_lower":%q,"path_display":%q,"rev":"015f1","size":1024}`, tag, id, p, p))
			ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: id, Entry: &dropbridge.Entry{ID: id, PathLower: p, Kind: kind, Object: obj}})
			if len(ch.Entries) == 5000 {
				flush()
			}
		}
		for d := range 100 {
			put(fmt.Sprintf("id:d%03d", d), fmt.Sprintf("/d%03d", d), dropbridge.EntryFolder)
			for f := range perFolder {
				put(fmt.Sprintf("id:d%03d-f%05d", d, f), fmt.Sprintf("/d%03d/f%05d.txt", d, f), dropbridge.EntryFile)
			}
		}
		flush()
		return conn.ID
	}
	small, large := fill("small", 100), fill("large", 1000)
	// middle is where a page in the middle of folder /d050 starts.
	middle := func(n int) string { return fmt.Sprintf("/d050/f%05d", n/2-50) }
	queries := []struct {
		name string
		q    func(perFolder int) dropbridge.MirrorFilesQuery
	}{
		{"children", func(n int) dropbridge.MirrorFilesQuery {
			return dropbridge.MirrorFilesQuery{Path: "/d050", List: true, After: middle(n), Limit: 100}
		}},
		{"root", func(int) dropbridge.MirrorFilesQuery { return dropbridge.MirrorFilesQuery{List: true, Limit: 100} }},
		{"recursive", func(n int) dropbridge.MirrorFilesQuery {
			return dropbridge.MirrorFilesQuery{List: true, Recursive: true, After: middle(n), Limit: 100}
		}},
	}
	read := func(conn string, q dropbridge.MirrorFilesQuery) time.Duration {
		start := time.Now()
		page, err := s.ReadMirrorFiles(ctx, env.ID, conn, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Entries) != q.Limit {
			b.Fatalf("%d entries, want %d", len(page.Entries), q.Limit)
		}
		return time.Since(start)
	}
	onLarge, onSmall := make([]time.Duration, len(queries)), make([]time.Duration, len(queries))
	b.ResetTimer()
	for b.Loop() {
		for i, q := range queries {
			onSmall[i] += read(small, q.q(100))
			onLarge[i] += read(large, q.q(1000))
		}
	}
	for i, q := range queries {
		b.ReportMetric(float64(onLarge[i].Microseconds())/float64(b.N), q.name+"-µs/page")
		b.ReportMetric(float64(onLarge[i])/float64(onSmall[i]), q.name+"-ratio")
	}
}
