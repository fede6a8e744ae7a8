package dropbridge

import (
	"context"
	"time"
	"unicode/utf8"
)

// ConnectionStatus says whether a connection's tokens work.
type ConnectionStatus string

// Connection statuses.
const (
	// ConnectionActive: the tokens work (or refresh).
	ConnectionActive ConnectionStatus = "active"
	// ConnectionNeedsReauth: Dropbox refused the refresh token
	// (invalid_grant); the end user must connect again.
	ConnectionNeedsReauth ConnectionStatus = "needs_reauth"
	// ConnectionRevoked: the connection was deleted and its token revoked;
	// the store has wiped its tokens.
	ConnectionRevoked ConnectionStatus = "revoked"
)

// Valid reports whether s is one of the three statuses.
func (s ConnectionStatus) Valid() bool {
	return s == ConnectionActive || s == ConnectionNeedsReauth || s == ConnectionRevoked
}

// Token is an OAuth token pair. The store keeps both tokens sealed.
type Token struct {
	AccessToken Secret
	// RefreshToken is empty for tokens that cannot be refreshed.
	RefreshToken Secret
	// Expiry is when AccessToken stops working; zero means never.
	Expiry time.Time
}

// Connection is one end user's connected Dropbox account, seen through one
// app. There is at most one per (environment, external user, account):
// connecting again updates it.
type Connection struct {
	ID            string `json:"id"`
	EnvironmentID string `json:"environment_id"`
	AppID         string `json:"app_id"`
	// ExternalUserID is the application's own ID of its end user.
	ExternalUserID string `json:"external_user_id"`
	// AccountID is the Dropbox account ID ("dbid:...").
	AccountID string `json:"account_id"`
	// TeamID is the Dropbox team's ID for team accounts, else empty.
	TeamID      string `json:"team_id,omitempty"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	// AccountType is Dropbox's account type: basic, pro or business.
	AccountType string `json:"account_type"`
	// Scopes are the scopes Dropbox granted.
	Scopes []string         `json:"scopes"`
	Status ConnectionStatus `json:"status"`
	Token  Token            `json:"-"`
	// TokenVersion grows by one with every change of Token; updates that
	// name the version they read never overwrite a newer token.
	TokenVersion int64     `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Validate returns an EINVALID error unless the connection names its
// environment, app, external user and account, has a valid status and
// scopes, and an access token.
func (c *Connection) Validate() error {
	switch {
	case c.EnvironmentID == "":
		return Errorf(EINVALID, "A connection needs an environment.")
	case c.AppID == "":
		return Errorf(EINVALID, "A connection needs an app.")
	case c.AccountID == "":
		return Errorf(EINVALID, "A connection needs the Dropbox account ID.")
	case !c.Status.Valid():
		return Errorf(EINVALID, "Connection status %q is not one of active, needs_reauth, revoked.", c.Status)
	case c.Status != ConnectionRevoked && c.Token.AccessToken == "":
		return Errorf(EINVALID, "A connection needs an access token.")
	}
	if err := validateExternalUserID(c.ExternalUserID); err != nil {
		return err
	}
	return ValidateScopes(c.Scopes)
}

func validateExternalUserID(id string) error {
	if id == "" || len(id) > 255 || !utf8.ValidString(id) {
		return Errorf(EINVALID, "The external_user_id must be 1 to 255 bytes of UTF-8: your application's ID of the end user.")
	}
	return nil
}

// ConnectionUpdate changes a connection; nil fields stay as they are.
type ConnectionUpdate struct {
	// IfTokenVersion, when not zero, makes the update conditional: it is
	// ECONFLICT unless the connection's TokenVersion still equals it. It is
	// required with Token, so that of two refreshes racing, the one that read
	// an older token loses instead of overwriting a newer one.
	IfTokenVersion int64
	// Token replaces the tokens and increments TokenVersion.
	Token *Token
	// Scopes replaces the granted scopes.
	Scopes *[]string
	// Status sets the status. ConnectionRevoked also wipes the tokens (and
	// increments TokenVersion).
	Status *ConnectionStatus
}

// Validate returns an EINVALID error for an update that sets a token without
// IfTokenVersion, an empty access token, or an invalid status or scopes.
func (upd ConnectionUpdate) Validate() error {
	if upd.Token != nil {
		if upd.IfTokenVersion == 0 {
			return Errorf(EINVALID, "A token update must name the token version it replaces.")
		}
		if upd.Token.AccessToken == "" {
			return Errorf(EINVALID, "A token update needs an access token.")
		}
	}
	if upd.Status != nil && !upd.Status.Valid() {
		return Errorf(EINVALID, "Connection status %q is not one of active, needs_reauth, revoked.", *upd.Status)
	}
	if upd.Scopes != nil {
		return ValidateScopes(*upd.Scopes)
	}
	return nil
}

// Apply returns a copy of c with the update applied, at time now: what a
// store writes for UpdateConnection. The caller checks IfTokenVersion.
func (upd ConnectionUpdate) Apply(c *Connection, now time.Time) *Connection {
	n := *c
	if upd.Token != nil {
		n.Token = *upd.Token
		n.TokenVersion++
	}
	if upd.Scopes != nil {
		n.Scopes = append([]string(nil), (*upd.Scopes)...)
	}
	if upd.Status != nil {
		n.Status = *upd.Status
		if n.Status == ConnectionRevoked && c.Status != ConnectionRevoked {
			n.Token = Token{}
			if upd.Token == nil {
				n.TokenVersion++
			}
		}
	}
	n.UpdatedAt = now
	return &n
}

// ConnectionFilter selects connections for ListConnections; empty fields
// match everything.
type ConnectionFilter struct {
	ExternalUserID string
	Status         ConnectionStatus
	// Cursor continues a listing where the page that returned it ended.
	Cursor string
	// Limit is the page size: 0 means DefaultPageSize; at most MaxPageSize.
	Limit int
}

// Page sizes of listings.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Validate returns an EINVALID error for an invalid status, limit or cursor.
func (f ConnectionFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return Errorf(EINVALID, "Connection status %q is not one of active, needs_reauth, revoked.", f.Status)
	}
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return Errorf(EINVALID, "The page size must be between 1 and %d.", MaxPageSize)
	}
	if f.Cursor != "" {
		if _, err := DecodeCursor(f.Cursor); err != nil {
			return err
		}
	}
	return nil
}

// PageSize returns the limit to use: Limit, or DefaultPageSize if zero.
func (f ConnectionFilter) PageSize() int {
	if f.Limit == 0 {
		return DefaultPageSize
	}
	return f.Limit
}

// ConnectionPage is one page of a listing.
type ConnectionPage struct {
	Connections []*Connection
	// NextCursor continues the listing; empty on the last page.
	NextCursor string
}

// ConnectionStore keeps connections. Methods are safe for concurrent use.
type ConnectionStore interface {
	// UpsertConnection stores c, or updates the connection of the same
	// environment, external user and Dropbox account: its app, profile,
	// scopes and tokens are replaced, its status becomes c.Status, and its
	// TokenVersion grows by one. c gets the stored ID, version and times. An
	// invalid c is EINVALID; an app unknown in the environment is ENOTFOUND.
	UpsertConnection(ctx context.Context, c *Connection) error
	// FindConnectionByID returns the environment's connection with id, or
	// ENOTFOUND.
	FindConnectionByID(ctx context.Context, environmentID, id string) (*Connection, error)
	// ListConnections returns a page of the environment's connections that
	// match f, oldest first. Paging is stable: a listing followed by its
	// cursors sees every connection that existed throughout exactly once.
	ListConnections(ctx context.Context, environmentID string, f ConnectionFilter) (*ConnectionPage, error)
	// UpdateConnection applies upd to the environment's connection with id and
	// returns the result. ENOTFOUND for an unknown connection; ECONFLICT when
	// upd.IfTokenVersion is set and no longer current; EINVALID for an
	// invalid update. A failed update changes nothing.
	UpdateConnection(ctx context.Context, environmentID, id string, upd ConnectionUpdate) (*Connection, error)
	// ListExpiringConnections returns the active connections, of every
	// environment, whose access token expires before f.Before, soonest
	// first, then by ID, from the position f names: what background token
	// refresh works through. A token without expiry is never listed. An
	// invalid filter is EINVALID.
	ListExpiringConnections(ctx context.Context, f ExpiringFilter) ([]*Connection, error)
}

// StaleTokenError is the ECONFLICT of a token update made from version
// want of a connection whose token is at version have.
func StaleTokenError(id string, want, have int64) error {
	return Errorf(ECONFLICT,
		"The token of connection %q changed meanwhile (version %d, not %d): read the connection again.", id, have, want)
}
