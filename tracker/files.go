package tracker

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Kind is what a mirrored entry is: dropbridge.EntryKind.
type Kind = dropbridge.EntryKind

// Kinds of entries.
const (
	KindFile   = dropbridge.EntryFile
	KindFolder = dropbridge.EntryFolder
	KindPaper  = dropbridge.EntryPaper // a .paper file
)

// kindEvents are the event types of each kind.
var kindEvents = map[Kind]struct{ created, updated, moved, deleted dropbridge.EventType }{
	KindFile:   {dropbridge.EventFileCreated, dropbridge.EventFileUpdated, dropbridge.EventFileMoved, dropbridge.EventFileDeleted},
	KindFolder: {dropbridge.EventFolderCreated, dropbridge.EventFolderUpdated, dropbridge.EventFolderMoved, dropbridge.EventFolderDeleted},
	KindPaper:  {dropbridge.EventPaperCreated, dropbridge.EventPaperUpdated, dropbridge.EventPaperMoved, dropbridge.EventPaperDeleted},
}

// Entry is one file or folder of a connection's files mirror, keyed by its
// Dropbox id: dropbridge.Entry, which the stores keep.
type Entry = dropbridge.Entry

// Update is one change of the mirror to store: the entry's new state, or,
// with Entry nil, its removal. It is dropbridge.EntryUpdate, which
// dropbridge.MirrorChange carries to the store.
type Update = dropbridge.EntryUpdate

// Result is what applying a page did: the changes to tell, in order, and
// the mirror's updates to store with the page's cursor, one per entry
// touched, in the order they were first touched.
type Result struct {
	Changes []Change
	Updates []Update
}

// Files is a connection's files mirror in memory, and the diff rules that
// keep it: ApplyPage for each list_folder page, Reset for the first page of
// a full listing after a cursor reset. It holds the working set of the
// mirror: the whole mirror, or, for a store-backed mirror, at least the
// entries that a page names by id or path, the entries below each of those
// paths, and every pending entry. A Files is not safe for concurrent use.
type Files struct {
	entries   map[string]*Entry
	paths     map[string]string              // path_lower -> id of the live entry there
	pendingAt map[string]map[string]struct{} // path_lower -> ids of the pending entries last there
	children  map[string]map[string]struct{} // parent id -> ids of live and pending entries
	orphans   map[string]map[string]struct{} // path of a folder not in the mirror -> ids of live entries in it

	// The call in progress.
	res     Result
	touched map[string]bool
	page    []dropbox.Metadata
	done    []bool           // entries of page applied
	at      map[string][]int // id -> indexes of its entries in page
}

// NewFiles returns a mirror holding entries (which it keeps), or an error
// when two entries share an id or two live entries a path, or an entry has
// no id, path or valid kind.
func NewFiles(entries []*Entry) (*Files, error) {
	f := &Files{entries: map[string]*Entry{}, paths: map[string]string{}, pendingAt: map[string]map[string]struct{}{},
		children: map[string]map[string]struct{}{}, orphans: map[string]map[string]struct{}{}}
	for _, e := range entries {
		switch {
		case e.ID == "" || e.PathLower == "":
			return nil, fmt.Errorf("mirror entry %q at %q: no id or path", e.ID, e.PathLower)
		case kindEvents[e.Kind].created == "":
			return nil, fmt.Errorf("mirror entry %q: unknown kind %q", e.ID, e.Kind)
		case f.entries[e.ID] != nil:
			return nil, fmt.Errorf("mirror entry %q: twice", e.ID)
		}
		if other, ok := f.paths[e.PathLower]; ok && !e.Pending {
			return nil, fmt.Errorf("mirror entries %q and %q: both at %q", other, e.ID, e.PathLower)
		}
		f.entries[e.ID] = e
		f.index(e)
	}
	return f, nil
}

// Entries returns copies of the mirror's entries, live and pending, sorted
// by id.
func (f *Files) Entries() []*Entry {
	out := make([]*Entry, 0, len(f.entries))
	for _, e := range f.entries {
		c := *e
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *Entry) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ApplyPage applies one page of files/list_folder or
// files/list_folder/continue, entries in order, and returns the changes and
// the updates to store. On the last page (has_more false) the deletions
// still pending become final. Entries of unknown tags, and entries without
// an id or path_lower, are skipped.
//
// The changes keep the application's view a tree: no two objects are ever
// at one path. So before an entry takes a path where a pending entry was
// (or below it), that pending entry is settled: if this page lists it
// again elsewhere, and nothing listed in between touches that place, its
// entry is applied first (a move); otherwise its deletion is final now. A
// move whose old path is taken again before the moved entry is listed, on
// a later page or after something else at its new place, is therefore told
// as a deletion and a creation of the same id.
func (f *Files) ApplyPage(page *dropbox.ListFolderResult) *Result {
	f.begin()
	f.apply(page)
	return f.end()
}

// Reset applies the first page of a new full listing that replaces a
// cursor Dropbox reset: every entry of the mirror becomes pending, so that
// what the listing does not list again is deleted when it ends, what it
// lists at a new path is moved, and what changed is updated. The listing's
// further pages go to ApplyPage.
func (f *Files) Reset(page *dropbox.ListFolderResult) *Result {
	f.begin()
	for _, id := range slices.Sorted(maps.Keys(f.entries)) {
		f.pend(f.entries[id])
	}
	f.apply(page)
	return f.end()
}

func (f *Files) begin() {
	f.res, f.touched = Result{}, map[string]bool{}
}

func (f *Files) apply(page *dropbox.ListFolderResult) {
	f.page, f.done, f.at = page.Entries, make([]bool, len(page.Entries)), map[string][]int{}
	for i := range f.page {
		if id := metadataID(&f.page[i]); id != "" {
			f.at[id] = append(f.at[id], i)
		}
	}
	for i := range f.page {
		if !f.done[i] {
			f.do(i)
		}
	}
	f.page, f.done, f.at = nil, nil, nil
	if !page.HasMore {
		var gone []*Entry
		for _, ids := range f.pendingAt {
			for id := range ids {
				gone = append(gone, f.entries[id])
			}
		}
		f.finalize(gone)
	}
}

func (f *Files) end() *Result {
	res := f.res
	for i := range res.Updates {
		if e := f.entries[res.Updates[i].ID]; e != nil {
			c := *e
			res.Updates[i].Entry = &c
		}
	}
	f.res, f.touched = Result{}, nil
	return &res
}

// do applies entry i of the page.
func (f *Files) do(i int) {
	f.done[i] = true
	m := &f.page[i]
	switch m.Tag {
	case dropbox.MetadataDeleted:
		if p := m.Deleted.GetPathLower(); p != "" {
			f.remove(p)
		}
	case dropbox.MetadataFile, dropbox.MetadataFolder:
		if n, err := entryOf(m); err == nil {
			f.put(n)
		}
	}
}

// metadataID returns the id of a file or folder's metadata, else "".
func metadataID(m *dropbox.Metadata) string {
	switch m.Tag {
	case dropbox.MetadataFile:
		return m.File.ID
	case dropbox.MetadataFolder:
		return m.Folder.ID
	}
	return ""
}

// metadataPath returns the path_lower of any metadata.
func metadataPath(m *dropbox.Metadata) string {
	if p := m.PathLower(); p != nil {
		return *p
	}
	return ""
}

// entryOf returns the mirror entry of a file or folder's metadata.
func entryOf(m *dropbox.Metadata) (*Entry, error) {
	obj, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	var e *Entry
	switch m.Tag {
	case dropbox.MetadataFile:
		e = &Entry{ID: m.File.ID, PathLower: m.File.GetPathLower(), Kind: KindFile, Rev: m.File.Rev, ContentHash: m.File.GetContentHash()}
		if strings.HasSuffix(e.PathLower, ".paper") {
			e.Kind = KindPaper
		}
	case dropbox.MetadataFolder:
		e = &Entry{ID: m.Folder.ID, PathLower: m.Folder.GetPathLower(), Kind: KindFolder}
	default:
		return nil, fmt.Errorf("metadata of tag %q is no file or folder", m.Tag)
	}
	if e.ID == "" || e.PathLower == "" {
		return nil, fmt.Errorf("metadata without id or path")
	}
	e.Object = obj
	return e, nil
}

// put applies a listed file or folder n.
func (f *Files) put(n *Entry) {
	// n takes its path: whatever else is there is replaced, and what was
	// there before is settled. A folder replacing a folder keeps its
	// children (Dropbox: "folder: create or keep, keep its children").
	var kept []*Entry
	for {
		if oid, ok := f.paths[n.PathLower]; ok && oid != n.ID {
			other := f.entries[oid]
			if other.Kind == KindFolder && n.Kind == KindFolder {
				for _, id := range slices.Sorted(maps.Keys(f.children[oid])) {
					if c := f.entries[id]; !c.Pending {
						kept = append(kept, c)
					}
				}
				f.pend(other)
			} else {
				f.pendTree(other)
			}
		}
		f.settle(n.PathLower, n.ID)
		if oid, ok := f.paths[n.PathLower]; !ok || oid == n.ID {
			break
		}
	}
	ev := kindEvents[n.Kind]
	old := f.entries[n.ID]
	switch {
	case old == nil:
		f.entries[n.ID] = n
		f.setLive(n)
		f.change(Change{Type: ev.created, ObjectID: n.ID, After: n.Object}, n)
	case old.PathLower == n.PathLower:
		f.replace(old, n)
		if updated(old, n) {
			f.change(Change{Type: ev.updated, ObjectID: n.ID, Before: old.Object, After: n.Object}, n)
		}
	default:
		f.replace(old, n)
		if n.Kind == KindFolder {
			f.rewrite(n.ID, old.PathLower, n.PathLower, displayPath(old.Object), displayPath(n.Object))
		}
		f.change(Change{Type: ev.moved, ObjectID: n.ID, Before: old.Object, After: n.Object}, n)
	}
	for _, c := range kept {
		if f.entries[c.ID] == c && !c.Pending && strings.HasPrefix(c.PathLower, n.PathLower+"/") {
			f.unindex(c)
			c.Parent = n.ID
			f.index(c)
			f.touch(c.ID)
		}
	}
}

// settle resolves the pending entries at p, but for the entry with id, and
// the pending entries below them: each that the page lists again where it
// can be applied now is applied now; the others are deleted.
func (f *Files) settle(p, id string) {
	for {
		var todo []*Entry
		for _, pid := range slices.Sorted(maps.Keys(f.pendingAt[p])) {
			if pid != id {
				todo = f.pendingTree(f.entries[pid], todo)
			}
		}
		if len(todo) == 0 {
			return
		}
		pulled := false
		for _, e := range todo {
			if j := f.later(e, p); j >= 0 {
				f.do(j)
				pulled = true
				break
			}
		}
		if !pulled {
			f.finalize(todo)
			return
		}
	}
}

// pendingTree appends e, if pending, and the pending entries below it.
func (f *Files) pendingTree(e *Entry, out []*Entry) []*Entry {
	if e.Pending {
		out = append(out, e)
	}
	for _, id := range slices.Sorted(maps.Keys(f.children[e.ID])) {
		out = f.pendingTree(f.entries[id], out)
	}
	return out
}

// later returns the index of e's next entry in the page, if it can be
// applied before the entries in between: it is not at or below p (the path
// being taken), and no entry before it that is still to be applied is at,
// above or below its path. Else it returns -1.
func (f *Files) later(e *Entry, p string) int {
	for _, j := range f.at[e.ID] {
		if f.done[j] {
			continue
		}
		z := metadataPath(&f.page[j])
		if z == p || strings.HasPrefix(z, p+"/") {
			return -1
		}
		for k := range j {
			if q := metadataPath(&f.page[k]); !f.done[k] && (q == z || strings.HasPrefix(q, z+"/") || strings.HasPrefix(z, q+"/")) {
				return -1
			}
		}
		return j
	}
	return -1
}

// replace puts n in the place of old, which has the same id.
func (f *Files) replace(old, n *Entry) {
	f.unindex(old)
	f.entries[n.ID] = n
	f.setLive(n)
}

// updated reports whether n changed from old at the same place.
func updated(old, n *Entry) bool {
	if old.Kind != n.Kind {
		return true
	}
	if n.Kind == KindFolder {
		return folderSharing(old.Object) != folderSharing(n.Object)
	}
	if old.ContentHash != "" && n.ContentHash != "" {
		return old.ContentHash != n.ContentHash
	}
	return old.Rev != n.Rev
}

// folderSharing returns what says how a folder is shared, as a string to
// compare.
func folderSharing(obj json.RawMessage) string {
	var m dropbox.FolderMetadata
	if json.Unmarshal(obj, &m) != nil {
		return ""
	}
	b, _ := json.Marshal(struct {
		A any `json:"a"`
		B any `json:"b"`
	}{m.SharingInfo, m.SharedFolderID})
	return string(b)
}

// remove applies a listed deletion of p: the entries at and below p become
// pending.
func (f *Files) remove(p string) {
	if id, ok := f.paths[p]; ok {
		f.pendTree(f.entries[id])
	}
	for _, id := range slices.Sorted(maps.Keys(f.orphans[p])) {
		f.pendTree(f.entries[id])
	}
}

// finalize deletes the pending entries in gone, deepest first.
func (f *Files) finalize(gone []*Entry) {
	slices.SortFunc(gone, func(a, b *Entry) int {
		if c := strings.Compare(b.PathLower, a.PathLower); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, e := range gone {
		if f.entries[e.ID] != e || !e.Pending {
			continue // listed twice
		}
		f.unindex(e)
		delete(f.entries, e.ID)
		delete(f.children, e.ID)
		f.touch(e.ID)
		f.change(Change{Type: kindEvents[e.Kind].deleted, ObjectID: e.ID, Before: e.Object}, e)
	}
}

// setLive places e, which is not indexed, at its path, in its parent
// folder.
func (f *Files) setLive(e *Entry) {
	e.Pending = false
	e.Parent = ""
	if dir := parentPath(e.PathLower); dir != "" {
		e.Parent = f.paths[dir]
	}
	f.index(e)
	if e.Kind == KindFolder {
		for _, id := range slices.Sorted(maps.Keys(f.orphans[e.PathLower])) {
			c := f.entries[id]
			f.unindex(c)
			c.Parent = e.ID
			f.index(c)
			f.touch(id)
		}
	}
	f.touch(e.ID)
}

// pend makes e pending.
func (f *Files) pend(e *Entry) {
	if e.Pending {
		return
	}
	f.unindex(e)
	e.Pending = true
	f.index(e)
	f.touch(e.ID)
}

// pendTree makes e and the live entries below it pending.
func (f *Files) pendTree(e *Entry) {
	f.pend(e)
	for _, id := range slices.Sorted(maps.Keys(f.children[e.ID])) {
		if c := f.entries[id]; !c.Pending {
			f.pendTree(c)
		}
	}
}

// rewrite moves the entries below folder id, live and pending, from the
// path prefix from to the prefix to (display paths: fromDisplay to
// toDisplay).
func (f *Files) rewrite(id, from, to, fromDisplay, toDisplay string) {
	for _, cid := range slices.Sorted(maps.Keys(f.children[id])) {
		c := f.entries[cid]
		if !strings.HasPrefix(c.PathLower, from+"/") {
			continue
		}
		f.unindex(c)
		c.PathLower = to + c.PathLower[len(from):]
		if other, ok := f.paths[c.PathLower]; ok && !c.Pending {
			f.pendTree(f.entries[other])
		}
		f.index(c)
		c.Object = movedObject(c.Object, c.PathLower, fromDisplay, toDisplay)
		f.touch(c.ID)
		if c.Kind == KindFolder {
			f.rewrite(c.ID, from, to, fromDisplay, toDisplay)
		}
	}
}

// movedObject returns obj with path_lower set to lower and path_display's
// prefix fromDisplay (matched without regard to case) replaced by
// toDisplay.
func movedObject(obj json.RawMessage, lower, fromDisplay, toDisplay string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return obj
	}
	m["path_lower"], _ = json.Marshal(lower)
	var disp string
	if json.Unmarshal(m["path_display"], &disp) == nil && fromDisplay != "" &&
		len(disp) > len(fromDisplay) && strings.EqualFold(disp[:len(fromDisplay)], fromDisplay) {
		m["path_display"], _ = json.Marshal(toDisplay + disp[len(fromDisplay):])
	}
	b, err := json.Marshal(m)
	if err != nil {
		return obj
	}
	return b
}

// displayPath returns the path_display of a metadata object.
func displayPath(obj json.RawMessage) string {
	var m struct {
		PathDisplay string `json:"path_display"`
	}
	_ = json.Unmarshal(obj, &m)
	return m.PathDisplay
}

// index files e under its path and in its folder.
func (f *Files) index(e *Entry) {
	if e.Pending {
		addTo(f.pendingAt, e.PathLower, e.ID)
	} else {
		f.paths[e.PathLower] = e.ID
	}
	switch dir := parentPath(e.PathLower); {
	case e.Parent != "":
		addTo(f.children, e.Parent, e.ID)
	case dir != "" && !e.Pending:
		addTo(f.orphans, dir, e.ID)
	}
}

// unindex undoes index.
func (f *Files) unindex(e *Entry) {
	if e.Pending {
		removeFrom(f.pendingAt, e.PathLower, e.ID)
	} else if f.paths[e.PathLower] == e.ID {
		delete(f.paths, e.PathLower)
	}
	if e.Parent != "" {
		removeFrom(f.children, e.Parent, e.ID)
	} else if dir := parentPath(e.PathLower); dir != "" {
		removeFrom(f.orphans, dir, e.ID)
	}
}

// change records c, with the path, rev and content hash of e.
func (f *Files) change(c Change, e *Entry) {
	c.PathLower, c.Rev, c.ContentHash = e.PathLower, e.Rev, e.ContentHash
	f.res.Changes = append(f.res.Changes, c)
}

// touch notes that the entry with id changed.
func (f *Files) touch(id string) {
	if !f.touched[id] {
		f.touched[id] = true
		f.res.Updates = append(f.res.Updates, Update{ID: id})
	}
}

// parentPath returns the path_lower of the folder p is in, "" at the top.
func parentPath(p string) string {
	dir := path.Dir(p)
	if dir == "/" || dir == "." {
		return ""
	}
	return dir
}

func addTo(m map[string]map[string]struct{}, k, id string) {
	s := m[k]
	if s == nil {
		s = map[string]struct{}{}
		m[k] = s
	}
	s[id] = struct{}{}
}

func removeFrom(m map[string]map[string]struct{}, k, id string) {
	if s := m[k]; s != nil {
		delete(s, id)
		if len(s) == 0 {
			delete(m, k)
		}
	}
}
