package dropboxemu

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"weak"
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
	// shares holds the shared folders in the view (by namespace id) and
	// the account's standing in them, for sharing_info; modifiedBy is the
	// model's last writer of each file in a shared folder. Both are fixed
	// when the view is built, so that place may run without s.mu.
	shares     map[string]viewShare
	modifiedBy *sync.Map
}

// viewShare is the account's standing in a shared folder of its view.
type viewShare struct {
	readOnly bool   // a viewer
	owner    string // the owner's account id: the writer of what was there when it was shared
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
	if len(s.sharing.folders) > 0 {
		v.modifiedBy = &s.sharing.modifiedBy
		for id := range v.at {
			sf := s.sharing.folders[id]
			if sf == nil {
				continue
			}
			if v.shares == nil {
				v.shares = map[string]viewShare{}
			}
			vs := viewShare{owner: sf.Owner}
			if m := sf.memberOf(acct); m != nil {
				vs.readOnly = readOnlyAccess(m.Access)
			}
			v.shares[id] = vs
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
// sees when e's namespace is mounted below the view's base, and with its
// sharing info (sharingOf) when it is in a shared folder or is one's mount
// point; e itself when there is nothing to change.
func (v *view) place(e *Entry) *Entry {
	if e == nil {
		return nil
	}
	si := v.sharingInfo(e)
	mp, ok := v.at[e.NS]
	if (!ok || mp.lower == "") && si == nil {
		return e
	}
	cp := *e
	cp.PathLower = mp.lower + e.PathLower
	cp.PathDisplay = mp.display + e.PathDisplay
	if si != nil {
		attachSharing(&cp, si)
	}
	return &cp
}

// sharingInfo is the FileSharingInfo or FolderSharingInfo of an entry as
// an account sees it.
type sharingInfo struct {
	readOnly       bool
	parent         string // parent_shared_folder_id: the shared folder e is in
	sharedFolderID string // shared_folder_id: the folder e is the mount point of
	modifiedBy     string // files: the account that wrote the current revision
}

// sharingInfo returns the sharing info of e in the view, nil for an entry
// that is neither in a shared folder nor the mount point of one.
func (v *view) sharingInfo(e *Entry) *sharingInfo {
	if len(v.shares) == 0 {
		return nil
	}
	in, inside := v.shares[e.NS]
	mounted, isMount := v.shares[e.Mount]
	switch {
	case isMount && e.Mount != "":
		si := &sharingInfo{readOnly: mounted.readOnly, sharedFolderID: e.Mount}
		if inside {
			si.parent = e.NS
		}
		return si
	case !inside:
		return nil
	}
	si := &sharingInfo{readOnly: in.readOnly, parent: e.NS}
	if !e.Folder {
		si.modifiedBy = in.owner
		if w, ok := v.modifiedBy.Load(e.ID); ok {
			si.modifiedBy = w.(string)
		}
	}
	return si
}

// Sharing info rides on the copies place makes, to the metadata renderers
// (fileMeta, metadata, folderMetaNoTag), which see only the *Entry: a side
// table keyed by weak pointers to the copies, each row deleted when its copy
// is collected. (A field of Entry, never stored, would do the same.)
var (
	placedSharing sync.Map     // weak.Pointer[Entry] -> *sharingInfo
	placedLive    atomic.Int64 // rows in placedSharing: none, no lookups
)

// attachSharing records si as the sharing info of cp, a copy made by place.
func attachSharing(cp *Entry, si *sharingInfo) {
	k := weak.Make(cp)
	placedSharing.Store(k, si)
	placedLive.Add(1)
	runtime.AddCleanup(cp, func(k weak.Pointer[Entry]) {
		placedSharing.Delete(k)
		placedLive.Add(-1)
	}, k)
}

// sharingOf returns the sharing info place attached to e, or nil.
func sharingOf(e *Entry) *sharingInfo {
	if e == nil || placedLive.Load() == 0 {
		return nil
	}
	if si, ok := placedSharing.Load(weak.Make(e)); ok {
		return si.(*sharingInfo)
	}
	return nil
}

// path returns the view's form of a path of namespace ns.
func (v *view) path(ns, lower, display string) (string, string) {
	mp := v.at[ns]
	return mp.lower + lower, mp.display + display
}
