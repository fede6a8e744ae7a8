package tracker_test

import (
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

// selectEntries is what a store's QueryMirrorEntries returns for q: copies
// of the entries q selects and of every pending entry.
func selectEntries(store map[string]*tracker.Entry, q dropbridge.MirrorQuery) []*tracker.Entry {
	under := func(p, top string) bool { return p == top || strings.HasPrefix(p, top+"/") }
	subtrees := slices.Clone(q.Subtrees)
	for _, id := range q.IDs {
		if e := store[id]; e != nil && e.Kind == tracker.KindFolder {
			subtrees = append(subtrees, e.PathLower)
		}
	}
	var out []*tracker.Entry
	for _, id := range slices.Sorted(maps.Keys(store)) {
		e := store[id]
		take := e.Pending || slices.Contains(q.IDs, id) || slices.Contains(q.Paths, e.PathLower) ||
			slices.ContainsFunc(subtrees, func(top string) bool { return under(e.PathLower, top) })
		if take {
			c := *e
			out = append(out, &c)
		}
	}
	return out
}

func TestWorkingSet(t *testing.T) {
	t.Parallel()
	got := tracker.WorkingSet(page(true,
		file("id:1", "/a/b/c.txt", "r1", "h1"),
		folder("id:2", "/a/b"),
		deleted("/x"),
		file("id:1", "/a/b/c.txt", "r2", "h2"),
	))
	want := dropbridge.MirrorQuery{
		IDs:      []string{"id:1", "id:2"},
		Paths:    []string{"/a", "/a/b"},
		Subtrees: []string{"/a/b", "/a/b/c.txt", "/x"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("WorkingSet (-want +got):\n%s", d)
	}
}

// TestWorkingSetRandomized applies the randomized model's listings twice:
// to a Files that holds the whole mirror, and, page by page, to a fresh
// Files made from the working set the page needs. Both make the same
// changes and leave the same stored mirror.
func TestWorkingSetRandomized(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"log", "net", "reset"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			smaller := 0
			for seed := range uint64(200) {
				runWorkingSet(t, mode, seed, &smaller)
			}
			if smaller == 0 && mode != "reset" {
				t.Fatal("no working set was smaller than the mirror: the test tests nothing")
			}
		})
	}
}

// runWorkingSet runs one seed; it counts in smaller the pages whose
// working set was smaller than the whole mirror.
func runWorkingSet(t *testing.T, mode string, seed uint64, smaller *int) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 7))
	m := newModelTree(rnd)
	whole, err := tracker.NewFiles(nil)
	if err != nil {
		t.Fatal(err)
	}
	store := map[string]*tracker.Entry{}
	old := map[string]treeNode{}
	for batch := range 20 {
		for range 1 + rnd.IntN(6) {
			m.step()
		}
		var entries []dropbox.Metadata
		switch mode {
		case "log":
			entries = m.log
		case "net":
			entries = m.netListing(old)
		case "reset":
			entries = m.fullListing()
		}
		for i, p := range pages(rnd, entries) {
			var want, got *tracker.Result
			if mode == "reset" && i == 0 {
				// Reset needs the whole mirror.
				want = whole.Reset(p)
				var all []*tracker.Entry
				for _, id := range slices.Sorted(maps.Keys(store)) {
					c := *store[id]
					all = append(all, &c)
				}
				f, err := tracker.NewFiles(all)
				if err != nil {
					t.Fatal(err)
				}
				got = f.Reset(p)
			} else {
				want = whole.ApplyPage(p)
				ws := selectEntries(store, tracker.WorkingSet(p))
				if len(ws) < len(store) {
					*smaller++
				}
				f, err := tracker.NewFiles(ws)
				if err != nil {
					t.Fatalf("seed %d batch %d page %d: NewFiles of the working set: %v", seed, batch, i, err)
				}
				got = f.ApplyPage(p)
			}
			if a, b := changeLines(want.Changes), changeLines(got.Changes); !slices.Equal(a, b) {
				t.Fatalf("seed %d batch %d page %d: changes (-whole +working set):\n%s", seed, batch, i, cmp.Diff(a, b))
			}
			for _, u := range got.Updates {
				if u.Entry == nil {
					delete(store, u.ID)
				} else {
					store[u.ID] = u.Entry
				}
			}
			var stored []*tracker.Entry
			for _, id := range slices.Sorted(maps.Keys(store)) {
				stored = append(stored, store[id])
			}
			if a, b := entriesJSON(t, whole.Entries()), entriesJSON(t, stored); a != b {
				t.Fatalf("seed %d batch %d page %d: stored mirror (-whole +working set):\n%s", seed, batch, i,
					cmp.Diff(whole.Entries(), stored, cmpopts.EquateEmpty()))
			}
		}
		old = m.snapshot()
		m.startBatch()
	}
}
