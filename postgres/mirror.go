package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// connectionInEnvironment returns ENOTFOUND unless the environment has the
// connection.
func connectionInEnvironment(ctx context.Context, q querier, environmentID, connectionID string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM connections WHERE environment_id = $1 AND id = $2`, environmentID, connectionID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return dropbridge.NotFoundError("connection", connectionID)
	}
	return err
}

// readTx runs fn in a read-only transaction that sees one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// FindMirrorCursor implements dropbridge.MirrorStore.
func (s *Store) FindMirrorCursor(ctx context.Context, environmentID, connectionID string, kind dropbridge.MirrorKind) (*dropbridge.MirrorCursor, error) {
	if !kind.Valid() {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Mirror kind %q is not one dropbridge knows.", kind)
	}
	var c dropbridge.MirrorCursor
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT cursor, version FROM mirror_cursors WHERE connection_id = $1 AND kind = $2`,
			connectionID, string(kind)).Scan(&c.Cursor, &c.Version)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: find mirror cursor: %w", err)
	}
	return &c, nil
}

// ApplyMirrorChange implements dropbridge.MirrorStore. The row of the
// connection's cursor, locked, serializes the changes of one kind of one
// connection.
func (s *Store) ApplyMirrorChange(ctx context.Context, ch *dropbridge.MirrorChange) (int64, error) {
	if err := ch.Validate(); err != nil {
		return 0, err
	}
	bodies, err := dropbridge.EncodeEvents(ch.Events)
	if err != nil {
		return 0, err
	}
	now := s.now()
	var version int64
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, ch.EnvironmentID, ch.ConnectionID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mirror_cursors (connection_id, kind, cursor, version, updated_at)
			VALUES ($1, $2, '', 0, $3) ON CONFLICT (connection_id, kind) DO NOTHING`,
			ch.ConnectionID, string(ch.Kind), now); err != nil {
			return err
		}
		var have int64
		if err := tx.QueryRow(ctx, `SELECT version FROM mirror_cursors WHERE connection_id = $1 AND kind = $2 FOR UPDATE`,
			ch.ConnectionID, string(ch.Kind)).Scan(&have); err != nil {
			return err
		}
		if have != ch.IfVersion {
			return dropbridge.StaleMirrorError(ch, have)
		}
		version = have + 1
		if _, err := tx.Exec(ctx, `UPDATE mirror_cursors SET cursor = $3, version = $4, updated_at = $5
			WHERE connection_id = $1 AND kind = $2`, ch.ConnectionID, string(ch.Kind), ch.Cursor, version, now); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, u := range ch.Entries {
			if e := u.Entry; e != nil {
				b.Queue(`INSERT INTO mirror_entries
					(connection_id, id, path_lower, path_display, kind, rev, content_hash, parent, pending, object)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (connection_id, id) DO UPDATE SET
					path_lower = excluded.path_lower, path_display = excluded.path_display, kind = excluded.kind,
					rev = excluded.rev, content_hash = excluded.content_hash, parent = excluded.parent,
					pending = excluded.pending, object = excluded.object`,
					ch.ConnectionID, e.ID, e.PathLower, e.PathDisplay(), string(e.Kind), e.Rev, e.ContentHash, e.Parent,
					e.Pending, []byte(e.Object))
			} else {
				b.Queue(`DELETE FROM mirror_entries WHERE connection_id = $1 AND id = $2`, ch.ConnectionID, u.ID)
			}
		}
		for _, o := range ch.Objects {
			if o.Object != nil {
				b.Queue(`INSERT INTO mirror_objects (connection_id, kind, key, object) VALUES ($1, $2, $3, $4)
					ON CONFLICT (connection_id, kind, key) DO UPDATE SET object = excluded.object`,
					ch.ConnectionID, string(ch.Kind), o.Key, []byte(o.Object))
			} else {
				b.Queue(`DELETE FROM mirror_objects WHERE connection_id = $1 AND kind = $2 AND key = $3`,
					ch.ConnectionID, string(ch.Kind), o.Key)
			}
		}
		if len(ch.ConsumedWrites) > 0 {
			b.Queue(`DELETE FROM write_log WHERE connection_id = $1 AND id = ANY($2)`, ch.ConnectionID, ch.ConsumedWrites)
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		return s.appendEvents(ctx, tx, ch.Events, bodies, now)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: apply mirror change: %w", err)
	}
	return version, nil
}

// entryColumns are the columns scanEntries reads.
const entryColumns = `id, path_lower, kind, rev, content_hash, parent, pending, object`

func scanEntries(rows pgx.Rows, into map[string]*dropbridge.Entry, list *[]*dropbridge.Entry) error {
	defer rows.Close()
	for rows.Next() {
		var e dropbridge.Entry
		var kind string
		var obj []byte
		if err := rows.Scan(&e.ID, &e.PathLower, &kind, &e.Rev, &e.ContentHash, &e.Parent, &e.Pending, &obj); err != nil {
			return err
		}
		e.Kind, e.Object = dropbridge.EntryKind(kind), obj
		if into != nil {
			into[e.ID] = &e
		}
		if list != nil {
			*list = append(*list, &e)
		}
	}
	return rows.Err()
}

// ListMirrorEntries implements dropbridge.MirrorStore.
func (s *Store) ListMirrorEntries(ctx context.Context, environmentID, connectionID, after string, limit int) ([]*dropbridge.Entry, error) {
	if limit < 1 || limit > dropbridge.MaxMirrorPage {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "The page size must be between 1 and %d.", dropbridge.MaxMirrorPage)
	}
	var out []*dropbridge.Entry
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+entryColumns+` FROM mirror_entries
			WHERE connection_id = $1 AND id > $2 ORDER BY id LIMIT $3`, connectionID, after, limit)
		if err != nil {
			return err
		}
		return scanEntries(rows, nil, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list mirror entries: %w", err)
	}
	return out, nil
}

// QueryMirrorEntries implements dropbridge.MirrorStore.
func (s *Store) QueryMirrorEntries(ctx context.Context, environmentID, connectionID string, q dropbridge.MirrorQuery) ([]*dropbridge.Entry, error) {
	found := map[string]*dropbridge.Entry{}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		query := func(where string, args ...any) error {
			rows, err := tx.Query(ctx, `SELECT `+entryColumns+` FROM mirror_entries WHERE connection_id = $1 AND `+where,
				append([]any{connectionID}, args...)...)
			if err != nil {
				return err
			}
			return scanEntries(rows, found, nil)
		}
		if err := query(`pending`); err != nil {
			return err
		}
		if len(q.IDs) > 0 {
			if err := query(`id = ANY($2)`, q.IDs); err != nil {
				return err
			}
		}
		subtrees := slices.Clone(q.Subtrees)
		for _, id := range q.IDs {
			if e := found[id]; e != nil && e.Kind == dropbridge.EntryFolder {
				subtrees = append(subtrees, e.PathLower)
			}
		}
		if len(q.Paths) > 0 {
			if err := query(`path_lower = ANY($2)`, q.Paths); err != nil {
				return err
			}
		}
		tops := dropbridge.TopmostPaths(subtrees)
		if slices.Contains(tops, "/") {
			return query(`true`)
		}
		if len(tops) == 0 {
			return nil
		}
		if err := query(`path_lower = ANY($2)`, tops); err != nil {
			return err
		}
		// One index range scan per subtree.
		from, to := make([]string, len(tops)), make([]string, len(tops))
		for i, p := range tops {
			from[i], to[i] = p+"/", p+"0"
		}
		rows, err := tx.Query(ctx, `SELECT m.id, m.path_lower, m.kind, m.rev, m.content_hash, m.parent, m.pending, m.object
			FROM unnest($2::text[], $3::text[]) AS r (lo, hi) CROSS JOIN LATERAL (
				SELECT * FROM mirror_entries e WHERE e.connection_id = $1 AND e.path_lower >= r.lo AND e.path_lower < r.hi
			) AS m`, connectionID, from, to)
		if err != nil {
			return err
		}
		if err := scanEntries(rows, found, nil); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: query mirror entries: %w", err)
	}
	out := make([]*dropbridge.Entry, 0, len(found))
	for _, e := range found {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *dropbridge.Entry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ListMirrorObjects implements dropbridge.MirrorStore.
func (s *Store) ListMirrorObjects(ctx context.Context, environmentID, connectionID string, kind dropbridge.MirrorKind) ([]dropbridge.MirrorObject, error) {
	if !kind.Valid() || kind == dropbridge.MirrorFiles {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Mirror kind %q is not a kind of polled objects.", kind)
	}
	var out []dropbridge.MirrorObject
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT key, object FROM mirror_objects WHERE connection_id = $1 AND kind = $2 ORDER BY key`,
			connectionID, string(kind))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dropbridge.MirrorObject, error) {
			var o dropbridge.MirrorObject
			var obj []byte
			err := r.Scan(&o.Key, &obj)
			o.Object = obj
			return o, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list mirror objects: %w", err)
	}
	return out, nil
}
