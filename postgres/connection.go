package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// UpsertConnection implements dropbridge.ConnectionStore.
func (s *Store) UpsertConnection(ctx context.Context, c *dropbridge.Connection) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var stored *dropbridge.Connection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		stored, err = s.upsertConnection(ctx, tx, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: upsert connection: %w", err)
	}
	*c = *stored
	return nil
}

// upsertConnection writes a validated c and returns what was stored. When
// two transactions insert the same user and account at once, the loser
// finds the winner's row on its second pass and updates it.
func (s *Store) upsertConnection(ctx context.Context, tx pgx.Tx, c *dropbridge.Connection) (*dropbridge.Connection, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM apps WHERE environment_id = $1 AND id = $2 FOR KEY SHARE`, c.EnvironmentID, c.AppID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dropbridge.NotFoundError("app", c.AppID)
	}
	if err != nil {
		return nil, err
	}
	n := *c
	n.Scopes = append([]string(nil), c.Scopes...)
	n.UpdatedAt = s.now()
	if n.Status == dropbridge.ConnectionRevoked {
		n.Token = dropbridge.Token{}
	}
	n.Token.Expiry = micro(n.Token.Expiry)
	for attempt := 0; attempt < 2; attempt++ {
		err := tx.QueryRow(ctx, `SELECT id, token_version, created_at FROM connections
			WHERE environment_id = $1 AND external_user_id = $2 AND account_id = $3 FOR NO KEY UPDATE`,
			c.EnvironmentID, c.ExternalUserID, c.AccountID).Scan(&n.ID, &n.TokenVersion, &n.CreatedAt)
		if err == nil {
			n.TokenVersion++
			n.CreatedAt = n.CreatedAt.UTC()
			args, err := s.connectionArgs(&n)
			if err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `UPDATE connections SET (`+connectionColumns+`) = (`+placeholders(1, 17)+`)
				WHERE id = $18`, append(args, n.ID)...); err != nil {
				return nil, err
			}
			return &n, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		if n.ID, err = dropbridge.NewID(dropbridge.ConnectionIDPrefix); err != nil {
			return nil, err
		}
		n.TokenVersion, n.CreatedAt = 1, n.UpdatedAt
		args, err := s.connectionArgs(&n)
		if err != nil {
			return nil, err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO connections (`+connectionColumns+`) VALUES (`+placeholders(1, 17)+`)
			ON CONFLICT (environment_id, external_user_id, account_id) DO NOTHING`, args...)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 1 {
			return &n, nil
		}
	}
	return nil, errors.New("connection inserted and deleted concurrently")
}

// placeholders returns "$from, ..., $to".
func placeholders(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

// connectionColumns are the columns of connections, in the order of
// connectionArgs and queryConnections.
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
	return []any{c.ID, c.EnvironmentID, c.AppID, c.ExternalUserID, c.AccountID, c.TeamID, c.Email, c.DisplayName,
		c.AccountType, scopes(c.Scopes), string(c.Status), access, refresh, nullTime(c.Token.Expiry), c.TokenVersion,
		c.CreatedAt, c.UpdatedAt}, nil
}

// FindConnectionByID implements dropbridge.ConnectionStore.
func (s *Store) FindConnectionByID(ctx context.Context, environmentID, id string) (*dropbridge.Connection, error) {
	c, err := s.findConnection(ctx, s.pool, environmentID, id, "")
	if err != nil {
		return nil, fmt.Errorf("postgres: find connection: %w", err)
	}
	return c, nil
}

func (s *Store) findConnection(ctx context.Context, q querier, environmentID, id, lock string) (*dropbridge.Connection, error) {
	cs, err := s.queryConnections(ctx, q, `WHERE environment_id = $1 AND id = $2 `+lock, environmentID, id)
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
	where := []string{`environment_id = $1`}
	args := []any{environmentID}
	add := func(cond string, vals ...any) {
		for i := range vals {
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)+i+1), 1)
		}
		where, args = append(where, cond), append(args, vals...)
	}
	if f.ExternalUserID != "" {
		add(`external_user_id = ?`, f.ExternalUserID)
	}
	if f.Status != "" {
		add(`status = ?`, string(f.Status))
	}
	if f.Cursor != "" {
		cur, err := dropbridge.DecodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		add(`(created_at, id) > (?, ?)`, cur.CreatedAt, cur.ID)
	}
	limit := f.PageSize()
	args = append(args, limit+1)
	cs, err := s.queryConnections(ctx, s.pool,
		`WHERE `+strings.Join(where, ` AND `)+` ORDER BY created_at, id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list connections: %w", err)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := s.findConnection(ctx, tx, environmentID, id, "FOR NO KEY UPDATE")
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
		_, err = tx.Exec(ctx, `UPDATE connections SET (`+connectionColumns+`) = (`+placeholders(1, 17)+`)
			WHERE id = $18`, append(args, id)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: update connection: %w", err)
	}
	return n, nil
}

func (s *Store) queryConnections(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.Connection, error) {
	rows, err := q.Query(ctx, `SELECT `+connectionColumns+` FROM connections `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []*dropbridge.Connection
	for rows.Next() {
		var c dropbridge.Connection
		var status, access, refresh string
		var expiry *time.Time
		if err := rows.Scan(&c.ID, &c.EnvironmentID, &c.AppID, &c.ExternalUserID, &c.AccountID, &c.TeamID, &c.Email,
			&c.DisplayName, &c.AccountType, &c.Scopes, &status, &access, &refresh, &expiry, &c.TokenVersion,
			&c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, err
		}
		c.Status = dropbridge.ConnectionStatus(status)
		if c.Token.AccessToken, err = s.open(access, "connections", "access_token", c.ID); err != nil {
			return nil, err
		}
		if c.Token.RefreshToken, err = s.open(refresh, "connections", "refresh_token", c.ID); err != nil {
			return nil, err
		}
		if expiry != nil {
			c.Token.Expiry = expiry.UTC()
		}
		c.Scopes = readScopes(c.Scopes)
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		cs = append(cs, &c)
	}
	return cs, rows.Err()
}
