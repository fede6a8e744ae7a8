package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dropbridge/dropbridge"
)

// RecordWrite implements dropbridge.WriteLogStore.
func (s *Store) RecordWrite(ctx context.Context, w *dropbridge.WriteRecord) error {
	if err := w.Validate(); err != nil {
		return err
	}
	at := micro(w.At)
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, w.EnvironmentID, w.ConnectionID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO write_log
			(environment_id, connection_id, object_id, path_lower, rev, content_hash, removal, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			w.EnvironmentID, w.ConnectionID, w.ObjectID, w.PathLower, w.Rev, w.ContentHash, w.Removal, formatTime(at)).Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("sqlite: record write: %w", err)
	}
	w.ID, w.At = id, at
	return nil
}

// ListWrites implements dropbridge.WriteLogStore.
func (s *Store) ListWrites(ctx context.Context, environmentID, connectionID string, since time.Time) ([]*dropbridge.WriteRecord, error) {
	var out []*dropbridge.WriteRecord
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, object_id, path_lower, rev, content_hash, removal, at FROM write_log
			WHERE connection_id = ? AND at >= ? ORDER BY at, id`, connectionID, formatTime(since))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			w := &dropbridge.WriteRecord{EnvironmentID: environmentID, ConnectionID: connectionID}
			var at string
			if err := rows.Scan(&w.ID, &w.ObjectID, &w.PathLower, &w.Rev, &w.ContentHash, &w.Removal, &at); err != nil {
				return err
			}
			if w.At, err = parseTime(at); err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list writes: %w", err)
	}
	return out, nil
}

// DeleteWritesBefore implements dropbridge.WriteLogStore.
func (s *Store) DeleteWritesBefore(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM write_log WHERE at < ?`, formatTime(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete writes: %w", err)
	}
	return n, nil
}
