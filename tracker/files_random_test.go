package tracker_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/tracker"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// treeNode is a file or folder of the model tree.
type treeNode struct {
	id, path  string
	folder    bool
	rev, hash string
}

// modelTree is a Dropbox account's tree, with the change log a cursor
// reads, written the way the emulator writes it: a deletion of the top
// path, then each entry at its new path, parents first.
type modelTree struct {
	rnd   *rand.Rand
	nodes map[string]*treeNode // by id
	log   []dropbox.Metadata
	seq   int

	// What the ops of the current batch did, for the checks.
	created, updated, moved, deleted map[string]bool
	movedWith                        map[string]bool // moved, or below what moved
	ops                              []string
}

func newModelTree(rnd *rand.Rand) *modelTree {
	m := &modelTree{rnd: rnd, nodes: map[string]*treeNode{}}
	m.startBatch()
	return m
}

func (m *modelTree) startBatch() {
	m.created, m.updated, m.moved, m.deleted = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	m.movedWith = map[string]bool{}
	m.ops = nil
	m.log = nil
}

func (m *modelTree) next(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s%d", prefix, m.seq)
}

func (m *modelTree) at(p string) *treeNode {
	for _, n := range m.nodes {
		if n.path == p {
			return n
		}
	}
	return nil
}

// below returns the nodes at and below p, parents first.
func (m *modelTree) below(p string) []*treeNode {
	var out []*treeNode
	for _, n := range m.nodes {
		if n.path == p || strings.HasPrefix(n.path, p+"/") {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *treeNode) int { return strings.Compare(a.path, b.path) })
	return out
}

func (m *modelTree) folders() []string {
	out := []string{""}
	for _, n := range m.nodes {
		if n.folder {
			out = append(out, n.path)
		}
	}
	slices.Sort(out)
	return out
}

func (m *modelTree) sortedNodes() []*treeNode {
	out := slices.Collect(maps.Values(m.nodes))
	slices.SortFunc(out, func(a, b *treeNode) int { return strings.Compare(a.path, b.path) })
	return out
}

func (m *modelTree) pick() *treeNode {
	ns := m.sortedNodes()
	if len(ns) == 0 {
		return nil
	}
	return ns[m.rnd.IntN(len(ns))]
}

// freePath returns a free path in a random folder, or "".
func (m *modelTree) freePath(exclude string) string {
	names := []string{"a", "b", "c.paper", "d", "e.txt"}
	fs := m.folders()
	dir := fs[m.rnd.IntN(len(fs))]
	if exclude != "" && (dir == exclude || strings.HasPrefix(dir, exclude+"/")) {
		return ""
	}
	p := dir + "/" + names[m.rnd.IntN(len(names))]
	if m.at(p) != nil {
		return ""
	}
	return p
}

func (m *modelTree) record(n *treeNode) {
	if n.folder {
		m.log = append(m.log, folder(n.id, n.path))
	} else {
		m.log = append(m.log, file(n.id, n.path, n.rev, n.hash))
	}
}

// step applies one random operation.
func (m *modelTree) step() {
	switch op := m.rnd.IntN(10); {
	case op < 3: // create
		p := m.freePath("")
		if p == "" {
			return
		}
		n := &treeNode{id: m.next("id:"), path: p, folder: m.rnd.IntN(3) == 0 && !strings.HasSuffix(p, ".paper")}
		if !n.folder {
			n.rev, n.hash = m.next("r"), m.next("h")
		}
		m.nodes[n.id] = n
		m.created[n.id] = true
		m.ops = append(m.ops, "create "+n.path)
		m.record(n)
	case op < 5: // update a file
		n := m.pick()
		if n == nil || n.folder {
			return
		}
		n.rev = m.next("r")
		if m.rnd.IntN(4) > 0 {
			n.hash = m.next("h")
			m.updated[n.id] = true
		} // else a restore of the same bytes: a new rev only
		m.ops = append(m.ops, "update "+n.path)
		m.record(n)
	case op < 8: // move, with everything below
		n := m.pick()
		if n == nil {
			return
		}
		to := m.freePath(n.path)
		if to == "" || n.folder && strings.HasSuffix(to, ".paper") {
			return
		}
		from := n.path
		m.ops = append(m.ops, "move "+from+" "+to)
		m.log = append(m.log, deleted(from))
		m.moved[n.id] = true
		for _, c := range m.below(from) {
			m.movedWith[c.id] = true
			c.path = to + c.path[len(from):]
			if !c.folder {
				c.rev = m.next("r") // Dropbox gives moved files new revs
			}
			m.record(c)
		}
	default: // delete, with everything below
		n := m.pick()
		if n == nil {
			return
		}
		m.ops = append(m.ops, "delete "+n.path)
		for _, c := range m.below(n.path) {
			m.deleted[c.id] = true
			delete(m.nodes, c.id)
		}
		m.log = append(m.log, deleted(n.path))
	}
}

// snapshot returns the tree by path.
func (m *modelTree) snapshot() map[string]treeNode {
	out := map[string]treeNode{}
	for _, n := range m.nodes {
		out[n.path] = *n
	}
	return out
}

// netListing returns what a path-keyed listing from old to now holds:
// first the deletions of every path whose entry went or changed id, then
// every entry that is new at its path, changed, or below a deleted path.
func (m *modelTree) netListing(old map[string]treeNode) []dropbox.Metadata {
	now := m.snapshot()
	var out []dropbox.Metadata
	var gone []string
	for _, p := range slices.Sorted(maps.Keys(old)) {
		if n, ok := now[p]; !ok || n.id != old[p].id {
			out = append(out, deleted(p))
			gone = append(gone, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(now)) {
		n, o := now[p], old[p]
		relist := o.id != n.id || o.rev != n.rev || o.hash != n.hash
		for _, g := range gone {
			if strings.HasPrefix(p, g+"/") {
				relist = true
			}
		}
		if !relist {
			continue
		}
		if n.folder {
			out = append(out, folder(n.id, n.path))
		} else {
			out = append(out, file(n.id, n.path, n.rev, n.hash))
		}
	}
	return out
}

// fullListing returns a fresh recursive listing of the tree.
func (m *modelTree) fullListing() []dropbox.Metadata {
	var out []dropbox.Metadata
	for _, n := range m.sortedNodes() {
		if n.folder {
			out = append(out, folder(n.id, n.path))
		} else {
			out = append(out, file(n.id, n.path, n.rev, n.hash))
		}
	}
	return out
}

// pages cuts entries into pages of 1 to 5 entries, or 1 to 100 (one empty
// page when there are none).
func pages(rnd *rand.Rand, entries []dropbox.Metadata) []*dropbox.ListFolderResult {
	var out []*dropbox.ListFolderResult
	size := 5
	if rnd.IntN(2) == 0 {
		size = 100
	}
	for len(entries) > 0 {
		n := min(len(entries), 1+rnd.IntN(size))
		out = append(out, page(true, entries[:n]...))
		entries = entries[n:]
	}
	if len(out) == 0 {
		return []*dropbox.ListFolderResult{page(false)}
	}
	out[len(out)-1].HasMore = false
	return out
}

// appModel is what an application that applies the events holds: each
// object's path by id.
type appModel map[string]string

// apply applies one change, or returns why the change is inconsistent with
// what the application was told before.
func (a appModel) apply(c tracker.Change) error {
	before, after := pathOf(c.Before), pathOf(c.After)
	cur, known := a[c.ObjectID]
	switch strings.TrimPrefix(string(c.Type), dropbridge.EventType(c.Type).Object()+".") {
	case "created":
		if known {
			return fmt.Errorf("created, but known at %s", cur)
		}
		a[c.ObjectID] = after
	case "updated":
		if !known || cur != before || before != after {
			return fmt.Errorf("updated %s -> %s, known at %q", before, after, cur)
		}
	case "moved":
		if !known || cur != before {
			return fmt.Errorf("moved from %s, known at %q", before, cur)
		}
		for id, p := range a {
			if p == before || strings.HasPrefix(p, before+"/") {
				a[id] = after + p[len(before):]
			}
		}
	case "deleted":
		if !known || cur != before {
			return fmt.Errorf("deleted at %s, known at %q", before, cur)
		}
		delete(a, c.ObjectID)
		for id, p := range a {
			if strings.HasPrefix(p, before+"/") {
				return fmt.Errorf("deleted %s before %s below it", before, id)
			}
		}
	default:
		return fmt.Errorf("unexpected type")
	}
	return nil
}

func pathOf(raw json.RawMessage) string {
	var m struct {
		PathLower string `json:"path_lower"`
	}
	_ = json.Unmarshal(raw, &m)
	return m.PathLower
}

func TestFilesRandomized(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"log", "net", "reset"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var moves, resurrected int
			for seed := range uint64(300) {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					mv, rs := runRandomized(t, mode, seed)
					moves += mv
					resurrected += rs
				})
			}
			t.Logf("%s: %d moves told as moves, %d as a deletion and a creation (counted twice)", mode, moves, resurrected)
		})
	}
}

// runRandomized runs 30 batches of random operations on a model tree, lists
// them the way mode says, and checks the mirror and the changes. It returns
// how many moves were told as moves, and how many as a deletion and a
// creation.
func runRandomized(t *testing.T, mode string, seed uint64) (moves, resurrected int) {
	rnd := rand.New(rand.NewPCG(seed, 6))
	m := newModelTree(rnd)
	f, err := tracker.NewFiles(nil)
	if err != nil {
		t.Fatal(err)
	}
	app := appModel{}
	store := map[string]*tracker.Entry{}
	old := map[string]treeNode{}
	var trace []string
	for batch := range 30 {
		for range 1 + rnd.IntN(6) {
			m.step()
		}
		trace = append(trace, fmt.Sprintf("batch %d: %s", batch, strings.Join(m.ops, "; ")))
		var entries []dropbox.Metadata
		switch mode {
		case "log":
			entries = m.log
		case "net":
			entries = m.netListing(old)
		case "reset":
			entries = m.fullListing()
		}
		var changes []tracker.Change
		for i, p := range pages(rnd, entries) {
			var res *tracker.Result
			if mode == "reset" && i == 0 {
				res = f.Reset(p)
			} else {
				res = f.ApplyPage(p)
			}
			changes = append(changes, res.Changes...)
			// The store keeps the updates; a restart reloads the mirror
			// from it, between any two pages.
			for _, u := range res.Updates {
				if u.Entry == nil {
					delete(store, u.ID)
				} else {
					store[u.ID] = u.Entry
				}
			}
			if rnd.IntN(4) == 0 {
				var saved []*tracker.Entry
				for _, id := range slices.Sorted(maps.Keys(store)) {
					c := *store[id]
					saved = append(saved, &c)
				}
				if f, err = tracker.NewFiles(saved); err != nil {
					t.Fatalf("reload: %v", err)
				}
			}
		}
		var stored []*tracker.Entry
		for _, id := range slices.Sorted(maps.Keys(store)) {
			stored = append(stored, store[id])
		}
		// (cmp is slow on raw JSON bytes: it runs only on a difference.)
		if a, b := entriesJSON(t, f.Entries()), entriesJSON(t, stored); a != b {
			t.Fatalf("stored mirror (-mirror +store):\n%s", cmp.Diff(f.Entries(), stored, cmpopts.EquateEmpty()))
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s\n%s\nchanges: %q", fmt.Sprintf(format, args...), strings.Join(trace, "\n"), changeLines(changes))
		}

		// The mirror is the tree.
		var want, got []string
		for _, n := range m.nodes {
			kind := tracker.KindFile
			switch {
			case n.folder:
				kind = tracker.KindFolder
			case strings.HasSuffix(n.path, ".paper"):
				kind = tracker.KindPaper
			}
			want = append(want, fmt.Sprintf("%s %s %s %s %s", n.id, n.path, kind, n.rev, n.hash))
		}
		slices.Sort(want)
		for _, e := range f.Entries() {
			s := fmt.Sprintf("%s %s %s %s %s", e.ID, e.PathLower, e.Kind, e.Rev, e.ContentHash)
			if e.Pending {
				s += " pending"
			}
			got = append(got, s)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			fail("mirror (-tree +mirror):\n%s", diff)
		}

		// Every change fits what the application knew, names an object the
		// batch did that to, and each single move is one change.
		for _, c := range changes {
			if err := app.apply(c); err != nil {
				fail("%s %s: %v", c.Type, c.ObjectID, err)
			}
			what := strings.TrimPrefix(string(c.Type), c.Type.Object()+".")
			did := map[string]map[string]bool{"created": m.created, "updated": m.updated, "moved": m.moved, "deleted": m.deleted}[what][c.ObjectID]
			if !did && mode != "log" && (what == "created" || what == "deleted") && m.movedWith[c.ObjectID] {
				// A coalesced listing can take a moved entry's old path before
				// it lists the entry's new one: a deletion and a creation.
				did = true
				resurrected++
			}
			if !did {
				fail("%s %s: the batch did not do that to it", c.Type, c.ObjectID)
			}
			if what == "moved" {
				moves++
			}
		}
		if len(m.ops) == 1 && strings.HasPrefix(m.ops[0], "move ") && len(changes) != 1 {
			fail("one move made %d changes", len(changes))
		}
		// No lost deletion, no missed creation or move: the application
		// holds the tree.
		wantApp := appModel{}
		for _, n := range m.nodes {
			wantApp[n.id] = n.path
		}
		if diff := cmp.Diff(wantApp, app); diff != "" {
			fail("application's view (-tree +app):\n%s", diff)
		}
		old = m.snapshot()
		m.startBatch()
	}
	return moves, resurrected
}

func entriesJSON(t *testing.T, es []*tracker.Entry) string {
	t.Helper()
	if len(es) == 0 {
		return "[]"
	}
	b, err := json.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
