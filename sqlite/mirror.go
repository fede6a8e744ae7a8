package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dropbridge/dropbridge"
)

// connectionInEnvironment returns ENOTFOUND unless the environment has the
// connection.
func connectionInEnvironment(ctx context.Context, q querier, environmentID, connectionID string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM connections WHERE environment_id = ? AND id = ?`, environmentID, connectionID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return dropbridge.NotFoundError("connection", connectionID)
	}
	return err
}

// readTx runs fn in a read transaction: one snapshot of the database.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// FindMirrorCursor implements dropbridge.MirrorStore.
func (s *Store) FindMirrorCursor(ctx context.Context, environmentID, connectionID string, kind dropbridge.MirrorKind) (*dropbridge.MirrorCursor, error) {
	if !kind.Valid() {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Mirror kind %q is not one dropbridge knows.", kind)
	}
	var c dropbridge.MirrorCursor
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT cursor, version FROM mirror_cursors WHERE connection_id = ? AND kind = ?`,
			connectionID, string(kind)).Scan(&c.Cursor, &c.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: find mirror cursor: %w", err)
	}
	return &c, nil
}

// ApplyMirrorChange implements dropbridge.MirrorStore.
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
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, ch.EnvironmentID, ch.ConnectionID); err != nil {
			return err
		}
		var have int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM mirror_cursors WHERE connection_id = ? AND kind = ?`,
			ch.ConnectionID, string(ch.Kind)).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if have != ch.IfVersion {
			return dropbridge.StaleMirrorError(ch, have)
		}
		version = have + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO mirror_cursors (connection_id, kind, cursor, version, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (connection_id, kind) DO UPDATE
			SET cursor = excluded.cursor, version = excluded.version, updated_at = excluded.updated_at`,
			ch.ConnectionID, string(ch.Kind), ch.Cursor, version, formatTime(now)); err != nil {
			return err
		}
		if err := writeEntries(ctx, tx, ch); err != nil {
			return err
		}
		if err := writeObjects(ctx, tx, ch); err != nil {
			return err
		}
		for _, id := range ch.ConsumedWrites {
			if _, err := tx.ExecContext(ctx, `DELETE FROM write_log WHERE id = ? AND connection_id = ?`, id, ch.ConnectionID); err != nil {
				return err
			}
		}
		return s.appendEvents(ctx, tx, ch.Events, bodies, now)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: apply mirror change: %w", err)
	}
	return version, nil
}

// entryRows is how many entries one INSERT statement writes: 9 values
// each, well below SQLite's limit of 32,766 parameters.
const entryRows = 200

// putEntries is the upsert of n entries, n <= entryRows.
func putEntries(n int) string {
	return `INSERT INTO mirror_entries
		(connection_id, id, path_lower, kind, rev, content_hash, parent, pending, object)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)` + strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n-1) + `
		ON CONFLICT (connection_id, id) DO UPDATE SET
		path_lower = excluded.path_lower, kind = excluded.kind, rev = excluded.rev, content_hash = excluded.content_hash,
		parent = excluded.parent, pending = excluded.pending, object = excluded.object`
}

// writeEntries stores the change's entry updates, in their order: each run
// of new states in INSERT statements of up to entryRows rows (SQLite
// inserts a statement's rows one after the other, so an id listed twice
// ends with its later state), each removal on its own.
func writeEntries(ctx context.Context, tx *sql.Tx, ch *dropbridge.MirrorChange) error {
	if len(ch.Entries) == 0 {
		return nil
	}
	var full, del *sql.Stmt
	defer func() {
		for _, st := range []*sql.Stmt{full, del} {
			if st != nil {
				st.Close()
			}
		}
	}()
	args := make([]any, 0, 9*entryRows)
	flush := func() error {
		n := len(args) / 9
		if n == 0 {
			return nil
		}
		var err error
		if n == entryRows {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, putEntries(entryRows)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, putEntries(n), args...)
		}
		args = args[:0]
		return err
	}
	for _, u := range ch.Entries {
		e := u.Entry
		if e == nil {
			err := flush()
			if err == nil && del == nil {
				del, err = tx.PrepareContext(ctx, `DELETE FROM mirror_entries WHERE connection_id = ? AND id = ?`)
			}
			if err != nil {
				return err
			}
			if _, err := del.ExecContext(ctx, ch.ConnectionID, u.ID); err != nil {
				return err
			}
			continue
		}
		args = append(args, ch.ConnectionID, e.ID, e.PathLower, string(e.Kind), e.Rev, e.ContentHash, e.Parent, e.Pending, []byte(e.Object))
		if len(args) == 9*entryRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// writeObjects stores the change's polled object updates.
func writeObjects(ctx context.Context, tx *sql.Tx, ch *dropbridge.MirrorChange) error {
	for _, o := range ch.Objects {
		var err error
		if o.Object != nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO mirror_objects (connection_id, kind, key, object) VALUES (?, ?, ?, ?)
				ON CONFLICT (connection_id, kind, key) DO UPDATE SET object = excluded.object`,
				ch.ConnectionID, string(ch.Kind), o.Key, []byte(o.Object))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM mirror_objects WHERE connection_id = ? AND kind = ? AND key = ?`,
				ch.ConnectionID, string(ch.Kind), o.Key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// entryColumns are the columns scanEntries reads.
const entryColumns = `id, path_lower, kind, rev, content_hash, parent, pending, object`

func scanEntries(rows *sql.Rows, into map[string]*dropbridge.Entry, list *[]*dropbridge.Entry) error {
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
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+entryColumns+` FROM mirror_entries INDEXED BY mirror_entries_by_id
			WHERE connection_id = ? AND id > ? ORDER BY id LIMIT ?`, connectionID, after, limit)
		if err != nil {
			return err
		}
		return scanEntries(rows, nil, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list mirror entries: %w", err)
	}
	return out, nil
}

// inBatch is how many values one IN (...) list holds.
const inBatch = 500

// QueryMirrorEntries implements dropbridge.MirrorStore.
func (s *Store) QueryMirrorEntries(ctx context.Context, environmentID, connectionID string, q dropbridge.MirrorQuery) ([]*dropbridge.Entry, error) {
	found := map[string]*dropbridge.Entry{}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		// from names the table with the index each lookup needs: SQLite,
		// without statistics, may take another index that starts with
		// connection_id and read the whole connection, so that a page's
		// cost grew with the account.
		query := func(from, where string, args ...any) error {
			rows, err := tx.QueryContext(ctx, `SELECT `+entryColumns+` FROM `+from+` WHERE connection_id = ? AND `+where,
				append([]any{connectionID}, args...)...)
			if err != nil {
				return err
			}
			return scanEntries(rows, found, nil)
		}
		if err := query(`mirror_entries INDEXED BY mirror_entries_pending`, `pending = 1`); err != nil {
			return err
		}
		in := func(column string, values []string) error {
			for chunk := range slices.Chunk(values, inBatch) {
				args := make([]any, len(chunk))
				for i, v := range chunk {
					args[i] = v
				}
				from := `mirror_entries INDEXED BY mirror_entries_by_id`
				if column == `path_lower` {
					from = `mirror_entries INDEXED BY mirror_entries_by_path`
				}
				if err := query(from, column+` IN (?`+strings.Repeat(`, ?`, len(chunk)-1)+`)`, args...); err != nil {
					return err
				}
			}
			return nil
		}
		if err := in(`id`, q.IDs); err != nil {
			return err
		}
		subtrees := slices.Clone(q.Subtrees)
		for _, id := range q.IDs {
			if e := found[id]; e != nil && e.Kind == dropbridge.EntryFolder {
				subtrees = append(subtrees, e.PathLower)
			}
		}
		if err := in(`path_lower`, q.Paths); err != nil {
			return err
		}
		for _, top := range dropbridge.TopmostPaths(subtrees) {
			var err error
			if top == "/" {
				err = query(`mirror_entries`, `1 = 1`)
			} else {
				// One range the path index answers, [top, top+"0"), less the
				// paths that sort between top and top+"/" ("/a b", "/a.txt").
				err = query(`mirror_entries INDEXED BY mirror_entries_by_path`,
					`path_lower >= ? AND path_lower < ? AND (path_lower = ? OR path_lower >= ?)`, top, top+"0", top, top+"/")
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: query mirror entries: %w", err)
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
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT key, object FROM mirror_objects WHERE connection_id = ? AND kind = ? ORDER BY key`,
			connectionID, string(kind))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o dropbridge.MirrorObject
			var obj []byte
			if err := rows.Scan(&o.Key, &obj); err != nil {
				return err
			}
			o.Object = obj
			out = append(out, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list mirror objects: %w", err)
	}
	return out, nil
}
