package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// deliveryColumns are the columns queryDeliveries reads.
const deliveryColumns = `id, environment_id, endpoint_id, event_id, event_type, connection_id, event_time, status,
	attempts, failures, first_attempt_at, last_attempt_at, next_attempt_at, created_at, updated_at`

// dueHeads selects and locks the deliveries that are due and head their
// endpoint's and connection's queue, of enabled endpoints, unclaimed. Rows
// another worker is claiming are skipped; the rows behind them are not
// heads while those are pending.
const dueHeads = `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
	WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.enabled
	AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
		AND p.connection_id = d.connection_id AND p.status = 'pending' AND p.event_seq < d.event_seq)
	ORDER BY d.next_attempt_at, d.event_seq LIMIT $2
	FOR UPDATE OF d SKIP LOCKED`

// ClaimDeliveries implements dropbridge.DeliveryStore.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*dropbridge.DeliveryClaim, error) {
	if limit < 1 || limit > dropbridge.MaxPageSize || lease <= 0 {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Claim 1 to %d deliveries for a positive lease.", dropbridge.MaxPageSize)
	}
	now := s.now()
	until := now.Add(lease)
	var out []*dropbridge.DeliveryClaim
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, dueHeads, now, limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		endpoints := map[string]*dropbridge.WebhookEndpoint{}
		for _, id := range ids {
			token, err := dropbridge.NewID("clm_")
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET claim_token = $1, claimed_until = $2 WHERE id = $3`,
				token, until, id); err != nil {
				return err
			}
			ds, err := s.queryDeliveries(ctx, tx, `WHERE id = $1`, id)
			if err != nil {
				return err
			}
			d := ds[0]
			w := endpoints[d.EndpointID]
			if w == nil {
				if w, err = s.findWebhookEndpoint(ctx, tx, d.EnvironmentID, d.EndpointID, ""); err != nil {
					return err
				}
				endpoints[d.EndpointID] = w
			}
			var body []byte
			if err := tx.QueryRow(ctx, `SELECT e.body FROM events e JOIN webhook_deliveries d ON d.event_seq = e.seq
				WHERE d.id = $1`, id).Scan(&body); err != nil {
				return err
			}
			out = append(out, &dropbridge.DeliveryClaim{Delivery: d, Endpoint: w, Body: body, Token: token, Until: until})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim deliveries: %w", err)
	}
	return out, nil
}

// RecordDeliveryAttempt implements dropbridge.DeliveryStore.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, o *dropbridge.DeliveryOutcome) (*dropbridge.Delivery, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	at := micro(o.At)
	var out *dropbridge.Delivery
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		var token *string
		var attempts int
		err := tx.QueryRow(ctx, `SELECT status, claim_token, attempts FROM webhook_deliveries WHERE id = $1 FOR UPDATE`,
			o.DeliveryID).Scan(&status, &token, &attempts)
		if errors.Is(err, pgx.ErrNoRows) {
			return dropbridge.Errorf(dropbridge.ENOTFOUND, "No delivery %q.", o.DeliveryID)
		}
		if err != nil {
			return err
		}
		if status != string(dropbridge.DeliveryPending) || token == nil || *token != o.Token {
			return dropbridge.LostClaimError(o.DeliveryID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_delivery_attempts (delivery_id, number, at, status_code, error, duration_us)
			VALUES ($1, $2, $3, $4, $5, $6)`, o.DeliveryID, attempts+1, at, o.StatusCode, o.Error, o.Duration.Microseconds()); err != nil {
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
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1,
			failures = failures + $2, first_attempt_at = coalesce(first_attempt_at, $3), last_attempt_at = $3,
			next_attempt_at = coalesce($4, next_attempt_at), claim_token = NULL, claimed_until = NULL, updated_at = $5
			WHERE id = $6`, next, failed, at, nullTime(micro(o.RetryAt)), now, o.DeliveryID); err != nil {
			return err
		}
		ds, err := s.queryDeliveries(ctx, tx, `WHERE id = $1`, o.DeliveryID)
		if err != nil {
			return err
		}
		out = ds[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: record delivery attempt: %w", err)
	}
	return out, nil
}

// FindDeliveryByID implements dropbridge.DeliveryStore.
func (s *Store) FindDeliveryByID(ctx context.Context, environmentID, id string) (*dropbridge.Delivery, error) {
	ds, err := s.queryDeliveries(ctx, s.pool, `WHERE environment_id = $1 AND id = $2`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: find delivery: %w", err)
	}
	if len(ds) == 0 {
		return nil, dropbridge.NotFoundError("delivery", id)
	}
	return ds[0], nil
}

// deliveryWhere returns the conditions of f, with placeholders numbered
// after first, and their arguments.
func deliveryWhere(environmentID string, f dropbridge.DeliveryFilter, first int) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", first+len(args))))
	}
	add(`environment_id = $?`, environmentID)
	if f.EndpointID != "" {
		add(`endpoint_id = $?`, f.EndpointID)
	}
	if f.EventID != "" {
		add(`event_id = $?`, f.EventID)
	}
	if f.ConnectionID != "" {
		add(`connection_id = $?`, f.ConnectionID)
	}
	if f.Status != "" {
		add(`status = $?`, string(f.Status))
	}
	if !f.Since.IsZero() {
		add(`event_time >= $?`, f.Since)
	}
	if !f.Until.IsZero() {
		add(`event_time < $?`, f.Until)
	}
	return strings.Join(where, ` AND `), args
}

// ListDeliveries implements dropbridge.DeliveryStore.
func (s *Store) ListDeliveries(ctx context.Context, environmentID string, f dropbridge.DeliveryFilter) ([]*dropbridge.Delivery, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := deliveryWhere(environmentID, f, 0)
	args = append(args, f.PageSize())
	ds, err := s.queryDeliveries(ctx, s.pool, fmt.Sprintf(`WHERE %s ORDER BY event_seq DESC, id LIMIT $%d`, where, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	return ds, nil
}

// ListDeliveryAttempts implements dropbridge.DeliveryStore.
func (s *Store) ListDeliveryAttempts(ctx context.Context, environmentID, id string) ([]*dropbridge.DeliveryAttempt, error) {
	var out []*dropbridge.DeliveryAttempt
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM webhook_deliveries WHERE environment_id = $1 AND id = $2`, environmentID, id).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return dropbridge.NotFoundError("delivery", id)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT number, at, status_code, error, duration_us FROM webhook_delivery_attempts
			WHERE delivery_id = $1 ORDER BY number`, id)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dropbridge.DeliveryAttempt, error) {
			a := &dropbridge.DeliveryAttempt{DeliveryID: id}
			var us int64
			err := r.Scan(&a.Number, &a.At, &a.StatusCode, &a.Error, &us)
			a.At, a.Duration = a.At.UTC(), time.Duration(us)*time.Microsecond
			return a, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list delivery attempts: %w", err)
	}
	return out, nil
}

// ReplayDeliveries implements dropbridge.DeliveryStore.
func (s *Store) ReplayDeliveries(ctx context.Context, environmentID string, f dropbridge.DeliveryFilter) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	where, args := deliveryWhere(environmentID, f, 1)
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', failures = 0, first_attempt_at = NULL,
		next_attempt_at = $1, claim_token = NULL, claimed_until = NULL, updated_at = $1 WHERE `+where,
		append([]any{s.now()}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("postgres: replay deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}

func (s *Store) queryDeliveries(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.Delivery, error) {
	rows, err := q.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries `+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dropbridge.Delivery, error) {
		var d dropbridge.Delivery
		var typ, status string
		var first, last *time.Time
		if err := r.Scan(&d.ID, &d.EnvironmentID, &d.EndpointID, &d.EventID, &typ, &d.ConnectionID, &d.EventTime, &status,
			&d.Attempts, &d.Failures, &first, &last, &d.NextAttemptAt, &d.CreatedAt, &d.UpdatedAt); err != nil {
			return nil, err
		}
		d.EventType, d.Status = dropbridge.EventType(typ), dropbridge.DeliveryStatus(status)
		d.EventTime, d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = d.EventTime.UTC(), d.NextAttemptAt.UTC(), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
		if first != nil {
			d.FirstAttemptAt = first.UTC()
		}
		if last != nil {
			d.LastAttemptAt = last.UTC()
		}
		return &d, nil
	})
}
