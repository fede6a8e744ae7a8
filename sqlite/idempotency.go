package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
	sqlite3 "modernc.org/sqlite/lib"
)

// Stored answers are sealed with the keyring (they may hold credentials:
// temporary links, shared links, connect session URLs), bound to their
// record: environment, key, method, path and fingerprint. The fingerprint
// is a digest of the request, not the request, so it stays in clear for
// the store to compare. Rows written before migration 0004 hold their
// answer in clear (body_sealed 0): they are read as they are, and
// ResealSecrets seals them.

// idempotencyField is the associated data of a record's sealed answer.
// Environment ids, keys and methods hold no spaces, and the path comes
// last, so the parts cannot run into each other.
func idempotencyField(rec *dropbridge.IdempotencyRecord) []byte {
	return secrets.Field("idempotency_records", "body", rec.SealID())
}

// sealIdempotentBody seals the answer of rec.
func (s *Store) sealIdempotentBody(rec *dropbridge.IdempotencyRecord, body []byte) ([]byte, error) {
	sealed, err := s.keys.Seal(body, idempotencyField(rec))
	if err != nil {
		return nil, fmt.Errorf("seal idempotency_records.body: %w", err)
	}
	return []byte(sealed), nil
}

// openIdempotentBody returns the answer stored in rec.Body, opened if
// sealed. An answer no key opens is an internal error naming the key.
func (s *Store) openIdempotentBody(rec *dropbridge.IdempotencyRecord, sealed bool) error {
	if !sealed {
		return nil
	}
	body, err := s.keys.Open(string(rec.Body), idempotencyField(rec))
	if err != nil {
		return fmt.Errorf("open idempotency_records.body of key %q: %w", rec.Key, err)
	}
	rec.Body = body
	return nil
}

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
		var sealed bool
		err := tx.QueryRowContext(ctx, `SELECT fingerprint, status_code, body, body_sealed, created_at, expires_at FROM idempotency_records
			WHERE environment_id = ? AND idempotency_key = ? AND method = ? AND path = ?`,
			rec.EnvironmentID, rec.Key, rec.Method, rec.Path).Scan(&stored.Fingerprint, &stored.StatusCode, &stored.Body, &sealed, &created, &expires)
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
				if err := s.openIdempotentBody(&stored, sealed); err != nil {
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
	body, err := s.sealIdempotentBody(rec, rec.Body)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_records SET status_code = ?, body = ?, body_sealed = 1
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

// resealIdempotencyRecords seals every stored answer that is in clear
// (written before answers were sealed) or sealed with an older key with
// the newest key, resealBatch records per transaction, and returns how
// many it changed. The update is conditional on the old value, so an
// answer written meanwhile is left alone.
func (s *Store) resealIdempotencyRecords(ctx context.Context) (int, error) {
	total := 0
	var after [4]string // the primary key of the last record seen
	for {
		var changed, seen int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			changed, seen, err = s.resealIdempotencyBatch(ctx, tx, &after)
			return err
		})
		if err != nil {
			return total, err
		}
		total += changed
		if seen < resealBatch {
			return total, nil
		}
	}
}

// resealIdempotencyBatch re-seals the answers of up to resealBatch
// finished records after the primary key after, and moves after on.
func (s *Store) resealIdempotencyBatch(ctx context.Context, tx *sql.Tx, after *[4]string) (changed, seen int, err error) {
	type row struct {
		rec    dropbridge.IdempotencyRecord
		sealed bool
	}
	rows, err := tx.QueryContext(ctx, `SELECT environment_id, idempotency_key, method, path, fingerprint, body, body_sealed
		FROM idempotency_records
		WHERE status_code <> 0 AND (environment_id, idempotency_key, method, path) > (?, ?, ?, ?)
		ORDER BY environment_id, idempotency_key, method, path LIMIT ?`,
		after[0], after[1], after[2], after[3], resealBatch)
	if err != nil {
		return 0, 0, err
	}
	var batch []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.rec.EnvironmentID, &r.rec.Key, &r.rec.Method, &r.rec.Path, &r.rec.Fingerprint, &r.rec.Body, &r.sealed); err != nil {
			rows.Close()
			return 0, 0, err
		}
		if r.rec.Body == nil {
			r.rec.Body = []byte{} // an empty answer, not NULL, in the update's condition
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	for _, r := range batch {
		rec := &r.rec
		*after = [4]string{rec.EnvironmentID, rec.Key, rec.Method, rec.Path}
		var resealed []byte
		if r.sealed {
			v, ok, err := s.keys.Reseal(string(rec.Body), idempotencyField(rec))
			if err != nil {
				return 0, 0, fmt.Errorf("idempotency_records.body of key %q: %w", rec.Key, err)
			}
			if !ok {
				continue
			}
			resealed = []byte(v)
		} else if resealed, err = s.sealIdempotentBody(rec, rec.Body); err != nil {
			return 0, 0, err
		}
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_records SET body = ?, body_sealed = 1
			WHERE environment_id = ? AND idempotency_key = ? AND method = ? AND path = ? AND body = ? AND body_sealed = ?`,
			resealed, rec.EnvironmentID, rec.Key, rec.Method, rec.Path, rec.Body, r.sealed)
		if err != nil {
			return 0, 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, 0, err
		} else if n == 1 {
			changed++
		}
	}
	return changed, len(batch), nil
}
