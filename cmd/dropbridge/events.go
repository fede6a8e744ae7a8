package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/events"
	"github.com/dropbridge/dropbridge/httpapi"
)

// tailRetry is how long "events tail" waits before it reconnects to a
// stream that broke off.
const tailRetry = 2 * time.Second

// eventFilterFlags are the filters of "events list" and "events tail".
type eventFilterFlags struct {
	after      string
	connection string
	types      []string
}

func (f *eventFilterFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.after, "after", "", "start after this event ID")
	cmd.Flags().StringVar(&f.connection, "connection", "", "only this connection's events")
	cmd.Flags().StringSliceVar(&f.types, "type", nil, "only events of this type (repeat, or comma-separate, for several)")
}

// query returns the filters as query parameters.
func (f *eventFilterFlags) query() url.Values {
	q := url.Values{}
	if f.connection != "" {
		q.Set("connection_id", f.connection)
	}
	if len(f.types) > 0 {
		q.Set("types", strings.Join(f.types, ","))
	}
	return q
}

func newEventsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List and follow the events of connected accounts (through the REST API)",
		Long: `Read the events of the API key's environment, through the REST API of a running
service (--server, DROPBRIDGE_SERVER; the key from DROPBRIDGE_API_KEY): "list" reads the
pull feed, "tail" follows the live stream.`,
	}
	cf.register(cmd.PersistentFlags())

	var (
		listFilter eventFilterFlags
		limit      int
		listJSON   bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List events, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return errors.New("--limit must be at least 1")
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			q := listFilter.query()
			after := listFilter.after
			var (
				got     []httpapi.Event
				hasMore bool
			)
			for len(got) < limit {
				q.Set("limit", strconv.Itoa(min(limit-len(got), 1000)))
				q.Set("after", after)
				var p struct {
					Data      []httpapi.Event `json:"data"`
					NextAfter string          `json:"next_after"`
					HasMore   bool            `json:"has_more"`
				}
				if err := c.getJSON(cmd.Context(), "/v1/events", q, &p); err != nil {
					return err
				}
				got, after, hasMore = append(got, p.Data...), p.NextAfter, p.HasMore
				if !p.HasMore {
					break
				}
			}
			out := cmd.OutOrStdout()
			if listJSON {
				if got == nil {
					got = []httpapi.Event{}
				}
				if err := printJSON(out, got); err != nil {
					return err
				}
			} else {
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tTIME\tTYPE\tCONNECTION\tOBJECT")
				for _, e := range got {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.UTC().Format(time.RFC3339), e.Type, e.ConnectionID, eventObject(e))
				}
				if err := w.Flush(); err != nil {
					return err
				}
			}
			if hasMore && after != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "More events follow: continue with --after %s\n", after)
			}
			return nil
		},
	}
	listFilter.register(list)
	list.Flags().IntVar(&limit, "limit", 100, "list at most this many events")
	list.Flags().BoolVar(&listJSON, "json", false, "print the events as a JSON array")

	var (
		tailFilter eventFilterFlags
		tailJSON   bool
	)
	tail := &cobra.Command{
		Use:   "tail",
		Short: "Follow events as they happen, until interrupted",
		Long: `Follow the event stream: the events after --after (all kept events without it), then
each new one as it happens, one per line. When the stream breaks off, tail reconnects and
goes on after the last event it printed, without gaps or repeats.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			err = tailEvents(cmd.Context(), c, tailFilter, func(e httpapi.Event, raw []byte) error {
				if tailJSON {
					_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", raw)
					return err
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s  %-28s %s  %s  %s\n", e.Time.UTC().Format(time.RFC3339),
					e.Type, e.ConnectionID, eventObject(e), e.ID)
				return err
			}, cmd.ErrOrStderr())
			if cmd.Context().Err() != nil {
				return nil // interrupted: the normal end
			}
			return err
		},
	}
	tailFilter.register(tail)
	tail.Flags().BoolVar(&tailJSON, "json", false, "print each event as one line of JSON")
	cmd.AddCommand(list, tail)
	return cmd
}

// tailEvents follows the event stream and calls fn with each event and its
// JSON, reconnecting after the last event seen when the stream breaks off,
// until ctx ends or the service refuses the request. Reconnections are
// reported to errOut.
func tailEvents(ctx context.Context, c *apiClient, f eventFilterFlags, fn func(httpapi.Event, []byte) error, errOut io.Writer) error {
	last := f.after
	for {
		q := f.query()
		h := http.Header{"Accept": {"text/event-stream"}}
		if last != "" {
			h.Set("Last-Event-ID", last)
		}
		resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/events/stream", query: q, header: h})
		var problem *problemError
		if errors.As(err, &problem) || ctx.Err() != nil {
			return err
		}
		if err == nil {
			var stop error // ends the tail: not a broken stream
			err = events.ReadStream(resp.Body, func(se events.StreamEvent) error {
				var e httpapi.Event
				if err := json.Unmarshal(se.Data, &e); err != nil {
					stop = fmt.Errorf("read event %s: %w", se.ID, err)
					return stop
				}
				if err := fn(e, se.Data); err != nil {
					stop = err
					return stop
				}
				last = se.ID
				return nil
			})
			resp.Body.Close()
			if ctx.Err() != nil {
				return nil
			}
			if stop != nil {
				return stop
			}
		}
		if err == nil {
			err = errors.New("the service ended the stream")
		}
		fmt.Fprintf(errOut, "Event stream broke off (%v); reconnecting in %v.\n", err, tailRetry)
		t := time.NewTimer(tailRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// eventObject says which object an event is about: its path when it has
// one, else its ID.
func eventObject(e httpapi.Event) string {
	for _, raw := range []json.RawMessage{e.After, e.Before} {
		var o struct {
			PathDisplay string `json:"path_display"`
		}
		if len(raw) > 0 && json.Unmarshal(raw, &o) == nil && o.PathDisplay != "" {
			return o.PathDisplay
		}
	}
	return e.ObjectID
}
