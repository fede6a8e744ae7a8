package dropboxemu

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The emulator's model. Everything here is guarded by Server.mu. Entries
// are immutable once stored: a change replaces the *Entry.

// App is a registered Dropbox app. A team-linked app (TeamLinked, a
// Dropbox Business API app) is authorized by a team admin for the whole
// team: when it is granted a team scope (teamScope), the token endpoint
// answers with a team token and team_id instead of account_id. Granted
// user scopes only, it gets a user token like any other app.
type App struct {
	Key          string   `json:"app_key"`
	Secret       string   `json:"app_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	WebhookURI   string   `json:"webhook_uri,omitempty"`
	Scopes       []string `json:"scopes"`
	TeamLinked   bool     `json:"team_linked,omitempty"`
}

// Account is a Dropbox user.
type Account struct {
	ID           string    `json:"account_id"`
	UID          uint64    `json:"uid"`
	Email        string    `json:"email"`
	DisplayName  string    `json:"display_name"`
	AccountType  string    `json:"account_type"` // basic, pro, business
	TeamID       string    `json:"team_id,omitempty"`
	TeamMemberID string    `json:"team_member_id,omitempty"`
	RootNS       string    `json:"root_namespace_id"`
	HomeNS       string    `json:"home_namespace_id"`
	Quota        int64     `json:"quota"`
	Locale       string    `json:"locale"`
	Country      string    `json:"country"`
	Created      time.Time `json:"created"`
	Disabled     bool      `json:"disabled,omitempty"`

	// viewRoot is the namespace a call's paths start from when its
	// Dropbox-API-Path-Root chose one (see withRoot); never stored.
	viewRoot string
}

// Token is an access or refresh token.
type Token struct {
	Token        string    `json:"token"`
	Kind         string    `json:"kind"` // access, refresh
	AccountID    string    `json:"account_id,omitempty"`
	TeamID       string    `json:"team_id,omitempty"`
	AppKey       string    `json:"app_key,omitempty"`
	Scopes       []string  `json:"scopes"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	RefreshToken string    `json:"refresh_token,omitempty"` // for access tokens minted from one
	Public       bool      `json:"public,omitempty"`        // refresh token of a PKCE client: no secret needed
	// Admin, on a team token issued through OAuth, is the team_member_id
	// of the team admin who authorized it
	// (team/token/get_authenticated_admin).
	Admin string `json:"admin,omitempty"`
}

// AuthCode is an OAuth authorization code waiting to be exchanged. A code
// for a team token has TeamID, and AccountID is the team admin who gave
// consent.
type AuthCode struct {
	Code            string    `json:"code"`
	AppKey          string    `json:"app_key"`
	AccountID       string    `json:"account_id"`
	TeamID          string    `json:"team_id,omitempty"`
	RedirectURI     string    `json:"redirect_uri"`
	Scopes          []string  `json:"scopes"`
	Challenge       string    `json:"code_challenge,omitempty"`
	ChallengeMethod string    `json:"code_challenge_method,omitempty"`
	Offline         bool      `json:"offline"`
	ExpiresAt       time.Time `json:"expires_at"`
}

// Segment is one stored piece of a file's content.
type Segment struct {
	Blob string `json:"blob"`
	Size int64  `json:"size"`
}

// Entry is a file or folder as it is now (or, in revisions and change log
// records, as it was).
type Entry struct {
	ID             string    `json:"id"`
	NS             string    `json:"ns"`
	Folder         bool      `json:"folder,omitempty"`
	PathLower      string    `json:"path_lower"`
	PathDisplay    string    `json:"path_display"`
	Rev            string    `json:"rev,omitempty"`
	Size           int64     `json:"size,omitempty"`
	ContentHash    string    `json:"content_hash,omitempty"`
	Content        []Segment `json:"content,omitempty"`
	ClientModified time.Time `json:"client_modified,omitzero"`
	ServerModified time.Time `json:"server_modified,omitzero"`
	Deleted        bool      `json:"deleted,omitempty"` // revisions only: a deletion
	// Mount, on a folder, is the namespace whose root appears here (a shared
	// folder, a team folder, a member's home in a team space): the folder has
	// no children of its own in this namespace. MountFor, when set, is the
	// only account that sees the mount (a team-space member's own folder).
	Mount    string `json:"mount,omitempty"`
	MountFor string `json:"mount_for,omitempty"`
}

// Name is the last path component, as displayed.
func (e *Entry) Name() string { _, n := splitPath(e.PathDisplay); return n }

// Change is one record of a namespace's change log.
type Change struct {
	Seq         uint64 `json:"seq"`
	PathLower   string `json:"path_lower"`
	PathDisplay string `json:"path_display"`
	Entry       *Entry `json:"entry,omitempty"` // nil for a deletion
}

// Tombstone remembers a deleted path for include_deleted.
type Tombstone struct {
	PathLower   string    `json:"path_lower"`
	PathDisplay string    `json:"path_display"`
	DeletedAt   time.Time `json:"deleted_at"`
}

// Namespace is one tree of files: a user's home, later shared and team folders.
type Namespace struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // home
	Owner string `json:"owner,omitempty"`
	// LogStart is one past the last change this namespace forgot: a cursor
	// whose position is below LogStart-1 missed changes and gets reset.
	LogStart uint64 `json:"log_start"`

	byPath     map[string]*Entry
	byID       map[string]*Entry
	dirs       map[string]*dirIndex // folder path_lower ("" root) -> children
	log        []*Change            // seq ascending, from LogStart
	tombstones map[string]*Tombstone
	mounts     map[string]*Entry // mount points in this namespace, by entry id
	usage      int64
}

type dirIndex struct {
	children map[string]*Entry // name lower -> entry
	sorted   []string          // sorted child names, nil when stale
}

func newNamespace(id, kind, owner string) *Namespace {
	ns := &Namespace{ID: id, Kind: kind, Owner: owner, LogStart: 1}
	ns.init()
	return ns
}

func (ns *Namespace) init() {
	ns.byPath = map[string]*Entry{}
	ns.byID = map[string]*Entry{}
	ns.dirs = map[string]*dirIndex{"": {children: map[string]*Entry{}}}
	ns.tombstones = map[string]*Tombstone{}
	ns.mounts = map[string]*Entry{}
}

// index adds e to the lookup structures (not to the log).
func (ns *Namespace) index(e *Entry) {
	if old := ns.byID[e.ID]; old != nil && old.PathLower != e.PathLower {
		ns.unindex(old)
	}
	if old := ns.byPath[e.PathLower]; old != nil {
		ns.usage -= old.Size
		if old.ID != e.ID {
			delete(ns.byID, old.ID)
		}
	}
	ns.byPath[e.PathLower] = e
	ns.byID[e.ID] = e
	ns.usage += e.Size
	parent, name := splitPath(e.PathLower)
	d := ns.dirs[parent]
	if d == nil {
		d = &dirIndex{children: map[string]*Entry{}}
		ns.dirs[parent] = d
	}
	if _, ok := d.children[name]; !ok {
		d.sorted = nil
	}
	d.children[name] = e
	if e.Folder && ns.dirs[e.PathLower] == nil {
		ns.dirs[e.PathLower] = &dirIndex{children: map[string]*Entry{}}
	}
	if e.Mount != "" {
		ns.mounts[e.ID] = e
	} else {
		delete(ns.mounts, e.ID)
	}
}

// unindex removes e (only e, not its children) from the lookup structures.
func (ns *Namespace) unindex(e *Entry) {
	if ns.byPath[e.PathLower] == e {
		delete(ns.byPath, e.PathLower)
		ns.usage -= e.Size
	}
	if ns.byID[e.ID] == e {
		delete(ns.byID, e.ID)
	}
	parent, name := splitPath(e.PathLower)
	if d := ns.dirs[parent]; d != nil && d.children[name] == e {
		delete(d.children, name)
		d.sorted = nil
	}
	if e.Folder {
		delete(ns.dirs, e.PathLower)
	}
	if ns.mounts[e.ID] == e {
		delete(ns.mounts, e.ID)
	}
}

// sortedChildren returns the child names of folder dir in order.
func (ns *Namespace) sortedChildren(dir string) []string {
	d := ns.dirs[dir]
	if d == nil {
		return nil
	}
	if d.sorted == nil {
		d.sorted = make([]string, 0, len(d.children))
		for n := range d.children {
			d.sorted = append(d.sorted, n)
		}
		sort.Strings(d.sorted)
	}
	return d.sorted
}

// child returns the entry named name (lower) in folder dir.
func (ns *Namespace) child(dir, name string) *Entry {
	if d := ns.dirs[dir]; d != nil {
		return d.children[name]
	}
	return nil
}

// walk visits the entries below dir in depth-first order, parents before
// children and siblings by lower-cased name, resuming after the entry whose
// path relative to dir is after (lower-cased, "" to start). It stops when
// yield returns false and reports whether it ran to the end.
func (ns *Namespace) walk(dir string, recursive bool, after []string, yield func(*Entry) bool) bool {
	return ns.walkHooked(dir, recursive, after, walkHooks{}, yield)
}

// walkHooks adapt a walk to what an account sees (views.go): hide, when set,
// skips entries (another account's mount point); into, when set, walks what
// is below a mount point (the tree of the namespace mounted there) in place
// of the mount point's own, empty, folder.
type walkHooks struct {
	hide func(*Entry) bool
	into func(e *Entry, after []string, yield func(*Entry) bool) bool
}

// walkHooked is walk with hooks h.
func (ns *Namespace) walkHooked(dir string, recursive bool, after []string, h walkHooks, yield func(*Entry) bool) bool {
	names := ns.sortedChildren(dir)
	start := 0
	if len(after) > 0 {
		i, found := slices.BinarySearch(names, after[0])
		if found {
			if e := ns.child(dir, names[i]); recursive && e != nil && e.Folder && (h.hide == nil || !h.hide(e)) {
				if !ns.below(e, after[1:], h, yield) {
					return false
				}
			}
			i++
		}
		start = i
		// names may be replaced by the recursive walk's cache fill; re-read.
		names = ns.sortedChildren(dir)
	}
	for _, n := range names[start:] {
		e := ns.child(dir, n)
		if e == nil || h.hide != nil && h.hide(e) {
			continue
		}
		if !yield(e) {
			return false
		}
		if recursive && e.Folder && !ns.below(e, nil, h, yield) {
			return false
		}
	}
	return true
}

// below walks what is under folder e of ns, resuming after after: the
// tree mounted at e when e is a mount point and h says how, else e's
// children.
func (ns *Namespace) below(e *Entry, after []string, h walkHooks, yield func(*Entry) bool) bool {
	if e.Mount != "" && h.into != nil {
		return h.into(e, after, yield)
	}
	return ns.walkHooked(e.PathLower, true, after, h, yield)
}

// relComponents splits p (lower) below dir into components.
func relComponents(dir, p string) []string {
	rel := strings.TrimPrefix(p[len(dir):], "/")
	if rel == "" {
		return nil
	}
	return strings.Split(rel, "/")
}

// logFrom returns the log records with seq > after.
func (ns *Namespace) logFrom(after uint64) []*Change {
	i := sort.Search(len(ns.log), func(i int) bool { return ns.log[i].Seq > after })
	return ns.log[i:]
}

// tx collects the row changes of one API call; Server.commit makes them durable.
type tx struct {
	ops     []Op
	touched map[*Namespace]bool
	err     error
}

func (t *tx) put(table, key string, v any) {
	b, err := json.Marshal(v)
	if err != nil && t.err == nil {
		t.err = fmt.Errorf("encode %s %s: %w", table, key, err)
	}
	t.ops = append(t.ops, Op{Table: table, Key: key, Value: b})
}

func (t *tx) del(table, key string) {
	t.ops = append(t.ops, Op{Table: table, Key: key})
}

func (t *tx) touch(ns *Namespace) {
	if t.touched == nil {
		t.touched = map[*Namespace]bool{}
	}
	t.touched[ns] = true
}

// writeTx runs do for a write route: it takes the write slot of c's
// namespace (429 too_many_write_operations when it is busy, see
// limiter.beginWrite), then runs do and commits its tx as lockedTx does.
func writeTx[T any](s *Server, c *call, do func(t *tx) (T, error)) (T, error) {
	release, lerr := s.limits.beginWrite(c.acct.base())
	if lerr != nil {
		var zero T
		return zero, lerr
	}
	defer release()
	return lockedTx(s, do)
}

// lockedTx runs do with s.mu held and a new tx, then commits the tx; a tx
// that recorded nothing (the call changed nothing) is not committed. When
// do fails, nothing is committed and its error (a route error, say) is
// returned as it is; do must then have changed nothing.
func lockedTx[T any](s *Server, do func(t *tx) (T, error)) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t tx
	v, err := do(&t)
	if err != nil || len(t.ops) == 0 {
		return v, err
	}
	if err := s.commit(&t); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// Table names.
const (
	tblMeta      = "meta"
	tblApp       = "app"
	tblAccount   = "account"
	tblToken     = "token"
	tblCode      = "code"
	tblGrant     = "grant"
	tblNS        = "ns"
	tblEntry     = "entry"
	tblChange    = "change"
	tblTombstone = "tombstone"
	tblRev       = "rev"
	tblSession   = "session"
	tblJob       = "job"
	tblTags      = "tags"
	tblTempLink  = "templink"
)

func nsKey(ns, k string) string              { return ns + "\x00" + k }
func changeKey(ns string, seq uint64) string { return fmt.Sprintf("%s\x00%016x", ns, seq) }

// record stores e as the current entry at its path in ns and logs the change.
// A folder's descendants are moved by the caller.
func (s *Server) record(t *tx, ns *Namespace, e *Entry) {
	ns.index(e)
	t.put(tblEntry, nsKey(ns.ID, e.ID), e)
	if _, ok := ns.tombstones[e.PathLower]; ok {
		delete(ns.tombstones, e.PathLower)
		t.del(tblTombstone, nsKey(ns.ID, e.PathLower))
	}
	s.logChange(t, ns, &Change{PathLower: e.PathLower, PathDisplay: e.PathDisplay, Entry: e})
}

// forget removes e and everything below it from ns and logs one deletion.
func (s *Server) forget(t *tx, ns *Namespace, e *Entry) {
	now := s.clock.Now()
	var gone []*Entry
	if e.Folder {
		ns.walk(e.PathLower, true, nil, func(c *Entry) bool { gone = append(gone, c); return true })
	}
	gone = append(gone, e)
	for _, g := range gone {
		ns.unindex(g)
		t.del(tblEntry, nsKey(ns.ID, g.ID))
		tomb := &Tombstone{PathLower: g.PathLower, PathDisplay: g.PathDisplay, DeletedAt: now}
		ns.tombstones[g.PathLower] = tomb
		t.put(tblTombstone, nsKey(ns.ID, g.PathLower), tomb)
	}
	s.logChange(t, ns, &Change{PathLower: e.PathLower, PathDisplay: e.PathDisplay})
}

// logChange appends c to the change log of ns. Sequence numbers are global
// (one counter for every namespace), so that a cursor over several
// namespaces (a tree with shared or team folders mounted in it) is one
// position in one order.
func (s *Server) logChange(t *tx, ns *Namespace, c *Change) {
	s.ctr.Seq++
	t.put(tblMeta, "counters", s.ctr)
	c.Seq = s.ctr.Seq
	ns.log = append(ns.log, c)
	t.put(tblChange, changeKey(ns.ID, c.Seq), c)
	if lim := s.opts.ChangeLogLimit; lim > 0 && len(ns.log) > lim {
		drop := len(ns.log) - lim
		for _, old := range ns.log[:drop] {
			t.del(tblChange, changeKey(ns.ID, old.Seq))
		}
		// Cursors that have not seen the last dropped change get reset.
		ns.LogStart = ns.log[drop-1].Seq + 1
		ns.log = slices.Clone(ns.log[drop:])
		t.put(tblNS, ns.ID, ns)
	}
	t.touch(ns)
}

// counters are the emulator's global sequences.
type counters struct {
	Rev uint64 `json:"rev"`
	UID uint64 `json:"uid"`
	NS  uint64 `json:"ns"`
	Seq uint64 `json:"seq"` // the last change's sequence number, in every namespace
}

func (s *Server) nextRev(t *tx) string {
	s.ctr.Rev++
	t.put(tblMeta, "counters", s.ctr)
	return fmt.Sprintf("%015x", s.ctr.Rev)
}

func (s *Server) nextNS(t *tx) string {
	s.ctr.NS++
	t.put(tblMeta, "counters", s.ctr)
	return fmt.Sprintf("%d", s.ctr.NS)
}

func (s *Server) nextUID(t *tx) uint64 {
	s.ctr.UID++
	t.put(tblMeta, "counters", s.ctr)
	return s.ctr.UID
}

// sortByDepth orders entries so that every folder comes before what is in it.
func sortByDepth(es []*Entry) {
	slices.SortFunc(es, func(a, b *Entry) int {
		da, db := strings.Count(a.PathLower, "/"), strings.Count(b.PathLower, "/")
		if da != db {
			return da - db
		}
		return strings.Compare(a.PathLower, b.PathLower)
	})
}

func sortChanges(cs []*Change) {
	slices.SortFunc(cs, func(a, b *Change) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
}

// sortRevs orders revisions oldest first (revs grow with time).
func sortRevs(es []*Entry) {
	slices.SortFunc(es, func(a, b *Entry) int {
		if len(a.Rev) != len(b.Rev) {
			return len(a.Rev) - len(b.Rev)
		}
		return strings.Compare(a.Rev, b.Rev)
	})
}
