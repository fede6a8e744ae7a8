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

// folderOf is the parent folder of path_lower with its trailing slash, as
// the index mirror_entries_by_folder holds it: queries must spell it so.
const folderOf = `rtrim(path_lower, replace(path_lower, '/', ''))`

// ReadMirrorFiles implements dropbridge.MirrorStore.
func (s *Store) ReadMirrorFiles(ctx context.Context, environmentID, connectionID string, q dropbridge.MirrorFilesQuery) (*dropbridge.MirrorFilesPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	out := &dropbridge.MirrorFilesPage{}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := connectionInEnvironment(ctx, tx, environmentID, connectionID); err != nil {
			return err
		}
		var updated string
		err := tx.QueryRowContext(ctx, `SELECT cursor, version, updated_at FROM mirror_cursors WHERE connection_id = ? AND kind = ?`,
			connectionID, string(dropbridge.MirrorFiles)).Scan(&out.Cursor.Cursor, &out.Cursor.Version, &updated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if out.UpdatedAt, err = parseTime(updated); err != nil {
				return err
			}
		}
		folder := ""
		if q.Path != "" {
			// SQLite's planner, without statistics, may take any index
			// that starts with connection_id, and scan the whole
			// connection: each query names its index.
			lookup := `mirror_entries INDEXED BY mirror_entries_by_path WHERE connection_id = ? AND path_lower = ?`
			if strings.HasPrefix(q.Path, "id:") {
				lookup = `mirror_entries INDEXED BY mirror_entries_by_id WHERE connection_id = ? AND id = ?`
			}
			var found []*dropbridge.Entry
			rows, err := tx.QueryContext(ctx, `SELECT `+entryColumns+` FROM `+lookup+` AND pending = 0`, connectionID, q.Path)
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
		var rows *sql.Rows
		if q.Recursive {
			// The folder itself, then everything from folder+"/" up to
			// folder+"0" ('0' follows '/'), from one lower bound that the
			// index starts at.
			from, op := folder, ">="
			if q.After >= folder && q.After != "" {
				from, op = q.After, ">"
			}
			rows, err = tx.QueryContext(ctx, `SELECT `+entryColumns+` FROM mirror_entries INDEXED BY mirror_entries_by_path
				WHERE connection_id = ? AND path_lower `+op+` ? AND path_lower < ?
				AND (path_lower = ? OR path_lower > ?) AND pending = 0
				ORDER BY path_lower LIMIT ?`,
				connectionID, from, folder+"0", folder, folder+"/", q.Limit)
		} else {
			rows, err = tx.QueryContext(ctx, `SELECT `+entryColumns+` FROM mirror_entries INDEXED BY mirror_entries_by_folder
				WHERE connection_id = ? AND `+folderOf+` = ? AND path_lower > ? AND pending = 0
				ORDER BY path_lower LIMIT ?`,
				connectionID, folder+"/", q.After, q.Limit)
		}
		if err != nil {
			return err
		}
		return scanEntries(rows, nil, &out.Entries)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: read mirror files: %w", err)
	}
	return out, nil
}
