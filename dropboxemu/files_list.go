package dropboxemu

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

func init() {
	register("files/list_folder", (*Server).listFolder)
	register("files/list_folder/continue", (*Server).listFolderContinue)
	register("files/list_folder/get_latest_cursor", (*Server).listFolderGetLatestCursor)
	register("files/list_folder/longpoll", (*Server).listFolderLongpoll)
	register("files/get_metadata", (*Server).getMetadata)
}

// listCursor is what a list_folder cursor holds. Cursors are stateless, so
// they survive restarts of a disk-backed emulator.
type listCursor struct {
	V         int    `json:"v"`
	Account   string `json:"a"`
	NS        string `json:"n"`
	Root      string `json:"p"`           // path_lower of the listed folder in NS, "" for its root
	RootShown string `json:"q,omitempty"` // path_display of the listed folder
	Recursive bool   `json:"r,omitempty"`
	Deleted   bool   `json:"d,omitempty"`  // include_deleted
	NoNonDL   bool   `json:"x,omitempty"`  // include_non_downloadable_files = false
	Explicit  bool   `json:"e,omitempty"`  // include_has_explicit_shared_members
	Restore   bool   `json:"ri,omitempty"` // include_restorable_info
	Limit     int    `json:"l,omitempty"`
	Seq       uint64 `json:"s"` // every change up to Seq has been reported
	// Phase of an initial listing that has not finished: 1 walking the live
	// tree, 2 the deleted paths (include_deleted); 0 when only changes remain.
	Phase int    `json:"h,omitempty"`
	After string `json:"k,omitempty"` // last path_lower reported in the phase
}

const cursorPrefix = "AAE"

// encodeCursorToken renders a stateless cursor (list_folder's, search's) as
// prefix followed by its JSON in unpadded URL-safe base64.
func encodeCursorToken(prefix string, v any) string {
	b, _ := json.Marshal(v)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursorToken decodes a token of encodeCursorToken into v and
// reports whether s was one.
func decodeCursorToken(prefix, s string, v any) bool {
	raw, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	return err == nil && json.Unmarshal(b, v) == nil
}

func encodeCursor(c *listCursor) string { return encodeCursorToken(cursorPrefix, c) }

func decodeCursor(s string) (*listCursor, bool) {
	var c listCursor
	if !decodeCursorToken(cursorPrefix, s, &c) || c.V != 1 || c.NS == "" || c.Phase < 0 || c.Phase > 2 {
		return nil, false
	}
	return &c, true
}

type listFolderArg struct {
	Path                            string          `json:"path"`
	Recursive                       bool            `json:"recursive,omitempty"`
	IncludeMediaInfo                bool            `json:"include_media_info,omitempty"`
	IncludeDeleted                  bool            `json:"include_deleted,omitempty"`
	IncludeHasExplicitSharedMembers bool            `json:"include_has_explicit_shared_members,omitempty"`
	IncludeMountedFolders           *bool           `json:"include_mounted_folders,omitempty"`
	Limit                           *int64          `json:"limit,omitempty"`
	SharedLink                      json.RawMessage `json:"shared_link,omitempty"`
	IncludePropertyGroups           json.RawMessage `json:"include_property_groups,omitempty"`
	IncludeNonDownloadableFiles     *bool           `json:"include_non_downloadable_files,omitempty"`
	IncludeRestorableInfo           bool            `json:"include_restorable_info,omitempty"`
}

type listFolderResult struct {
	Entries []any  `json:"entries"`
	Cursor  string `json:"cursor"`
	HasMore bool   `json:"has_more"`
}

const defaultListLimit = 2000

// newListCursor validates a ListFolderArg and makes a cursor positioned
// before the listing (phase 1) or, for get_latest_cursor, at now.
func (s *Server) newListCursor(c *call, arg *listFolderArg) (*listCursor, error) {
	if arg.Limit != nil {
		if err := c.checkInt("limit", *arg.Limit, 1, 2000); err != nil {
			return nil, err
		}
	}
	if len(arg.SharedLink) > 0 && string(arg.SharedLink) != "null" {
		return nil, routeError(uv("path", u("not_found")))
	}
	if c.acct == nil {
		// App authentication (the route allows it) lists shared links only.
		return nil, c.badArg("shared_link: required when the call uses app authentication")
	}
	p, err := c.routePath(arg.Path, "PathROrId")
	if err != nil {
		return nil, err
	}
	t, lerr := s.resolveFolder(c.acct, p)
	if lerr != nil {
		return nil, routeError(uv("path", lerr))
	}
	cur := &listCursor{V: 1, Account: c.acct.ID, NS: t.ns.ID, Root: t.lower, RootShown: t.display, Recursive: arg.Recursive,
		Deleted: arg.IncludeDeleted, Explicit: arg.IncludeHasExplicitSharedMembers, Restore: arg.IncludeRestorableInfo,
		Seq: s.ctr.Seq, Phase: 1}
	if arg.IncludeNonDownloadableFiles != nil && !*arg.IncludeNonDownloadableFiles {
		cur.NoNonDL = true
	}
	if arg.Limit != nil {
		cur.Limit = int(*arg.Limit)
	}
	return cur, nil
}

func (s *Server) listFolder(c *call) (any, error) {
	return s.listFolderCall(c, func(cur *listCursor) any { return s.listPage(cur) })
}

func (s *Server) listFolderGetLatestCursor(c *call) (any, error) {
	return s.listFolderCall(c, func(cur *listCursor) any {
		cur.Phase = 0
		return map[string]string{"cursor": encodeCursor(cur)}
	})
}

// listFolderCall serves the routes that take a ListFolderArg: it makes
// the cursor and answers with what answer makes of it, under s.mu.
func (s *Server) listFolderCall(c *call, answer func(cur *listCursor) any) (any, error) {
	var arg listFolderArg
	if err := c.decode(&arg, "path", "shared_link.url"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cur, err := s.newListCursor(c, &arg)
	if err != nil {
		return nil, err
	}
	return answer(cur), nil
}

// cursorArg decodes and checks a cursor argument. The caller holds s.mu.
func (s *Server) cursorArg(c *call, raw string, resetErr map[string]any) (*listCursor, *Namespace, error) {
	if err := c.checkString("cursor", raw, 1, 0, "", nil); err != nil {
		return nil, nil, err
	}
	cur, ok := decodeCursor(raw)
	if !ok {
		return nil, nil, badInput(c.route, `Invalid "cursor" parameter: %q`, raw)
	}
	if c.acct != nil && cur.Account != c.acct.ID {
		return nil, nil, badInput(c.route, `Invalid "cursor" parameter: the cursor belongs to another account`)
	}
	ns := s.namespaces[cur.NS]
	if ns == nil || cur.Seq > s.ctr.Seq {
		return nil, nil, badInput(c.route, `Invalid "cursor" parameter: %q`, raw)
	}
	if cur.Seq+1 < ns.LogStart {
		return nil, nil, routeError(resetErr)
	}
	return cur, ns, nil
}

func (s *Server) listFolderContinue(c *call) (any, error) {
	var arg struct {
		Cursor string `json:"cursor"`
	}
	if err := c.decode(&arg, "cursor"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cur, _, err := s.cursorArg(c, arg.Cursor, u("reset"))
	if err != nil {
		return nil, err
	}
	return s.listPage(cur), nil
}

// listPage produces the next page for cur. The caller holds s.mu.
func (s *Server) listPage(cur *listCursor) *listFolderResult {
	ns := s.namespaces[cur.NS]
	limit := cur.Limit
	if limit == 0 {
		limit = defaultListLimit
	}
	res := &listFolderResult{Entries: make([]any, 0, min(limit, 256))}
	next := *cur
	del := s.deletedLister(cur, ns)
	if next.Phase == 1 {
		done := true
		if next.After == "" && next.Recursive && next.Root != "" {
			if e := ns.byPath[next.Root]; e != nil {
				res.Entries = append(res.Entries, listEntry(cur, e))
				next.After = next.Root
			}
		}
		var after []string
		if next.After != "" && next.After != next.Root {
			after = relComponents(next.Root, next.After)
		}
		if len(res.Entries) < limit {
			done = ns.walk(next.Root, next.Recursive, after, func(e *Entry) bool {
				if len(res.Entries) >= limit {
					return false
				}
				if cur.NoNonDL && !e.Folder && isPaper(e.PathLower) {
					next.After = e.PathLower
					return true
				}
				res.Entries = append(res.Entries, listEntry(cur, e))
				next.After = e.PathLower
				return true
			})
		} else {
			done = false
		}
		if !done {
			res.HasMore = true
			res.Cursor = encodeCursor(&next)
			return res
		}
		next.After = ""
		next.Phase = 2
	}
	if next.Phase == 2 {
		if next.Deleted {
			tombs := s.tombstonesUnder(ns, next.Root, next.Recursive)
			i, _ := slices.BinarySearchFunc(tombs, next.After, func(t *Tombstone, k string) int { return strings.Compare(t.PathLower, k) })
			if next.After != "" && i < len(tombs) && tombs[i].PathLower == next.After {
				i++
			}
			for ; i < len(tombs); i++ {
				if len(res.Entries) >= limit {
					res.HasMore = true
					res.Cursor = encodeCursor(&next)
					return res
				}
				res.Entries = append(res.Entries, del(tombs[i].PathLower, tombs[i].PathDisplay))
				next.After = tombs[i].PathLower
			}
		}
		next.After = ""
		next.Phase = 0
	}
	// Changes since the cursor.
	for _, ch := range ns.logFrom(next.Seq) {
		if !changeVisible(&next, ch) {
			next.Seq = ch.Seq
			continue
		}
		if len(res.Entries) >= limit {
			res.HasMore = true
			break
		}
		res.Entries = append(res.Entries, changeEntry(&next, ch, del))
		next.Seq = ch.Seq
	}
	res.Cursor = encodeCursor(&next)
	return res
}

// changeVisible reports whether a change record concerns the cursor's listing.
func changeVisible(cur *listCursor, ch *Change) bool {
	p := ch.PathLower
	if ch.Entry == nil && cur.Root != "" && isWithin(cur.Root, p) {
		return true // the listed folder itself, or a folder above it, was deleted
	}
	if !isWithin(p, cur.Root) || p == cur.Root && (ch.Entry != nil && !cur.Recursive) {
		return false
	}
	if p == cur.Root {
		return true
	}
	if !cur.Recursive {
		parent, _ := splitPath(p)
		if parent != cur.Root {
			return false
		}
	}
	if cur.NoNonDL && ch.Entry != nil && !ch.Entry.Folder && isPaper(p) {
		return false
	}
	return true
}

// listEntry renders a live entry of a listing.
func listEntry(cur *listCursor, e *Entry) any {
	m := metadata(e)
	if fm, ok := m.(*fileMetadata); ok && cur.Explicit {
		f := false // the emulator has no explicit members on files
		fm.HasExplicitSharedMembers = &f
	}
	return m
}

// deletedLister returns how a listing with cur renders a deleted path in
// ns: with is_restorable when the cursor asks for it, true when a
// revision of a file at that path can be restored. The caller holds s.mu.
func (s *Server) deletedLister(cur *listCursor, ns *Namespace) func(lower, display string) any {
	if !cur.Restore {
		return func(lower, display string) any { return deletedMeta(lower, display) }
	}
	var restorable map[string]bool // built on first use: most pages have no deletions
	return func(lower, display string) any {
		if restorable == nil {
			restorable = map[string]bool{}
			for _, r := range s.revs {
				if r.NS == ns.ID && !r.Deleted && !r.Folder {
					restorable[r.PathLower] = true
				}
			}
		}
		m := deletedMeta(lower, display)
		ok := restorable[lower]
		m.IsRestorable = &ok
		return m
	}
}

// changeEntry renders a change record; del renders a deletion.
func changeEntry(cur *listCursor, ch *Change, del func(lower, display string) any) any {
	if ch.Entry != nil {
		return listEntry(cur, ch.Entry)
	}
	if cur.Root != "" && isWithin(cur.Root, ch.PathLower) && ch.PathLower != cur.Root {
		// An ancestor of the listed folder went away: so did the folder.
		shown := cur.RootShown
		if shown == "" {
			shown = ch.PathDisplay + cur.Root[len(ch.PathLower):]
		}
		return del(cur.Root, shown)
	}
	return del(ch.PathLower, ch.PathDisplay)
}

// tombstonesUnder returns the deleted paths below root, sorted.
func (s *Server) tombstonesUnder(ns *Namespace, root string, recursive bool) []*Tombstone {
	var out []*Tombstone
	for p, t := range ns.tombstones {
		if p == root || !isWithin(p, root) {
			continue
		}
		if !recursive {
			if parent, _ := splitPath(p); parent != root {
				continue
			}
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Tombstone) int { return strings.Compare(a.PathLower, b.PathLower) })
	return out
}

// hasChanges reports whether a change is waiting for cur. The caller holds s.mu.
func hasChanges(ns *Namespace, cur *listCursor) bool {
	if cur.Phase != 0 {
		return true
	}
	for _, ch := range ns.logFrom(cur.Seq) {
		if changeVisible(cur, ch) {
			return true
		}
	}
	return false
}

func (s *Server) listFolderLongpoll(c *call) (any, error) {
	var arg struct {
		Cursor  string  `json:"cursor"`
		Timeout *uint64 `json:"timeout,omitempty"`
	}
	if err := c.decode(&arg, "cursor"); err != nil {
		return nil, err
	}
	timeout := uint64(30)
	if arg.Timeout != nil {
		timeout = *arg.Timeout
		if timeout > 480 {
			timeout = 481 // no int64 overflow below
		}
		if err := c.checkInt("timeout", int64(timeout), 30, 480); err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	cur, ns, err := s.cursorArg(c, arg.Cursor, u("reset"))
	if err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	deadline := s.clock.Now().Add(time.Duration(timeout) * time.Second)
	timer := time.NewTimer(time.Duration(timeout) * time.Second)
	defer timer.Stop()
	for {
		// The model may have been reloaded (after a failed commit): look the
		// namespace up again each time round.
		if ns = s.namespaces[cur.NS]; ns == nil {
			s.mu.RUnlock()
			return nil, routeError(u("reset"))
		}
		if hasChanges(ns, cur) {
			s.mu.RUnlock()
			return s.longpollResult(true), nil
		}
		if cur.Seq+1 < ns.LogStart {
			s.mu.RUnlock()
			return nil, routeError(u("reset"))
		}
		changed := ns.changed
		jumped := s.clock.Jumped()
		s.mu.RUnlock()
		select {
		case <-changed:
		case <-jumped:
			if !s.clock.Now().Before(deadline) {
				return s.longpollResult(false), nil
			}
		case <-timer.C:
			return s.longpollResult(false), nil
		case <-c.ctx.Done():
			return nil, c.ctx.Err()
		case <-s.done:
			return s.longpollResult(false), nil
		}
		s.mu.RLock()
	}
}

// longpollResult is the spec's ListFolderLongpollResult, in its field order.
type longpollResult struct {
	Changes bool `json:"changes"`
	Backoff int  `json:"backoff,omitempty"`
}

func (s *Server) longpollResult(changes bool) any {
	return longpollResult{Changes: changes, Backoff: max(s.opts.LongpollBackoff, 0)}
}

type getMetadataArg struct {
	Path                            string          `json:"path"`
	IncludeMediaInfo                bool            `json:"include_media_info,omitempty"`
	IncludeDeleted                  bool            `json:"include_deleted,omitempty"`
	IncludeHasExplicitSharedMembers bool            `json:"include_has_explicit_shared_members,omitempty"`
	IncludePropertyGroups           json.RawMessage `json:"include_property_groups,omitempty"`
}

func (s *Server) getMetadata(c *call) (any, error) {
	var arg getMetadataArg
	p, err := c.decodePathArg(&arg, &arg.Path, "ReadPath")
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p.Kind == pathRev {
		e, lerr := s.readFile(c.acct, p)
		if lerr != nil {
			return nil, routeError(uv("path", lerr))
		}
		return fileMeta(c.view().place(e)), nil
	}
	t, lerr := s.resolve(c.acct, p)
	if lerr != nil {
		return nil, routeError(uv("path", lerr))
	}
	if t.entry == nil {
		if arg.IncludeDeleted {
			if tomb := t.ns.tombstones[t.lower]; tomb != nil {
				return deletedMeta(c.view().path(t.ns.ID, tomb.PathLower, tomb.PathDisplay)), nil
			}
		}
		return nil, routeError(uv("path", lookupNotFound))
	}
	m := metadata(c.view().place(t.entry))
	if arg.IncludeHasExplicitSharedMembers && !t.entry.Folder {
		f := false
		m.(*fileMetadata).HasExplicitSharedMembers = &f
	}
	return m, nil
}
