package dropbridge

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// ConnectSession is one end user's way through the OAuth flow: created by the
// application, opened by the user, and consumed once when Dropbox sends the
// user back with the session's state. The store keeps only a hash of the
// state and seals the PKCE verifier.
type ConnectSession struct {
	ID             string   `json:"id"`
	EnvironmentID  string   `json:"environment_id"`
	AppID          string   `json:"app_id"`
	ExternalUserID string   `json:"external_user_id"`
	Scopes         []string `json:"scopes"`
	// RedirectURL is where the user lands after connecting; empty for the
	// service's own success page.
	RedirectURL string `json:"redirect_url,omitempty"`
	// StateHash is HashSecret of the OAuth state parameter.
	StateHash []byte `json:"-"`
	// PKCEVerifier is the PKCE code verifier (RFC 7636) sent with the code.
	PKCEVerifier Secret    `json:"-"`
	ExpiresAt    time.Time `json:"expires_at"`
	// ConsumedAt is when the user came back with the state; a session is
	// consumed once.
	ConsumedAt *time.Time `json:"consumed_at,omitempty"`
	// ConnectionID is the connection the session made or updated, once
	// completed.
	ConnectionID string    `json:"connection_id,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Validate returns an EINVALID error unless the session names its
// environment, app and external user, has valid scopes, an absolute http(s)
// redirect URL or none, a state hash, a PKCE verifier of RFC 7636's shape and
// an expiry.
func (s *ConnectSession) Validate() error {
	switch {
	case s.EnvironmentID == "":
		return Errorf(EINVALID, "A connect session needs an environment.")
	case s.AppID == "":
		return Errorf(EINVALID, "A connect session needs an app.")
	case len(s.StateHash) != 32:
		return Errorf(EINVALID, "A connect session needs the SHA-256 hash of its OAuth state.")
	case !validVerifier(string(s.PKCEVerifier)):
		return Errorf(EINVALID, "A connect session needs a PKCE verifier of 43 to 128 unreserved characters.")
	case s.ExpiresAt.IsZero():
		return Errorf(EINVALID, "A connect session needs an expiry time.")
	}
	if err := validateExternalUserID(s.ExternalUserID); err != nil {
		return err
	}
	if s.RedirectURL != "" {
		u, err := url.Parse(s.RedirectURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Errorf(EINVALID, "The redirect_url must be an absolute http or https URL.")
		}
	}
	return ValidateScopes(s.Scopes)
}

// validVerifier reports whether v has the shape RFC 7636 section 4.1 asks
// of a code verifier.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	return !strings.ContainsFunc(v, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
	})
}

// ConnectSessionStore keeps connect sessions. Methods are safe for
// concurrent use.
type ConnectSessionStore interface {
	// CreateConnectSession validates s, gives it an ID and creation time and
	// stores it. An app unknown in the environment is ENOTFOUND; an expiry
	// not in the future is EINVALID.
	CreateConnectSession(ctx context.Context, s *ConnectSession) error
	// FindConnectSessionByID returns the environment's session with id, or
	// ENOTFOUND.
	FindConnectSessionByID(ctx context.Context, environmentID, id string) (*ConnectSession, error)
	// ConsumeConnectSession marks the session whose OAuth state is state as
	// consumed and returns it, PKCE verifier included. It succeeds once per
	// session, however many callers race: the others get ECONFLICT. An
	// unknown state is ENOTFOUND; an expired session is EEXPIRED.
	ConsumeConnectSession(ctx context.Context, state Secret) (*ConnectSession, error)
	// CompleteConnectSession upserts c (as UpsertConnection) and records it
	// as the result of the environment's consumed session with id, in one
	// transaction. c's environment, app and external user are taken from the
	// session when empty and must match it otherwise (EINVALID). A session
	// not consumed, or already completed, is ECONFLICT.
	CompleteConnectSession(ctx context.Context, environmentID, id string, c *Connection) error
}

// ConnectionFromSession returns the connection that completes the consumed
// session cs: a copy of c whose environment, app and external user are taken
// from cs when empty. It is ECONFLICT if cs is not consumed or already
// completed, EINVALID if c names another environment, app or external user
// than cs, or is otherwise invalid. Stores call it in CompleteConnectSession.
func ConnectionFromSession(cs *ConnectSession, c *Connection) (*Connection, error) {
	switch {
	case cs.ConsumedAt == nil:
		return nil, Errorf(ECONFLICT, "Connect session %q has not been used yet: it completes after the user comes back from Dropbox.", cs.ID)
	case cs.ConnectionID != "":
		return nil, Errorf(ECONFLICT, "Connect session %q is already complete.", cs.ID)
	}
	n := *c
	for _, f := range []struct {
		name     string
		field    *string
		fromSess string
	}{
		{"environment", &n.EnvironmentID, cs.EnvironmentID},
		{"app", &n.AppID, cs.AppID},
		{"external user", &n.ExternalUserID, cs.ExternalUserID},
	} {
		if *f.field == "" {
			*f.field = f.fromSess
		} else if *f.field != f.fromSess {
			return nil, Errorf(EINVALID, "The connection's %s differs from its connect session's.", f.name)
		}
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}
