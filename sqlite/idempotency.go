package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
	sqlite3 "modernc.org/sqlite/lib"
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stored := claim
		var created, expires string
		err := tx.QueryRowContext(ctx, `SELECT fingerprint, status_code, body, created_at, expires_at FROM idempotency_records
			WHERE environment_id = ? AND idempotency_key = ? AND method = ? AND path = ?`,
			rec.EnvironmentID, rec.Key, rec.Method, rec.Path).Scan(&stored.Fingerprint, &stored.StatusCode, &stored.Body, &created, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if stored.CreatedAt, err = parseTime(created); err != nil {
				return err
			}
			if stored.ExpiresAt, err = parseTime(expires); err != nil {
				return err
			}
			if now.Before(stored.ExpiresAt) {
				if err := dropbridge.CheckIdempotencyRepeat(&stored, rec); err != nil {
					return err
				}
				if len(stored.Body) == 0 {
					stored.Body = nil
				}
				result = &stored
				return nil
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_records
				WHERE environment_id = ? AND idempotency_key = ? AND method = ? AND path = ?`,
				rec.EnvironmentID, rec.Key, rec.Method, rec.Path); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_records
			(environment_id, idempotency_key, method, path, fingerprint, status_code, body, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, 0, X'', ?, ?)`,
			claim.EnvironmentID, claim.Key, claim.Method, claim.Path, claim.Fingerprint, formatTime(now), formatTime(claim.ExpiresAt))
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			return dropbridge.Errorf(dropbridge.ENOTFOUND, "No environment %q.", rec.EnvironmentID)
		}
		result = &claim
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim idempotency key: %w", err)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_records SET status_code = ?, body = ?
			WHERE environment_id = ? AND idempotency_key = ? AND method = ? AND path = ? AND status_code = 0 AND fingerprint = ?`,
			rec.StatusCode, body, rec.EnvironmentID, rec.Key, rec.Method, rec.Path, rec.Fingerprint)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dropbridge.Errorf(dropbridge.ENOTFOUND, "No running request holds the Idempotency-Key %q.", rec.Key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: save idempotent response: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey implements dropbridge.IdempotencyStore.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, rec *dropbridge.IdempotencyRecord) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_records
			WHERE environment_id = ? AND idempotency_key = ? AND method = ? AND path = ? AND status_code = 0 AND fingerprint = ?`,
			rec.EnvironmentID, rec.Key, rec.Method, rec.Path, rec.Fingerprint)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: release idempotency key: %w", err)
	}
	return nil
}

// DeleteExpiredIdempotencyRecords implements dropbridge.IdempotencyStore.
func (s *Store) DeleteExpiredIdempotencyRecords(ctx context.Context) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_records WHERE expires_at <= ?`, formatTime(s.now()))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired idempotency records: %w", err)
	}
	return n, nil
}
