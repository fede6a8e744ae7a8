package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
)

// enabledEndpoints returns the environment's enabled endpoints, without
// their secrets: enough for WebhookEndpoint.Matches.
func enabledEndpoints(ctx context.Context, tx *sql.Tx, environmentID string) ([]*dropbridge.WebhookEndpoint, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, event_types, coalesce(connection_id, '') FROM webhook_endpoints
		WHERE environment_id = ? AND enabled = 1 ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*dropbridge.WebhookEndpoint
	for rows.Next() {
		w := &dropbridge.WebhookEndpoint{EnvironmentID: environmentID, Enabled: true}
		var types string
		if err := rows.Scan(&w.ID, &types, &w.ConnectionID); err != nil {
			return nil, err
		}
		if w.EventTypes, err = decodeEventTypes(types); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// appendEvents stores validated events and their deliveries in tx.
func (s *Store) appendEvents(ctx context.Context, tx *sql.Tx, events []dropbridge.Event, bodies [][]byte, now time.Time) error {
	if len(events) == 0 {
		return nil
	}
	endpoints := map[string][]*dropbridge.WebhookEndpoint{}
	for i := range events {
		e := &events[i]
		eps, ok := endpoints[e.EnvironmentID]
		if !ok {
			var err error
			if eps, err = enabledEndpoints(ctx, tx, e.EnvironmentID); err != nil {
				return err
			}
			endpoints[e.EnvironmentID] = eps
		}
		var seq int64
		err := tx.QueryRowContext(ctx, `INSERT INTO events (id, environment_id, connection_id, type, time, body)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
			e.ID, e.EnvironmentID, e.ConnectionID, string(e.Type), formatTime(e.Time), bodies[i]).Scan(&seq)
		if isUnique(err) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "Event %q is stored already.", e.ID)
		}
		if err != nil {
			return err
		}
		for _, w := range eps {
			if !w.Matches(e) {
				continue
			}
			id, err := dropbridge.NewID(dropbridge.DeliveryIDPrefix)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, environment_id, endpoint_id, event_seq,
				event_id, event_type, connection_id, event_time, status, attempts, failures, next_attempt_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?)`,
				id, e.EnvironmentID, w.ID, seq, e.ID, string(e.Type), e.ConnectionID, formatTime(e.Time),
				formatTime(now), formatTime(now), formatTime(now)); err != nil {
				return err
			}
		}
	}
	return nil
}

// AppendEvents implements dropbridge.EventStore.
func (s *Store) AppendEvents(ctx context.Context, events []dropbridge.Event) error {
	type conn struct{ env, id string }
	conns := map[conn]bool{}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return err
		}
		conns[conn{events[i].EnvironmentID, events[i].ConnectionID}] = true
	}
	bodies, err := dropbridge.EncodeEvents(events)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for c := range conns {
			if err := connectionInEnvironment(ctx, tx, c.env, c.id); err != nil {
				return err
			}
		}
		return s.appendEvents(ctx, tx, events, bodies, s.now())
	})
	if err != nil {
		return fmt.Errorf("sqlite: append events: %w", err)
	}
	return nil
}

// ListEvents implements dropbridge.EventStore.
func (s *Store) ListEvents(ctx context.Context, environmentID string, f dropbridge.EventFilter) ([]*dropbridge.Event, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var out []*dropbridge.Event
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		where, args := []string{`environment_id = ?`}, []any{environmentID}
		if f.After != "" {
			var seq int64
			err := tx.QueryRowContext(ctx, `SELECT seq FROM events WHERE environment_id = ? AND id = ?`, environmentID, f.After).Scan(&seq)
			if errors.Is(err, sql.ErrNoRows) {
				return dropbridge.Errorf(dropbridge.EINVALID, "No event %q in this environment to continue after: it may have expired; start again without it.", f.After)
			}
			if err != nil {
				return err
			}
			where, args = append(where, `seq > ?`), append(args, seq)
		}
		if f.ConnectionID != "" {
			where, args = append(where, `connection_id = ?`), append(args, f.ConnectionID)
		}
		if len(f.Types) > 0 {
			where = append(where, `type IN (?`+strings.Repeat(`, ?`, len(f.Types)-1)+`)`)
			for _, t := range f.Types {
				args = append(args, string(t))
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT body FROM events WHERE `+strings.Join(where, ` AND `)+` ORDER BY seq LIMIT ?`,
			append(args, f.PageSize())...)
		if err != nil {
			return err
		}
		out, err = scanEvents(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list events: %w", err)
	}
	return out, nil
}

// FindEventByID implements dropbridge.EventStore.
func (s *Store) FindEventByID(ctx context.Context, environmentID, id string) (*dropbridge.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT body FROM events WHERE environment_id = ? AND id = ?`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find event: %w", err)
	}
	es, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find event: %w", err)
	}
	if len(es) == 0 {
		return nil, dropbridge.NotFoundError("event", id)
	}
	return es[0], nil
}

func scanEvents(rows *sql.Rows) ([]*dropbridge.Event, error) {
	defer rows.Close()
	var out []*dropbridge.Event
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e dropbridge.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("decode stored event: %w", err)
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

// encodeEventTypes stores event types as a JSON array.
func encodeEventTypes(types []dropbridge.EventType) (string, error) {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = string(t)
	}
	return encodeScopes(s)
}

// decodeEventTypes reads a JSON array of event types; none is nil.
func decodeEventTypes(s string) ([]dropbridge.EventType, error) {
	var types []dropbridge.EventType
	if err := json.Unmarshal([]byte(s), &types); err != nil {
		return nil, fmt.Errorf("decode stored event types: %w", err)
	}
	if len(types) == 0 {
		return nil, nil
	}
	return types, nil
}
