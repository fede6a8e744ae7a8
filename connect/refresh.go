package connect

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge"
)

// RefreshOutcome says what RefreshToken did with a connection.
type RefreshOutcome string

// Outcomes of RefreshToken.
const (
	// Refreshed: Dropbox issued a new access token and it was saved.
	Refreshed RefreshOutcome = "refreshed"
	// RefreshNotDue: the token does not expire before the time given
	// (another refresh got there first) or never expires; nothing was
	// done.
	RefreshNotDue RefreshOutcome = "not_due"
	// RefreshInactive: the connection needs reauthorization or was
	// revoked; nothing was done.
	RefreshInactive RefreshOutcome = "inactive"
	// RefreshUnrefreshable: the connection has no refresh token; nothing
	// was done.
	RefreshUnrefreshable RefreshOutcome = "unrefreshable"
	// RefreshSuperseded: the connection's token changed while the refresh
	// ran (another refresh, or the user connected again), so the result
	// was not saved; the newer token stands.
	RefreshSuperseded RefreshOutcome = "superseded"
	// RefreshNeedsReauth: Dropbox refused the refresh token
	// (invalid_grant), and the connection is now needs_reauth.
	RefreshNeedsReauth RefreshOutcome = "needs_reauth"
)

// RefreshToken refreshes the access token of the environment's connection
// id if it expires before dueBefore, through the connection's app at
// Dropbox's token endpoint, and saves the new token conditional on the
// token version it read, so that of two refreshes the later one cannot
// overwrite a newer token. The new token's expiry is counted from the
// service's clock (Now).
//
// When Dropbox refuses the refresh token (invalid_grant) the connection
// becomes needs_reauth and the outcome says so, without an error. An
// unknown connection is ENOTFOUND; other failures, such as Dropbox being
// unreachable or rate limiting, come back translated (see the package
// doc) for the caller to retry. It is safe for concurrent use.
func (s *Service) RefreshToken(ctx context.Context, environmentID, id string, dueBefore time.Time) (RefreshOutcome, error) {
	conn, err := s.Store.FindConnectionByID(ctx, environmentID, id)
	if err != nil {
		return "", fmt.Errorf("connect: refresh token: %w", err)
	}
	switch {
	case conn.Status != dropbridge.ConnectionActive:
		return RefreshInactive, nil
	case conn.Token.Expiry.IsZero() || !conn.Token.Expiry.Before(dueBefore):
		return RefreshNotDue, nil
	case conn.Token.RefreshToken == "":
		return RefreshUnrefreshable, nil
	}
	app, err := s.Store.FindAppByID(ctx, conn.EnvironmentID, conn.AppID)
	if err != nil {
		return "", fmt.Errorf("connect: refresh token of %s: find its app: %w", id, err)
	}
	src := s.oauthConfig(app, nil).TokenSource(s.oauthContext(ctx), &oauth2.Token{RefreshToken: string(conn.Token.RefreshToken)})
	tok, err := src.Token()
	// The token is issued, or refused: record that even if ctx ends now.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err != nil {
		if !refused(err) {
			return "", fmt.Errorf("connect: refresh token of %s: %w", id, translate(err))
		}
		status := dropbridge.ConnectionNeedsReauth
		after, err := s.Store.UpdateConnection(saveCtx, environmentID, id, dropbridge.ConnectionUpdate{IfTokenVersion: conn.TokenVersion, Status: &status})
		switch dropbridge.ErrorCode(err) {
		case "":
			s.logger().Info("connection needs the user to connect again", "connection", id)
			s.connectionChanged(saveCtx, dropbridge.EventConnectionNeedsReauth, conn, after)
			return RefreshNeedsReauth, nil
		case dropbridge.ECONFLICT:
			return RefreshSuperseded, nil
		}
		return "", fmt.Errorf("connect: refresh token of %s: mark it needs_reauth: %w", id, err)
	}
	next := dropbridge.Token{AccessToken: dropbridge.Secret(tok.AccessToken), RefreshToken: dropbridge.Secret(tok.RefreshToken), Expiry: tok.Expiry}
	if tok.ExpiresIn > 0 {
		next.Expiry = s.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if next.RefreshToken == "" { // Dropbox does not rotate refresh tokens
		next.RefreshToken = conn.Token.RefreshToken
	}
	_, err = s.Store.UpdateConnection(saveCtx, environmentID, id, dropbridge.ConnectionUpdate{IfTokenVersion: conn.TokenVersion, Token: &next})
	switch dropbridge.ErrorCode(err) {
	case "":
		return Refreshed, nil
	case dropbridge.ECONFLICT:
		return RefreshSuperseded, nil
	}
	return "", fmt.Errorf("connect: refresh token of %s: save it: %w", id, err)
}
