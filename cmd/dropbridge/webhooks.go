package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/httpapi"
)

// webhookEndpointPath is the API path of webhook endpoint id, with more
// appended.
func webhookEndpointPath(id string, more ...string) string {
	return "/v1/webhook-endpoints/" + url.PathEscape(id) + strings.Join(more, "")
}

func newWebhooksCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Manage the webhook endpoints that receive events, and their deliveries (through the REST API)",
		Long: `Work with the webhook endpoints of the API key's environment, through the REST API of a
running service (--server, DROPBRIDGE_SERVER; the key from DROPBRIDGE_API_KEY). Events are
POSTed to each endpoint signed per the Standard Webhooks scheme, retried for a day, then
parked as dead letters until replayed.`,
	}
	cf.register(cmd.PersistentFlags())

	var (
		createURL, createConn, createDesc string
		createTypes                       []string
		createDisabled                    bool
	)
	create := &cobra.Command{
		Use:   "create --url URL",
		Short: "Create a webhook endpoint and print its signing secret, shown only this once",
		Long: `Create a webhook endpoint. The signing secret is $DROPBRIDGE_WEBHOOK_SECRET when set
(whsec_ and 24 to 64 bytes in base64), else a new one; it is printed once, on stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if createURL == "" {
				return errors.New("--url is required: where to POST the events")
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			body := map[string]any{"url": createURL, "enabled": !createDisabled}
			if createDesc != "" {
				body["description"] = createDesc
			}
			if len(createTypes) > 0 {
				body["event_types"] = createTypes
			}
			if createConn != "" {
				body["connection_id"] = createConn
			}
			if s := os.Getenv("DROPBRIDGE_WEBHOOK_SECRET"); s != "" {
				body["secret"] = s
			}
			var w httpapi.WebhookEndpointWithSecret
			if err := c.sendJSON(cmd.Context(), http.MethodPost, "/v1/webhook-endpoints", body, &w); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), w.Secret)
			fmt.Fprintf(cmd.ErrOrStderr(), "Created webhook endpoint %s for %s (%s). Its signing secret, above, is not shown again.\n",
				w.ID, w.URL, typesText(w.EventTypes))
			return nil
		},
	}
	create.Flags().StringVar(&createURL, "url", "", "the URL that receives the events (required)")
	create.Flags().StringSliceVar(&createTypes, "type", nil, "only events of this type (repeat, or comma-separate, for several); default all")
	create.Flags().StringVar(&createConn, "connection", "", "only this connection's events; default all connections'")
	create.Flags().StringVar(&createDesc, "description", "", "a note for yourself")
	create.Flags().BoolVar(&createDisabled, "disabled", false, "create it disabled: it receives nothing until enabled")

	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List webhook endpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var p page[httpapi.WebhookEndpoint]
			if err := c.getJSON(cmd.Context(), "/v1/webhook-endpoints", nil, &p); err != nil {
				return err
			}
			if listJSON {
				if p.Data == nil {
					p.Data = []httpapi.WebhookEndpoint{}
				}
				return printJSON(cmd.OutOrStdout(), p.Data)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tURL\tEVENTS\tCONNECTION\tENABLED\tCREATED")
			for _, e := range p.Data {
				conn := e.ConnectionID
				if conn == "" {
					conn = "all"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%t\t%s\n", e.ID, e.URL, typesText(e.EventTypes), conn, e.Enabled,
					e.CreatedAt.UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print the endpoints as a JSON array")

	del := &cobra.Command{
		Use:   "delete ENDPOINT_ID...",
		Short: "Delete webhook endpoints, with their deliveries",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			for _, id := range args {
				if err := c.sendJSON(cmd.Context(), http.MethodDelete, webhookEndpointPath(id), nil, nil); err != nil {
					return fmt.Errorf("delete %s: %w", id, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted webhook endpoint %s.\n", id)
			}
			return nil
		},
	}

	var (
		dStatus, dEvent, dConn string
		dLimit                 int
		dJSON                  bool
	)
	deliveries := &cobra.Command{
		Use:   "deliveries ENDPOINT_ID [DELIVERY_ID]",
		Short: "List an endpoint's deliveries (--status dead: the dead letters), or show one with its attempts",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(args) == 2 {
				var d struct {
					httpapi.Delivery
					AttemptLog []httpapi.DeliveryAttempt `json:"attempt_log"`
				}
				if err := c.getJSON(cmd.Context(), webhookEndpointPath(args[0], "/deliveries/", url.PathEscape(args[1])), nil, &d); err != nil {
					return err
				}
				if dJSON {
					return printJSON(out, d)
				}
				return printDelivery(out, d.Delivery, d.AttemptLog)
			}
			q := url.Values{"limit": {strconv.Itoa(dLimit)}}
			for k, v := range map[string]string{"status": dStatus, "event_id": dEvent, "connection_id": dConn} {
				if v != "" {
					q.Set(k, v)
				}
			}
			var p page[httpapi.Delivery]
			if err := c.getJSON(cmd.Context(), webhookEndpointPath(args[0], "/deliveries"), q, &p); err != nil {
				return err
			}
			if dJSON {
				if p.Data == nil {
					p.Data = []httpapi.Delivery{}
				}
				return printJSON(out, p.Data)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tEVENT\tTYPE\tCONNECTION\tSTATUS\tATTEMPTS\tLAST ATTEMPT\tNEXT ATTEMPT")
			for _, d := range p.Data {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.EventID, d.EventType, d.ConnectionID, d.Status,
					d.Attempts, timeText(d.LastAttemptAt), timeText(d.NextAttemptAt))
			}
			return w.Flush()
		},
	}
	deliveries.Flags().StringVar(&dStatus, "status", "", "only deliveries with this status: pending, succeeded or dead")
	deliveries.Flags().StringVar(&dEvent, "event", "", "only the delivery of this event")
	deliveries.Flags().StringVar(&dConn, "connection", "", "only deliveries of this connection's events")
	deliveries.Flags().IntVar(&dLimit, "limit", 100, "list at most this many, newest event first (1 to 1000)")
	deliveries.Flags().BoolVar(&dJSON, "json", false, "print JSON")

	var (
		rEvent, rSince, rUntil, rStatus, rConn string
	)
	replay := &cobra.Command{
		Use:   "replay ENDPOINT_ID (--event EVENT_ID | --since TIME [--until TIME])",
		Short: "Send deliveries again: of one event, or of the events of a time range",
		Long: `Make deliveries pending again, due now: the delivery of one event (--event), or those of
the events made in a time range (--since, --until: RFC 3339 times, or durations before now
such as 2h), optionally only dead ones (--status dead). They go out again with the same
webhook-id, in event order per connection.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rEvent == "" && rSince == "" && rUntil == "" {
				return errors.New("say what to replay: --event EVENT_ID, or a time range with --since (and --until)")
			}
			body := map[string]any{}
			now := time.Now()
			for name, v := range map[string]string{"since": rSince, "until": rUntil} {
				if v == "" {
					continue
				}
				t, err := parseWhen(v, now)
				if err != nil {
					return fmt.Errorf("--%s: %w", name, err)
				}
				body[name] = t
			}
			for k, v := range map[string]string{"event_id": rEvent, "status": rStatus, "connection_id": rConn} {
				if v != "" {
					body[k] = v
				}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			var r struct {
				Replayed int64 `json:"replayed"`
			}
			if err := c.sendJSON(cmd.Context(), http.MethodPost, webhookEndpointPath(args[0], "/replay"), body, &r); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Replaying %d deliveries to %s.\n", r.Replayed, args[0])
			return nil
		},
	}
	replay.Flags().StringVar(&rEvent, "event", "", "replay the delivery of this event")
	replay.Flags().StringVar(&rSince, "since", "", "replay deliveries of events made at or after this time (RFC 3339, or a duration ago such as 2h)")
	replay.Flags().StringVar(&rUntil, "until", "", "replay deliveries of events made before this time (RFC 3339, or a duration ago)")
	replay.Flags().StringVar(&rStatus, "status", "", "only deliveries with this status, such as dead")
	replay.Flags().StringVar(&rConn, "connection", "", "only deliveries of this connection's events")

	cmd.AddCommand(create, list, del, deliveries, replay)
	return cmd
}

// parseWhen parses an RFC 3339 time, or a duration before now ("2h").
func parseWhen(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-01-02T15:04:05Z) nor a duration (90m)", v)
	}
	return t, nil
}

// typesText describes an event type filter.
func typesText(types []string) string {
	if len(types) == 0 {
		return "all events"
	}
	return strings.Join(types, ",")
}

// timeText writes an optional time, or "-".
func timeText(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// printDelivery writes a delivery and its attempts.
func printDelivery(out io.Writer, d httpapi.Delivery, attempts []httpapi.DeliveryAttempt) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "id:\t%s\nevent:\t%s (%s)\nconnection:\t%s\nstatus:\t%s\nattempts:\t%d\nnext attempt:\t%s\n",
		d.ID, d.EventID, d.EventType, d.ConnectionID, d.Status, d.Attempts, timeText(d.NextAttemptAt))
	if err := w.Flush(); err != nil {
		return err
	}
	if len(attempts) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "#\tAT\tSTATUS\tDURATION\tERROR")
	for _, a := range attempts {
		status := "-"
		if a.StatusCode != 0 {
			status = strconv.Itoa(a.StatusCode)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%dms\t%s\n", a.Number, a.At.UTC().Format(time.RFC3339), status, a.DurationMS, a.Error)
	}
	return w.Flush()
}
