package connect

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// saveTimeout bounds the save of a refreshed token, which goes on when the
// call that caused the refresh is cancelled: Dropbox has issued the token.
const saveTimeout = 30 * time.Second

// Do calls fn with a Dropbox client for the environment's connection id,
// and ctx to make its calls with. The client refreshes the access token
// when it expires and saves the new one, conditional on the token version
// it read (a newer token saved meanwhile wins). When Dropbox refuses the
// connection's tokens (invalid_grant on refresh, or a revoked access
// token), the connection becomes needs_reauth.
//
// The client acts as the team member or admin that ctx names (AsMember,
// AsAdmin) through a team's connection, and sees the team space of a
// team-space member (see team.go).
//
// An unknown connection is ENOTFOUND; one that is not active is ECONFLICT
// without a call. fn's Dropbox errors are returned translated (see the
// package doc); other errors of fn pass unchanged. Do is safe for
// concurrent use; clients of one connection share its pacing (Limits).
func (s *Service) Do(ctx context.Context, environmentID, id string, fn func(ctx context.Context, c *dropbox.Client) error) error {
	conn, err := s.Store.FindConnectionByID(ctx, environmentID, id)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	switch conn.Status {
	case dropbridge.ConnectionNeedsReauth:
		return dropbridge.Errorf(dropbridge.ECONFLICT, "Connection %q needs the user to connect again: Dropbox no longer accepts its tokens. Send the user through a new connect session.", id)
	case dropbridge.ConnectionRevoked:
		return dropbridge.Errorf(dropbridge.ECONFLICT, "Connection %q was deleted: send the user through a new connect session.", id)
	}
	app, err := s.Store.FindAppByID(ctx, conn.EnvironmentID, conn.AppID)
	if err != nil {
		return fmt.Errorf("connect: find the connection's app: %w", err)
	}
	k := &keeper{s: s, conn: conn, version: conn.TokenVersion}
	err = s.run(s.oauthContext(ctx), conn, s.client(ctx, app, k), fn)
	if err == nil {
		return nil
	}
	if refused(err) {
		k.needsReauth(ctx)
	}
	return translate(err)
}

// Delete revokes the connection's token at Dropbox (auth/token/revoke,
// which also revokes its refresh token) and marks the connection revoked,
// wiping its tokens. A token that Dropbox already refuses counts as
// revoked; a connection already revoked is returned as it is. When
// Dropbox cannot be reached the connection is left unchanged, so that the
// caller may retry. An unknown connection is ENOTFOUND.
func (s *Service) Delete(ctx context.Context, environmentID, id string) (*dropbridge.Connection, error) {
	conn, err := s.Store.FindConnectionByID(ctx, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("connect: delete connection: %w", err)
	}
	if conn.Status == dropbridge.ConnectionRevoked {
		return conn, nil
	}
	app, err := s.Store.FindAppByID(ctx, conn.EnvironmentID, conn.AppID)
	if err != nil {
		return nil, fmt.Errorf("connect: delete connection: find its app: %w", err)
	}
	k := &keeper{s: s, conn: conn, version: conn.TokenVersion}
	if err := revokeToken(s.oauthContext(ctx), conn, s.client(ctx, app, k)); err != nil && !refused(err) {
		return nil, fmt.Errorf("connect: delete connection %s: revoke its token: %w", id, translate(err))
	}
	revoked := dropbridge.ConnectionRevoked
	before := conn
	conn, err = s.Store.UpdateConnection(ctx, environmentID, id, dropbridge.ConnectionUpdate{Status: &revoked})
	if err != nil {
		return nil, fmt.Errorf("connect: delete connection: %w", err)
	}
	s.connectionChanged(ctx, dropbridge.EventConnectionRevoked, before, conn)
	return conn, nil
}

// client returns a Dropbox client for k's connection through app.
func (s *Service) client(ctx context.Context, app *dropbridge.App, k *keeper) *dropbox.Client {
	tok := &oauth2.Token{
		AccessToken:  string(k.conn.Token.AccessToken),
		RefreshToken: string(k.conn.Token.RefreshToken),
		Expiry:       k.conn.Token.Expiry,
		TokenType:    "bearer",
	}
	opts := append(s.Dropbox.clientOptions(s.recordingClient(s.httpClient(), k.conn)),
		dropbox.WithOAuth2(s.oauthConfig(app, nil), tok, func(t *oauth2.Token) { k.save(ctx, t) }),
		dropbox.WithLimits(s.limitsFor(k.conn.ID)))
	return dropbox.New(opts...)
}

// keeper saves the tokens of one connection as the client refreshes them.
type keeper struct {
	s    *Service
	conn *dropbridge.Connection

	mu      sync.Mutex
	version int64 // the token version this client holds
}

// save stores a refreshed token, unless a newer one was saved meanwhile
// (then both work: Dropbox keeps earlier access tokens valid until they
// expire).
func (k *keeper) save(ctx context.Context, t *oauth2.Token) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	k.mu.Lock()
	defer k.mu.Unlock()
	upd := dropbridge.ConnectionUpdate{IfTokenVersion: k.version, Token: &dropbridge.Token{
		AccessToken: dropbridge.Secret(t.AccessToken), RefreshToken: dropbridge.Secret(t.RefreshToken), Expiry: t.Expiry}}
	c, err := k.s.Store.UpdateConnection(ctx, k.conn.EnvironmentID, k.conn.ID, upd)
	switch dropbridge.ErrorCode(err) {
	case "":
		k.version = c.TokenVersion
	case dropbridge.ECONFLICT:
		k.s.logger().Debug("refreshed token not saved: the connection has a newer one", "connection", k.conn.ID)
	default:
		k.s.logger().Warn("refreshed token not saved", "connection", k.conn.ID, "error", err)
	}
}

// needsReauth marks the connection needs_reauth, unless its tokens changed
// since this client read them (the user connected again meanwhile).
func (k *keeper) needsReauth(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	k.mu.Lock()
	defer k.mu.Unlock()
	status := dropbridge.ConnectionNeedsReauth
	c, err := k.s.Store.UpdateConnection(ctx, k.conn.EnvironmentID, k.conn.ID,
		dropbridge.ConnectionUpdate{IfTokenVersion: k.version, Status: &status})
	switch dropbridge.ErrorCode(err) {
	case "":
		k.s.logger().Info("connection needs the user to connect again", "connection", k.conn.ID)
		if k.conn.Status != dropbridge.ConnectionNeedsReauth {
			k.s.connectionChanged(ctx, dropbridge.EventConnectionNeedsReauth, k.conn, c)
		}
	case dropbridge.ECONFLICT:
	default:
		k.s.logger().Warn("connection not marked needs_reauth", "connection", k.conn.ID, "error", err)
	}
}
