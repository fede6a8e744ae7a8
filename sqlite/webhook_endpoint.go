package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dropbridge/dropbridge"
)

// webhookEndpointColumns are the columns of webhook_endpoints, in the
// order of webhookEndpointArgs and queryWebhookEndpoints.
const webhookEndpointColumns = `id, environment_id, url, description, event_types, connection_id, secret, enabled, created_at, updated_at`

// webhookEndpointArgs returns w's column values, its secret sealed.
func (s *Store) webhookEndpointArgs(w *dropbridge.WebhookEndpoint) ([]any, error) {
	sealed, err := s.seal(w.Secret, "webhook_endpoints", "secret", w.ID)
	if err != nil {
		return nil, err
	}
	types, err := encodeEventTypes(w.EventTypes)
	if err != nil {
		return nil, err
	}
	var conn any
	if w.ConnectionID != "" {
		conn = w.ConnectionID
	}
	return []any{w.ID, w.EnvironmentID, w.URL, w.Description, types, conn, sealed, w.Enabled,
		formatTime(w.CreatedAt), formatTime(w.UpdatedAt)}, nil
}

// CreateWebhookEndpoint implements dropbridge.WebhookEndpointStore.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, w *dropbridge.WebhookEndpoint) error {
	if err := w.Validate(); err != nil {
		return err
	}
	n := *w
	n.EventTypes = append([]dropbridge.EventType(nil), w.EventTypes...)
	var err error
	if n.ID, err = dropbridge.NewID(dropbridge.WebhookEndpointIDPrefix); err != nil {
		return err
	}
	n.CreatedAt = s.now()
	n.UpdatedAt = n.CreatedAt
	args, err := s.webhookEndpointArgs(&n)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := environmentExists(ctx, tx, n.EnvironmentID); err != nil {
			return err
		}
		if n.ConnectionID != "" {
			if err := connectionInEnvironment(ctx, tx, n.EnvironmentID, n.ConnectionID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+webhookEndpointColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create webhook endpoint: %w", err)
	}
	*w = n
	return nil
}

// FindWebhookEndpointByID implements dropbridge.WebhookEndpointStore.
func (s *Store) FindWebhookEndpointByID(ctx context.Context, environmentID, id string) (*dropbridge.WebhookEndpoint, error) {
	w, err := s.findWebhookEndpoint(ctx, s.read, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find webhook endpoint: %w", err)
	}
	return w, nil
}

func (s *Store) findWebhookEndpoint(ctx context.Context, q querier, environmentID, id string) (*dropbridge.WebhookEndpoint, error) {
	ws, err := s.queryWebhookEndpoints(ctx, q, `WHERE environment_id = ? AND id = ?`, environmentID, id)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, dropbridge.NotFoundError("webhook endpoint", id)
	}
	return ws[0], nil
}

// ListWebhookEndpoints implements dropbridge.WebhookEndpointStore.
func (s *Store) ListWebhookEndpoints(ctx context.Context, environmentID string) ([]*dropbridge.WebhookEndpoint, error) {
	ws, err := s.queryWebhookEndpoints(ctx, s.read, `WHERE environment_id = ? ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list webhook endpoints: %w", err)
	}
	return ws, nil
}

// UpdateWebhookEndpoint implements dropbridge.WebhookEndpointStore.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, environmentID, id string, upd dropbridge.WebhookEndpointUpdate) (*dropbridge.WebhookEndpoint, error) {
	var n *dropbridge.WebhookEndpoint
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := s.findWebhookEndpoint(ctx, tx, environmentID, id)
		if err != nil {
			return err
		}
		if n, err = upd.Apply(old, s.now()); err != nil {
			return err
		}
		if n.ConnectionID != "" && n.ConnectionID != old.ConnectionID {
			if err := connectionInEnvironment(ctx, tx, environmentID, n.ConnectionID); err != nil {
				return err
			}
		}
		args, err := s.webhookEndpointArgs(n)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET (`+webhookEndpointColumns+`)
			= (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?`, append(args, id)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: update webhook endpoint: %w", err)
	}
	return n, nil
}

// DeleteWebhookEndpoint implements dropbridge.WebhookEndpointStore.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, environmentID, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE environment_id = ? AND id = ?`, environmentID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dropbridge.NotFoundError("webhook endpoint", id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete webhook endpoint: %w", err)
	}
	return nil
}

func (s *Store) queryWebhookEndpoints(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.WebhookEndpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*dropbridge.WebhookEndpoint
	for rows.Next() {
		var w dropbridge.WebhookEndpoint
		var types, sealed, created, updated string
		var conn sql.NullString
		if err := rows.Scan(&w.ID, &w.EnvironmentID, &w.URL, &w.Description, &types, &conn, &sealed, &w.Enabled,
			&created, &updated); err != nil {
			return nil, err
		}
		w.ConnectionID = conn.String
		if w.EventTypes, err = decodeEventTypes(types); err != nil {
			return nil, err
		}
		if w.Secret, err = s.open(sealed, "webhook_endpoints", "secret", w.ID); err != nil {
			return nil, err
		}
		if w.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if w.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		out = append(out, &w)
	}
	return out, rows.Err()
}
