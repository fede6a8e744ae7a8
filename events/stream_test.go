package events_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/events"
)

// serveStream runs a stream of f's environment into a pipe until the
// returned cancel, and returns the pipe's reading end.
func serveStream(t *testing.T, s *events.Stream, envID string, filter dropbridge.EventFilter) (io.Reader, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := s.Serve(ctx, pw, nil, envID, filter)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		pr.Close()
		if err := <-done; err != nil && !strings.Contains(err.Error(), "closed pipe") {
			t.Errorf("Serve: %v", err)
		}
	})
	return pr, cancel
}

// readEvents reads n events of a stream.
func readEvents(t *testing.T, r io.Reader, n int) []events.StreamEvent {
	t.Helper()
	var out []events.StreamEvent
	errDone := io.EOF
	err := events.ReadStream(r, func(e events.StreamEvent) error {
		out = append(out, e)
		if len(out) == n {
			return errDone
		}
		return nil
	})
	if err != errDone {
		t.Fatalf("read %d of %d events: %v", len(out), n, err)
	}
	return out
}

func TestStreamResumesWithoutGapsOrRepeats(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		alice := f.connection(f.app, "alice")
		_, otherApp := f.environment("other")
		bob := f.connection(otherApp, "bob")
		want := eventIDsOf(f.createFiles(alice, 3))
		f.createFiles(bob, 2)

		s := &events.Stream{Store: f.store, PollInterval: 5 * time.Millisecond}
		r, stop := serveStream(t, s, f.env.ID, dropbridge.EventFilter{Limit: 2})
		got := readEvents(t, r, 3)
		// New events come while the client follows.
		more := f.createFiles(alice, 2)
		want = append(want, eventIDsOf(more)...)
		got = append(got, readEvents(t, r, 2)...)
		stop()
		var ids []string
		for _, e := range got {
			var ev dropbridge.Event
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.ID != e.ID || string(ev.Type) != e.Type || ev.EnvironmentID != f.env.ID {
				t.Errorf("stream event %s %s holds %s %s of %s", e.ID, e.Type, ev.ID, ev.Type, ev.EnvironmentID)
			}
			ids = append(ids, e.ID)
		}
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("streamed (-want +got):\n%s", diff)
		}

		// A client that reconnects with the third ID as Last-Event-ID gets the
		// rest, and then what comes next.
		r2, _ := serveStream(t, s, f.env.ID, dropbridge.EventFilter{After: want[2]})
		later := f.createFiles(alice, 1)
		got2 := readEvents(t, r2, 3)
		var ids2 []string
		for _, e := range got2 {
			ids2 = append(ids2, e.ID)
		}
		if diff := cmp.Diff(append(want[3:], later[0].ID), ids2); diff != "" {
			t.Errorf("resumed (-want +got):\n%s", diff)
		}
	})
}
func TestStreamHeartbeats(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		s := &events.Stream{Store: f.store, PollInterval: time.Hour, Heartbeat: time.Millisecond}
		r, _ := serveStream(t, s, f.env.ID, dropbridge.EventFilter{})
		sc := bufio.NewScanner(r)
		var lines []string
		for len(lines) < 4 && sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if diff := cmp.Diff([]string{"retry: 2000", "", ": heartbeat", ""}, lines); diff != "" {
			t.Errorf("stream start (-want +got):\n%s", diff)
		}
	})
}
func TestStreamRefusesUnknownLastEventID(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		var ids dropbridge.EventIDs
		id, err := ids.New(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		s := &events.Stream{Store: f.store}
		err = s.Serve(t.Context(), &b, nil, f.env.ID, dropbridge.EventFilter{After: id})
		if dropbridge.ErrorCode(err) != dropbridge.EINVALID || b.Len() != 0 {
			t.Errorf("Serve after an unknown ID: %v, wrote %q", err, b.String())
		}
	})
}
