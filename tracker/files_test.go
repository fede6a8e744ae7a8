package tracker_test

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/tracker"
	"github.com/google/go-cmp/cmp"
)

// file, folder and deleted make list_folder entries; display paths are the
// lower paths with the first letter of each component upper-cased.
func file(id, p, rev, hash string) dropbox.Metadata {
	m := &dropbox.FileMetadata{Name: path.Base(display(p)), PathLower: ptr(p), PathDisplay: ptr(display(p)), ID: id, Rev: rev}
	if hash != "" {
		m.ContentHash = ptr(hash)
	}
	return dropbox.Metadata{Tag: dropbox.MetadataFile, File: m}
}

func folder(id, p string) dropbox.Metadata {
	return dropbox.Metadata{Tag: dropbox.MetadataFolder, Folder: &dropbox.FolderMetadata{
		Name: path.Base(display(p)), PathLower: ptr(p), PathDisplay: ptr(display(p)), ID: id}}
}

func deleted(p string) dropbox.Metadata {
	return dropbox.Metadata{Tag: dropbox.MetadataDeleted, Deleted: &dropbox.DeletedMetadata{
		Name: path.Base(display(p)), PathLower: ptr(p), PathDisplay: ptr(display(p))}}
}

func ptr[T any](v T) *T { return &v }

func display(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if s != "" {
			parts[i] = strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return strings.Join(parts, "/")
}

func page(hasMore bool, entries ...dropbox.Metadata) *dropbox.ListFolderResult {
	return &dropbox.ListFolderResult{Entries: entries, HasMore: hasMore}
}

// mirrorOf returns a mirror made by applying entries as one page.
func mirrorOf(t *testing.T, entries ...dropbox.Metadata) *tracker.Files {
	t.Helper()
	f, err := tracker.NewFiles(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.ApplyPage(page(false, entries...))
	return f
}

// changeLines writes changes as "type id path".
func changeLines(cs []tracker.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s", c.Type, c.ObjectID, c.PathLower))
	}
	return out
}

// stateLines writes a mirror as "id path kind rev hash [pending] [parent]".
func stateLines(f *tracker.Files) []string {
	var out []string
	for _, e := range f.Entries() {
		s := fmt.Sprintf("%s %s %s %s %s", e.ID, e.PathLower, e.Kind, e.Rev, e.ContentHash)
		if e.Pending {
			s += " pending"
		}
		if e.Parent != "" {
			s += " in " + e.Parent
		}
		out = append(out, s)
	}
	return out
}

func TestFilesApplyPage(t *testing.T) {
	t.Parallel()
	base := []dropbox.Metadata{
		folder("id:a", "/a"), file("id:x", "/a/x.txt", "r1", "h1"),
		folder("id:s", "/a/s"), file("id:y", "/a/s/y.txt", "r2", "h2"),
		file("id:p", "/p.paper", "r3", "h3"), file("id:n", "/n.txt", "r4", ""),
	}
	baseState := []string{
		"id:a /a folder  ", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
		"id:s /a/s folder   in id:a", "id:x /a/x.txt file r1 h1 in id:a", "id:y /a/s/y.txt file r2 h2 in id:s",
	}
	tests := []struct {
		name    string
		pages   []*dropbox.ListFolderResult
		changes []string
		state   []string // nil: baseState
	}{{
		name:  "nothing",
		pages: []*dropbox.ListFolderResult{page(false)},
	}, {
		name:    "created",
		pages:   []*dropbox.ListFolderResult{page(false, folder("id:b", "/b"), file("id:z", "/b/z", "r9", "h9"), file("id:q", "/b/q.paper", "r8", "h8"))},
		changes: []string{"folder.created id:b /b", "file.created id:z /b/z", "paper_doc.created id:q /b/q.paper"},
		state: append(baseState[:len(baseState):len(baseState)], "id:b /b folder  ",
			"id:q /b/q.paper paper_doc r8 h8 in id:b", "id:z /b/z file r9 h9 in id:b"),
	}, {
		name:    "relisted unchanged",
		pages:   []*dropbox.ListFolderResult{page(false, base...)},
		changes: nil,
	}, {
		name: "updated",
		pages: []*dropbox.ListFolderResult{page(false,
			file("id:x", "/a/x.txt", "r5", "h5"),   // new content
			file("id:y", "/a/s/y.txt", "r6", "h2"), // a new rev of the same bytes
			file("id:p", "/p.paper", "r7", "h7"),
			file("id:n", "/n.txt", "r8", ""), // no hash: the rev tells
		)},
		changes: []string{"file.updated id:x /a/x.txt", "paper_doc.updated id:p /p.paper", "file.updated id:n /n.txt"},
		state: []string{
			"id:a /a folder  ", "id:n /n.txt file r8 ", "id:p /p.paper paper_doc r7 h7",
			"id:s /a/s folder   in id:a", "id:x /a/x.txt file r5 h5 in id:a", "id:y /a/s/y.txt file r6 h2 in id:s",
		},
	}, {
		name:    "rename is one move",
		pages:   []*dropbox.ListFolderResult{page(false, deleted("/n.txt"), file("id:n", "/m.txt", "r9", ""))},
		changes: []string{"file.moved id:n /m.txt"},
		state: []string{
			"id:a /a folder  ", "id:n /m.txt file r9 ", "id:p /p.paper paper_doc r3 h3",
			"id:s /a/s folder   in id:a", "id:x /a/x.txt file r1 h1 in id:a", "id:y /a/s/y.txt file r2 h2 in id:s",
		},
	}, {
		name: "moved folder is one move",
		pages: []*dropbox.ListFolderResult{page(false, deleted("/a"), folder("id:a", "/b"),
			file("id:x", "/b/x.txt", "r11", "h1"), folder("id:s", "/b/s"), file("id:y", "/b/s/y.txt", "r12", "h2"))},
		changes: []string{"folder.moved id:a /b"},
		state: []string{
			"id:a /b folder  ", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:s /b/s folder   in id:a", "id:x /b/x.txt file r11 h1 in id:a", "id:y /b/s/y.txt file r12 h2 in id:s",
		},
	}, {
		name: "move across pages",
		pages: []*dropbox.ListFolderResult{
			page(true, deleted("/a")),
			page(true, folder("id:a", "/b"), file("id:x", "/b/x.txt", "r11", "h1")),
			page(false, folder("id:s", "/b/s"), file("id:y", "/b/s/y.txt", "r12", "h2")),
		},
		changes: []string{"folder.moved id:a /b"},
		state: []string{
			"id:a /b folder  ", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:s /b/s folder   in id:a", "id:x /b/x.txt file r11 h1 in id:a", "id:y /b/s/y.txt file r12 h2 in id:s",
		},
	}, {
		name: "move listed before the deletion",
		pages: []*dropbox.ListFolderResult{page(false, folder("id:a", "/b"), file("id:x", "/b/x.txt", "r11", "h1"),
			folder("id:s", "/b/s"), file("id:y", "/b/s/y.txt", "r12", "h2"), deleted("/a"))},
		changes: []string{"folder.moved id:a /b"},
		state: []string{
			"id:a /b folder  ", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:s /b/s folder   in id:a", "id:x /b/x.txt file r11 h1 in id:a", "id:y /b/s/y.txt file r12 h2 in id:s",
		},
	}, {
		name: "moved folder, one child moved elsewhere, one changed, one gone",
		pages: []*dropbox.ListFolderResult{page(false, deleted("/a"), folder("id:a", "/b"),
			file("id:x", "/b/x.txt", "r11", "h9"), file("id:y", "/y.txt", "r12", "h2"))},
		changes: []string{"folder.moved id:a /b", "file.updated id:x /b/x.txt", "file.moved id:y /y.txt", "folder.deleted id:s /b/s"},
		state: []string{
			"id:a /b folder  ", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:x /b/x.txt file r11 h9 in id:a", "id:y /y.txt file r12 h2",
		},
	}, {
		name:    "deleted folder: one change per entry, deepest first",
		pages:   []*dropbox.ListFolderResult{page(false, deleted("/a"))},
		changes: []string{"file.deleted id:x /a/x.txt", "file.deleted id:y /a/s/y.txt", "folder.deleted id:s /a/s", "folder.deleted id:a /a"},
		state:   []string{"id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3"},
	}, {
		name: "deletion waits for the listing to catch up",
		pages: []*dropbox.ListFolderResult{
			page(true, deleted("/p.paper")),
			page(false),
		},
		changes: []string{"paper_doc.deleted id:p /p.paper"},
		state: []string{
			"id:a /a folder  ", "id:n /n.txt file r4 ",
			"id:s /a/s folder   in id:a", "id:x /a/x.txt file r1 h1 in id:a", "id:y /a/s/y.txt file r2 h2 in id:s",
		},
	}, {
		name:    "deleted and created again at the same path",
		pages:   []*dropbox.ListFolderResult{page(false, deleted("/n.txt"), file("id:n2", "/n.txt", "r9", "h9"))},
		changes: []string{"file.deleted id:n /n.txt", "file.created id:n2 /n.txt"},
		state: []string{
			"id:a /a folder  ", "id:n2 /n.txt file r9 h9", "id:p /p.paper paper_doc r3 h3",
			"id:s /a/s folder   in id:a", "id:x /a/x.txt file r1 h1 in id:a", "id:y /a/s/y.txt file r2 h2 in id:s",
		},
	}, {
		name:    "a file replaces a folder without a deletion",
		pages:   []*dropbox.ListFolderResult{page(false, file("id:f", "/a/s", "r9", "h9"))},
		changes: []string{"file.deleted id:y /a/s/y.txt", "folder.deleted id:s /a/s", "file.created id:f /a/s"},
		state: []string{
			"id:a /a folder  ", "id:f /a/s file r9 h9 in id:a", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:x /a/x.txt file r1 h1 in id:a",
		},
	}, {
		name:    "a folder replaces a folder and keeps its children",
		pages:   []*dropbox.ListFolderResult{page(false, folder("id:s2", "/a/s"))},
		changes: []string{"folder.deleted id:s /a/s", "folder.created id:s2 /a/s"},
		state: []string{
			"id:a /a folder  ", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:s2 /a/s folder   in id:a", "id:x /a/x.txt file r1 h1 in id:a", "id:y /a/s/y.txt file r2 h2 in id:s2",
		},
	}, {
		name: "a moved folder's old path taken before its new one is listed",
		pages: []*dropbox.ListFolderResult{page(false, deleted("/a"), folder("id:b", "/a"), file("id:k", "/a/k", "r9", "h9"),
			folder("id:a", "/z"), file("id:x", "/z/x.txt", "r1", "h1"), folder("id:s", "/z/s"), file("id:y", "/z/s/y.txt", "r2", "h2"))},
		// The move is applied first: the application never sees two
		// folders at /a.
		changes: []string{"folder.moved id:a /z", "folder.created id:b /a", "file.created id:k /a/k"},
		state: []string{
			"id:a /z folder  ", "id:b /a folder  ", "id:k /a/k file r9 h9 in id:b", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:s /z/s folder   in id:a", "id:x /z/x.txt file r1 h1 in id:a", "id:y /z/s/y.txt file r2 h2 in id:s",
		},
	}, {
		name: "a moved file's old path taken, its new place deleted in between",
		pages: []*dropbox.ListFolderResult{page(false, deleted("/n.txt"), file("id:m", "/n.txt", "r9", "h9"),
			deleted("/p.paper"), file("id:n", "/p.paper", "r8", ""))},
		// n cannot go first (the deletion of /p.paper is for p): it is
		// deleted and created again.
		changes: []string{"file.deleted id:n /n.txt", "file.created id:m /n.txt", "paper_doc.deleted id:p /p.paper", "paper_doc.created id:n /p.paper"},
		state: []string{
			"id:a /a folder  ", "id:m /n.txt file r9 h9", "id:n /p.paper paper_doc r8 ",
			"id:s /a/s folder   in id:a", "id:x /a/x.txt file r1 h1 in id:a", "id:y /a/s/y.txt file r2 h2 in id:s",
		},
	}, {
		name:  "deletion of an unknown path",
		pages: []*dropbox.ListFolderResult{page(false, deleted("/nowhere"))},
	}, {
		name: "entries without path or id, and unknown tags, are skipped",
		pages: []*dropbox.ListFolderResult{page(false,
			dropbox.Metadata{Tag: dropbox.MetadataFile, File: &dropbox.FileMetadata{Name: "u", ID: "id:u", Rev: "r"}},
			dropbox.Metadata{Tag: dropbox.MetadataFolder, Folder: &dropbox.FolderMetadata{Name: "v", PathLower: ptr("/v")}},
			dropbox.Metadata{Tag: dropbox.MetadataDeleted, Deleted: &dropbox.DeletedMetadata{Name: "a"}},
			dropbox.Metadata{Tag: "symlink"},
		)},
	}, {
		name: "a folder becomes a shared folder's mount point",
		pages: []*dropbox.ListFolderResult{page(false, func() dropbox.Metadata {
			m := folder("id:a", "/a")
			m.Folder.SharingInfo = &dropbox.FolderSharingInfo{SharedFolderID: ptr("sf1")}
			return m
		}())},
		changes: []string{"folder.updated id:a /a"},
	}, {
		name:    "a child listed before its folder joins it",
		pages:   []*dropbox.ListFolderResult{page(false, file("id:k", "/c/k", "r9", "h9"), folder("id:c", "/c"))},
		changes: []string{"file.created id:k /c/k", "folder.created id:c /c"},
		state:   append(baseState[:len(baseState):len(baseState)], "id:c /c folder  ", "id:k /c/k file r9 h9 in id:c"),
	}, {
		name:    "a deleted folder takes the children listed before it",
		pages:   []*dropbox.ListFolderResult{page(false, file("id:k", "/c/k", "r9", "h9"), deleted("/c"))},
		changes: []string{"file.created id:k /c/k", "file.deleted id:k /c/k"},
	}, {
		name: "deleted file inside a folder that then moves",
		pages: []*dropbox.ListFolderResult{page(false, deleted("/a/x.txt"), deleted("/a"), folder("id:a", "/b"),
			folder("id:s", "/b/s"), file("id:y", "/b/s/y.txt", "r12", "h2"))},
		changes: []string{"folder.moved id:a /b", "file.deleted id:x /b/x.txt"},
		state: []string{
			"id:a /b folder  ", "id:n /n.txt file r4 ", "id:p /p.paper paper_doc r3 h3",
			"id:s /b/s folder   in id:a", "id:y /b/s/y.txt file r12 h2 in id:s",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := mirrorOf(t, base...)
			if diff := cmp.Diff(baseState, stateLines(f)); diff != "" {
				t.Fatalf("base mirror (-want +got):\n%s", diff)
			}
			var changes []string
			for _, p := range tt.pages {
				changes = append(changes, changeLines(f.ApplyPage(p).Changes)...)
			}
			if diff := cmp.Diff(tt.changes, changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			want := tt.state
			if want == nil {
				want = baseState
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(want)), stateLines(f)); diff != "" {
				t.Errorf("mirror (-want +got):\n%s", diff)
			}
		})
	}
}

// objectPaths returns the path_lower and path_display of a change's object.
func objectPaths(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if raw == nil {
		return "-"
	}
	var m struct {
		Tag     string `json:".tag"`
		Lower   string `json:"path_lower"`
		Display string `json:"path_display"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Tag + " " + m.Lower + " " + m.Display
}

func TestFilesChangeObjects(t *testing.T) {
	t.Parallel()
	f := mirrorOf(t, folder("id:a", "/a"), file("id:x", "/a/x", "r1", "h1"), file("id:y", "/a/y", "r2", "h2"))
	res := f.ApplyPage(page(false, deleted("/a"), folder("id:a", "/b"), file("id:x", "/z", "r3", "h1")))
	var got []string
	for _, c := range res.Changes {
		got = append(got, fmt.Sprintf("%s: %s -> %s", c.Type, objectPaths(t, c.Before), objectPaths(t, c.After)))
	}
	want := []string{
		"folder.moved: folder /a /A -> folder /b /B",
		// x was last known at /b/x, where the folder's move took it.
		"file.moved: file /b/x /B/X -> file /z /Z",
		"file.deleted: file /b/y /B/Y -> -",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// The updates are the touched entries' final states.
	var ups []string
	for _, u := range res.Updates {
		s := u.ID + " removed"
		if u.Entry != nil {
			s = u.ID + " " + u.Entry.PathLower
		}
		ups = append(ups, s)
	}
	if diff := cmp.Diff([]string{"id:a /b", "id:x /z", "id:y removed"}, ups); diff != "" {
		t.Errorf("updates (-want +got):\n%s", diff)
	}
}

func TestFilesReset(t *testing.T) {
	t.Parallel()
	f := mirrorOf(t, folder("id:a", "/a"), file("id:x", "/a/x", "r1", "h1"), file("id:y", "/a/y", "r2", "h2"),
		file("id:k", "/k", "r3", "h3"), file("id:g", "/g", "r4", "h4"))
	// The new listing: a moved to /b (x with it, y gone), k changed, g gone,
	// c new. It comes in two pages.
	var changes []string
	changes = append(changes, changeLines(f.Reset(page(true, folder("id:a", "/b"), file("id:x", "/b/x", "r9", "h1"))).Changes)...)
	changes = append(changes, changeLines(f.ApplyPage(page(false, file("id:c", "/c", "r5", "h5"), file("id:k", "/k", "r6", "h6"))).Changes)...)
	// Deletions come last, in reverse path order: deeper paths first.
	want := []string{"folder.moved id:a /b", "file.created id:c /c", "file.updated id:k /k", "file.deleted id:g /g", "file.deleted id:y /b/y"}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	state := []string{"id:a /b folder  ", "id:c /c file r5 h5", "id:k /k file r6 h6", "id:x /b/x file r9 h1 in id:a"}
	if diff := cmp.Diff(state, stateLines(f)); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
}

func TestFilesResetUpdatesPendingMarks(t *testing.T) {
	t.Parallel()
	f := mirrorOf(t, file("id:x", "/x", "r1", "h1"), file("id:y", "/y", "r2", "h2"))
	res := f.Reset(page(true, file("id:x", "/x", "r1", "h1")))
	if len(res.Changes) != 0 {
		t.Errorf("changes = %v, want none before the listing ends", changeLines(res.Changes))
	}
	var ups []string
	for _, u := range res.Updates {
		ups = append(ups, fmt.Sprintf("%s pending=%v", u.ID, u.Entry.Pending))
	}
	// The store must learn that y is pending, or a restart forgets it.
	if diff := cmp.Diff([]string{"id:x pending=false", "id:y pending=true"}, ups); diff != "" {
		t.Errorf("updates (-want +got):\n%s", diff)
	}
}

func TestNewFiles(t *testing.T) {
	t.Parallel()
	obj := json.RawMessage(`{}`)
	for name, entries := range map[string][]*tracker.Entry{
		"no id":     {{PathLower: "/a", Kind: tracker.KindFile, Object: obj}},
		"no path":   {{ID: "id:a", Kind: tracker.KindFile, Object: obj}},
		"bad kind":  {{ID: "id:a", PathLower: "/a", Kind: "symlink", Object: obj}},
		"same id":   {{ID: "id:a", PathLower: "/a", Kind: tracker.KindFile}, {ID: "id:a", PathLower: "/b", Kind: tracker.KindFile}},
		"same path": {{ID: "id:a", PathLower: "/a", Kind: tracker.KindFile}, {ID: "id:b", PathLower: "/a", Kind: tracker.KindFile}},
	} {
		if _, err := tracker.NewFiles(entries); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A stored mirror with pending entries loads back to the same state.
	f := mirrorOf(t, folder("id:a", "/a"), file("id:x", "/a/x", "r1", "h1"), file("id:y", "/y", "r2", "h2"))
	f.ApplyPage(page(true, deleted("/a"), file("id:z", "/z", "r3", "h3")))
	g, err := tracker.NewFiles(f.Entries())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stateLines(f), stateLines(g)); diff != "" {
		t.Errorf("reloaded mirror (-want +got):\n%s", diff)
	}
	// And goes on the same way: a is moved, x deleted.
	got := changeLines(g.ApplyPage(page(false, folder("id:a", "/c"))).Changes)
	if diff := cmp.Diff([]string{"folder.moved id:a /c", "file.deleted id:x /c/x"}, got); diff != "" {
		t.Errorf("changes after reload (-want +got):\n%s", diff)
	}
}
