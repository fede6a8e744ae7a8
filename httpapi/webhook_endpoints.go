package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/webhooks"
)

// WebhookEndpoint is a URL of yours that receives events as signed POSTs
// (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).
// Its secret is shown only when it is made or set.
type WebhookEndpoint struct {
	ID           string    `json:"id" example:"we_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	URL          string    `json:"url" doc:"Where events are POSTed." example:"https://app.example.com/dropbridge"`
	Description  string    `json:"description,omitempty"`
	EventTypes   []string  `json:"event_types" doc:"The event types it receives; empty: all."`
	ConnectionID string    `json:"connection_id,omitempty" doc:"The one connection whose events it receives; absent: all."`
	Enabled      bool      `json:"enabled" doc:"Disabled endpoints receive nothing; their pending deliveries wait."`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// WebhookEndpointWithSecret is a webhook endpoint with its signing secret,
// as answered once, when the endpoint is made or its secret set.
type WebhookEndpointWithSecret struct {
	WebhookEndpoint
	Secret string `json:"secret,omitempty" doc:"The signing secret (whsec_...): keep it, it is not shown again. Present when the endpoint is made or its secret set." example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`
}

func webhookEndpointOut(w *dropbridge.WebhookEndpoint) WebhookEndpoint {
	types := make([]string, 0, len(w.EventTypes))
	for _, t := range w.EventTypes {
		types = append(types, string(t))
	}
	return WebhookEndpoint{ID: w.ID, URL: w.URL, Description: w.Description, EventTypes: types, ConnectionID: w.ConnectionID,
		Enabled: w.Enabled, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// Delivery is one event sent, or to be sent, to one webhook endpoint.
type Delivery struct {
	ID             string     `json:"id" example:"dlv_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	EndpointID     string     `json:"endpoint_id"`
	EventID        string     `json:"event_id" doc:"The event, sent as webhook-id."`
	EventType      string     `json:"event_type" example:"file.created"`
	ConnectionID   string     `json:"connection_id"`
	EventTime      time.Time  `json:"event_time"`
	Status         string     `json:"status" enum:"pending,succeeded,dead" doc:"pending: to be sent at next_attempt_at. succeeded: answered 2xx. dead: retries ran out; replay it."`
	Attempts       int        `json:"attempts" doc:"Every attempt ever made."`
	Failures       int        `json:"failures" doc:"Failed attempts since it was made or last replayed."`
	FirstAttemptAt *time.Time `json:"first_attempt_at,omitempty"`
	LastAttemptAt  *time.Time `json:"last_attempt_at,omitempty"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty" doc:"When a pending delivery is due."`
	CreatedAt      time.Time  `json:"created_at"`
}

// DeliveryAttempt is one logged attempt of a delivery.
type DeliveryAttempt struct {
	Number     int       `json:"number" doc:"Counts the delivery's attempts from 1."`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code" doc:"The endpoint's HTTP status; 0 when none came."`
	Error      string    `json:"error,omitempty" doc:"What went wrong."`
	DurationMS int64     `json:"duration_ms"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func deliveryOut(d *dropbridge.Delivery) Delivery {
	out := Delivery{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, EventType: string(d.EventType),
		ConnectionID: d.ConnectionID, EventTime: d.EventTime, Status: string(d.Status), Attempts: d.Attempts,
		Failures: d.Failures, FirstAttemptAt: optTime(d.FirstAttemptAt), LastAttemptAt: optTime(d.LastAttemptAt),
		CreatedAt: d.CreatedAt}
	if d.Status == dropbridge.DeliveryPending {
		out.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	return out
}

type webhookEndpointInput struct {
	ID string `path:"id" doc:"The webhook endpoint's ID." example:"we_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
}

type createWebhookEndpointInput struct {
	Body struct {
		URL          string   `json:"url" maxLength:"2048" doc:"An absolute http or https URL." example:"https://app.example.com/dropbridge"`
		Description  string   `json:"description,omitempty" maxLength:"500"`
		EventTypes   []string `json:"event_types,omitempty" doc:"Only these event types; absent or empty: all." example:"[\"file.created\",\"file.deleted\"]"`
		ConnectionID string   `json:"connection_id,omitempty" doc:"Only this connection's events; absent: all connections'."`
		Secret       string   `json:"secret,omitempty" doc:"The signing secret, whsec_ and 24 to 64 bytes in base64; absent: a new one is made."`
		Enabled      *bool    `json:"enabled,omitempty" doc:"Default true."`
	}
}

type updateWebhookEndpointInput struct {
	ID   string `path:"id" doc:"The webhook endpoint's ID."`
	Body struct {
		URL          *string   `json:"url,omitempty" maxLength:"2048"`
		Description  *string   `json:"description,omitempty" maxLength:"500"`
		EventTypes   *[]string `json:"event_types,omitempty" doc:"The new type filter; empty: all."`
		ConnectionID *string   `json:"connection_id,omitempty" doc:"The new connection filter; empty: all connections."`
		Secret       *string   `json:"secret,omitempty" doc:"A new signing secret; the answer shows it."`
		NewSecret    bool      `json:"new_secret,omitempty" doc:"Make a new signing secret; the answer shows it. Deliveries sign with it from then on."`
		Enabled      *bool     `json:"enabled,omitempty"`
	}
}

type webhookEndpointOutput struct {
	Body WebhookEndpoint
}

type webhookEndpointSecretOutput struct {
	Body WebhookEndpointWithSecret
}

type listWebhookEndpointsOutput struct {
	Body struct {
		Data []WebhookEndpoint `json:"data" doc:"The environment's webhook endpoints, oldest first."`
	}
}

type listDeliveriesInput struct {
	ID           string `path:"id" doc:"The webhook endpoint's ID."`
	Status       string `query:"status" enum:"pending,succeeded,dead" doc:"Only deliveries with this status: dead is the dead-letter list."`
	EventID      string `query:"event_id" doc:"Only the delivery of this event."`
	ConnectionID string `query:"connection_id" doc:"Only deliveries of this connection's events."`
	Since        string `query:"since" format:"date-time" doc:"Only events made at or after this time (RFC 3339)."`
	Until        string `query:"until" format:"date-time" doc:"Only events made before this time (RFC 3339)."`
	Limit        int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"How many, newest event first."`
}

type listDeliveriesOutput struct {
	Body struct {
		Data []Delivery `json:"data" doc:"Deliveries, newest event first."`
	}
}

type deliveryInput struct {
	ID         string `path:"id" doc:"The webhook endpoint's ID."`
	DeliveryID string `path:"delivery_id" doc:"The delivery's ID."`
}

type deliveryOutput struct {
	Body struct {
		Delivery
		AttemptLog []DeliveryAttempt `json:"attempt_log" doc:"Every attempt, oldest first."`
	}
}

type replayInput struct {
	ID   string `path:"id" doc:"The webhook endpoint's ID."`
	Body struct {
		EventID      string     `json:"event_id,omitempty" doc:"Replay the delivery of this event."`
		Since        *time.Time `json:"since,omitempty" doc:"Replay the deliveries of events made at or after this time."`
		Until        *time.Time `json:"until,omitempty" doc:"Replay the deliveries of events made before this time."`
		Status       string     `json:"status,omitempty" enum:"pending,succeeded,dead" doc:"Only deliveries with this status, such as dead."`
		ConnectionID string     `json:"connection_id,omitempty" doc:"Only deliveries of this connection's events."`
	}
}

type replayOutput struct {
	Body struct {
		Replayed int64 `json:"replayed" doc:"How many deliveries are pending again, due now."`
	}
}

func (s *Server) registerWebhookEndpoints() {
	tags := []string{"Webhook endpoints"}
	const base = "/v1/webhook-endpoints"
	notFound := []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity}
	huma.Register(s.api, huma.Operation{
		OperationID:   "create-webhook-endpoint",
		Method:        http.MethodPost,
		Path:          base,
		Summary:       "Create a webhook endpoint",
		Description:   "Events made from now on that pass the filters are POSTed to the URL, signed with the secret, which the answer shows once.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        notFound,
	}, s.createWebhookEndpoint)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-webhook-endpoints", Method: http.MethodGet, Path: base,
		Summary: "List webhook endpoints", Tags: tags, Security: bearer,
		Errors: []int{http.StatusUnauthorized},
	}, s.listWebhookEndpoints)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-webhook-endpoint", Method: http.MethodGet, Path: base + "/{id}",
		Summary: "Get a webhook endpoint", Tags: tags, Security: bearer, Errors: notFound,
	}, s.getWebhookEndpoint)
	huma.Register(s.api, huma.Operation{
		OperationID: "update-webhook-endpoint", Method: http.MethodPatch, Path: base + "/{id}",
		Summary:     "Update a webhook endpoint",
		Description: "Changes the fields sent. With secret or new_secret, the answer shows the new secret.",
		Tags:        tags, Security: bearer, Errors: notFound,
	}, s.updateWebhookEndpoint)
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-webhook-endpoint", Method: http.MethodDelete, Path: base + "/{id}",
		Summary: "Delete a webhook endpoint", Description: "Deletes the endpoint with its deliveries and their attempts.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent, Errors: notFound,
	}, s.deleteWebhookEndpoint)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: base + "/{id}/deliveries",
		Summary:     "List an endpoint's deliveries",
		Description: "With status=dead: the dead-letter list, deliveries whose retries ran out.",
		Tags:        tags, Security: bearer, Errors: notFound,
	}, s.listDeliveries)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-webhook-delivery", Method: http.MethodGet, Path: base + "/{id}/deliveries/{delivery_id}",
		Summary: "Get a delivery with its attempts", Tags: tags, Security: bearer, Errors: notFound,
	}, s.getDelivery)
	huma.Register(s.api, huma.Operation{
		OperationID: "replay-webhook-deliveries", Method: http.MethodPost, Path: base + "/{id}/replay",
		Summary: "Replay deliveries",
		Description: "Sends the delivery of one event (event_id), or of the events of a time range (since, until), again: " +
			"they are pending again, due now, with the same webhook-id, in event order per connection.",
		Tags: tags, Security: bearer, Errors: notFound,
	}, s.replayDeliveries)
}

// checkSecret returns an EINVALID error unless secret is a usable signing
// secret. The secret is never quoted.
func checkSecret(secret dropbridge.Secret) error {
	if _, err := webhooks.ParseSecret(secret); err != nil {
		return dropbridge.Errorf(dropbridge.EINVALID, "A webhook secret must be whsec_ and 24 to 64 bytes in standard base64; leave it out to get a new one.")
	}
	return nil
}

func (s *Server) createWebhookEndpoint(ctx context.Context, in *createWebhookEndpointInput) (*webhookEndpointSecretOutput, error) {
	b := &in.Body
	secret := dropbridge.Secret(b.Secret)
	if secret == "" {
		var err error
		if secret, err = webhooks.NewSecret(); err != nil {
			return nil, s.fail(ctx, err)
		}
	} else if err := checkSecret(secret); err != nil {
		return nil, s.fail(ctx, err)
	}
	w := &dropbridge.WebhookEndpoint{EnvironmentID: environmentID(ctx), URL: b.URL, Description: b.Description,
		EventTypes: eventTypes(b.EventTypes), ConnectionID: b.ConnectionID, Secret: secret, Enabled: b.Enabled == nil || *b.Enabled}
	if err := s.store.CreateWebhookEndpoint(ctx, w); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &webhookEndpointSecretOutput{Body: WebhookEndpointWithSecret{WebhookEndpoint: webhookEndpointOut(w), Secret: string(secret)}}, nil
}

func (s *Server) listWebhookEndpoints(ctx context.Context, _ *struct{}) (*listWebhookEndpointsOutput, error) {
	ws, err := s.store.ListWebhookEndpoints(ctx, environmentID(ctx))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &listWebhookEndpointsOutput{}
	out.Body.Data = make([]WebhookEndpoint, 0, len(ws))
	for _, w := range ws {
		out.Body.Data = append(out.Body.Data, webhookEndpointOut(w))
	}
	return out, nil
}

func (s *Server) getWebhookEndpoint(ctx context.Context, in *webhookEndpointInput) (*webhookEndpointOutput, error) {
	w, err := s.store.FindWebhookEndpointByID(ctx, environmentID(ctx), in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &webhookEndpointOutput{Body: webhookEndpointOut(w)}, nil
}

// updateWebhookEndpoint answers with the endpoint, and its secret when it
// changed.
func (s *Server) updateWebhookEndpoint(ctx context.Context, in *updateWebhookEndpointInput) (*webhookEndpointSecretOutput, error) {
	b := &in.Body
	upd := dropbridge.WebhookEndpointUpdate{URL: b.URL, Description: b.Description, ConnectionID: b.ConnectionID, Enabled: b.Enabled}
	if b.EventTypes != nil {
		types := eventTypes(*b.EventTypes)
		if types == nil {
			types = []dropbridge.EventType{}
		}
		upd.EventTypes = &types
	}
	switch {
	case b.Secret != nil && b.NewSecret:
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "Send secret or new_secret, not both."))
	case b.Secret != nil:
		secret := dropbridge.Secret(*b.Secret)
		if err := checkSecret(secret); err != nil {
			return nil, s.fail(ctx, err)
		}
		upd.Secret = &secret
	case b.NewSecret:
		secret, err := webhooks.NewSecret()
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		upd.Secret = &secret
	}
	w, err := s.store.UpdateWebhookEndpoint(ctx, environmentID(ctx), in.ID, upd)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &webhookEndpointSecretOutput{Body: WebhookEndpointWithSecret{WebhookEndpoint: webhookEndpointOut(w)}}
	if upd.Secret != nil {
		out.Body.Secret = string(*upd.Secret)
	}
	return out, nil
}

func (s *Server) deleteWebhookEndpoint(ctx context.Context, in *webhookEndpointInput) (*struct{}, error) {
	if err := s.store.DeleteWebhookEndpoint(ctx, environmentID(ctx), in.ID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}

// parseTime parses an RFC 3339 time of a query parameter; "" is zero.
func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, dropbridge.Errorf(dropbridge.EINVALID, "%s must be an RFC 3339 time, such as 2026-01-02T15:04:05Z.", name)
	}
	return t, nil
}

func (s *Server) listDeliveries(ctx context.Context, in *listDeliveriesInput) (*listDeliveriesOutput, error) {
	env := environmentID(ctx)
	if _, err := s.store.FindWebhookEndpointByID(ctx, env, in.ID); err != nil {
		return nil, s.fail(ctx, err)
	}
	f := dropbridge.DeliveryFilter{EndpointID: in.ID, EventID: in.EventID, ConnectionID: in.ConnectionID,
		Status: dropbridge.DeliveryStatus(in.Status), Limit: in.Limit}
	var err error
	if f.Since, err = parseTime("since", in.Since); err != nil {
		return nil, s.fail(ctx, err)
	}
	if f.Until, err = parseTime("until", in.Until); err != nil {
		return nil, s.fail(ctx, err)
	}
	ds, err := s.store.ListDeliveries(ctx, env, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &listDeliveriesOutput{}
	out.Body.Data = make([]Delivery, 0, len(ds))
	for _, d := range ds {
		out.Body.Data = append(out.Body.Data, deliveryOut(d))
	}
	return out, nil
}

func (s *Server) getDelivery(ctx context.Context, in *deliveryInput) (*deliveryOutput, error) {
	env := environmentID(ctx)
	d, err := s.store.FindDeliveryByID(ctx, env, in.DeliveryID)
	if err == nil && d.EndpointID != in.ID {
		err = dropbridge.Errorf(dropbridge.ENOTFOUND, "Webhook endpoint %q has no delivery %q.", in.ID, in.DeliveryID)
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	attempts, err := s.store.ListDeliveryAttempts(ctx, env, d.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &deliveryOutput{}
	out.Body.Delivery = deliveryOut(d)
	out.Body.AttemptLog = make([]DeliveryAttempt, 0, len(attempts))
	for _, a := range attempts {
		out.Body.AttemptLog = append(out.Body.AttemptLog, DeliveryAttempt{Number: a.Number, At: a.At, StatusCode: a.StatusCode,
			Error: a.Error, DurationMS: a.Duration.Milliseconds()})
	}
	return out, nil
}

func (s *Server) replayDeliveries(ctx context.Context, in *replayInput) (*replayOutput, error) {
	env := environmentID(ctx)
	b := &in.Body
	if b.EventID == "" && b.Since == nil && b.Until == nil {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "Say what to replay: event_id, or a time range with since and until."))
	}
	if _, err := s.store.FindWebhookEndpointByID(ctx, env, in.ID); err != nil {
		return nil, s.fail(ctx, err)
	}
	f := dropbridge.DeliveryFilter{EndpointID: in.ID, EventID: b.EventID, ConnectionID: b.ConnectionID,
		Status: dropbridge.DeliveryStatus(b.Status)}
	if b.Since != nil {
		f.Since = *b.Since
	}
	if b.Until != nil {
		f.Until = *b.Until
	}
	n, err := s.store.ReplayDeliveries(ctx, env, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &replayOutput{}
	out.Body.Replayed = n
	return out, nil
}
