package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dropbridge/dropbridge/secrets"
)

// sealedColumns are the columns that hold sealed secrets; their rows are
// keyed by a text id.
var sealedColumns = []struct{ table, column string }{
	{"apps", "app_secret"},
	{"connect_sessions", "pkce_verifier"},
	{"connections", "access_token"},
	{"connections", "refresh_token"},
	{"webhook_endpoints", "secret"},
}

// resealBatch is how many rows one transaction re-seals, so that other
// writers are not held up for long.
const resealBatch = 200

// ResealSecrets implements dropbridge.Store.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	total := 0
	for _, col := range sealedColumns {
		after := ""
		for {
			var n, seen int
			err := s.inTx(ctx, func(tx *sql.Tx) error {
				var err error
				n, seen, after, err = s.resealBatch(ctx, tx, col.table, col.column, after)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("sqlite: reseal secrets: %w", err)
			}
			total += n
			if seen < resealBatch {
				break
			}
		}
	}
	n, err := s.resealIdempotencyRecords(ctx)
	total += n
	if err != nil {
		return total, fmt.Errorf("sqlite: reseal secrets: %w", err)
	}
	return total, nil
}

// resealBatch re-seals the column in up to resealBatch rows whose id follows
// after, and returns how many it changed, how many it read, and the last id.
func (s *Store) resealBatch(ctx context.Context, tx *sql.Tx, table, column, after string) (changed, seen int, last string, err error) {
	type row struct{ id, sealed string }
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT id, %s FROM %s WHERE id > ? ORDER BY id LIMIT ?`, column, table),
		after, resealBatch)
	if err != nil {
		return 0, 0, "", err
	}
	var batch []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sealed); err != nil {
			rows.Close()
			return 0, 0, "", err
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, "", err
	}
	last = after
	for _, r := range batch {
		last = r.id
		resealed, ok, err := s.keys.Reseal(r.sealed, secrets.Field(table, column, r.id))
		if err != nil {
			return 0, 0, "", fmt.Errorf("%s.%s of %s: %w", table, column, r.id, err)
		}
		if !ok {
			continue
		}
		res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE id = ? AND %s = ?`, table, column, column),
			resealed, r.id, r.sealed)
		if err != nil {
			return 0, 0, "", err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, 0, "", err
		} else if n == 1 {
			changed++
		}
	}
	return changed, len(batch), last, nil
}
