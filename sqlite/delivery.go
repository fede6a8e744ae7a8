package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
)

// deliveryColumns are the columns queryDeliveries reads.
const deliveryColumns = `id, environment_id, endpoint_id, event_id, event_type, connection_id, event_time, status,
	attempts, failures, first_attempt_at, last_attempt_at, next_attempt_at, created_at, updated_at`

// dueHeads selects the deliveries that are due and head their endpoint's
// and connection's queue, of enabled endpoints, unclaimed: its one
// parameter is the time now, twice.
const dueHeads = `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
	WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND w.enabled = 1
	AND (d.claimed_until IS NULL OR d.claimed_until <= ?1)
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
		AND p.connection_id = d.connection_id AND p.status = 'pending' AND p.event_seq < d.event_seq)
	ORDER BY d.next_attempt_at, d.event_seq LIMIT ?2`

// ClaimDeliveries implements dropbridge.DeliveryStore. One write
// transaction at a time makes the claims exclusive.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*dropbridge.DeliveryClaim, error) {
	if limit < 1 || limit > dropbridge.MaxPageSize || lease <= 0 {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Claim 1 to %d deliveries for a positive lease.", dropbridge.MaxPageSize)
	}
	now := s.now()
	until := now.Add(lease)
	var out []*dropbridge.DeliveryClaim
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, dueHeads, formatTime(now), limit)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		endpoints := map[string]*dropbridge.WebhookEndpoint{}
		for _, id := range ids {
			token, err := dropbridge.NewID("clm_")
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET claim_token = ?, claimed_until = ? WHERE id = ?`,
				token, formatTime(until), id); err != nil {
				return err
			}
			ds, err := s.queryDeliveries(ctx, tx, `WHERE id = ?`, id)
			if err != nil {
				return err
			}
			d := ds[0]
			w := endpoints[d.EndpointID]
			if w == nil {
				if w, err = s.findWebhookEndpoint(ctx, tx, d.EnvironmentID, d.EndpointID); err != nil {
					return err
				}
				endpoints[d.EndpointID] = w
			}
			var body []byte
			if err := tx.QueryRowContext(ctx, `SELECT e.body FROM events e JOIN webhook_deliveries d ON d.event_seq = e.seq
				WHERE d.id = ?`, id).Scan(&body); err != nil {
				return err
			}
			out = append(out, &dropbridge.DeliveryClaim{Delivery: d, Endpoint: w, Body: body, Token: token, Until: until})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim deliveries: %w", err)
	}
	return out, nil
}

// RecordDeliveryAttempt implements dropbridge.DeliveryStore.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, o *dropbridge.DeliveryOutcome) (*dropbridge.Delivery, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	var out *dropbridge.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		var token sql.NullString
		var attempts int
		err := tx.QueryRowContext(ctx, `SELECT status, claim_token, attempts FROM webhook_deliveries WHERE id = ?`,
			o.DeliveryID).Scan(&status, &token, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return dropbridge.Errorf(dropbridge.ENOTFOUND, "No delivery %q.", o.DeliveryID)
		}
		if err != nil {
			return err
		}
		if status != string(dropbridge.DeliveryPending) || token.String != o.Token {
			return dropbridge.LostClaimError(o.DeliveryID)
		}
		at := formatTime(o.At)
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_delivery_attempts (delivery_id, number, at, status_code, error, duration_us)
			VALUES (?, ?, ?, ?, ?, ?)`, o.DeliveryID, attempts+1, at, o.StatusCode, o.Error, o.Duration.Microseconds()); err != nil {
			return err
		}
		next, failed := status, 0
		switch {
		case o.Succeeded:
			next = string(dropbridge.DeliverySucceeded)
		case o.RetryAt.IsZero():
			next, failed = string(dropbridge.DeliveryDead), 1
		default:
			failed = 1
		}
		retry := nullTime(&o.RetryAt)
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,
			failures = failures + ?, first_attempt_at = coalesce(first_attempt_at, ?), last_attempt_at = ?,
			next_attempt_at = coalesce(?, next_attempt_at), claim_token = NULL, claimed_until = NULL, updated_at = ?
			WHERE id = ?`, next, failed, at, at, retry, formatTime(now), o.DeliveryID); err != nil {
			return err
		}
		ds, err := s.queryDeliveries(ctx, tx, `WHERE id = ?`, o.DeliveryID)
		if err != nil {
			return err
		}
		out = ds[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: record delivery attempt: %w", err)
	}
	return out, nil
}

// FindDeliveryByID implements dropbridge.DeliveryStore.
func (s *Store) FindDeliveryByID(ctx context.Context, environmentID, id string) (*dropbridge.Delivery, error) {
	ds, err := s.queryDeliveries(ctx, s.read, `WHERE environment_id = ? AND id = ?`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find delivery: %w", err)
	}
	if len(ds) == 0 {
		return nil, dropbridge.NotFoundError("delivery", id)
	}
	return ds[0], nil
}

// deliveryWhere returns the conditions and arguments of f.
func deliveryWhere(environmentID string, f dropbridge.DeliveryFilter) (string, []any) {
	where, args := []string{`environment_id = ?`}, []any{environmentID}
	add := func(cond string, arg any) {
		where, args = append(where, cond), append(args, arg)
	}
	if f.EndpointID != "" {
		add(`endpoint_id = ?`, f.EndpointID)
	}
	if f.EventID != "" {
		add(`event_id = ?`, f.EventID)
	}
	if f.ConnectionID != "" {
		add(`connection_id = ?`, f.ConnectionID)
	}
	if f.Status != "" {
		add(`status = ?`, string(f.Status))
	}
	if !f.Since.IsZero() {
		add(`event_time >= ?`, formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		add(`event_time < ?`, formatTime(f.Until))
	}
	return strings.Join(where, ` AND `), args
}

// ListDeliveries implements dropbridge.DeliveryStore.
func (s *Store) ListDeliveries(ctx context.Context, environmentID string, f dropbridge.DeliveryFilter) ([]*dropbridge.Delivery, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := deliveryWhere(environmentID, f)
	ds, err := s.queryDeliveries(ctx, s.read, `WHERE `+where+` ORDER BY event_seq DESC, id LIMIT ?`, append(args, f.PageSize())...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	return ds, nil
}

// ListDeliveryAttempts implements dropbridge.DeliveryStore.
func (s *Store) ListDeliveryAttempts(ctx context.Context, environmentID, id string) ([]*dropbridge.DeliveryAttempt, error) {
	var out []*dropbridge.DeliveryAttempt
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_deliveries WHERE environment_id = ? AND id = ?`, environmentID, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return dropbridge.NotFoundError("delivery", id)
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT number, at, status_code, error, duration_us FROM webhook_delivery_attempts
			WHERE delivery_id = ? ORDER BY number`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a := &dropbridge.DeliveryAttempt{DeliveryID: id}
			var at string
			var us int64
			if err := rows.Scan(&a.Number, &at, &a.StatusCode, &a.Error, &us); err != nil {
				return err
			}
			if a.At, err = parseTime(at); err != nil {
				return err
			}
			a.Duration = time.Duration(us) * time.Microsecond
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list delivery attempts: %w", err)
	}
	return out, nil
}

// ReplayDeliveries implements dropbridge.DeliveryStore.
func (s *Store) ReplayDeliveries(ctx context.Context, environmentID string, f dropbridge.DeliveryFilter) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	where, args := deliveryWhere(environmentID, f)
	now := formatTime(s.now())
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', failures = 0, first_attempt_at = NULL,
			next_attempt_at = ?, claim_token = NULL, claimed_until = NULL, updated_at = ? WHERE `+where,
			append([]any{now, now}, args...)...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: replay deliveries: %w", err)
	}
	return n, nil
}

func (s *Store) queryDeliveries(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.Delivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*dropbridge.Delivery
	for rows.Next() {
		var d dropbridge.Delivery
		var typ, status, eventTime, next, created, updated string
		var first, last sql.NullString
		if err := rows.Scan(&d.ID, &d.EnvironmentID, &d.EndpointID, &d.EventID, &typ, &d.ConnectionID, &eventTime, &status,
			&d.Attempts, &d.Failures, &first, &last, &next, &created, &updated); err != nil {
			return nil, err
		}
		d.EventType, d.Status = dropbridge.EventType(typ), dropbridge.DeliveryStatus(status)
		for _, t := range []struct {
			dst *time.Time
			src string
		}{{&d.EventTime, eventTime}, {&d.NextAttemptAt, next}, {&d.CreatedAt, created}, {&d.UpdatedAt, updated},
			{&d.FirstAttemptAt, first.String}, {&d.LastAttemptAt, last.String}} {
			if t.src == "" {
				continue
			}
			if *t.dst, err = parseTime(t.src); err != nil {
				return nil, err
			}
		}
		out = append(out, &d)
	}
	return out, rows.Err()
}
