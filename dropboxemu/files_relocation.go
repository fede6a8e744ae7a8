package dropboxemu

import (
	"math"
	"slices"
	"time"
)

func init() {
	register("files/copy_v2", (*Server).copyV2)
	register("files/copy", (*Server).copyV1)
	register("files/move_v2", (*Server).moveV2)
	register("files/move", (*Server).moveV1)
}

// relocationArg is the spec's RelocationArg.
type relocationArg struct {
	FromPath               string `json:"from_path"`
	ToPath                 string `json:"to_path"`
	AllowSharedFolder      bool   `json:"allow_shared_folder,omitempty"` // deprecated, no effect
	Autorename             bool   `json:"autorename,omitempty"`
	AllowOwnershipTransfer bool   `json:"allow_ownership_transfer,omitempty"`
}

// relocationPath is the spec's RelocationPath, one entry of a batch.
type relocationPath struct {
	FromPath string `json:"from_path"`
	ToPath   string `json:"to_path"`
}

// maxRelocationEntries is how many files and folders one copy or move may
// involve (RelocationError.too_many_files: "more than 10,000").
const maxRelocationEntries = 10000

// relocation is a copy or move request whose paths passed the spec patterns.
type relocation struct {
	from, to       parsedPath
	fromBad, toBad map[string]any // malformed_path values, when the path is malformed
}

// relocationPaths checks from and to against WritePathOrId: a 400 when a
// pattern does not match. prefix names the argument in messages ("entries.").
func (c *call) relocationPaths(prefix, from, to string) (relocation, error) {
	var r relocation
	var err error
	if r.from, r.fromBad, err = c.pathArg(prefix+"from_path", from, "WritePathOrId"); err != nil {
		return r, err
	}
	if r.to, r.toBad, err = c.pathArg(prefix+"to_path", to, "WritePathOrId"); err != nil {
		return r, err
	}
	return r, nil
}

// requestedName is the last component of a path argument as the caller
// wrote it, "" when the path has none (an id or a namespace alone).
func requestedName(p parsedPath) string {
	if p.Rest == "" {
		return ""
	}
	_, name := splitPath(p.Rest)
	return name
}

// subtree returns e and, for a folder, everything below it, parents before
// children. It stops early and reports false when there are more than limit.
func subtree(ns *Namespace, e *Entry, limit int) ([]*Entry, bool) {
	out := []*Entry{e}
	if e.Folder {
		ns.walk(e.PathLower, true, nil, func(c *Entry) bool {
			out = append(out, c)
			return len(out) <= limit
		})
	}
	return out, len(out) <= limit
}

// relocate copies or moves what r names. It returns the entry now at the
// destination, or a RelocationError value; on error nothing has changed.
// A move keeps the ids of the entry and of everything below it and shows
// in the change log as a deletion of the old path plus the entries at the
// new one. Files get a new rev and server_modified either way, as on
// Dropbox; their content and content_hash stay. The caller holds s.mu and
// commits t.
func (s *Server) relocate(t *tx, acct *Account, r relocation, move, autorename bool) (*Entry, map[string]any) {
	if r.fromBad != nil {
		return nil, uv("from_lookup", r.fromBad)
	}
	src, lerr := s.resolve(acct, r.from)
	if lerr != nil {
		return nil, uv("from_lookup", lerr)
	}
	if src.lower == "" {
		return nil, uv("from_write", u("malformed_path"))
	}
	e := src.entry
	if e == nil {
		return nil, uv("from_lookup", lookupNotFound)
	}
	if move && s.readOnlyFor(acct, src.ns) {
		return nil, uv("from_write", u("no_write_permission"))
	}
	if move && isTeamSpaceMount(src.ns, e) {
		return nil, uv("from_write", u("team_folder"))
	}
	if r.toBad != nil {
		return nil, uv("to", r.toBad)
	}
	dst, wf := s.writeTarget(acct, r.to)
	if wf != nil {
		return nil, uv("to", wf.reason)
	}
	sameNS := dst.ns == src.ns
	if sameNS && dst.lower == e.PathLower {
		// The destination is the source itself: only a move that changes
		// the case of the name does something.
		name := requestedName(r.to)
		if !move || name == "" || name == e.Name() {
			return nil, u("duplicated_or_nested_paths")
		}
		return s.renameCase(t, src.ns, e, name), nil
	}
	if sameNS && e.Folder && isWithin(dst.lower, e.PathLower) {
		if move {
			return nil, u("cant_move_folder_into_itself")
		}
		return nil, u("duplicated_or_nested_paths")
	}
	if dst.entry != nil {
		if !autorename {
			kind := "file"
			if dst.entry.Folder {
				kind = "folder"
			}
			return nil, uv("to", writeConflict(kind))
		}
		dst = s.freeName(dst, "")
	}
	moved, ok := subtree(src.ns, e, maxRelocationEntries)
	if !ok {
		return nil, u("too_many_files")
	}
	if slices.ContainsFunc(moved, func(x *Entry) bool { return x.Mount != "" }) {
		// Mount points (shared and team folders) move only within the
		// namespace they are in: a shared folder cannot be copied, nor
		// put inside another.
		switch {
		case !move:
			return nil, u("cant_copy_shared_folder")
		case dst.ns != src.ns && dst.ns.Kind != "home":
			return nil, u("cant_nest_shared_folder")
		case dst.ns != src.ns:
			return nil, u("cant_move_shared_folder")
		}
	}
	if !move {
		var size int64
		for _, x := range moved {
			size += x.Size
		}
		if s.usage(acct)+size > acct.Quota {
			return nil, u("insufficient_quota")
		}
	}

	now := s.clock.Now().Truncate(time.Second)
	if move {
		s.forget(t, src.ns, e)
	}
	s.ensureParents(t, dst.ns, dst.lower, dst.display)
	var root *Entry
	for _, old := range moved {
		n := *old
		n.NS = dst.ns.ID
		n.PathLower = dst.lower + old.PathLower[len(e.PathLower):]
		n.PathDisplay = dst.display + old.PathDisplay[len(e.PathDisplay):]
		if !move {
			n.ID = newFileID()
		}
		if !n.Folder {
			n.Rev = s.nextRev(t)
			n.ServerModified = now
		}
		s.record(t, dst.ns, &n)
		if !n.Folder {
			s.addRevision(t, &n)
			s.noteWriter(t, &n, acct)
		}
		if root == nil {
			root = &n
		}
	}
	return root, nil
}

// renameCase gives e (and the paths below it) a name that differs only in
// case. Dropbox does not report such renames to list_folder/continue, so
// the entries are replaced without a change record; ids and revs stay.
// The caller holds s.mu and commits t.
func (s *Server) renameCase(t *tx, ns *Namespace, e *Entry, name string) *Entry {
	parentDisplay, _ := splitPath(e.PathDisplay)
	display := parentDisplay + "/" + name
	all, _ := subtree(ns, e, math.MaxInt)
	var root *Entry
	for _, old := range all {
		n := *old
		n.PathDisplay = display + old.PathDisplay[len(e.PathDisplay):]
		ns.index(&n)
		t.put(tblEntry, nsKey(ns.ID, n.ID), &n)
		if root == nil {
			root = &n
		}
	}
	return root
}

// relocationCall serves copy and move (both versions).
func (s *Server) relocationCall(c *call, move bool) (*Entry, error) {
	var arg relocationArg
	if err := c.decode(&arg, "from_path", "to_path"); err != nil {
		return nil, err
	}
	r, err := c.relocationPaths("", arg.FromPath, arg.ToPath)
	if err != nil {
		return nil, err
	}
	return writeTx(s, c, func(t *tx) (*Entry, error) {
		e, rerr := s.relocate(t, c.acct, r, move, arg.Autorename)
		if rerr != nil {
			return nil, routeError(rerr)
		}
		return c.view().place(e), nil
	})
}

func (s *Server) copyV2(c *call) (any, error) { return metadataResultV2(s.relocationCall(c, false)) }
func (s *Server) copyV1(c *call) (any, error) { return metadataResultV1(s.relocationCall(c, false)) }
func (s *Server) moveV2(c *call) (any, error) { return metadataResultV2(s.relocationCall(c, true)) }
func (s *Server) moveV1(c *call) (any, error) { return metadataResultV1(s.relocationCall(c, true)) }
