package dropboxemu

import (
	"slices"
	"strings"
)

// A view is the tree one account sees from one namespace (its home, or what
// Dropbox-API-Path-Root chose), with other namespaces mounted into it at
// folders whose Entry.Mount names them. Entries keep paths relative to
// their own namespace; a view places each namespace it reaches at a prefix,
// so that results carry the paths the account sees.

// mountPoint is where a namespace's root appears in a view.
type mountPoint struct {
	lower, display string
}

// view is the tree acct sees from namespace base.
type view struct {
	acct *Account
	base string
	at   map[string]mountPoint // namespace id -> its root's place in the view
}

// visible reports whether the mount entry e is seen by acct.
func mountVisible(e *Entry, acct *Account) bool {
	return e.Mount != "" && (e.MountFor == "" || e.MountFor == acct.ID)
}

// viewFrom builds the view of acct from namespace base. The caller holds s.mu.
func (s *Server) viewFrom(acct *Account, base string) *view {
	v := &view{acct: acct, base: base, at: map[string]mountPoint{base: {}}}
	queue := []string{base}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		ns := s.namespaces[id]
		if ns == nil {
			continue
		}
		here := v.at[id]
		for _, m := range sortedMounts(ns) {
			if !mountVisible(m, acct) {
				continue
			}
			if _, seen := v.at[m.Mount]; seen {
				continue // a namespace appears once in a view
			}
			v.at[m.Mount] = mountPoint{lower: here.lower + m.PathLower, display: here.display + m.PathDisplay}
			queue = append(queue, m.Mount)
		}
	}
	return v
}

// sortedMounts returns the mount entries of ns in path order, so that views
// are built the same way every time.
func sortedMounts(ns *Namespace) []*Entry {
	out := make([]*Entry, 0, len(ns.mounts))
	for _, m := range ns.mounts {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Entry) int { return strings.Compare(a.PathLower, b.PathLower) })
	return out
}

// view returns the view of the call's account from its base namespace
// (Dropbox-API-Path-Root), built once per call. The caller holds s.mu.
func (c *call) view() *view {
	if c.v == nil {
		if c.acct == nil {
			c.v = &view{}
		} else {
			c.v = c.s.viewFrom(c.acct, c.acct.base())
		}
	}
	return c.v
}

// place returns e as the view sees it: a copy with the path the account
// sees when e's namespace is mounted below the view's base, e itself when it
// is the base (or not mounted in the view at all).
func (v *view) place(e *Entry) *Entry {
	if e == nil {
		return nil
	}
	mp, ok := v.at[e.NS]
	if !ok || mp.lower == "" {
		return e
	}
	cp := *e
	cp.PathLower = mp.lower + e.PathLower
	cp.PathDisplay = mp.display + e.PathDisplay
	return &cp
}

// path returns the view's form of a path of namespace ns.
func (v *view) path(ns, lower, display string) (string, string) {
	mp := v.at[ns]
	return mp.lower + lower, mp.display + display
}
