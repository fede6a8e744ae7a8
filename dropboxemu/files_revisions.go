package dropboxemu

import (
	"slices"
	"strings"
	"time"
)

func init() {
	register("files/list_revisions", (*Server).listRevisions)
	register("files/restore", (*Server).restore)
}

type listRevisionsArg struct {
	Path                  string  `json:"path"`
	Mode                  *Tag    `json:"mode,omitempty" union:"path id"`
	Limit                 *int64  `json:"limit,omitempty"`
	BeforeRev             *string `json:"before_rev,omitempty"`
	IncludeRestorableInfo bool    `json:"include_restorable_info,omitempty"`
}

// compareRevs orders revs by age: they are hex counters, so a longer one
// is newer.
func compareRevs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// listRevisionsResult is the spec's ListRevisionsResult, in its field order.
type listRevisionsResult struct {
	IsDeleted     bool   `json:"is_deleted"`
	ServerDeleted string `json:"server_deleted,omitempty"`
	Entries       []any  `json:"entries"`
	HasMore       bool   `json:"has_more"`
}

func (s *Server) listRevisions(c *call) (any, error) {
	var arg listRevisionsArg
	if err := c.decode(&arg, "path"); err != nil {
		return nil, err
	}
	p, malformed, err := c.pathArg("path", arg.Path, "PathOrId")
	if err != nil {
		return nil, err
	}
	byID := false
	if arg.Mode != nil {
		switch arg.Mode.Name {
		case "path":
		case "id":
			byID = true
		default:
			return nil, c.badArg("mode: unknown tag '%s'", arg.Mode.Name)
		}
	}
	limit := 10
	if arg.Limit != nil {
		if err := c.checkInt("limit", *arg.Limit, 1, 100); err != nil {
			return nil, err
		}
		limit = int(*arg.Limit)
	}
	if err := c.checkOptRev("before_rev", arg.BeforeRev); err != nil {
		return nil, err
	}
	if malformed != nil {
		return nil, routeError(uv("path", malformed))
	}
	if byID && arg.BeforeRev != nil {
		return nil, routeError(u("before_rev_not_supported"))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ns, latest, lerr := s.latestRevision(c.acct, p)
	if lerr != nil {
		return nil, routeError(uv("path", lerr))
	}
	// The revisions: of the file id, or of every file that was at the path.
	var revs []*Entry
	if byID {
		for _, r := range s.revsByID[latest.ID] {
			if e := s.revs[r]; e != nil && !e.Deleted {
				revs = append(revs, e)
			}
		}
	} else {
		for _, e := range s.revs {
			if e.NS == ns.ID && e.PathLower == latest.PathLower && !e.Deleted {
				revs = append(revs, e)
			}
		}
	}
	if live := ns.byID[latest.ID]; live == latest && !slices.ContainsFunc(revs, func(e *Entry) bool { return e.Rev == live.Rev }) {
		revs = append(revs, live)
	}
	slices.SortFunc(revs, func(a, b *Entry) int { return compareRevs(b.Rev, a.Rev) })
	if arg.BeforeRev != nil {
		i := slices.IndexFunc(revs, func(e *Entry) bool { return e.Rev == *arg.BeforeRev })
		if i < 0 {
			return nil, routeError(u("invalid_before_rev"))
		}
		revs = revs[i+1:]
	}
	res := listRevisionsResult{HasMore: len(revs) > limit}
	entries := make([]any, 0, min(limit, len(revs)))
	for i, e := range revs {
		if i == limit {
			break
		}
		// The current revision shows where the file is now.
		if live := ns.byID[e.ID]; live != nil && live.Rev == e.Rev {
			e = live
		}
		m := fileMeta(c.view().place(e))
		m.Tag = ""
		if arg.IncludeRestorableInfo {
			t := true
			m.IsRestorable = &t
		}
		entries = append(entries, m)
	}
	res.Entries = entries
	if len(revs) > 0 {
		// Deleted or moved: the newest file in the answer is no longer at its path.
		newest := revs[0]
		if live := ns.byID[newest.ID]; live == nil || live.PathLower != newest.PathLower {
			res.IsDeleted = true
			if tomb := ns.tombstones[newest.PathLower]; tomb != nil && ns.byPath[newest.PathLower] == nil {
				res.ServerDeleted = dropboxTime(tomb.DeletedAt)
			}
		}
	}
	return res, nil
}

// latestRevision finds the latest file entry at p (a path or id), live or
// deleted: the live file, or else the newest revision of what was there.
// The caller holds s.mu.
func (s *Server) latestRevision(acct *Account, p parsedPath) (*Namespace, *Entry, map[string]any) {
	if p.Kind == pathID && p.Rest == "" {
		if e := s.findByID(acct, p.Ref); e != nil {
			if e.Folder {
				return nil, nil, lookupNotFile
			}
			return s.namespaces[e.NS], e, nil
		}
		// A deleted file is still known by its id.
		revs := s.revsByID[p.Ref]
		for i := len(revs) - 1; i >= 0; i-- {
			e := s.revs[revs[i]]
			if e == nil || e.Deleted {
				continue
			}
			if ns := s.namespaces[e.NS]; ns != nil && s.canSee(acct, ns) {
				return ns, e, nil
			}
		}
		return nil, nil, lookupNotFound
	}
	t, lerr := s.resolve(acct, p)
	if lerr != nil {
		return nil, nil, lerr
	}
	if t.lower == "" {
		return nil, nil, lookupNotFile
	}
	if t.entry != nil {
		if t.entry.Folder {
			return nil, nil, lookupNotFile
		}
		return t.ns, t.entry, nil
	}
	var newest *Entry
	for _, e := range s.revs {
		if e.NS == t.ns.ID && e.PathLower == t.lower && !e.Deleted && (newest == nil || compareRevs(e.Rev, newest.Rev) > 0) {
			newest = e
		}
	}
	if newest == nil {
		return nil, nil, lookupNotFound
	}
	return t.ns, newest, nil
}

type restoreArg struct {
	Path string `json:"path"`
	Rev  string `json:"rev"`
}

func (s *Server) restore(c *call) (any, error) {
	var arg restoreArg
	if err := c.decode(&arg, "path", "rev"); err != nil {
		return nil, err
	}
	p, malformed, err := c.pathArg("path", arg.Path, "WritePath")
	if err != nil {
		return nil, err
	}
	if err := c.checkRev("rev", arg.Rev); err != nil {
		return nil, err
	}
	if malformed != nil {
		return nil, routeError(uv("path_write", malformed))
	}
	return writeTx(s, c, func(t *tx) (any, error) {
		old := s.revs[arg.Rev]
		if old == nil || old.Deleted || s.namespaces[old.NS] == nil || !s.canSee(c.acct, s.namespaces[old.NS]) {
			return nil, routeError(u("invalid_revision"))
		}
		e, rerr := s.restoreRevision(t, c.acct, p, old)
		if rerr != nil {
			return nil, routeError(rerr)
		}
		return fileMetaNoTag(c.view().place(e)), nil
	})
}

// restoreRevision makes the content of revision old the current content of
// the file at p, as a new revision. A file deleted since keeps its id, as
// on Dropbox. It returns a RestoreError value on failure; the caller holds
// s.mu and commits t.
func (s *Server) restoreRevision(t *tx, acct *Account, p parsedPath, old *Entry) (*Entry, map[string]any) {
	tgt, wf := s.writeTarget(acct, p)
	if wf != nil {
		return nil, uv("path_write", wf.reason)
	}
	existing := tgt.entry
	if existing != nil && existing.Folder {
		return nil, uv("path_write", writeConflict("folder"))
	}
	if existing != nil && existing.ContentHash == old.ContentHash {
		return existing, nil // already the current content
	}
	var freed int64
	if existing != nil {
		freed = existing.Size
	}
	if s.usage(acct)+old.Size-freed > acct.Quota {
		return nil, uv("path_write", u("insufficient_space"))
	}
	s.ensureParents(t, tgt.ns, tgt.lower, tgt.display)
	now := s.clock.Now().Truncate(time.Second)
	e := &Entry{NS: tgt.ns.ID, PathLower: tgt.lower, PathDisplay: tgt.display, Size: old.Size,
		ContentHash: old.ContentHash, Content: old.Content, ClientModified: old.ClientModified, ServerModified: now}
	switch {
	case existing != nil:
		e.ID = existing.ID
		e.PathDisplay = existing.PathDisplay
	case old.NS == tgt.ns.ID && s.findByID(acct, old.ID) == nil:
		e.ID = old.ID
	default:
		e.ID = newFileID()
	}
	s.storeRevision(t, tgt.ns, e, acct)
	return e, nil
}
