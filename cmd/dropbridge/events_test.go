package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/httpapi"
)

// scriptEventIDs makes the CLI tests' event IDs.
var scriptEventIDs dropbridge.EventIDs

// fileEvents applies one files mirror change to the service's connection
// that creates files at paths, with a file.created event each, through the
// store as change tracking does, and returns the events' IDs.
func (s *scriptService) fileEvents(t *testing.T, paths ...string) []string {
	t.Helper()
	ctx := t.Context()
	key, err := s.store.AuthenticateAPIKey(ctx, dropbridge.Secret(s.key))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := s.store.FindConnectionByID(ctx, key.EnvironmentID, s.conn)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := s.store.FindMirrorCursor(ctx, conn.EnvironmentID, conn.ID, dropbridge.MirrorFiles)
	if err != nil {
		t.Fatal(err)
	}
	ch := &dropbridge.MirrorChange{EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles,
		IfVersion: cur.Version, Cursor: fmt.Sprintf("cursor-%d", cur.Version+1)}
	var ids []string
	for _, p := range paths {
		id := "id:" + strings.Trim(p, "/")
		obj := json.RawMessage(fmt.Sprintf(`{".tag":"file","id":%q,"path_lower":%q,"path_display":%q,"rev":"r1"}`,
			id, strings.ToLower(p), p))
		ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: id, Entry: &dropbridge.Entry{ID: id,
			PathLower: strings.ToLower(p), Kind: dropbridge.EntryFile, Rev: "r1", ContentHash: "h", Object: obj}})
		now := time.Now()
		eid, err := scriptEventIDs.New(now)
		if err != nil {
			t.Fatal(err)
		}
		ch.Events = append(ch.Events, dropbridge.Event{ID: eid, Type: dropbridge.EventFileCreated,
			SchemaVersion: dropbridge.EventSchemaVersion, Time: now, EnvironmentID: conn.EnvironmentID,
			ConnectionID: conn.ID, ExternalUserID: conn.ExternalUserID, Origin: dropbridge.OriginDropbox,
			ObjectID: id, After: obj})
		ids = append(ids, eid)
	}
	if _, err := s.store.ApplyMirrorChange(ctx, ch); err != nil {
		t.Fatal(err)
	}
	return ids
}

// clientArgs are the flags that point a command at the service.
func (s *scriptService) clientArgs(key string) []string {
	return []string{"--server", s.url, "--api-key", key}
}

func TestEventsListCmd(t *testing.T) {
	t.Parallel()
	s, err := startScriptService(t)
	if err != nil {
		t.Fatal(err)
	}
	ids := s.fileEvents(t, "/One.txt", "/Two.txt", "/Three.txt")

	out, errOut, err := runCmd(t, append([]string{"events", "list"}, s.clientArgs(s.key)...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") || errOut != "" {
		t.Fatalf("list printed:\n%s\n%s", out, errOut)
	}
	for i, p := range []string{"/One.txt", "/Two.txt", "/Three.txt"} {
		f := strings.Fields(lines[i+1])
		if len(f) != 5 || f[0] != ids[i] || f[2] != "file.created" || f[3] != s.conn || f[4] != p {
			t.Errorf("line %d: %q", i+1, lines[i+1])
		}
	}

	// A limit stops early and says how to go on; --after goes on.
	out, errOut, err = runCmd(t, append([]string{"events", "list", "--limit", "2", "--json"}, s.clientArgs(s.key)...)...)
	if err != nil {
		t.Fatal(err)
	}
	var got []httpapi.Event
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 || got[1].ID != ids[1] {
		t.Fatalf("--limit 2 --json: %v\n%s", err, out)
	}
	if !strings.Contains(errOut, "--after "+ids[1]) {
		t.Errorf("--limit 2 said %q", errOut)
	}
	out, _, err = runCmd(t, append([]string{"events", "list", "--after", ids[1], "--type", "file.created"}, s.clientArgs(s.key)...)...)
	if err != nil || !strings.Contains(out, ids[2]) || strings.Contains(out, ids[1]) {
		t.Errorf("--after: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, append([]string{"events", "list", "--type", "file.deleted"}, s.clientArgs(s.key)...)...)
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("--type file.deleted: %v\n%s", err, out)
	}

	// Another environment sees none of them; bad input is the service's problem.
	out, _, err = runCmd(t, append([]string{"events", "list"}, s.clientArgs(s.otherKey)...)...)
	if err != nil || strings.Contains(out, "evt_") {
		t.Errorf("other environment: %v\n%s", err, out)
	}
	_, _, err = runCmd(t, append([]string{"events", "list", "--type", "file.exploded"}, s.clientArgs(s.key)...)...)
	if err == nil || !strings.Contains(err.Error(), "file.exploded") || !strings.Contains(err.Error(), "422") {
		t.Errorf("unknown type: %v", err)
	}
}

// lineWriter collects a command's output and signals each write.
type lineWriter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	signal chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	select {
	case w.signal <- struct{}{}:
	default:
	}
	return n, err
}

func (w *lineWriter) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.TrimSpace(w.b.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// waitLines waits until the writer holds n lines.
func (w *lineWriter) waitLines(t *testing.T, n int) []string {
	t.Helper()
	for {
		if l := w.lines(); len(l) >= n {
			return l
		}
		select {
		case <-w.signal:
		case <-t.Context().Done():
			t.Fatalf("gave up waiting for %d lines; have %q", n, w.lines())
		}
	}
}

// startFollowing runs "dropbridge args..." until the returned stop, which
// returns the command's error.
func startFollowing(t *testing.T, args ...string) (*lineWriter, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out := &lineWriter{signal: make(chan struct{}, 1)}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(out)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { stop() })
	return out, stop
}

func TestEventsTailCmd(t *testing.T) {
	t.Parallel()
	s, err := startScriptService(t)
	if err != nil {
		t.Fatal(err)
	}
	ids := s.fileEvents(t, "/Before.txt")

	out, stop := startFollowing(t, append([]string{"events", "tail", "--json"}, s.clientArgs(s.key)...)...)
	out.waitLines(t, 1)
	// Events that happen while it follows come as they happen.
	ids = append(ids, s.fileEvents(t, "/During-1.txt", "/During-2.txt")...)
	lines := out.waitLines(t, 3)
	if err := stop(); err != nil {
		t.Fatalf("tail ended with %v", err)
	}
	for i, l := range lines {
		var e httpapi.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.ID != ids[i] {
			t.Errorf("line %d: %v: %s", i, err, l)
		}
	}

	// Text lines, after an event.
	out, stop = startFollowing(t, append([]string{"events", "tail", "--after", ids[1]}, s.clientArgs(s.key)...)...)
	l := out.waitLines(t, 1)[0]
	if f := strings.Fields(l); len(f) != 5 || f[1] != "file.created" || f[2] != s.conn || f[3] != "/During-2.txt" || f[4] != ids[2] {
		t.Errorf("tail --after printed %q", l)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// A refused request ends the tail with the service's problem.
	_, _, err = runCmd(t, append([]string{"events", "tail", "--after", "evt_nonsense"}, s.clientArgs(s.key)...)...)
	if err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("tail after a bad ID: %v", err)
	}
}
