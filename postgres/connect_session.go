package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// CreateConnectSession implements dropbridge.ConnectSessionStore.
func (s *Store) CreateConnectSession(ctx context.Context, cs *dropbridge.ConnectSession) error {
	if err := cs.Validate(); err != nil {
		return err
	}
	now := s.now()
	expires := micro(cs.ExpiresAt)
	if !expires.After(now) {
		return dropbridge.Errorf(dropbridge.EINVALID, "A connect session must expire in the future.")
	}
	id, err := dropbridge.NewID(dropbridge.ConnectSessionIDPrefix)
	if err != nil {
		return err
	}
	verifier, err := s.seal(cs.PKCEVerifier, "connect_sessions", "pkce_verifier", id)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM apps WHERE environment_id = $1 AND id = $2 FOR KEY SHARE`, cs.EnvironmentID, cs.AppID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return dropbridge.NotFoundError("app", cs.AppID)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO connect_sessions
			(id, environment_id, app_id, external_user_id, scopes, redirect_url, state_hash, pkce_verifier, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, cs.EnvironmentID, cs.AppID, cs.ExternalUserID, scopes(cs.Scopes), cs.RedirectURL, cs.StateHash, verifier, expires, now)
		if isCode(err, codeUniqueViolation) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "A connect session with this state already exists.")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create connect session: %w", err)
	}
	cs.ID, cs.CreatedAt, cs.ExpiresAt, cs.ConsumedAt, cs.ConnectionID = id, now, expires, nil, ""
	return nil
}

// FindConnectSessionByID implements dropbridge.ConnectSessionStore.
func (s *Store) FindConnectSessionByID(ctx context.Context, environmentID, id string) (*dropbridge.ConnectSession, error) {
	cs, err := s.findConnectSession(ctx, s.pool, `WHERE environment_id = $1 AND id = $2`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: find connect session: %w", err)
	}
	if cs == nil {
		return nil, dropbridge.NotFoundError("connect session", id)
	}
	return cs, nil
}

// ConsumeConnectSession implements dropbridge.ConnectSessionStore.
func (s *Store) ConsumeConnectSession(ctx context.Context, state dropbridge.Secret) (*dropbridge.ConnectSession, error) {
	hash := dropbridge.HashSecret(state)
	now := s.now()
	var cs *dropbridge.ConnectSession
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The row lock makes racing callbacks queue; each sees the
		// consumed_at its predecessor wrote.
		var err error
		cs, err = s.findConnectSession(ctx, tx, `WHERE state_hash = $1 FOR NO KEY UPDATE`, hash)
		switch {
		case err != nil:
			return err
		case cs == nil:
			return dropbridge.Errorf(dropbridge.ENOTFOUND, "No connect session has this state: start the connection again.")
		case cs.ConsumedAt != nil:
			return dropbridge.Errorf(dropbridge.ECONFLICT, "This connect session was already used: start the connection again.")
		case !now.Before(cs.ExpiresAt):
			return dropbridge.Errorf(dropbridge.EEXPIRED, "This connect session has expired: start the connection again.")
		}
		tag, err := tx.Exec(ctx, `UPDATE connect_sessions SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL`, now, cs.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "This connect session was already used: start the connection again.")
		}
		cs.ConsumedAt = &now
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: consume connect session: %w", err)
	}
	return cs, nil
}

// CompleteConnectSession implements dropbridge.ConnectSessionStore.
func (s *Store) CompleteConnectSession(ctx context.Context, environmentID, id string, c *dropbridge.Connection) error {
	var stored *dropbridge.Connection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cs, err := s.findConnectSession(ctx, tx, `WHERE environment_id = $1 AND id = $2 FOR NO KEY UPDATE`, environmentID, id)
		switch {
		case err != nil:
			return err
		case cs == nil:
			return dropbridge.NotFoundError("connect session", id)
		}
		conn, err := dropbridge.ConnectionFromSession(cs, c)
		if err != nil {
			return err
		}
		if stored, err = s.upsertConnection(ctx, tx, conn); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE connect_sessions SET connection_id = $1 WHERE id = $2`, stored.ID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: complete connect session: %w", err)
	}
	*c = *stored
	return nil
}

// findConnectSession returns the one session matching where, or nil.
func (s *Store) findConnectSession(ctx context.Context, q querier, where string, args ...any) (*dropbridge.ConnectSession, error) {
	var cs dropbridge.ConnectSession
	var verifier string
	var conn *string
	err := q.QueryRow(ctx, `SELECT id, environment_id, app_id, external_user_id, scopes, redirect_url, state_hash,
		pkce_verifier, expires_at, consumed_at, connection_id, created_at FROM connect_sessions `+where, args...).Scan(
		&cs.ID, &cs.EnvironmentID, &cs.AppID, &cs.ExternalUserID, &cs.Scopes, &cs.RedirectURL, &cs.StateHash,
		&verifier, &cs.ExpiresAt, &cs.ConsumedAt, &conn, &cs.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if cs.PKCEVerifier, err = s.open(verifier, "connect_sessions", "pkce_verifier", cs.ID); err != nil {
		return nil, err
	}
	if conn != nil {
		cs.ConnectionID = *conn
	}
	cs.Scopes = readScopes(cs.Scopes)
	cs.ExpiresAt, cs.ConsumedAt, cs.CreatedAt = cs.ExpiresAt.UTC(), utc(cs.ConsumedAt), cs.CreatedAt.UTC()
	return &cs, nil
}
