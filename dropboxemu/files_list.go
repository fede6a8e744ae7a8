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
	Base      string `json:"b,omitempty"` // the namespace the account's paths started from
	NoMounts  bool   `json:"m,omitempty"` // include_mounted_folders = false
	Seq       uint64 `json:"s"`           // every change up to Seq has been reported
	// Phase of an initial listing that has not finished: 1 walking the live
	// tree, 2 the deleted paths (include_deleted); 0 when only changes remain.
	Phase int    `json:"h,omitempty"`
	After string `json:"k,omitempty"` // last path_lower reported in the phase
	// A listing through a shared link (ListFolderArg.shared_link): the
	// link's id and linkCursorKey. Account is then the link's owner, whose
	// tree the listing shows, and entries carry no paths.
	Link    string `json:"sl,omitempty"`
	LinkKey string `json:"sk,omitempty"`
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
	SharedLink                      *sharedLinkArg  `json:"shared_link,omitempty"`
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
	if arg.SharedLink != nil {
		return s.linkListCursor(c, arg)
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
		Base: c.acct.base(), Seq: s.ctr.Seq, Phase: 1}
	cur.options(arg)
	return cur, nil
}

// options sets the cursor's options that only shape what it returns.
func (cur *listCursor) options(arg *listFolderArg) {
	if arg.IncludeNonDownloadableFiles != nil && !*arg.IncludeNonDownloadableFiles {
		cur.NoNonDL = true
	}
	if arg.IncludeMountedFolders != nil && !*arg.IncludeMountedFolders {
		cur.NoMounts = true
	}
	if arg.Limit != nil {
		cur.Limit = int(*arg.Limit)
	}
}

// linkListCursor makes the cursor of a listing through a shared link: the
// folder behind the link, or arg.path below it, as the link's owner sees
// it, one level deep (Dropbox lists links only so). The link's password,
// expiry and audience apply to the caller, who may use app authentication.
// The caller holds s.mu.
func (s *Server) linkListCursor(c *call, arg *listFolderArg) (*listCursor, error) {
	if arg.Recursive {
		return nil, c.badArg("recursive: only non-recursive mode is supported for shared_link")
	}
	p, err := c.routePath(arg.Path, "PathROrId")
	if err != nil {
		return nil, err
	}
	l, t, lerr := s.linkFolder(c.acct, arg.SharedLink, p)
	if lerr != nil {
		return nil, routeError(uv("path", lerr))
	}
	base := t.ns.ID
	if owner := s.accounts[l.AccountID]; owner != nil {
		base = owner.HomeNS
	}
	cur := &listCursor{V: 1, Account: l.AccountID, NS: t.ns.ID, Root: t.lower, RootShown: t.display,
		Deleted: arg.IncludeDeleted, Explicit: arg.IncludeHasExplicitSharedMembers, Restore: arg.IncludeRestorableInfo,
		Base: base, Seq: s.ctr.Seq, Phase: 1, Link: l.ID, LinkKey: linkCursorKey(l)}
	cur.options(arg)
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
	switch {
	case cur.Link != "":
		// A listing through a shared link is anyone's who could make it.
	case c.app != nil:
		return nil, nil, badInput(c.route, `Invalid "cursor" parameter: only a cursor of a shared link listing may be used with app authentication`)
	case c.acct != nil && cur.Account != c.acct.ID:
		return nil, nil, badInput(c.route, `Invalid "cursor" parameter: the cursor belongs to another account`)
	}
	if cur.Seq > s.ctr.Seq {
		return nil, nil, badInput(c.route, `Invalid "cursor" parameter: %q`, raw)
	}
	ns := s.namespaces[cur.NS]
	if ns == nil || cur.Seq+1 < ns.LogStart {
		return nil, nil, routeError(resetErr) // gone (unshared, deleted) or forgotten
	}
	if cur.Link != "" && !s.linkCursorValid(c, cur.Link, cur.LinkKey) {
		return nil, nil, routeError(resetErr) // revoked, expired, closed or its password changed
	}
	// The listed folder, or a folder above it, has since become a mount point
	// (shared): its contents live in another namespace now.
	for p := cur.Root; p != ""; p, _ = splitPath(p) {
		if e := ns.byPath[p]; e != nil && e.Mount != "" {
			return nil, nil, routeError(resetErr)
		}
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

// listScope is one namespace a cursor reads: the listed folder's own, or,
// for a recursive listing, one mounted below it (read from its root).
type listScope struct {
	ns   *Namespace
	root string // path_lower in ns of what is listed
	main bool   // the listed folder's namespace
	// mount is the mount point where ns appears, in parent (not for main).
	mount  *Entry
	parent *Namespace
	// since: changes up to it are not read; for a namespace mounted after
	// the cursor's position, the mount's record, whose expansion already
	// lists what it holds.
	since uint64
}

// listView returns the view a cursor's paths are rendered in: the
// account's tree from the base it was made in, or from the listed
// namespace when that is not mounted there (an ns: path). The caller holds s.mu.
func (s *Server) listView(cur *listCursor) *view {
	acct := s.accounts[cur.Account]
	if acct == nil {
		return &view{at: map[string]mountPoint{cur.NS: {}}}
	}
	base := cur.Base
	if base == "" {
		base = acct.HomeNS
	}
	return s.viewOver(s.viewFrom(acct, base), cur.NS)
}

// viewOver returns v when it places namespace ns, else the tree of v's
// account seen from ns: what is below a folder of ns is then in one
// view, at paths that agree. The caller holds s.mu.
func (s *Server) viewOver(v *view, ns string) *view {
	if _, ok := v.at[ns]; ok || v.acct == nil {
		return v
	}
	return s.viewFrom(v.acct, ns)
}

// listScopes returns the namespaces cur reads in view v: the listed one and,
// when recursive, every namespace mounted below the listed folder for the
// account. The caller holds s.mu.
func (s *Server) listScopes(v *view, cur *listCursor) []listScope {
	ns := s.namespaces[cur.NS]
	if !cur.Recursive || cur.NoMounts || v.acct == nil {
		return []listScope{{ns: ns, root: cur.Root, main: true}}
	}
	out := s.scopesBelow(v.acct, ns, cur.Root)
	for i := 1; i < len(out); i++ {
		out[i].since = mountRecord(out[i].parent, out[i].mount, cur.Seq)
	}
	return out
}

// scopesBelow returns folder root of ns and every namespace mounted below
// it for acct, each once, nearest first: what a recursive walk of root
// reads. The caller holds s.mu.
func (s *Server) scopesBelow(acct *Account, ns *Namespace, root string) []listScope {
	out := []listScope{{ns: ns, root: root, main: true}}
	seen := map[string]bool{ns.ID: true}
	for i := 0; i < len(out); i++ {
		sc := out[i]
		for _, m := range sortedMounts(sc.ns) {
			if !mountVisible(m, acct) || seen[m.Mount] || !isWithin(m.PathLower, sc.root) {
				continue
			}
			if inner := s.namespaces[m.Mount]; inner != nil {
				seen[m.Mount] = true
				out = append(out, listScope{ns: inner, mount: m, parent: sc.ns})
			}
		}
	}
	return out
}

// viewTombstones returns the deleted paths below the roots of scopes
// (below the main one's only its direct children unless recursive), at
// their paths in v and sorted by them. The caller holds s.mu.
func (s *Server) viewTombstones(v *view, scopes []listScope, recursive bool) []*Tombstone {
	var out []*Tombstone
	for _, sc := range scopes {
		for _, t := range s.tombstonesUnder(sc.ns, sc.root, recursive || !sc.main) {
			lower, display := v.path(sc.ns.ID, t.PathLower, t.PathDisplay)
			out = append(out, &Tombstone{PathLower: lower, PathDisplay: display, DeletedAt: t.DeletedAt})
		}
	}
	if len(scopes) > 1 {
		slices.SortStableFunc(out, func(a, b *Tombstone) int { return strings.Compare(a.PathLower, b.PathLower) })
		out = slices.CompactFunc(out, func(a, b *Tombstone) bool { return a.PathLower == b.PathLower })
	}
	return out
}

// mountRecord returns the sequence number of the change that put mount
// entry m into ns, when it is after seq; else 0.
func mountRecord(ns *Namespace, m *Entry, seq uint64) uint64 {
	for i := len(ns.log) - 1; i >= 0 && ns.log[i].Seq > seq; i-- {
		if e := ns.log[i].Entry; e != nil && e.ID == m.ID && e.Mount == m.Mount {
			return ns.log[i].Seq
		}
	}
	return 0
}

// scopedChange is a change record and the scope it was read in.
type scopedChange struct {
	sc *listScope
	ch *Change
}

// changesAfter returns the change records after seq of every scope, in
// sequence order (sequence numbers are global).
func changesAfter(scopes []listScope, seq uint64) []scopedChange {
	var out []scopedChange
	for i := range scopes {
		for _, ch := range scopes[i].ns.logFrom(max(seq, scopes[i].since)) {
			out = append(out, scopedChange{&scopes[i], ch})
		}
	}
	if len(scopes) > 1 {
		slices.SortFunc(out, func(a, b scopedChange) int {
			switch {
			case a.ch.Seq < b.ch.Seq:
				return -1
			case a.ch.Seq > b.ch.Seq:
				return 1
			}
			return 0
		})
	}
	return out
}

// listPage produces the next page for cur. The caller holds s.mu.
func (s *Server) listPage(cur *listCursor) *listFolderResult {
	res := s.listEntries(cur)
	if cur.Link != "" {
		// Dropbox leaves the paths out of a shared link's listing.
		unplace(res.Entries)
	}
	return res
}

// listEntries produces the next page for cur with the paths of the
// cursor's view. The caller holds s.mu.
func (s *Server) listEntries(cur *listCursor) *listFolderResult {
	ns := s.namespaces[cur.NS]
	v := s.listView(cur)
	acct := v.acct
	limit := cur.Limit
	if limit == 0 {
		limit = defaultListLimit
	}
	res := &listFolderResult{Entries: make([]any, 0, min(limit, 256))}
	next := *cur
	del := s.deletedLister(cur, ns)
	rootView, _ := v.path(ns.ID, cur.Root, "")
	if next.Phase == 1 {
		done := true
		if next.After == "" && next.Recursive && rootView != "" {
			if e := s.listedFolder(v, cur); e != nil {
				res.Entries = append(res.Entries, listEntry(cur, v.place(e)))
				next.After = rootView
			}
		}
		var after []string
		if next.After != "" && next.After != rootView {
			after = relComponents(rootView, next.After)
		}
		if len(res.Entries) < limit {
			done = s.walkViewMounts(acct, ns, next.Root, next.Recursive, !next.NoMounts, after, func(e *Entry) bool {
				if len(res.Entries) >= limit {
					return false
				}
				placed := v.place(e)
				next.After = placed.PathLower
				if cur.NoNonDL && !e.Folder && isPaper(e.PathLower) {
					return true
				}
				res.Entries = append(res.Entries, listEntry(cur, placed))
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
			// The deleted paths of every namespace the listing covers, in
			// the order of their paths in the view; After is one of those.
			tombs := s.viewTombstones(v, s.listScopes(v, &next), next.Recursive)
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
	// Changes since the cursor, in every namespace the listing covers.
	for _, sc := range changesAfter(s.listScopes(v, &next), next.Seq) {
		ch := sc.ch
		if !changeVisible(&next, sc.sc.root, sc.sc.main, ch) || ch.Entry != nil && ch.Entry.Mount != "" && acct != nil && !mountVisible(ch.Entry, acct) {
			next.Seq = ch.Seq
			continue
		}
		if len(res.Entries) >= limit {
			res.HasMore = true
			break
		}
		res.Entries = append(res.Entries, changeEntry(v, &next, sc.sc, ch, del))
		if e := ch.Entry; e != nil && e.Mount != "" && next.Recursive && !next.NoMounts && acct != nil {
			// A namespace was mounted here: what is in it is new to the
			// cursor. (The limit is approximate, as on Dropbox.)
			if inner := s.namespaces[e.Mount]; inner != nil {
				s.walkView(acct, inner, "", true, nil, func(in *Entry) bool {
					res.Entries = append(res.Entries, listEntry(cur, v.place(in)))
					return true
				})
			}
		}
		next.Seq = ch.Seq
	}
	res.Cursor = encodeCursor(&next)
	return res
}

// listedFolder is the folder a cursor lists, for the first entry of a
// recursive listing: a folder of its namespace, or the mount point where
// its namespace's root appears. The caller holds s.mu.
func (s *Server) listedFolder(v *view, cur *listCursor) *Entry {
	ns := s.namespaces[cur.NS]
	if cur.Root != "" {
		return ns.byPath[cur.Root]
	}
	for _, other := range s.namespaces {
		for _, m := range other.mounts {
			if m.Mount == ns.ID && (v.acct == nil || mountVisible(m, v.acct)) {
				if _, ok := v.at[other.ID]; ok {
					return m
				}
			}
		}
	}
	return nil
}

// walkView is ns.walk that also goes into the namespaces mounted below dir
// for acct, as if they were folders of ns; mounts of other accounts are not
// there. after holds the components of the last entry reported, relative to
// dir, as the account sees them.
func (s *Server) walkView(acct *Account, ns *Namespace, dir string, recursive bool, after []string, yield func(*Entry) bool) bool {
	return s.walkViewMounts(acct, ns, dir, recursive, true, after, yield)
}

// walkViewMounts is walkView that goes into mounted namespaces only when
// mounts is set (include_mounted_folders).
func (s *Server) walkViewMounts(acct *Account, ns *Namespace, dir string, recursive, mounts bool, after []string, yield func(*Entry) bool) bool {
	return ns.walkHooked(dir, recursive, after, s.viewHooks(acct, mounts), yield)
}

// walkInto walks what is below folder e of ns: its children, or the tree of
// the namespace mounted at it.
func (s *Server) walkInto(acct *Account, ns *Namespace, e *Entry, mounts bool, after []string, yield func(*Entry) bool) bool {
	return ns.below(e, after, s.viewHooks(acct, mounts), yield)
}

// viewHooks make a walk see what acct sees: no other account's mount
// points, and (when mounts) the trees mounted at the account's.
func (s *Server) viewHooks(acct *Account, mounts bool) walkHooks {
	var h walkHooks
	h.hide = func(e *Entry) bool { return !entryVisible(e, acct) }
	h.into = func(e *Entry, after []string, yield func(*Entry) bool) bool {
		inner := s.namespaces[e.Mount]
		if inner == nil || acct == nil || !mounts {
			return true
		}
		return inner.walkHooked("", true, after, h, yield)
	}
	return h
}

// entryVisible reports whether acct sees e: every entry but another
// account's mount.
func entryVisible(e *Entry, acct *Account) bool {
	return e.Mount == "" || acct == nil || mountVisible(e, acct)
}

// changeVisible reports whether a change record, read in a scope whose
// listed folder is root, concerns the cursor's listing.
func changeVisible(cur *listCursor, root string, main bool, ch *Change) bool {
	p := ch.PathLower
	if main && ch.Entry == nil && root != "" && isWithin(root, p) {
		return true // the listed folder itself, or a folder above it, was deleted
	}
	if !isWithin(p, root) || p == root && (ch.Entry != nil && !cur.Recursive) {
		return false
	}
	if p == root {
		return true
	}
	if !cur.Recursive {
		parent, _ := splitPath(p)
		if parent != root {
			return false
		}
	}
	if cur.NoNonDL && ch.Entry != nil && !ch.Entry.Folder && isPaper(p) {
		return false
	}
	return true
}

// listEntry renders a live entry of a listing (already placed in the view).
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
// revision of a file at that path can be restored. The paths it is given
// are the view's; restorability is looked up by the path in ns. The caller
// holds s.mu.
func (s *Server) deletedLister(cur *listCursor, ns *Namespace) func(lower, display string) any {
	if !cur.Restore {
		return func(lower, display string) any { return deletedMeta(lower, display) }
	}
	var restorable map[string]bool // built on first use: most pages have no deletions
	return func(lower, display string) any {
		if restorable == nil {
			restorable = map[string]bool{}
			v := s.listView(cur)
			for _, r := range s.revs {
				if !r.Deleted && !r.Folder {
					if l, _ := v.path(r.NS, r.PathLower, ""); l != "" {
						restorable[l] = true
					}
				}
			}
		}
		m := deletedMeta(lower, display)
		ok := restorable[lower]
		m.IsRestorable = &ok
		return m
	}
}

// changeEntry renders a change record read in scope sc, in view v.
func changeEntry(v *view, cur *listCursor, sc *listScope, ch *Change, del func(lower, display string) any) any {
	if ch.Entry != nil {
		return listEntry(cur, v.place(ch.Entry))
	}
	if sc.main && cur.Root != "" && isWithin(cur.Root, ch.PathLower) && ch.PathLower != cur.Root {
		// An ancestor of the listed folder went away: so did the folder.
		shown := cur.RootShown
		if shown == "" {
			shown = ch.PathDisplay + cur.Root[len(ch.PathLower):]
		}
		return del(v.path(sc.ns.ID, cur.Root, shown))
	}
	return del(v.path(sc.ns.ID, ch.PathLower, ch.PathDisplay))
}

// hasChanges reports whether a change is waiting for cur. The caller holds s.mu.
func (s *Server) hasChanges(cur *listCursor) bool {
	if cur.Phase != 0 {
		return true
	}
	v := s.listView(cur)
	for _, sc := range changesAfter(s.listScopes(v, cur), cur.Seq) {
		if changeVisible(cur, sc.sc.root, sc.sc.main, sc.ch) {
			return true
		}
	}
	return false
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
		if s.hasChanges(cur) {
			s.mu.RUnlock()
			return s.longpollResult(true), nil
		}
		if cur.Seq+1 < ns.LogStart {
			s.mu.RUnlock()
			return nil, routeError(u("reset"))
		}
		changed := s.changed // any namespace: the cursor may cover mounted ones
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
