package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// enabledEndpoints returns the environment's enabled endpoints, without
// their secrets: enough for WebhookEndpoint.Matches.
func enabledEndpoints(ctx context.Context, tx pgx.Tx, environmentID string) ([]*dropbridge.WebhookEndpoint, error) {
	rows, err := tx.Query(ctx, `SELECT id, event_types, coalesce(connection_id, '') FROM webhook_endpoints
		WHERE environment_id = $1 AND enabled ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dropbridge.WebhookEndpoint, error) {
		w := &dropbridge.WebhookEndpoint{EnvironmentID: environmentID, Enabled: true}
		var types []string
		if err := r.Scan(&w.ID, &types, &w.ConnectionID); err != nil {
			return nil, err
		}
		w.EventTypes = readEventTypes(types)
		return w, nil
	})
}

// appendEvents stores validated events and their deliveries in tx. It
// takes their sequence numbers last, from the locked row of
// event_sequence, which it holds until tx ends: so sequence numbers
// follow the order of commits, and a reader of the feed never skips an
// event that commits after it read a later one.
func (s *Store) appendEvents(ctx context.Context, tx pgx.Tx, events []dropbridge.Event, bodies [][]byte, now time.Time) error {
	if len(events) == 0 {
		return nil
	}
	endpoints := map[string][]*dropbridge.WebhookEndpoint{}
	for i := range events {
		env := events[i].EnvironmentID
		if _, ok := endpoints[env]; !ok {
			eps, err := enabledEndpoints(ctx, tx, env)
			if err != nil {
				return err
			}
			endpoints[env] = eps
		}
	}
	var last int64
	if err := tx.QueryRow(ctx, `UPDATE event_sequence SET last = last + $1 RETURNING last`, len(events)).Scan(&last); err != nil {
		return err
	}
	seq := last - int64(len(events))
	for i := range events {
		e := &events[i]
		seq++
		_, err := tx.Exec(ctx, `INSERT INTO events (seq, id, environment_id, connection_id, type, time, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, seq, e.ID, e.EnvironmentID, e.ConnectionID, string(e.Type), e.Time, bodies[i])
		if isCode(err, codeUniqueViolation) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "Event %q is stored already.", e.ID)
		}
		if err != nil {
			return err
		}
		for _, w := range endpoints[e.EnvironmentID] {
			if !w.Matches(e) {
				continue
			}
			id, err := dropbridge.NewID(dropbridge.DeliveryIDPrefix)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, environment_id, endpoint_id, event_seq,
				event_id, event_type, connection_id, event_time, status, attempts, failures, next_attempt_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, 0, $9, $9, $9)`,
				id, e.EnvironmentID, w.ID, seq, e.ID, string(e.Type), e.ConnectionID, e.Time, now); err != nil {
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for c := range conns {
			if err := connectionInEnvironment(ctx, tx, c.env, c.id); err != nil {
				return err
			}
		}
		return s.appendEvents(ctx, tx, events, bodies, s.now())
	})
	if err != nil {
		return fmt.Errorf("postgres: append events: %w", err)
	}
	return nil
}

// ListEvents implements dropbridge.EventStore.
func (s *Store) ListEvents(ctx context.Context, environmentID string, f dropbridge.EventFilter) ([]*dropbridge.Event, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var out []*dropbridge.Event
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		where, args := []string{`environment_id = $1`}, []any{environmentID}
		add := func(cond string, arg any) {
			args = append(args, arg)
			where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
		}
		if f.After != "" {
			var seq int64
			err := tx.QueryRow(ctx, `SELECT seq FROM events WHERE environment_id = $1 AND id = $2`, environmentID, f.After).Scan(&seq)
			if errors.Is(err, pgx.ErrNoRows) {
				return dropbridge.Errorf(dropbridge.EINVALID, "No event %q in this environment to continue after: it may have expired; start again without it.", f.After)
			}
			if err != nil {
				return err
			}
			add(`seq > $?`, seq)
		}
		if f.ConnectionID != "" {
			add(`connection_id = $?`, f.ConnectionID)
		}
		if len(f.Types) > 0 {
			types := make([]string, len(f.Types))
			for i, t := range f.Types {
				types[i] = string(t)
			}
			add(`type = ANY($?)`, types)
		}
		args = append(args, f.PageSize())
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT body FROM events WHERE %s ORDER BY seq LIMIT $%d`,
			strings.Join(where, ` AND `), len(args)), args...)
		if err != nil {
			return err
		}
		out, err = scanEvents(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list events: %w", err)
	}
	return out, nil
}

// FindEventByID implements dropbridge.EventStore.
func (s *Store) FindEventByID(ctx context.Context, environmentID, id string) (*dropbridge.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT body FROM events WHERE environment_id = $1 AND id = $2`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: find event: %w", err)
	}
	es, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: find event: %w", err)
	}
	if len(es) == 0 {
		return nil, dropbridge.NotFoundError("event", id)
	}
	return es[0], nil
}

func scanEvents(rows pgx.Rows) ([]*dropbridge.Event, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dropbridge.Event, error) {
		var body []byte
		if err := r.Scan(&body); err != nil {
			return nil, err
		}
		var e dropbridge.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("decode stored event: %w", err)
		}
		return &e, nil
	})
}

// eventTypes returns types as a non-NULL array.
func eventTypes(types []dropbridge.EventType) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = string(t)
	}
	return out
}

// readEventTypes returns the event types read from the database; none is
// nil.
func readEventTypes(s []string) []dropbridge.EventType {
	if len(s) == 0 {
		return nil
	}
	out := make([]dropbridge.EventType, len(s))
	for i, t := range s {
		out[i] = dropbridge.EventType(t)
	}
	return out
}
