package dropbridge

import (
	"context"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"
)

// WebhookEndpointIDPrefix starts every webhook endpoint ID.
const WebhookEndpointIDPrefix = "we_"

// WebhookEndpoint is a URL of the application's that receives events,
// signed per the Standard Webhooks scheme with Secret. The store keeps
// Secret sealed.
type WebhookEndpoint struct {
	ID            string `json:"id"`
	EnvironmentID string `json:"environment_id"`
	// URL receives the deliveries: an absolute http or https URL.
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	// EventTypes keeps the events of these types; empty means all.
	EventTypes []EventType `json:"event_types"`
	// ConnectionID keeps the events of one connection; empty means all.
	ConnectionID string `json:"connection_id,omitempty"`
	// Secret signs the deliveries ("whsec_...", see package webhooks).
	Secret Secret `json:"-"`
	// Enabled endpoints get deliveries; a disabled one gets none for the
	// events made while it is disabled, and its pending deliveries wait.
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate returns an EINVALID error unless the endpoint has an
// environment, an absolute http or https URL of at most 2048 bytes, a
// description of at most 500 characters, known event types without
// repeats, and a secret without spaces.
func (w *WebhookEndpoint) Validate() error {
	if w.EnvironmentID == "" {
		return Errorf(EINVALID, "A webhook endpoint needs an environment.")
	}
	u, err := url.Parse(w.URL)
	if err != nil || len(w.URL) > 2048 || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Errorf(EINVALID, "A webhook endpoint's URL must be an absolute http or https URL without credentials, such as https://app.example.com/dropbridge.")
	}
	if utf8.RuneCountInString(w.Description) > 500 {
		return Errorf(EINVALID, "A webhook endpoint's description must be at most 500 characters long.")
	}
	seen := map[EventType]bool{}
	for _, t := range w.EventTypes {
		if !t.Valid() {
			return Errorf(EINVALID, "Event type %q is not one dropbridge knows.", t)
		}
		if seen[t] {
			return Errorf(EINVALID, "Event type %q is listed twice.", t)
		}
		seen[t] = true
	}
	if !isToken(string(w.Secret)) {
		return Errorf(EINVALID, "A webhook endpoint needs a signing secret without spaces.")
	}
	return nil
}

// Matches reports whether the endpoint wants e: it is enabled, and e
// passes its event type and connection filters.
func (w *WebhookEndpoint) Matches(e *Event) bool {
	if !w.Enabled || e.EnvironmentID != w.EnvironmentID {
		return false
	}
	if w.ConnectionID != "" && w.ConnectionID != e.ConnectionID {
		return false
	}
	return len(w.EventTypes) == 0 || slices.Contains(w.EventTypes, e.Type)
}

// WebhookEndpointUpdate changes an endpoint; nil fields stay as they are.
type WebhookEndpointUpdate struct {
	URL          *string
	Description  *string
	EventTypes   *[]EventType
	ConnectionID *string
	Secret       *Secret
	Enabled      *bool
}

// Apply returns a copy of w with the update applied, validated, at time
// now: what a store writes for UpdateWebhookEndpoint. An invalid result is
// EINVALID.
func (upd WebhookEndpointUpdate) Apply(w *WebhookEndpoint, now time.Time) (*WebhookEndpoint, error) {
	n := *w
	if upd.URL != nil {
		n.URL = *upd.URL
	}
	if upd.Description != nil {
		n.Description = *upd.Description
	}
	if upd.EventTypes != nil {
		n.EventTypes = append([]EventType(nil), (*upd.EventTypes)...)
	}
	if upd.ConnectionID != nil {
		n.ConnectionID = *upd.ConnectionID
	}
	if upd.Secret != nil {
		n.Secret = *upd.Secret
	}
	if upd.Enabled != nil {
		n.Enabled = *upd.Enabled
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	n.UpdatedAt = now
	return &n, nil
}

// WebhookEndpointStore keeps webhook endpoints. Its methods are safe for
// concurrent use.
type WebhookEndpointStore interface {
	// CreateWebhookEndpoint validates w, gives it an ID and times and
	// stores it. An invalid w is EINVALID; an unknown environment, or a
	// connection filter naming a connection unknown in the environment, is
	// ENOTFOUND.
	CreateWebhookEndpoint(ctx context.Context, w *WebhookEndpoint) error
	// FindWebhookEndpointByID returns the environment's endpoint with id,
	// or ENOTFOUND.
	FindWebhookEndpointByID(ctx context.Context, environmentID, id string) (*WebhookEndpoint, error)
	// ListWebhookEndpoints returns the environment's endpoints, oldest
	// first.
	ListWebhookEndpoints(ctx context.Context, environmentID string) ([]*WebhookEndpoint, error)
	// UpdateWebhookEndpoint applies upd to the environment's endpoint with
	// id and returns the result. ENOTFOUND for an unknown endpoint or
	// connection; an invalid result is EINVALID and changes nothing.
	UpdateWebhookEndpoint(ctx context.Context, environmentID, id string, upd WebhookEndpointUpdate) (*WebhookEndpoint, error)
	// DeleteWebhookEndpoint deletes the environment's endpoint with id,
	// with its deliveries and their attempts; ENOTFOUND for an unknown one.
	DeleteWebhookEndpoint(ctx context.Context, environmentID, id string) error
}
