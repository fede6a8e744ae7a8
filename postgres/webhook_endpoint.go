package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
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
	var conn *string
	if w.ConnectionID != "" {
		conn = &w.ConnectionID
	}
	return []any{w.ID, w.EnvironmentID, w.URL, w.Description, eventTypes(w.EventTypes), conn, sealed, w.Enabled,
		w.CreatedAt, w.UpdatedAt}, nil
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockEnvironment(ctx, tx, n.EnvironmentID, false); err != nil {
			return err
		}
		if n.ConnectionID != "" {
			if err := connectionInEnvironment(ctx, tx, n.EnvironmentID, n.ConnectionID); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (`+webhookEndpointColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create webhook endpoint: %w", err)
	}
	*w = n
	return nil
}

// FindWebhookEndpointByID implements dropbridge.WebhookEndpointStore.
func (s *Store) FindWebhookEndpointByID(ctx context.Context, environmentID, id string) (*dropbridge.WebhookEndpoint, error) {
	w, err := s.findWebhookEndpoint(ctx, s.pool, environmentID, id, "")
	if err != nil {
		return nil, fmt.Errorf("postgres: find webhook endpoint: %w", err)
	}
	return w, nil
}

func (s *Store) findWebhookEndpoint(ctx context.Context, q querier, environmentID, id, lock string) (*dropbridge.WebhookEndpoint, error) {
	ws, err := s.queryWebhookEndpoints(ctx, q, `WHERE environment_id = $1 AND id = $2 `+lock, environmentID, id)
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
	ws, err := s.queryWebhookEndpoints(ctx, s.pool, `WHERE environment_id = $1 ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list webhook endpoints: %w", err)
	}
	return ws, nil
}

// UpdateWebhookEndpoint implements dropbridge.WebhookEndpointStore.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, environmentID, id string, upd dropbridge.WebhookEndpointUpdate) (*dropbridge.WebhookEndpoint, error) {
	var n *dropbridge.WebhookEndpoint
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := s.findWebhookEndpoint(ctx, tx, environmentID, id, "FOR NO KEY UPDATE")
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
		_, err = tx.Exec(ctx, `UPDATE webhook_endpoints SET (`+webhookEndpointColumns+`)
			= ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) WHERE id = $11`, append(args, id)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: update webhook endpoint: %w", err)
	}
	return n, nil
}

// DeleteWebhookEndpoint implements dropbridge.WebhookEndpointStore.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, environmentID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhook_endpoints WHERE environment_id = $1 AND id = $2`, environmentID, id)
	if err != nil {
		return fmt.Errorf("postgres: delete webhook endpoint: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete webhook endpoint: %w", dropbridge.NotFoundError("webhook endpoint", id))
	}
	return nil
}

func (s *Store) queryWebhookEndpoints(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.WebhookEndpoint, error) {
	rows, err := q.Query(ctx, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints `+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dropbridge.WebhookEndpoint, error) {
		var w dropbridge.WebhookEndpoint
		var types []string
		var sealed string
		var conn *string
		var created, updated time.Time
		if err := r.Scan(&w.ID, &w.EnvironmentID, &w.URL, &w.Description, &types, &conn, &sealed, &w.Enabled,
			&created, &updated); err != nil {
			return nil, err
		}
		if conn != nil {
			w.ConnectionID = *conn
		}
		w.EventTypes = readEventTypes(types)
		var err error
		if w.Secret, err = s.open(sealed, "webhook_endpoints", "secret", w.ID); err != nil {
			return nil, err
		}
		w.CreatedAt, w.UpdatedAt = created.UTC(), updated.UTC()
		return &w, nil
	})
}
