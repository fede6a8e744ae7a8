package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// RecordWrite implements dropbridge.WriteLogStore.
func (s *Store) RecordWrite(ctx context.Context, w *dropbridge.WriteRecord) error {
	if err := w.Validate(); err != nil {
		return err
	}
	at := micro(w.At)
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, w.EnvironmentID, w.ConnectionID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO write_log
			(environment_id, connection_id, object_id, path_lower, rev, content_hash, removal, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			w.EnvironmentID, w.ConnectionID, w.ObjectID, w.PathLower, w.Rev, w.ContentHash, w.Removal, at).Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("postgres: record write: %w", err)
	}
	w.ID, w.At = id, at
	return nil
}

// ListWrites implements dropbridge.WriteLogStore.
func (s *Store) ListWrites(ctx context.Context, environmentID, connectionID string, since time.Time) ([]*dropbridge.WriteRecord, error) {
	var out []*dropbridge.WriteRecord
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, object_id, path_lower, rev, content_hash, removal, at FROM write_log
			WHERE connection_id = $1 AND at >= $2 ORDER BY at, id`, connectionID, since)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dropbridge.WriteRecord, error) {
			w := &dropbridge.WriteRecord{EnvironmentID: environmentID, ConnectionID: connectionID}
			err := r.Scan(&w.ID, &w.ObjectID, &w.PathLower, &w.Rev, &w.ContentHash, &w.Removal, &w.At)
			w.At = w.At.UTC()
			return w, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list writes: %w", err)
	}
	return out, nil
}

// DeleteWritesBefore implements dropbridge.WriteLogStore.
func (s *Store) DeleteWritesBefore(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM write_log WHERE at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete writes: %w", err)
	}
	return tag.RowsAffected(), nil
}
