package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
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
	scopes, err := encodeScopes(cs.Scopes)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM apps WHERE environment_id = ? AND id = ?`, cs.EnvironmentID, cs.AppID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return dropbridge.NotFoundError("app", cs.AppID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO connect_sessions
			(id, environment_id, app_id, external_user_id, scopes, redirect_url, state_hash, pkce_verifier, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, cs.EnvironmentID, cs.AppID, cs.ExternalUserID, scopes, cs.RedirectURL, cs.StateHash, verifier,
			formatTime(expires), formatTime(now))
		if isUnique(err) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "A connect session with this state already exists.")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create connect session: %w", err)
	}
	cs.ID, cs.CreatedAt, cs.ExpiresAt, cs.ConsumedAt, cs.ConnectionID = id, now, expires, nil, ""
	return nil
}

// FindConnectSessionByID implements dropbridge.ConnectSessionStore.
func (s *Store) FindConnectSessionByID(ctx context.Context, environmentID, id string) (*dropbridge.ConnectSession, error) {
	cs, err := s.findConnectSession(ctx, s.read, `WHERE environment_id = ? AND id = ?`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find connect session: %w", err)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		cs, err = s.findConnectSession(ctx, tx, `WHERE state_hash = ?`, hash)
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
		res, err := tx.ExecContext(ctx, `UPDATE connect_sessions SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL`,
			formatTime(now), cs.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "This connect session was already used: start the connection again.")
		}
		cs.ConsumedAt = &now
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: consume connect session: %w", err)
	}
	return cs, nil
}

// CompleteConnectSession implements dropbridge.ConnectSessionStore.
func (s *Store) CompleteConnectSession(ctx context.Context, environmentID, id string, c *dropbridge.Connection) error {
	var stored *dropbridge.Connection
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cs, err := s.findConnectSession(ctx, tx, `WHERE environment_id = ? AND id = ?`, environmentID, id)
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
		_, err = tx.ExecContext(ctx, `UPDATE connect_sessions SET connection_id = ? WHERE id = ?`, stored.ID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: complete connect session: %w", err)
	}
	*c = *stored
	return nil
}

// findConnectSession returns the one session matching where, or nil.
func (s *Store) findConnectSession(ctx context.Context, q querier, where string, args ...any) (*dropbridge.ConnectSession, error) {
	var cs dropbridge.ConnectSession
	var scopes, verifier, expires, created string
	var consumed, conn sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, environment_id, app_id, external_user_id, scopes, redirect_url, state_hash,
		pkce_verifier, expires_at, consumed_at, connection_id, created_at FROM connect_sessions `+where, args...).Scan(
		&cs.ID, &cs.EnvironmentID, &cs.AppID, &cs.ExternalUserID, &scopes, &cs.RedirectURL, &cs.StateHash,
		&verifier, &expires, &consumed, &conn, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if cs.PKCEVerifier, err = s.open(verifier, "connect_sessions", "pkce_verifier", cs.ID); err != nil {
		return nil, err
	}
	if cs.Scopes, err = decodeScopes(scopes); err != nil {
		return nil, err
	}
	if cs.ExpiresAt, err = parseTime(expires); err != nil {
		return nil, err
	}
	if cs.ConsumedAt, err = parseNullTime(consumed); err != nil {
		return nil, err
	}
	cs.ConnectionID = conn.String
	if cs.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &cs, nil
}
