// Package connect connects end users' Dropbox accounts and hands out
// Dropbox clients for the connections it made.
//
// The connect flow is OAuth 2.0's authorization code grant with PKCE
// (https://www.dropbox.com/developers/documentation/http/documentation#oauth2-authorize):
// CreateSession stores a connect session (the hash of a one-time state and a
// sealed PKCE verifier) and returns the URL of Dropbox's authorize page;
// Complete takes Dropbox's answer on the redirect URI, consumes the session
// once, exchanges the code for tokens, asks Dropbox whose account it is and
// stores the connection. Connecting the same external user and account again
// updates that connection.
//
// Do runs calls with a connection's Dropbox client: its access token is
// refreshed when it expires and the new token saved with the store's
// optimistic token version; a connection whose tokens Dropbox refuses
// becomes needs_reauth. Dropbox's errors come out of Do, Complete and Delete
// translated into dropbridge.Error codes, with the Dropbox error still in
// the chain for errors.As.
package connect

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// CallbackPath is the path, under the service's public URL, of the OAuth
// redirect URI that Dropbox sends users back to. Register PublicURL +
// CallbackPath as a redirect URI of every Dropbox app.
const CallbackPath = "/oauth/callback"

// DefaultSessionTTL is how long a connect session's URL works by default.
const DefaultSessionTTL = 30 * time.Minute

// Store is what the service needs of the database.
type Store interface {
	dropbridge.AppStore
	dropbridge.ConnectSessionStore
	dropbridge.ConnectionStore
}

// Service runs the connect flow and calls Dropbox for connections. Set its
// fields before first use; it is safe for concurrent use afterwards.
type Service struct {
	// Store keeps apps, connect sessions and connections.
	Store Store
	// PublicURL is the service's base URL as the end user's browser reaches
	// it, such as "https://dropbridge.example.com"; the OAuth redirect URI
	// is PublicURL + CallbackPath.
	PublicURL string
	// Dropbox says where Dropbox is; the zero value means Dropbox itself.
	Dropbox Endpoints
	// HTTPClient makes every request to Dropbox, the OAuth token requests
	// included; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives warnings, such as a refreshed token that could not be
	// saved; nil discards them. No secret is ever logged.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// SessionTTL is how long a connect session's URL works; 0 means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Events, when set, receives the connection.* events of what the
	// service does to connections: connection.created when a connect
	// session makes a new one, connection.needs_reauth when Dropbox refuses
	// its tokens, connection.revoked when it is deleted (see events.go).
	// nil records none.
	Events dropbridge.EventStore
	// WriteLog, when set, records every write that Do's clients make and
	// Dropbox confirms, so that change tracking can tell dropbridge's own
	// writes (origin "api") from others (see writes.go). nil records none.
	WriteLog dropbridge.WriteLogStore
	// OnConnection, when set, is called with the connection as stored
	// after the service creates one or changes its status (change
	// tracking starts and stops watching it). It must not block.
	OnConnection func(*dropbridge.Connection)

	// limits holds one *dropbox.Limits per connection ID, so that every
	// client of one connection paces its calls together.
	limits sync.Map
	// spaces holds what Do learned of each connection's token and root
	// namespace, and of the members acted as through team connections
	// (see team.go).
	spaces sync.Map
	// eventIDs makes the IDs of connection events.
	eventIDs dropbridge.EventIDs
	// writing holds one *inflight per connection ID: its writes not yet
	// recorded in WriteLog.
	writing sync.Map
}

// New returns a Service on store for a service reachable at publicURL,
// talking to Dropbox itself.
func New(store Store, publicURL string) *Service {
	return &Service{Store: store, PublicURL: publicURL}
}

// RedirectURI is the OAuth redirect URI to register with every Dropbox app
// that connects through the service.
func (s *Service) RedirectURI() string {
	return strings.TrimRight(s.PublicURL, "/") + CallbackPath
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) httpClient() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return http.DefaultClient
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) sessionTTL() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return DefaultSessionTTL
}

// limitsFor returns the limits shared by every client of a connection.
func (s *Service) limitsFor(connectionID string) *dropbox.Limits {
	if l, ok := s.limits.Load(connectionID); ok {
		return l.(*dropbox.Limits)
	}
	l, _ := s.limits.LoadOrStore(connectionID, dropbox.NewLimits())
	return l.(*dropbox.Limits)
}
