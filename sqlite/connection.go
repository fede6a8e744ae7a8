package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dropbridge/dropbridge"
)

// UpsertConnection implements dropbridge.ConnectionStore.
func (s *Store) UpsertConnection(ctx context.Context, c *dropbridge.Connection) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var stored *dropbridge.Connection
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		stored, err = s.upsertConnection(ctx, tx, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: upsert connection: %w", err)
	}
	*c = *stored
	return nil
}

// upsertConnection writes a validated c and returns what was stored.
func (s *Store) upsertConnection(ctx context.Context, tx *sql.Tx, c *dropbridge.Connection) (*dropbridge.Connection, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM apps WHERE environment_id = ? AND id = ?`, c.EnvironmentID, c.AppID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, dropbridge.NotFoundError("app", c.AppID)
	}
	if err != nil {
		return nil, err
	}
	n := *c
	n.Scopes = append([]string(nil), c.Scopes...)
	n.UpdatedAt = s.now()
	var created string
	err = tx.QueryRowContext(ctx, `SELECT id, token_version, created_at FROM connections
		WHERE environment_id = ? AND external_user_id = ? AND account_id = ?`,
		c.EnvironmentID, c.ExternalUserID, c.AccountID).Scan(&n.ID, &n.TokenVersion, &created)
	insert := errors.Is(err, sql.ErrNoRows)
	switch {
	case insert:
		if n.ID, err = dropbridge.NewID(dropbridge.ConnectionIDPrefix); err != nil {
			return nil, err
		}
		n.TokenVersion, n.CreatedAt = 1, n.UpdatedAt
	case err != nil:
		return nil, err
	default:
		n.TokenVersion++
		if n.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
	}
	if n.Status == dropbridge.ConnectionRevoked {
		n.Token = dropbridge.Token{}
	}
	n.Token.Expiry = micro(n.Token.Expiry)
	args, err := s.connectionArgs(&n)
	if err != nil {
		return nil, err
	}
	if insert {
		_, err = tx.ExecContext(ctx, `INSERT INTO connections (`+connectionColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE connections SET (`+connectionColumns+`)
			= (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?`, append(args, n.ID)...)
	}
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// connectionColumns are the columns of connections, in the order of
// connectionArgs and scanConnection.
const connectionColumns = `id, environment_id, app_id, external_user_id, account_id, team_id, email, display_name,
	account_type, scopes, status, access_token, refresh_token, token_expiry, token_version, created_at, updated_at`

// connectionArgs returns c's column values, tokens sealed.
func (s *Store) connectionArgs(c *dropbridge.Connection) ([]any, error) {
	access, err := s.seal(c.Token.AccessToken, "connections", "access_token", c.ID)
	if err != nil {
		return nil, err
	}
	refresh, err := s.seal(c.Token.RefreshToken, "connections", "refresh_token", c.ID)
	if err != nil {
		return nil, err
	}
	scopes, err := encodeScopes(c.Scopes)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.EnvironmentID, c.AppID, c.ExternalUserID, c.AccountID, c.TeamID, c.Email, c.DisplayName,
		c.AccountType, scopes, string(c.Status), access, refresh, nullTime(&c.Token.Expiry), c.TokenVersion,
		formatTime(c.CreatedAt), formatTime(c.UpdatedAt)}, nil
}

// FindConnectionByID implements dropbridge.ConnectionStore.
func (s *Store) FindConnectionByID(ctx context.Context, environmentID, id string) (*dropbridge.Connection, error) {
	c, err := s.findConnection(ctx, s.read, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find connection: %w", err)
	}
	return c, nil
}

func (s *Store) findConnection(ctx context.Context, q querier, environmentID, id string) (*dropbridge.Connection, error) {
	cs, err := s.queryConnections(ctx, q, `WHERE environment_id = ? AND id = ?`, environmentID, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, dropbridge.NotFoundError("connection", id)
	}
	return cs[0], nil
}

// ListConnections implements dropbridge.ConnectionStore.
func (s *Store) ListConnections(ctx context.Context, environmentID string, f dropbridge.ConnectionFilter) (*dropbridge.ConnectionPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where := []string{`environment_id = ?`}
	args := []any{environmentID}
	if f.ExternalUserID != "" {
		where, args = append(where, `external_user_id = ?`), append(args, f.ExternalUserID)
	}
	if f.Status != "" {
		where, args = append(where, `status = ?`), append(args, string(f.Status))
	}
	if f.Cursor != "" {
		cur, err := dropbridge.DecodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		at := formatTime(cur.CreatedAt)
		where, args = append(where, `(created_at > ? OR (created_at = ? AND id > ?))`), append(args, at, at, cur.ID)
	}
	limit := f.PageSize()
	cs, err := s.queryConnections(ctx, s.read, `WHERE `+strings.Join(where, ` AND `)+` ORDER BY created_at, id LIMIT ?`,
		append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list connections: %w", err)
	}
	page := &dropbridge.ConnectionPage{Connections: cs}
	if len(cs) > limit {
		page.Connections = cs[:limit]
		last := cs[limit-1]
		page.NextCursor = dropbridge.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	return page, nil
}

// UpdateConnection implements dropbridge.ConnectionStore.
func (s *Store) UpdateConnection(ctx context.Context, environmentID, id string, upd dropbridge.ConnectionUpdate) (*dropbridge.Connection, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	var n *dropbridge.Connection
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := s.findConnection(ctx, tx, environmentID, id)
		if err != nil {
			return err
		}
		if upd.IfTokenVersion != 0 && upd.IfTokenVersion != old.TokenVersion {
			return dropbridge.StaleTokenError(id, upd.IfTokenVersion, old.TokenVersion)
		}
		n = upd.Apply(old, s.now())
		n.Token.Expiry = micro(n.Token.Expiry)
		args, err := s.connectionArgs(n)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE connections SET (`+connectionColumns+`)
			= (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?`, append(args, id)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: update connection: %w", err)
	}
	return n, nil
}

func (s *Store) queryConnections(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.Connection, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+connectionColumns+` FROM connections `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []*dropbridge.Connection
	for rows.Next() {
		var c dropbridge.Connection
		var scopes, status, access, refresh, created, updated string
		var expiry sql.NullString
		if err := rows.Scan(&c.ID, &c.EnvironmentID, &c.AppID, &c.ExternalUserID, &c.AccountID, &c.TeamID, &c.Email,
			&c.DisplayName, &c.AccountType, &scopes, &status, &access, &refresh, &expiry, &c.TokenVersion,
			&created, &updated); err != nil {
			return nil, err
		}
		c.Status = dropbridge.ConnectionStatus(status)
		if c.Token.AccessToken, err = s.open(access, "connections", "access_token", c.ID); err != nil {
			return nil, err
		}
		if c.Token.RefreshToken, err = s.open(refresh, "connections", "refresh_token", c.ID); err != nil {
			return nil, err
		}
		exp, err := parseNullTime(expiry)
		if err != nil {
			return nil, err
		}
		if exp != nil {
			c.Token.Expiry = *exp
		}
		if c.Scopes, err = decodeScopes(scopes); err != nil {
			return nil, err
		}
		if c.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if c.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		cs = append(cs, &c)
	}
	return cs, rows.Err()
}
