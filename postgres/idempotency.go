package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// ClaimIdempotencyKey implements dropbridge.IdempotencyStore.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, rec *dropbridge.IdempotencyRecord) (*dropbridge.IdempotencyRecord, error) {
	if err := rec.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	claim := *rec
	claim.StatusCode, claim.Body, claim.CreatedAt, claim.ExpiresAt = 0, nil, now, micro(rec.ExpiresAt)
	claim.Fingerprint = bytes.Clone(rec.Fingerprint)
	if !claim.ExpiresAt.After(now) {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "An idempotency record must expire in the future.")
	}
	var result *dropbridge.IdempotencyRecord
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// A claim racing this one may insert between the SELECT and the
		// INSERT; then the INSERT does nothing and the second pass finds
		// its record.
		for attempt := 0; attempt < 2; attempt++ {
			stored := claim
			err := tx.QueryRow(ctx, `SELECT fingerprint, status_code, body, created_at, expires_at FROM idempotency_records
				WHERE environment_id = $1 AND idempotency_key = $2 AND method = $3 AND path = $4 FOR UPDATE`,
				rec.EnvironmentID, rec.Key, rec.Method, rec.Path).Scan(&stored.Fingerprint, &stored.StatusCode, &stored.Body, &stored.CreatedAt, &stored.ExpiresAt)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return err
			case now.Before(stored.ExpiresAt):
				if err := dropbridge.CheckIdempotencyRepeat(&stored, rec); err != nil {
					return err
				}
				if len(stored.Body) == 0 {
					stored.Body = nil
				}
				stored.CreatedAt, stored.ExpiresAt = stored.CreatedAt.UTC(), stored.ExpiresAt.UTC()
				result = &stored
				return nil
			default:
				if _, err := tx.Exec(ctx, `DELETE FROM idempotency_records
					WHERE environment_id = $1 AND idempotency_key = $2 AND method = $3 AND path = $4`,
					rec.EnvironmentID, rec.Key, rec.Method, rec.Path); err != nil {
					return err
				}
			}
			tag, err := tx.Exec(ctx, `INSERT INTO idempotency_records
				(environment_id, idempotency_key, method, path, fingerprint, status_code, body, created_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, 0, '', $6, $7) ON CONFLICT DO NOTHING`,
				claim.EnvironmentID, claim.Key, claim.Method, claim.Path, claim.Fingerprint, now, claim.ExpiresAt)
			if isCode(err, codeForeignKeyViolation) {
				return dropbridge.Errorf(dropbridge.ENOTFOUND, "No environment %q.", rec.EnvironmentID)
			}
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				result = &claim
				return nil
			}
		}
		return dropbridge.Errorf(dropbridge.ECONFLICT, "A request with the Idempotency-Key %q is still running: retry later.", rec.Key)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim idempotency key: %w", err)
	}
	return result, nil
}

// SaveIdempotentResponse implements dropbridge.IdempotencyStore.
func (s *Store) SaveIdempotentResponse(ctx context.Context, rec *dropbridge.IdempotencyRecord) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	if !rec.Done() {
		return dropbridge.Errorf(dropbridge.EINVALID, "An idempotent response needs its status code.")
	}
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE idempotency_records SET status_code = $1, body = $2
		WHERE environment_id = $3 AND idempotency_key = $4 AND method = $5 AND path = $6 AND status_code = 0 AND fingerprint = $7`,
		rec.StatusCode, body, rec.EnvironmentID, rec.Key, rec.Method, rec.Path, rec.Fingerprint)
	if err != nil {
		return fmt.Errorf("postgres: save idempotent response: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return dropbridge.Errorf(dropbridge.ENOTFOUND, "No running request holds the Idempotency-Key %q.", rec.Key)
	}
	return nil
}

// ReleaseIdempotencyKey implements dropbridge.IdempotencyStore.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, rec *dropbridge.IdempotencyRecord) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_records
		WHERE environment_id = $1 AND idempotency_key = $2 AND method = $3 AND path = $4 AND status_code = 0 AND fingerprint = $5`,
		rec.EnvironmentID, rec.Key, rec.Method, rec.Path, rec.Fingerprint)
	if err != nil {
		return fmt.Errorf("postgres: release idempotency key: %w", err)
	}
	return nil
}

// DeleteExpiredIdempotencyRecords implements dropbridge.IdempotencyStore.
func (s *Store) DeleteExpiredIdempotencyRecords(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_records WHERE expires_at <= $1`, s.now())
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired idempotency records: %w", err)
	}
	return tag.RowsAffected(), nil
}
