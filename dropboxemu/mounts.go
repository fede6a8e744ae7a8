package dropboxemu

// Mounting namespaces into others: a team folder at the top of its team
// space, a member's home as their folder there, a shared folder in each
// member's home (sharing_folders.go).

// mountAt makes a folder at the top of parent, named name (or the first
// free "name (1)"...), where namespace inner appears; forAcct, when set, is
// the only account that sees it. The caller holds s.mu and commits t.
func (s *Server) mountAt(t *tx, parent *Namespace, name, inner, forAcct string) *Entry {
	return s.mountWithID(t, parent, name, inner, forAcct, "")
}

// mountWithID is mountAt with the mount point's id: id, unless it is
// empty or taken in parent, when it gets a new one.
func (s *Server) mountWithID(t *tx, parent *Namespace, name, inner, forAcct, id string) *Entry {
	tgt := target{ns: parent, lower: "/" + lowerPath(name), display: "/" + name}
	if parent.byPath[tgt.lower] != nil {
		tgt = s.freeName(tgt, "")
	}
	if id == "" || parent.byID[id] != nil {
		id = newFileID()
	}
	e := &Entry{ID: id, NS: parent.ID, Folder: true, PathLower: tgt.lower, PathDisplay: tgt.display,
		Mount: inner, MountFor: forAcct}
	s.record(t, parent, e)
	return e
}

// below returns where what is below folder e is for acct: the root of
// the namespace mounted at e, or e's own path in its namespace; a nil
// namespace when e is a mount point acct does not see or whose namespace
// is gone. A nil acct (an account since deleted) goes into no mount.
// The caller holds s.mu.
func (s *Server) below(acct *Account, e *Entry) (*Namespace, string) {
	if e.Mount == "" {
		return s.namespaces[e.NS], e.PathLower
	}
	if acct == nil || !mountVisible(e, acct) {
		return nil, ""
	}
	return s.namespaces[e.Mount], ""
}

// mountOf returns the mount point of namespace inner in parent, or nil.
func mountOf(parent *Namespace, inner string) *Entry {
	for _, m := range parent.mounts {
		if m.Mount == inner {
			return m
		}
	}
	return nil
}

// unmount removes the mount point of inner from parent, if there is one:
// listings see it deleted. The caller holds s.mu and commits t.
func (s *Server) unmount(t *tx, parent *Namespace, inner string) {
	if m := mountOf(parent, inner); m != nil {
		s.forget(t, parent, m)
	}
}

// renameMount gives the mount point of inner in parent a new top-level
// name, keeping its id: listings see the old path deleted and the new one
// appear. The caller holds s.mu and commits t.
func (s *Server) renameMount(t *tx, parent *Namespace, inner, name string) {
	m := mountOf(parent, inner)
	if m == nil {
		return
	}
	if lowerPath(name) == m.PathLower[1:] {
		n := *m
		n.PathDisplay = "/" + name
		parent.index(&n)
		t.put(tblEntry, nsKey(parent.ID, n.ID), &n) // a case-only rename is not reported
		return
	}
	s.forget(t, parent, m)
	n := *m
	tgt := target{ns: parent, lower: "/" + lowerPath(name), display: "/" + name}
	if parent.byPath[tgt.lower] != nil {
		tgt = s.freeName(tgt, "")
	}
	n.PathLower, n.PathDisplay = tgt.lower, tgt.display
	s.record(t, parent, &n)
}

// isTeamSpaceMount reports whether e is a team folder or a member's folder
// at the top of a team space: the files routes neither move nor delete
// those (WriteError.team_folder); team_folder/* and the team's admins do.
func isTeamSpaceMount(ns *Namespace, e *Entry) bool {
	return ns.Kind == "team_space" && e.Mount != ""
}

// mountedAnywhere returns the namespaces that are mounted somewhere.
// The caller holds s.mu.
func (s *Server) mountedAnywhere() map[string]bool {
	out := map[string]bool{}
	for _, ns := range s.namespaces {
		for _, m := range ns.mounts {
			out[m.Mount] = true
		}
	}
	return out
}
