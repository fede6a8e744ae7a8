package events

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
)

// Defaults of Stream.
const (
	DefaultStreamPoll      = 250 * time.Millisecond
	DefaultStreamHeartbeat = 15 * time.Second
)

// EventLister is what a Stream needs of the database: dropbridge.EventStore's
// ListEvents.
type EventLister interface {
	ListEvents(ctx context.Context, environmentID string, f dropbridge.EventFilter) ([]*dropbridge.Event, error)
}

// Stream writes an environment's events as server-sent events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): each
// event as "id: <event id>", "event: <type>" and "data: <the event as
// JSON>", so that a client that reconnects with the last id it saw as
// Last-Event-ID continues without gaps or repeats; and a comment line as a
// heartbeat while nothing happens, so that proxies keep the connection.
// A Stream is safe for concurrent use: each Serve is one client.
type Stream struct {
	// Store is where the events come from (required).
	Store EventLister
	// PollInterval is how often the store is asked for new events; 0
	// means DefaultStreamPoll.
	PollInterval time.Duration
	// Heartbeat is how long the stream may stay silent before a heartbeat
	// comment; 0 means DefaultStreamHeartbeat.
	Heartbeat time.Duration
}

// Serve writes the events that f selects, from after f.After on (f.Limit
// is the size of each read), and then each new event as the store commits
// it, to w, calling flush after each batch and heartbeat. It returns when
// ctx ends (nil: the client went away), or with an error when a write or
// the store fails; a malformed or unknown f.After is EINVALID before
// anything is written.
func (s *Stream) Serve(ctx context.Context, w io.Writer, flush func() error, environmentID string, f dropbridge.EventFilter) error {
	poll, heartbeat := s.PollInterval, s.Heartbeat
	if poll <= 0 {
		poll = DefaultStreamPoll
	}
	if heartbeat <= 0 {
		heartbeat = DefaultStreamHeartbeat
	}
	if err := f.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	// The retry field asks EventSource clients to reconnect after 2 s.
	if _, err := io.WriteString(bw, "retry: 2000\n\n"); err != nil {
		return fmt.Errorf("write event stream: %w", err)
	}
	pollTicker := time.NewTicker(poll)
	defer pollTicker.Stop()
	beat := time.NewTimer(heartbeat)
	defer beat.Stop()
	for {
		page, err := s.Store.ListEvents(ctx, environmentID, f)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read events for the stream: %w", err)
		}
		for _, e := range page {
			if err := writeEvent(bw, e); err != nil {
				return err
			}
			f.After = e.ID
		}
		if len(page) > 0 || bw.Buffered() > 0 {
			if err := flushAll(bw, flush); err != nil {
				return err
			}
			beat.Reset(heartbeat)
		}
		if len(page) == f.PageSize() {
			continue // more are waiting
		}
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return nil
			case <-pollTicker.C:
				waiting = false
			case <-beat.C:
				if _, err := io.WriteString(bw, ": heartbeat\n\n"); err != nil {
					return fmt.Errorf("write event stream: %w", err)
				}
				if err := flushAll(bw, flush); err != nil {
					return err
				}
				beat.Reset(heartbeat)
			}
		}
	}
}

// writeEvent writes one event in the stream's format.
func writeEvent(w *bufio.Writer, e *dropbridge.Event) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	// Compact JSON holds no newline, so the data is one line.
	if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, data); err != nil {
		return fmt.Errorf("write event stream: %w", err)
	}
	return nil
}

// flushAll flushes the buffer and then the connection.
func flushAll(bw *bufio.Writer, flush func() error) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write event stream: %w", err)
	}
	if flush != nil {
		if err := flush(); err != nil {
			return fmt.Errorf("flush event stream: %w", err)
		}
	}
	return nil
}

// StreamEvent is one event of a server-sent event stream, as ReadStream
// reads it.
type StreamEvent struct {
	// ID is the id field: the event's ID.
	ID string
	// Type is the event field: the event's type.
	Type string
	// Data is the data field: the event as JSON.
	Data []byte
}

// ReadStream reads a server-sent event stream from r and calls fn with
// each event, skipping comments (heartbeats) and fields without data. It
// returns fn's error, the read error, or nil at the end of r.
func ReadStream(r io.Reader, fn func(StreamEvent) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var (
		ev      StreamEvent
		hasData bool
	)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if hasData {
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev, hasData = StreamEvent{}, false
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Type = value
		case "data":
			if hasData {
				ev.Data = append(ev.Data, '\n')
			}
			ev.Data, hasData = append(ev.Data, value...), true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read event stream: %w", err)
	}
	return nil
}
