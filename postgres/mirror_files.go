package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dropbridge/dropbridge"
)

// folderOf is the parent folder of path_lower with its trailing slash, as
// the index mirror_entries_by_folder holds it: queries must spell it so.
const folderOf = `regexp_replace(path_lower, '[^/]*$', '')`

// ReadMirrorFiles implements dropbridge.MirrorStore.
func (s *Store) ReadMirrorFiles(ctx context.Context, environmentID, connectionID string, q dropbridge.MirrorFilesQuery) (*dropbridge.MirrorFilesPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	out := &dropbridge.MirrorFilesPage{}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		var updated time.Time
		err := tx.QueryRow(ctx, `SELECT cursor, version, updated_at FROM mirror_cursors WHERE connection_id = $1 AND kind = $2`,
			connectionID, string(dropbridge.MirrorFiles)).Scan(&out.Cursor.Cursor, &out.Cursor.Version, &updated)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case out.Cursor.Version > 0:
			out.UpdatedAt = updated.UTC()
		}
		folder := ""
		if q.Path != "" {
			column := `path_lower`
			if strings.HasPrefix(q.Path, "id:") {
				column = `id`
			}
			var found []*dropbridge.Entry
			// Without ORDER BY id, which the primary key could answer by
			// scanning the whole connection: a path holds one live entry.
			rows, err := tx.Query(ctx, `SELECT `+entryColumns+` FROM mirror_entries
				WHERE connection_id = $1 AND `+column+` = $2 AND NOT pending`, connectionID, q.Path)
			if err != nil {
				return err
			}
			if err := scanEntries(rows, nil, &found); err != nil {
				return err
			}
			if len(found) == 0 {
				return nil
			}
			out.Entry = slices.MinFunc(found, func(a, b *dropbridge.Entry) int { return strings.Compare(a.ID, b.ID) })
			if out.Entry.Kind != dropbridge.EntryFolder {
				return nil
			}
			folder = out.Entry.PathLower
		}
		if !q.List {
			return nil
		}
		var rows pgx.Rows
		if q.Recursive {
			// The folder itself, then everything from folder+"/" up to
			// folder+"0" ('0' follows '/'), from one lower bound that the
			// index starts at.
			from, op := folder, ">="
			if q.After >= folder && q.After != "" {
				from, op = q.After, ">"
			}
			rows, err = tx.Query(ctx, `SELECT `+entryColumns+` FROM mirror_entries
				WHERE connection_id = $1 AND path_lower `+op+` $2 AND path_lower < $3
				AND (path_lower = $4 OR path_lower > $5) AND NOT pending
				ORDER BY path_lower LIMIT $6`,
				connectionID, from, folder+"0", folder, folder+"/", q.Limit)
		} else {
			rows, err = tx.Query(ctx, `SELECT `+entryColumns+` FROM mirror_entries
				WHERE connection_id = $1 AND `+folderOf+` = $2 AND path_lower > $3 AND NOT pending
				ORDER BY path_lower LIMIT $4`,
				connectionID, folder+"/", q.After, q.Limit)
		}
		if err != nil {
			return err
		}
		return scanEntries(rows, nil, &out.Entries)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read mirror files: %w", err)
	}
	return out, nil
}
