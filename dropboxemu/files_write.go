package dropboxemu

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// commitInfo is the spec's CommitInfo: where and how a file is written.
type commitInfo struct {
	Path           string            `json:"path"`
	Mode           *Tag              `json:"mode,omitempty" union:"add overwrite update=value"`
	Autorename     bool              `json:"autorename,omitempty"`
	ClientModified *string           `json:"client_modified,omitempty"`
	Mute           bool              `json:"mute,omitempty"`
	PropertyGroups []json.RawMessage `json:"property_groups,omitempty"`
	StrictConflict bool              `json:"strict_conflict,omitempty"`
}

// commitFields are the required fields of a CommitInfo at path ("" for
// an argument that extends CommitInfo), its property groups included.
func commitFields(path string) []string {
	pg := joinPath(path, "property_groups")
	return []string{joinPath(path, "path"), pg + ".template_id", pg + ".fields", pg + ".fields.name", pg + ".fields.value"}
}

// writeMode is a parsed WriteMode: add, overwrite, or update with a rev.
type writeMode struct {
	name string
	rev  string
}

// parsedCommit is a checked CommitInfo.
type parsedCommit struct {
	path      parsedPath
	malformed map[string]any // the WriteError malformed_path value, when the path is malformed
	mode      writeMode
	modified  time.Time // client_modified; zero when not given
}

// parseCommit checks a CommitInfo: its path, named pathField in messages,
// against WritePathOrId, then its other fields. It returns a 400 for values
// the spec does not allow; a path that matches the pattern but is still
// malformed gives pc.malformed, for the route to report in its own union.
func (c *call) parseCommit(pathField string, ci *commitInfo) (pc parsedCommit, err error) {
	if pc.path, pc.malformed, err = c.pathArg(pathField, ci.Path, "WritePathOrId"); err != nil {
		return pc, err
	}
	prefix := strings.TrimSuffix(pathField, "path") // the CommitInfo's own path: "commit.", ""
	pc.mode = writeMode{name: "add"}
	if ci.Mode != nil {
		pc.mode.name = ci.Mode.Name
		switch pc.mode.name {
		case "add", "overwrite":
		case "update":
			pc.mode.rev = ci.Mode.String()
			if err := c.checkRev(prefix+"mode.update", pc.mode.rev); err != nil {
				return pc, err
			}
		default:
			return pc, c.badArg("mode: unknown tag '%s'", pc.mode.name)
		}
	}
	if ci.ClientModified != nil {
		if pc.modified, err = c.checkTimestamp(prefix+"client_modified", *ci.ClientModified); err != nil {
			return pc, err
		}
	}
	return pc, nil
}

// fileContent is the content of a file about to be written.
type fileContent struct {
	Segments []Segment
	Size     int64
	Hash     string
}

// writeConflict is a WriteError conflict value.
func writeConflict(kind string) map[string]any { return uv("conflict", u(kind)) }

// writeFailure is a WriteError, returned by the write helpers.
type writeFailure struct{ reason map[string]any }

func (w *writeFailure) Error() string { return fmt.Sprintf("write failed: %v", w.reason) }

// writeTarget resolves a write path to a target. A lookup failure becomes
// the WriteError Dropbox gives for it. The caller holds s.mu.
func (s *Server) writeTarget(acct *Account, p parsedPath) (target, *writeFailure) {
	if p.Kind == pathRoot || p.Kind == pathRev {
		return target{}, &writeFailure{u("malformed_path")} // the root cannot be written
	}
	t, lerr := s.resolve(acct, p)
	switch {
	case lerr == nil:
	case lerr[".tag"] == "not_folder":
		return target{}, &writeFailure{writeConflict("file_ancestor")}
	default:
		return target{}, &writeFailure{u("malformed_path")} // an unknown id or namespace
	}
	if t.lower == "" {
		return target{}, &writeFailure{u("malformed_path")}
	}
	_, name := splitPath(t.display)
	if disallowedName(name) {
		return target{}, &writeFailure{u("disallowed_name")}
	}
	if existingAncestorFile(t.ns, t.lower) != nil {
		return target{}, &writeFailure{writeConflict("file_ancestor")}
	}
	if s.readOnlyFor(acct, t.ns) {
		return target{}, &writeFailure{u("no_write_permission")} // a viewer of a shared folder
	}
	return t, nil
}

// putFile writes content at path under mode, creating missing parent
// folders. It returns the stored entry, which is the existing one unchanged
// when the content is already there. The caller holds s.mu and commits t.
func (s *Server) putFile(t *tx, acct *Account, p parsedPath, content fileContent, mode writeMode,
	autorename, strict bool, clientModified time.Time) (*Entry, *writeFailure) {
	tgt, wf := s.writeTarget(acct, p)
	if wf != nil {
		return nil, wf
	}
	existing := tgt.entry
	conflict := ""
	switch {
	case existing != nil && existing.Folder:
		conflict = "folder"
	case existing != nil:
		// Identical content is never a conflict and writes nothing, unless
		// strict_conflict asks for the mode's rule to apply regardless.
		if existing.ContentHash == content.Hash && !strict {
			return existing, nil
		}
		switch mode.name {
		case "add":
			conflict = "file"
		case "update":
			if existing.Rev != mode.rev {
				conflict = "file"
			}
		}
	case mode.name == "update" && strict:
		// The file the caller expected is gone.
		conflict = "file"
	}
	if conflict != "" {
		if !autorename {
			return nil, &writeFailure{writeConflict(conflict)}
		}
		suffix := ""
		if mode.name == "update" {
			suffix = "conflicted copy"
		}
		tgt = s.freeName(tgt, suffix)
		existing = nil
	}
	var freed int64
	if existing != nil {
		freed = existing.Size
	}
	if s.usage(acct)+content.Size-freed > acct.Quota {
		return nil, &writeFailure{u("insufficient_space")}
	}
	s.ensureParents(t, tgt.ns, tgt.lower, tgt.display)
	now := s.clock.Now()
	if clientModified.IsZero() {
		clientModified = now
	}
	e := &Entry{NS: tgt.ns.ID, PathLower: tgt.lower, PathDisplay: tgt.display, Size: content.Size,
		ContentHash: content.Hash, Content: content.Segments,
		ClientModified: clientModified.Truncate(time.Second), ServerModified: now.Truncate(time.Second)}
	if existing != nil {
		e.ID = existing.ID
		e.PathDisplay = existing.PathDisplay // an overwrite keeps the stored casing
	} else {
		e.ID = newFileID()
	}
	s.storeRevision(t, tgt.ns, e, acct)
	return e, nil
}

// storeRevision gives file e (new content at its path) a new rev, stores it
// as the current entry and as a revision, and notes acct as its writer. The
// caller holds s.mu and commits t.
func (s *Server) storeRevision(t *tx, ns *Namespace, e *Entry, acct *Account) {
	e.Rev = s.nextRev(t)
	s.record(t, ns, e)
	s.addRevision(t, e)
	s.noteWriter(t, e, acct)
}

// addRevision remembers e as a revision of its file.
func (s *Server) addRevision(t *tx, e *Entry) {
	s.revs[e.Rev] = e
	s.revsByID[e.ID] = append(s.revsByID[e.ID], e.Rev)
	t.put(tblRev, e.Rev, e)
}

// usage is the bytes stored in acct's namespaces and in the shared
// folders it has in its Dropbox (which count against every member's quota).
func (s *Server) usage(acct *Account) int64 {
	var n int64
	seen := map[string]bool{}
	for _, id := range []string{acct.RootNS, acct.HomeNS} {
		if ns := s.namespaces[id]; ns != nil && !seen[id] {
			seen[id] = true
			n += ns.usage
		}
	}
	if home := s.namespaces[acct.HomeNS]; home != nil {
		for _, m := range home.mounts {
			if inner := s.namespaces[m.Mount]; inner != nil && !seen[inner.ID] && mountVisible(m, acct) && s.sharing.folders[inner.ID] != nil {
				seen[inner.ID] = true
				n += inner.usage
			}
		}
	}
	return n
}

// ensureParents creates the missing folders above lower.
func (s *Server) ensureParents(t *tx, ns *Namespace, lower, display string) {
	parentLower, _ := splitPath(lower)
	if parentLower == "" || ns.byPath[parentLower] != nil {
		return
	}
	parentDisplay, _ := splitPath(display)
	s.ensureParents(t, ns, parentLower, parentDisplay)
	s.record(t, ns, &Entry{ID: newFileID(), NS: ns.ID, Folder: true, PathLower: parentLower, PathDisplay: parentDisplay})
}

// freeName finds a name beside tgt that is not taken: "name (1).ext", or
// with a suffix "name (conflicted copy).ext", "name (conflicted copy 1).ext".
func (s *Server) freeName(tgt target, suffix string) target {
	parentDisplay, name := splitPath(tgt.display)
	parentLower, _ := splitPath(tgt.lower)
	base, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		base, ext = name[:i], name[i:]
	}
	for n := 1; ; n++ {
		var cand string
		switch {
		case suffix == "":
			cand = fmt.Sprintf("%s (%d)%s", base, n, ext)
		case n == 1:
			cand = fmt.Sprintf("%s (%s)%s", base, suffix, ext)
		default:
			cand = fmt.Sprintf("%s (%s %d)%s", base, suffix, n-1, ext)
		}
		lower := parentLower + "/" + lowerPath(cand)
		if tgt.ns.byPath[lower] == nil {
			return target{ns: tgt.ns, lower: lower, display: parentDisplay + "/" + cand}
		}
	}
}

// createFolder makes a folder at p. The caller holds s.mu and commits t.
func (s *Server) createFolder(t *tx, acct *Account, p parsedPath, autorename bool) (*Entry, *writeFailure) {
	tgt, wf := s.writeTarget(acct, p)
	if wf != nil {
		return nil, wf
	}
	if e := tgt.entry; e != nil {
		if !autorename {
			if e.Folder {
				return nil, &writeFailure{writeConflict("folder")}
			}
			return nil, &writeFailure{writeConflict("file")}
		}
		tgt = s.freeName(tgt, "")
	}
	s.ensureParents(t, tgt.ns, tgt.lower, tgt.display)
	e := &Entry{ID: newFileID(), NS: tgt.ns.ID, Folder: true, PathLower: tgt.lower, PathDisplay: tgt.display}
	s.record(t, tgt.ns, e)
	return e, nil
}
