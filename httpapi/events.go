package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/events"
)

// Event is one change of a connected account, as webhooks, the event
// stream and the pull feed tell it. Its ID is the same wherever and however
// often it is told: deduplicate by it.
type Event struct {
	ID             string          `json:"id" doc:"The event's ID: unique, and the same on every delivery." example:"evt_01jdz3k5q8m2x7c4v9b6n0p3rs"`
	Type           string          `json:"type" doc:"What happened, as <object>.<what happened>." example:"file.created"`
	SchemaVersion  int             `json:"schema_version" doc:"The version of this envelope; fields may be added without a new version."`
	Time           time.Time       `json:"time" doc:"When dropbridge saw the change."`
	EnvironmentID  string          `json:"environment_id"`
	ConnectionID   string          `json:"connection_id" doc:"The connection whose account changed."`
	ExternalUserID string          `json:"external_user_id" doc:"Your ID of the connection's end user."`
	Origin         string          `json:"origin" enum:"api,dropbox" doc:"api: the change was made through dropbridge (skip your own writes). dropbox: anything else."`
	ObjectID       string          `json:"object_id" doc:"The stable ID of the object that changed: a Dropbox id for files and folders."`
	Before         json.RawMessage `json:"before,omitempty" doc:"The object before the change, in Dropbox's shape; absent for creations."`
	After          json.RawMessage `json:"after,omitempty" doc:"The object after the change, in Dropbox's shape; absent for removals."`
	File           json.RawMessage `json:"file,omitempty" doc:"For file_request.file_received: the file that arrived."`
}

func eventOut(e *dropbridge.Event) Event {
	return Event{ID: e.ID, Type: string(e.Type), SchemaVersion: e.SchemaVersion, Time: e.Time, EnvironmentID: e.EnvironmentID,
		ConnectionID: e.ConnectionID, ExternalUserID: e.ExternalUserID, Origin: string(e.Origin), ObjectID: e.ObjectID,
		Before: e.Before, After: e.After, File: e.File}
}

func eventsOut(es []*dropbridge.Event) []Event {
	out := make([]Event, 0, len(es))
	for _, e := range es {
		out = append(out, eventOut(e))
	}
	return out
}

// eventTypes converts the types of a query.
func eventTypes(types []string) []dropbridge.EventType {
	var out []dropbridge.EventType
	for _, t := range types {
		out = append(out, dropbridge.EventType(t))
	}
	return out
}

type listEventsInput struct {
	After        string   `query:"after" doc:"Continue after this event: the next_after of the previous page, or the last ID you handled. Absent: from the oldest event kept."`
	ConnectionID string   `query:"connection_id" doc:"Only this connection's events."`
	Types        []string `query:"types" doc:"Only events of these types, comma-separated." example:"file.created,file.moved"`
	Limit        int      `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
}

type listEventsOutput struct {
	Body struct {
		Data      []Event `json:"data" doc:"Events in the order they were committed."`
		NextAfter string  `json:"next_after" doc:"Pass as after for the next page: the last event's ID, or the after you sent when there was none."`
		HasMore   bool    `json:"has_more" doc:"Whether the page is full, so that more may follow at once; when false, poll again later."`
	}
}

type streamEventsInput struct {
	LastEventID  string   `header:"Last-Event-ID" doc:"Resume after this event: what EventSource clients send when they reconnect."`
	After        string   `query:"after" doc:"Start after this event, when Last-Event-ID is absent. Absent both: from the oldest event kept."`
	ConnectionID string   `query:"connection_id" doc:"Only this connection's events."`
	Types        []string `query:"types" doc:"Only events of these types, comma-separated." example:"file.created,file.moved"`
}

type streamEventsOutput struct {
	Body func(huma.Context)
}

type listChangesInput struct {
	ID     string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Cursor string `query:"cursor" doc:"The cursor of the previous answer. Absent: from the connection's first change kept."`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
}

type listChangesOutput struct {
	Body struct {
		Changes []Event `json:"changes" doc:"The connection's changes since the cursor, oldest first, as events."`
		Cursor  string  `json:"cursor" doc:"Pass as cursor next time to get what changed since."`
		HasMore bool    `json:"has_more" doc:"Whether more changes follow at once."`
	}
}

func (s *Server) registerEvents() {
	tags := []string{"Events"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-events",
		Method:      http.MethodGet,
		Path:        "/v1/events",
		Summary:     "List events (the pull feed)",
		Description: "The environment's events in commit order, for applications without a webhook endpoint: " +
			"keep the next_after of each page and ask again with it. An unknown after is 422: start again without it.",
		Tags:     tags,
		Security: bearer,
		Errors:   []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, s.listEvents)
	huma.Register(s.api, huma.Operation{
		OperationID: "stream-events",
		Method:      http.MethodGet,
		Path:        "/v1/events/stream",
		Summary:     "Follow events (server-sent events)",
		Description: "A text/event-stream of the environment's events: each with id (the event's ID), event (its type) and " +
			"data (the event as JSON), then new ones as they happen, with a comment line as a heartbeat every 15 s of " +
			"silence. Reconnect with Last-Event-ID to continue without gaps or repeats.",
		Tags:     tags,
		Security: bearer,
		Errors:   []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
		Responses: map[string]*huma.Response{
			"200": {Description: "The event stream.", Content: map[string]*huma.MediaType{"text/event-stream": {}}},
		},
	}, s.streamEvents)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-connection-changes",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/changes",
		Summary:     "List what changed in a connection's account",
		Description: "The connection's changes since a cursor, as events, from the mirror dropbridge keeps; Dropbox is not called. " +
			"The cursor is the ID of the last event seen.",
		Tags:     []string{"Connections"},
		Security: bearer,
		Errors:   []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.listChanges)
}

func (s *Server) listEvents(ctx context.Context, in *listEventsInput) (*listEventsOutput, error) {
	f := dropbridge.EventFilter{After: in.After, ConnectionID: in.ConnectionID, Types: eventTypes(in.Types), Limit: in.Limit}
	page, err := s.store.ListEvents(ctx, environmentID(ctx), f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &listEventsOutput{}
	out.Body.Data = eventsOut(page)
	out.Body.NextAfter = in.After
	if len(page) > 0 {
		out.Body.NextAfter = page[len(page)-1].ID
	}
	out.Body.HasMore = len(page) == f.PageSize()
	return out, nil
}

func (s *Server) streamEvents(ctx context.Context, in *streamEventsInput) (*streamEventsOutput, error) {
	f := dropbridge.EventFilter{After: in.After, ConnectionID: in.ConnectionID, Types: eventTypes(in.Types)}
	if in.LastEventID != "" {
		f.After = in.LastEventID
	}
	env := environmentID(ctx)
	// Bad input is a problem answer, before the stream starts.
	if err := f.Validate(); err != nil {
		return nil, s.fail(ctx, err)
	}
	if f.After != "" {
		if _, err := s.store.FindEventByID(ctx, env, f.After); err != nil {
			if dropbridge.ErrorCode(err) == dropbridge.ENOTFOUND {
				err = dropbridge.Errorf(dropbridge.EINVALID, "No event %q in this environment to continue after: it may have expired; start again without it.", f.After)
			}
			return nil, s.fail(ctx, err)
		}
	}
	return &streamEventsOutput{Body: func(hc huma.Context) {
		w, ok := hc.BodyWriter().(http.ResponseWriter)
		if !ok {
			panic("httpapi: the event stream needs an http.ResponseWriter")
		}
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives any write timeout; not every writer has one
		hc.SetHeader("Content-Type", "text/event-stream")
		hc.SetHeader("Cache-Control", "no-cache")
		hc.SetHeader("X-Accel-Buffering", "no") // nginx: do not buffer the stream
		hc.SetStatus(http.StatusOK)
		if err := rc.Flush(); err != nil {
			s.logger.WarnContext(ctx, "event stream cannot flush", "error", err)
			return
		}
		ctx, stop := untilShutdown(hc.Context())
		defer stop()
		stream := &events.Stream{Store: s.store}
		if err := stream.Serve(ctx, w, rc.Flush, env, f); err != nil && ctx.Err() == nil {
			s.logger.WarnContext(ctx, "event stream ended", "error", err)
		}
	}}, nil
}

func (s *Server) listChanges(ctx context.Context, in *listChangesInput) (*listChangesOutput, error) {
	env := environmentID(ctx)
	if _, err := s.store.FindConnectionByID(ctx, env, in.ID); err != nil {
		return nil, s.fail(ctx, err)
	}
	f := dropbridge.EventFilter{After: in.Cursor, ConnectionID: in.ID, Limit: in.Limit}
	page, err := s.store.ListEvents(ctx, env, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &listChangesOutput{}
	out.Body.Changes = eventsOut(page)
	out.Body.Cursor = in.Cursor
	if len(page) > 0 {
		out.Body.Cursor = page[len(page)-1].ID
	}
	out.Body.HasMore = len(page) == f.PageSize()
	return out, nil
}

// shutdowns holds, per *http.Server that serves event streams, a context
// that ends when the server begins to shut down.
var shutdowns sync.Map // *http.Server -> context.Context

// untilShutdown returns a context that ends with ctx, a request's, or
// when the http.Server that serves the request begins to shut down: an
// event stream never ends by itself, and graceful shutdown waits for
// active requests, so streams end then (clients reconnect with
// Last-Event-ID to another instance, or after the restart).
func untilShutdown(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	srv, ok := ctx.Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return ctx, cancel
	}
	down, loaded := shutdowns.Load(srv)
	if !loaded {
		shutdownCtx, shut := context.WithCancel(context.Background())
		if down, loaded = shutdowns.LoadOrStore(srv, shutdownCtx); loaded {
			shut()
		} else {
			srv.RegisterOnShutdown(shut)
		}
	}
	stop := context.AfterFunc(down.(context.Context), cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}
