package dropbridge

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// EntryKind is what a mirrored file or folder entry is.
type EntryKind string

// Kinds of entries.
const (
	EntryFile   EntryKind = "file"
	EntryFolder EntryKind = "folder"
	EntryPaper  EntryKind = "paper_doc" // a .paper file
)

// Valid reports whether k is file, folder or paper_doc.
func (k EntryKind) Valid() bool { return k == EntryFile || k == EntryFolder || k == EntryPaper }

// Entry is one file or folder of a connection's files mirror, keyed by its
// Dropbox id: what package tracker diffs list_folder pages against, and
// what the store keeps for it.
type Entry struct {
	// ID is Dropbox's id ("id:...").
	ID string `json:"id"`
	// PathLower is Dropbox's path_lower: where the entry is, or, for a
	// pending entry, where it was last.
	PathLower string    `json:"path_lower"`
	Kind      EntryKind `json:"kind"`
	// Rev and ContentHash are a file's; empty for folders.
	Rev         string `json:"rev,omitempty"`
	ContentHash string `json:"content_hash,omitempty"`
	// Parent is the id of the folder the entry was in when it was last
	// listed or moved; empty at the top of the listing. It keeps a pending
	// entry in its folder's subtree.
	Parent string `json:"parent,omitempty"`
	// Pending is set while a listed deletion has not been confirmed: the
	// entry holds no path, and becomes a deletion when the listing catches
	// up, unless it is listed again before (a move).
	Pending bool `json:"pending,omitempty"`
	// Object is Dropbox's metadata of the entry, as JSON with its ".tag".
	Object json.RawMessage `json:"object"`
}

// PathDisplay returns the path_display of the entry's Object, or "" when
// it has none.
func (e *Entry) PathDisplay() string {
	var m struct {
		PathDisplay string `json:"path_display"`
	}
	_ = json.Unmarshal(e.Object, &m)
	return m.PathDisplay
}

// Validate returns an EINVALID error unless the entry has an id, a
// path_lower starting with "/", a known kind, and an Object that is a JSON
// object.
func (e *Entry) Validate() error {
	switch {
	case e.ID == "":
		return Errorf(EINVALID, "A mirror entry needs its Dropbox id.")
	case !strings.HasPrefix(e.PathLower, "/"):
		return Errorf(EINVALID, "Mirror entry %q needs a path_lower that starts with /.", e.ID)
	case !e.Kind.Valid():
		return Errorf(EINVALID, "Mirror entry %q has unknown kind %q.", e.ID, e.Kind)
	case len(e.Object) == 0 || !json.Valid(e.Object) || e.Object[0] != '{':
		return Errorf(EINVALID, "Mirror entry %q needs its metadata as a JSON object.", e.ID)
	}
	return nil
}

// EntryUpdate is one change of the files mirror to store: the entry's new
// state, or, with Entry nil, its removal.
type EntryUpdate struct {
	ID    string
	Entry *Entry
}

// MirrorKind names one part of a connection's mirror, each with its own
// cursor and version: the files (list_folder) and each kind of polled
// object.
type MirrorKind string

// Mirror kinds.
const (
	MirrorFiles               MirrorKind = "files"
	MirrorSharedLinks         MirrorKind = "shared_links"
	MirrorSharedFolders       MirrorKind = "shared_folders"
	MirrorSharedFolderMembers MirrorKind = "shared_folder_members"
	MirrorFileRequests        MirrorKind = "file_requests"
	MirrorTeamMembers         MirrorKind = "team_members"
	MirrorTeamFolders         MirrorKind = "team_folders"
)

// Valid reports whether k is one of the mirror kinds above.
func (k MirrorKind) Valid() bool {
	switch k {
	case MirrorFiles, MirrorSharedLinks, MirrorSharedFolders, MirrorSharedFolderMembers, MirrorFileRequests,
		MirrorTeamMembers, MirrorTeamFolders:
		return true
	}
	return false
}

// MirrorCursor is where one kind of a connection's mirror stands.
type MirrorCursor struct {
	// Cursor is the list_folder cursor after the last applied page (files
	// only); empty before the first page.
	Cursor string
	// Version grows by one with every applied change; 0 before the first.
	// ApplyMirrorChange takes the version it was read at, so that a page
	// applied once is never applied again.
	Version int64
}

// MirrorInitialPrefix starts the stored files cursor of a connection
// whose first listing (its initial mirror) has not finished: package
// changes writes it, and readers of the mirror check it with Initial.
const MirrorInitialPrefix = "initial:"

// Initial reports whether the files mirror is not complete yet: no page
// was applied, or the first listing of the account has not finished.
func (c *MirrorCursor) Initial() bool {
	return c.Cursor == "" || strings.HasPrefix(c.Cursor, MirrorInitialPrefix)
}

// MirrorObject is the last polled state of one object.
type MirrorObject struct {
	// Key is the object's stable ID, as a Change's ObjectID.
	Key string
	// Object is the object's state as JSON.
	Object json.RawMessage
}

// MirrorChange is what one transaction writes to a connection's mirror:
// one list_folder page's entry updates and new cursor, or one poll's
// object updates, with the events they make and the write log records the
// changes matched.
type MirrorChange struct {
	EnvironmentID string
	ConnectionID  string
	Kind          MirrorKind
	// IfVersion is the MirrorCursor.Version the change was computed from.
	// The change applies only while the stored version still equals it:
	// a page applied twice (after a crash, or by two workers at once) is
	// refused the second time.
	IfVersion int64
	// Cursor is the new list_folder cursor (files only).
	Cursor string
	// Entries are the files mirror's updates (files only).
	Entries []EntryUpdate
	// Objects are the polled objects' updates (polled kinds only): each
	// replaces the object of its key, or removes it when Object is nil.
	Objects []MirrorObject
	// Events are appended to the outbox, in order, with their webhook
	// deliveries. Each belongs to the change's environment and connection.
	Events []Event
	// ConsumedWrites are IDs of write log records that the change's events
	// matched (tracker.Attribute): they are deleted, so that they match no
	// later change.
	ConsumedWrites []int64
}

// Validate returns an EINVALID error for a change without environment,
// connection or valid kind, with entries or a cursor for a polled kind,
// objects for files, an invalid entry or object, or an event that is
// invalid or belongs to another connection.
func (ch *MirrorChange) Validate() error {
	switch {
	case ch.EnvironmentID == "" || ch.ConnectionID == "":
		return Errorf(EINVALID, "A mirror change needs its environment and connection.")
	case !ch.Kind.Valid():
		return Errorf(EINVALID, "Mirror kind %q is not one dropbridge knows.", ch.Kind)
	case ch.IfVersion < 0:
		return Errorf(EINVALID, "A mirror version is never negative.")
	case ch.Kind != MirrorFiles && (len(ch.Entries) > 0 || ch.Cursor != ""):
		return Errorf(EINVALID, "Only the files mirror has entries and a cursor.")
	case ch.Kind == MirrorFiles && len(ch.Objects) > 0:
		return Errorf(EINVALID, "The files mirror has entries, not polled objects.")
	}
	for _, u := range ch.Entries {
		if u.ID == "" {
			return Errorf(EINVALID, "A mirror entry update needs the entry's id.")
		}
		if u.Entry != nil {
			if u.Entry.ID != u.ID {
				return Errorf(EINVALID, "Mirror entry update %q holds entry %q.", u.ID, u.Entry.ID)
			}
			if err := u.Entry.Validate(); err != nil {
				return err
			}
		}
	}
	for _, o := range ch.Objects {
		if o.Key == "" {
			return Errorf(EINVALID, "A polled object needs its key.")
		}
		if o.Object != nil && !json.Valid(o.Object) {
			return Errorf(EINVALID, "Polled object %q is not valid JSON.", o.Key)
		}
	}
	for i := range ch.Events {
		e := &ch.Events[i]
		if e.EnvironmentID != ch.EnvironmentID || e.ConnectionID != ch.ConnectionID {
			return Errorf(EINVALID, "Event %q belongs to another connection than its mirror change.", e.ID)
		}
		if err := e.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// MirrorQuery selects the working set of the files mirror that one
// list_folder page needs (see tracker.WorkingSet): besides what it names,
// every pending entry of the connection is always selected.
type MirrorQuery struct {
	// IDs selects the entries with these ids and, for the folders among
	// them, every entry at or below the folder's path.
	IDs []string
	// Paths selects the entries at these paths (path_lower).
	Paths []string
	// Subtrees selects the entries at or below these paths (path_lower).
	Subtrees []string
}

// MirrorStore keeps the mirror of each connection's account: the files
// mirror with its list_folder cursor, and the last polled state of the
// other kinds of objects. Its methods are safe for concurrent use. A
// connection unknown in the environment is ENOTFOUND.
type MirrorStore interface {
	// FindMirrorCursor returns where one kind of the connection's mirror
	// stands; the zero MirrorCursor when nothing was applied yet.
	FindMirrorCursor(ctx context.Context, environmentID, connectionID string, kind MirrorKind) (*MirrorCursor, error)
	// ApplyMirrorChange writes ch in one transaction: its entry or object
	// updates, its cursor, its events (appended to the outbox with a
	// delivery for each enabled webhook endpoint they match) and the
	// deletion of its consumed writes; and returns the new version. When
	// the stored version is no longer ch.IfVersion, it is ECONFLICT and
	// nothing is written: read the cursor again and list from there. An
	// invalid ch is EINVALID; an event ID already stored is ECONFLICT.
	ApplyMirrorChange(ctx context.Context, ch *MirrorChange) (int64, error)
	// ListMirrorEntries returns up to limit (1 to MaxMirrorPage) entries of
	// the connection's files mirror, live and pending, whose id sorts after
	// after, by id: pass the last id of one call to the next, "" to start.
	ListMirrorEntries(ctx context.Context, environmentID, connectionID, after string, limit int) ([]*Entry, error)
	// QueryMirrorEntries returns the entries q selects, and every pending
	// entry, each once, by id.
	QueryMirrorEntries(ctx context.Context, environmentID, connectionID string, q MirrorQuery) ([]*Entry, error)
	// ListMirrorObjects returns the last polled state of one kind of the
	// connection's objects, by key. For MirrorFiles it is EINVALID.
	ListMirrorObjects(ctx context.Context, environmentID, connectionID string, kind MirrorKind) ([]MirrorObject, error)
	// ReadMirrorFiles answers q from the connection's files mirror, in one
	// snapshot with where the mirror stood: what listings answered from
	// the mirror read. An invalid q is EINVALID.
	ReadMirrorFiles(ctx context.Context, environmentID, connectionID string, q MirrorFilesQuery) (*MirrorFilesPage, error)
}

// MaxMirrorPage is the most entries ListMirrorEntries returns at once.
const MaxMirrorPage = 10000

// MirrorFilesQuery is a read of the live (not pending) entries of a files
// mirror: one entry, or a page of a folder's entries ordered by path_lower.
type MirrorFilesQuery struct {
	// Path is the entry to read, or the folder to list: "" for the root,
	// a path_lower, or an "id:...". Paths compare byte by byte: lowercase
	// them first.
	Path string
	// List asks for a page of the entries below Path: its children, or,
	// with Recursive, Path's own entry (unless Path is the root) and
	// everything below it. Without List, only Path's entry is read.
	List      bool
	Recursive bool
	// After is the path_lower of the last entry of the previous page; ""
	// starts the listing.
	After string
	// Limit is the most entries of the page, 1 to MaxMirrorPage (List
	// only).
	Limit int
}

// Validate returns an EINVALID error for a path that is neither "", a
// path starting with "/" nor an "id:...", or a listing without a limit in
// range.
func (q *MirrorFilesQuery) Validate() error {
	switch {
	case q.Path != "" && !strings.HasPrefix(q.Path, "/") && !strings.HasPrefix(q.Path, "id:"):
		return Errorf(EINVALID, "The mirror is read by path (\"/...\") or id (\"id:...\"), not %q.", q.Path)
	case q.List && (q.Limit < 1 || q.Limit > MaxMirrorPage):
		return Errorf(EINVALID, "The page size must be between 1 and %d.", MaxMirrorPage)
	}
	return nil
}

// MirrorFilesPage is what ReadMirrorFiles read.
type MirrorFilesPage struct {
	// Cursor is where the files mirror stood; the zero MirrorCursor when
	// nothing was applied yet.
	Cursor MirrorCursor
	// UpdatedAt is when the last change was applied to the files mirror;
	// zero when none was.
	UpdatedAt time.Time
	// Entry is Path's live entry; nil for the root, or when the mirror has
	// none at Path.
	Entry *Entry
	// Entries is the page of a listing: empty when Path is a file or is
	// not in the mirror.
	Entries []*Entry
}

// StaleMirrorError is the ECONFLICT of a change computed from an older
// version of the mirror than have.
func StaleMirrorError(ch *MirrorChange, have int64) error {
	return Errorf(ECONFLICT,
		"The %s mirror of connection %q moved on (version %d, not %d): read its cursor again and list from there.",
		ch.Kind, ch.ConnectionID, have, ch.IfVersion)
}

// TopmostPaths returns the lowercased paths of subtrees that are not below
// another of them, sorted. Below p is the range from p+"/" to p+"0" ('0'
// follows '/'), which an index on path_lower answers.
func TopmostPaths(subtrees []string) []string {
	s := slices.Clone(subtrees)
	slices.Sort(s)
	var out []string
	kept := map[string]bool{}
	for _, p := range slices.Compact(s) {
		// An ancestor sorts before p, but not always right before it:
		// "/a b" and "/a.txt" come between "/a" and "/a/x".
		below := kept["/"]
		for i := strings.LastIndexByte(p, '/'); i > 0 && !below; i = strings.LastIndexByte(p[:i], '/') {
			below = kept[p[:i]]
		}
		if !below {
			kept[p] = true
			out = append(out, p)
		}
	}
	return out
}
