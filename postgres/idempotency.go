package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/jackc/pgx/v5"
)

// Stored answers are sealed with the keyring (they may hold credentials:
// temporary links, shared links, connect session URLs), bound to their
// record: environment, key, method, path and fingerprint. The fingerprint
// is a digest of the request, not the request, so it stays in clear for
// the store to compare. Rows written before migration 0004 hold their
// answer in clear (body_sealed false): they are read as they are, and
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// A claim racing this one may insert between the SELECT and the
		// INSERT; then the INSERT does nothing and the second pass finds
		// its record.
		for attempt := 0; attempt < 2; attempt++ {
			stored := claim
			var sealed bool
			err := tx.QueryRow(ctx, `SELECT fingerprint, status_code, body, body_sealed, created_at, expires_at FROM idempotency_records
				WHERE environment_id = $1 AND idempotency_key = $2 AND method = $3 AND path = $4 FOR UPDATE`,
				rec.EnvironmentID, rec.Key, rec.Method, rec.Path).Scan(&stored.Fingerprint, &stored.StatusCode, &stored.Body, &sealed, &stored.CreatedAt, &stored.ExpiresAt)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return err
			case now.Before(stored.ExpiresAt):
				if err := dropbridge.CheckIdempotencyRepeat(&stored, rec); err != nil {
					return err
				}
				if err := s.openIdempotentBody(&stored, sealed); err != nil {
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
	body, err := s.sealIdempotentBody(rec, rec.Body)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE idempotency_records SET status_code = $1, body = $2, body_sealed = true
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
		err := s.inTx(ctx, func(tx pgx.Tx) error {
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
func (s *Store) resealIdempotencyBatch(ctx context.Context, tx pgx.Tx, after *[4]string) (changed, seen int, err error) {
	type row struct {
		rec    dropbridge.IdempotencyRecord
		sealed bool
	}
	rows, err := tx.Query(ctx, `SELECT environment_id, idempotency_key, method, path, fingerprint, body, body_sealed
		FROM idempotency_records
		WHERE status_code <> 0 AND (environment_id, idempotency_key, method, path) > ($1, $2, $3, $4)
		ORDER BY environment_id, idempotency_key, method, path LIMIT $5`,
		after[0], after[1], after[2], after[3], resealBatch)
	if err != nil {
		return 0, 0, err
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.rec.EnvironmentID, &x.rec.Key, &x.rec.Method, &x.rec.Path, &x.rec.Fingerprint, &x.rec.Body, &x.sealed)
		if x.rec.Body == nil {
			x.rec.Body = []byte{} // an empty answer, not NULL, in the update's condition
		}
		return x, err
	})
	if err != nil {
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
		tag, err := tx.Exec(ctx, `UPDATE idempotency_records SET body = $1, body_sealed = true
			WHERE environment_id = $2 AND idempotency_key = $3 AND method = $4 AND path = $5 AND body = $6 AND body_sealed = $7`,
			resealed, rec.EnvironmentID, rec.Key, rec.Method, rec.Path, rec.Body, r.sealed)
		if err != nil {
			return 0, 0, err
		}
		changed += int(tag.RowsAffected())
	}
	return changed, len(batch), nil
}
