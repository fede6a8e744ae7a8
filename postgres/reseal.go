package postgres

import (
	"context"
	"fmt"

	"github.com/dropbridge/dropbridge/secrets"
	"github.com/jackc/pgx/v5"
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

// resealBatch is how many rows one transaction re-seals, so that rows are
// not locked for long.
const resealBatch = 200

// ResealSecrets implements dropbridge.Store.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	total := 0
	for _, col := range sealedColumns {
		after := ""
		for {
			var n, seen int
			err := s.inTx(ctx, func(tx pgx.Tx) error {
				var err error
				n, seen, after, err = s.resealBatch(ctx, tx, col.table, col.column, after)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("postgres: reseal secrets: %w", err)
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
		return total, fmt.Errorf("postgres: reseal secrets: %w", err)
	}
	return total, nil
}

// resealBatch re-seals the column in up to resealBatch rows whose id follows
// after, and returns how many it changed, how many it read, and the last id.
// The update is conditional on the old value, so a value written meanwhile
// is left alone (it was sealed with the newest key of its writer).
func (s *Store) resealBatch(ctx context.Context, tx pgx.Tx, table, column, after string) (changed, seen int, last string, err error) {
	type row struct{ id, sealed string }
	ident := pgx.Identifier{table}.Sanitize()
	col := pgx.Identifier{column}.Sanitize()
	rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT id, %s FROM %s WHERE id > $1 ORDER BY id LIMIT $2`, col, ident), after, resealBatch)
	if err != nil {
		return 0, 0, "", err
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.sealed)
		return x, err
	})
	if err != nil {
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
		tag, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE id = $2 AND %s = $3`, ident, col, col), resealed, r.id, r.sealed)
		if err != nil {
			return 0, 0, "", err
		}
		changed += int(tag.RowsAffected())
	}
	return changed, len(batch), last, nil
}
