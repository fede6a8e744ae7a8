package changes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/tracker"
)

// initialPrefix marks a stored cursor of a connection's first listing,
// whose changes make no events.
const initialPrefix = "initial:"

// maxConflicts is how many times in a row a page is listed again after
// another process applied one first.
const maxConflicts = 5

// waitWritesTimeout bounds the wait for writes in flight before matching
// changes against the write log.
const waitWritesTimeout = 5 * time.Second

// background marks ctx's Dropbox calls as background work.
func background(ctx context.Context) context.Context { return dropbox.WithBackground(ctx) }

// filesPage lists and applies one page of conn's files: the first of a
// listing when there is no cursor or Dropbox reset it, else the page after
// the stored cursor. It returns whether the listing has more, and the
// number of events made. When another process applied a page first, it
// reports more, so that the caller lists again from the new cursor.
func (s *Service) filesPage(ctx context.Context, conn *dropbridge.Connection) (bool, int, error) {
	for tries := 0; ; tries++ {
		more, n, err := s.filesPageOnce(ctx, conn)
		if dropbridge.ErrorCode(err) == dropbridge.ECONFLICT && tries < maxConflicts && errors.Is(err, errVersion) {
			continue
		}
		return more, n, err
	}
}

// errVersion marks an ApplyMirrorChange refused for a stale version.
var errVersion = errors.New("the mirror changed meanwhile")

func (s *Service) filesPageOnce(ctx context.Context, conn *dropbridge.Connection) (bool, int, error) {
	st := s.cfg.Store
	cur, err := st.FindMirrorCursor(ctx, conn.EnvironmentID, conn.ID, dropbridge.MirrorFiles)
	if err != nil {
		return false, 0, fmt.Errorf("changes: files of %s: %w", conn.ID, err)
	}
	initial := cur.Cursor == "" || strings.HasPrefix(cur.Cursor, initialPrefix)
	cursor := strings.TrimPrefix(cur.Cursor, initialPrefix)
	var page *dropbox.ListFolderResult
	reset := false
	arg := &dropbox.ListFolderArg{Path: "", Recursive: true}
	if s.cfg.PageLimit > 0 {
		arg.Limit = &s.cfg.PageLimit
	}
	err = s.cfg.Connect.Do(background(ctx), conn.EnvironmentID, conn.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if cursor != "" {
			page, err = c.Files.ListFolderContinue(ctx, &dropbox.ListFolderContinueArg{Cursor: cursor})
			if !errors.Is(err, dropbox.ErrReset) {
				return err
			}
			reset = true
		}
		page, err = c.Files.ListFolder(ctx, arg)
		return err
	})
	if err != nil {
		return false, 0, fmt.Errorf("changes: list files of %s: %w", conn.ID, err)
	}
	var files *tracker.Files
	if reset {
		entries, err := s.allEntries(ctx, conn)
		if err != nil {
			return false, 0, err
		}
		if files, err = tracker.NewFiles(entries); err != nil {
			return false, 0, fmt.Errorf("changes: files mirror of %s: %w", conn.ID, err)
		}
	} else {
		entries, err := st.QueryMirrorEntries(ctx, conn.EnvironmentID, conn.ID, tracker.WorkingSet(page))
		if err != nil {
			return false, 0, fmt.Errorf("changes: files mirror of %s: %w", conn.ID, err)
		}
		if files, err = tracker.NewFiles(entries); err != nil {
			return false, 0, fmt.Errorf("changes: files mirror of %s: %w", conn.ID, err)
		}
	}
	var res *tracker.Result
	if reset {
		res = files.Reset(page)
		s.logger.Info("files cursor reset by Dropbox: listing again", "connection", conn.ID)
	} else {
		res = files.ApplyPage(page)
	}
	next := page.Cursor
	if initial && page.HasMore {
		next = initialPrefix + next
	}
	if len(res.Updates) == 0 && len(res.Changes) == 0 && next == cur.Cursor {
		return page.HasMore, 0, nil
	}
	ch := &dropbridge.MirrorChange{EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, Kind: dropbridge.MirrorFiles,
		IfVersion: cur.Version, Cursor: next, Entries: res.Updates}
	if !initial {
		if ch.Events, ch.ConsumedWrites, err = s.events(ctx, conn, res.Changes, true); err != nil {
			return false, 0, err
		}
	}
	if err := s.apply(ctx, ch); err != nil {
		return false, 0, err
	}
	return page.HasMore, len(ch.Events), nil
}

// apply stores ch; a stale version is ECONFLICT wrapping errVersion.
func (s *Service) apply(ctx context.Context, ch *dropbridge.MirrorChange) error {
	_, err := s.cfg.Store.ApplyMirrorChange(ctx, ch)
	switch {
	case err == nil:
		return nil
	case dropbridge.ErrorCode(err) == dropbridge.ECONFLICT:
		// Another process applied a change first (or, never in practice,
		// an event ID was taken): read the mirror again.
		return fmt.Errorf("changes: %s mirror of %s: %w: %w", ch.Kind, ch.ConnectionID, errVersion, err)
	}
	return fmt.Errorf("changes: %s mirror of %s: %w", ch.Kind, ch.ConnectionID, err)
}

// allEntries returns the whole files mirror of conn.
func (s *Service) allEntries(ctx context.Context, conn *dropbridge.Connection) ([]*dropbridge.Entry, error) {
	var out []*dropbridge.Entry
	after := ""
	for {
		page, err := s.cfg.Store.ListMirrorEntries(ctx, conn.EnvironmentID, conn.ID, after, dropbridge.MaxMirrorPage)
		if err != nil {
			return nil, fmt.Errorf("changes: files mirror of %s: %w", conn.ID, err)
		}
		out = append(out, page...)
		if len(page) < dropbridge.MaxMirrorPage {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// events returns changes as events of conn, with their origin from the
// write log, and, with received, the file_request.file_received events of
// the files among them that landed in an open file request's folder; and
// the IDs of the writes the changes matched.
func (s *Service) events(ctx context.Context, conn *dropbridge.Connection, changes []tracker.Change, received bool) ([]dropbridge.Event, []int64, error) {
	if len(changes) == 0 {
		return nil, nil, nil
	}
	wctx, cancel := context.WithTimeout(ctx, waitWritesTimeout)
	_ = s.cfg.Connect.WaitWrites(wctx, conn.ID) // a write still unrecorded then is origin "dropbox"
	cancel()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	now := s.cfg.Now()
	recs, err := s.cfg.Store.ListWrites(ctx, conn.EnvironmentID, conn.ID, now.Add(-s.cfg.OriginWindow))
	if err != nil {
		return nil, nil, fmt.Errorf("changes: write log of %s: %w", conn.ID, err)
	}
	writes := make([]tracker.Write, len(recs))
	for i, r := range recs {
		writes[i] = tracker.WriteOf(r)
	}
	changes, used := tracker.Attribute(changes, writes, now, s.cfg.OriginWindow)
	var consumed []int64
	for _, i := range used {
		consumed = append(consumed, recs[i].ID)
	}
	if received {
		reqs, err := s.fileRequests(ctx, conn)
		if err != nil {
			return nil, nil, err
		}
		more, err := tracker.FilesReceived(changes, reqs)
		if err != nil {
			return nil, nil, fmt.Errorf("changes: files received by %s: %w", conn.ID, err)
		}
		changes = append(changes, more...)
	}
	out := make([]dropbridge.Event, 0, len(changes))
	for i := range changes {
		id, err := s.ids.New(now)
		if err != nil {
			return nil, nil, fmt.Errorf("changes: %w", err)
		}
		out = append(out, changes[i].Event(conn, id, now))
	}
	return out, consumed, nil
}

// fileRequests returns the file requests of conn's mirror.
func (s *Service) fileRequests(ctx context.Context, conn *dropbridge.Connection) ([]dropbox.FileRequest, error) {
	objs, err := s.cfg.Store.ListMirrorObjects(ctx, conn.EnvironmentID, conn.ID, dropbridge.MirrorFileRequests)
	if err != nil {
		return nil, fmt.Errorf("changes: file requests of %s: %w", conn.ID, err)
	}
	out := make([]dropbox.FileRequest, 0, len(objs))
	for _, o := range objs {
		var r dropbox.FileRequest
		if err := json.Unmarshal(o.Object, &r); err != nil {
			return nil, fmt.Errorf("changes: file request %q of %s: %w", o.Key, conn.ID, err)
		}
		out = append(out, r)
	}
	return out, nil
}
