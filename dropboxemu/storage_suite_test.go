package dropboxemu_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
)

// The Backend contract, run against every implementation (DESIGN.md rule 5).

func TestBackendMemory(t *testing.T) {
	t.Parallel()
	runBackendSuite(t, func(t *testing.T) dropboxemu.Backend { return dropboxemu.NewMemoryBackend() })
}

func TestBackendDisk(t *testing.T) {
	t.Parallel()
	runBackendSuite(t, func(t *testing.T) dropboxemu.Backend { return openDisk(t, t.TempDir()) })
}

// openDisk opens a DiskBackend in dir and closes it when the test ends.
func openDisk(t *testing.T, dir string) *dropboxemu.DiskBackend {
	t.Helper()
	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		t.Fatalf("OpenDiskBackend: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// rows is a backend's content as table -> key -> value.
type rows map[string]map[string]string

func loadRows(t *testing.T, b dropboxemu.Backend) rows {
	t.Helper()
	got := rows{}
	err := b.Load(func(table, key string, value []byte) error {
		if got[table] == nil {
			got[table] = map[string]string{}
		}
		if _, dup := got[table][key]; dup {
			t.Errorf("Load gave %s/%q twice", table, key)
		}
		got[table][key] = string(value)
		return nil
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

func commit(t *testing.T, b dropboxemu.Backend, ops ...dropboxemu.Op) {
	t.Helper()
	if err := b.Commit(ops); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func put(table, key, value string) dropboxemu.Op {
	return dropboxemu.Op{Table: table, Key: key, Value: []byte(value)}
}

func del(table, key string) dropboxemu.Op { return dropboxemu.Op{Table: table, Key: key} }

func listBlobs(t *testing.T, b dropboxemu.Backend) []string {
	t.Helper()
	var ids []string
	if err := b.ListBlobs(func(id string) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatalf("ListBlobs: %v", err)
	}
	slices.Sort(ids)
	return ids
}

func readBlob(t *testing.T, b dropboxemu.Backend, id string) []byte {
	t.Helper()
	bl, err := b.OpenBlob(id)
	if err != nil {
		t.Fatalf("OpenBlob(%s): %v", id, err)
	}
	defer bl.Close()
	buf := make([]byte, bl.Size())
	if n, err := bl.ReadAt(buf, 0); n != len(buf) || (err != nil && !errors.Is(err, io.EOF)) {
		t.Fatalf("ReadAt(%s) = %d, %v", id, n, err)
	}
	return buf
}

// blobID makes a blob id of the shape the emulator uses (32 hex digits).
func blobID(i int) string { return fmt.Sprintf("%032x", 0xb10b0000+i) }

func runBackendSuite(t *testing.T, open func(t *testing.T) dropboxemu.Backend) {
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		if got := loadRows(t, b); len(got) != 0 {
			t.Errorf("new backend has rows: %v", got)
		}
		if got := listBlobs(t, b); len(got) != 0 {
			t.Errorf("new backend has blobs: %v", got)
		}
		if err := b.Commit(nil); err != nil {
			t.Errorf("empty Commit: %v", err)
		}
	})

	t.Run("LoadAfterCommit", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		commit(t, b, put("app", "k1", `{"a":1}`), put("account", "dbid:1", `{"x":"y"}`))
		commit(t, b, put("app", "k2", `{"a":2}`), put("app", "k1", `{"a":3}`))
		commit(t, b, put("empty", "e", ""))
		want := rows{"app": {"k1": `{"a":3}`, "k2": `{"a":2}`}, "account": {"dbid:1": `{"x":"y"}`}, "empty": {"e": ""}}
		if diff := cmp.Diff(want, loadRows(t, b)); diff != "" {
			t.Errorf("first Load (-want +got):\n%s", diff)
		}
		commit(t, b, put("app", "k3", "3"))
		want["app"]["k3"] = "3"
		if diff := cmp.Diff(want, loadRows(t, b)); diff != "" {
			t.Errorf("second Load (-want +got):\n%s", diff)
		}
	})

	t.Run("Deletes", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		commit(t, b, put("t", "a", "1"), put("t", "b", "2"), put("u", "c", "3"))
		commit(t, b, del("t", "a"), del("t", "missing"), del("nosuchtable", "x"))
		commit(t, b, del("u", "c"))
		commit(t, b, del("t", "b"), put("t", "b", "again"))
		want := rows{"t": {"b": "again"}}
		got := loadRows(t, b)
		for k, v := range got {
			if len(v) == 0 {
				delete(got, k) // an emptied table may or may not be reported
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Load (-want +got):\n%s", diff)
		}
	})

	t.Run("Batches", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		// Later ops of one batch win over earlier ones; keys may hold any bytes.
		commit(t, b, put("t", "x", "1"), put("t", "x", "2"), del("t", "y"), put("t", "y", "3"), put("t", "z", "4"), del("t", "z"))
		want := rows{"t": {"x": "2", "y": "3"}}
		var big []dropboxemu.Op
		for i := range 500 {
			k := fmt.Sprintf("ns\x00%016x", i)
			v := strings.Repeat(string(rune('a'+i%26)), i)
			big = append(big, put("change", k, v))
			if want["change"] == nil {
				want["change"] = map[string]string{}
			}
			want["change"][k] = v
		}
		commit(t, b, big...)
		if diff := cmp.Diff(want, loadRows(t, b)); diff != "" {
			t.Errorf("Load (-want +got):\n%s", diff)
		}
	})

	t.Run("Blobs", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		data := map[string][]byte{
			blobID(1): []byte("hello, world"),
			blobID(2): bytes.Repeat([]byte{0, 1, 2, 0xff}, 300_000),
			blobID(3): {},
		}
		for id, d := range data {
			if err := b.PutBlob(id, d); err != nil {
				t.Fatalf("PutBlob(%s): %v", id, err)
			}
		}
		for id, d := range data {
			if got := readBlob(t, b, id); !bytes.Equal(got, d) {
				t.Errorf("blob %s: %d bytes, want %d", id, len(got), len(d))
			}
		}
		if diff := cmp.Diff([]string{blobID(1), blobID(2), blobID(3)}, listBlobs(t, b)); diff != "" {
			t.Errorf("ListBlobs (-want +got):\n%s", diff)
		}

		bl, err := b.OpenBlob(blobID(2))
		if err != nil {
			t.Fatal(err)
		}
		if bl.Size() != int64(len(data[blobID(2)])) {
			t.Errorf("Size = %d", bl.Size())
		}
		for _, off := range []int64{0, 1, 4, 1<<20 - 3, bl.Size() - 5} {
			buf := make([]byte, 5)
			n, err := bl.ReadAt(buf, off)
			if n != 5 || (err != nil && !errors.Is(err, io.EOF)) {
				t.Errorf("ReadAt(5, %d) = %d, %v", off, n, err)
			}
			if want := data[blobID(2)][off : off+5]; !bytes.Equal(buf, want) {
				t.Errorf("ReadAt(5, %d) = %v, want %v", off, buf, want)
			}
		}
		buf := make([]byte, 10)
		if n, err := bl.ReadAt(buf, bl.Size()-4); n != 4 || !errors.Is(err, io.EOF) {
			t.Errorf("ReadAt past the end = %d, %v; want 4, EOF", n, err)
		}
		if n, err := bl.ReadAt(buf, bl.Size()+10); n != 0 || err == nil {
			t.Errorf("ReadAt beyond the end = %d, %v; want 0 and an error", n, err)
		}
		if err := bl.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}

		if err := b.DeleteBlob(blobID(1)); err != nil {
			t.Errorf("DeleteBlob: %v", err)
		}
		if err := b.DeleteBlob(blobID(99)); err != nil {
			t.Errorf("DeleteBlob of an unknown id: %v", err)
		}
		if _, err := b.OpenBlob(blobID(1)); !errors.Is(err, dropboxemu.ErrBlobNotFound) {
			t.Errorf("OpenBlob of a deleted blob: %v, want ErrBlobNotFound", err)
		}
		if _, err := b.OpenBlob(blobID(98)); !errors.Is(err, dropboxemu.ErrBlobNotFound) {
			t.Errorf("OpenBlob of an unknown id: %v, want ErrBlobNotFound", err)
		}
		if diff := cmp.Diff([]string{blobID(2), blobID(3)}, listBlobs(t, b)); diff != "" {
			t.Errorf("ListBlobs after delete (-want +got):\n%s", diff)
		}
		// A deleted id may be stored again.
		if err := b.PutBlob(blobID(1), []byte("new")); err != nil {
			t.Errorf("PutBlob after delete: %v", err)
		} else if got := readBlob(t, b, blobID(1)); string(got) != "new" {
			t.Errorf("blob after re-put = %q", got)
		}
		stop := errors.New("stop")
		if err := b.ListBlobs(func(string) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("ListBlobs does not pass on fn's error: %v", err)
		}
	})

	t.Run("DuplicateBlob", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		if err := b.PutBlob(blobID(7), []byte("first")); err != nil {
			t.Fatal(err)
		}
		if err := b.PutBlob(blobID(7), []byte("second")); err == nil {
			t.Error("PutBlob of an existing id succeeded")
		}
		if got := readBlob(t, b, blobID(7)); string(got) != "first" {
			t.Errorf("blob after refused duplicate = %q, want first", got)
		}
		// Racing writers of one id: exactly one wins and its bytes are stored whole.
		const writers = 8
		var wins atomic.Int32
		var winner atomic.Int32
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				if b.PutBlob(blobID(8), bytes.Repeat([]byte{byte('a' + i)}, 64<<10)) == nil {
					wins.Add(1)
					winner.Store(int32(i))
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of %d racing PutBlob calls of one id succeeded, want 1", wins.Load(), writers)
		}
		want := bytes.Repeat([]byte{byte('a' + winner.Load())}, 64<<10)
		if got := readBlob(t, b, blobID(8)); !bytes.Equal(got, want) {
			t.Errorf("racing PutBlob stored bytes of a loser")
		}
		if diff := cmp.Diff([]string{blobID(7), blobID(8)}, listBlobs(t, b)); diff != "" {
			t.Errorf("ListBlobs (-want +got):\n%s", diff)
		}
	})

	t.Run("Concurrency", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		const workers, each = 6, 40
		var wg sync.WaitGroup
		var commitMu sync.Mutex // Commit is called by one goroutine at a time
		want := rows{"t": {}}
		var wantMu sync.Mutex
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for i := range each {
					id := blobID(1000 + w*each + i)
					data := make([]byte, rng.IntN(10_000))
					for j := range data {
						data[j] = byte(rng.Uint32())
					}
					if err := b.PutBlob(id, data); err != nil {
						t.Errorf("PutBlob: %v", err)
						return
					}
					k, v := fmt.Sprintf("w%d-%d", w, i), id
					commitMu.Lock()
					err := b.Commit([]dropboxemu.Op{put("t", k, v)})
					commitMu.Unlock()
					if err != nil {
						t.Errorf("Commit: %v", err)
						return
					}
					wantMu.Lock()
					want["t"][k] = v
					wantMu.Unlock()
					bl, err := b.OpenBlob(id)
					if err != nil {
						t.Errorf("OpenBlob: %v", err)
						return
					}
					got := make([]byte, bl.Size())
					if _, err := bl.ReadAt(got, 0); err != nil && !errors.Is(err, io.EOF) {
						t.Errorf("ReadAt: %v", err)
					}
					bl.Close()
					if !bytes.Equal(got, data) {
						t.Errorf("blob %s read back wrong", id)
					}
					if i%10 == 0 {
						if err := b.ListBlobs(func(string) error { return nil }); err != nil {
							t.Errorf("ListBlobs: %v", err)
						}
					}
				}
			})
		}
		wg.Wait()
		if diff := cmp.Diff(want, loadRows(t, b)); diff != "" {
			t.Errorf("Load after concurrent commits (-want +got):\n%s", diff)
		}
		if n := len(listBlobs(t, b)); n != workers*each {
			t.Errorf("%d blobs, want %d", n, workers*each)
		}
	})
}

// DiskBackend only: durability across reopen and crashes.

func TestBackendDiskReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, b, put("t", "a", "1"), put("t", "b", "2"), put("u", "c", "3"))
	commit(t, b, del("t", "a"), put("t", "b", "22"))
	if err := b.PutBlob(blobID(1), []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := b.PutBlob(blobID(2), []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteBlob(blobID(2)); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit([]dropboxemu.Op{put("t", "late", "x")}); err == nil {
		t.Error("Commit after Close succeeded")
	}
	want := rows{"t": {"b": "22"}, "u": {"c": "3"}}
	// Several cycles: each open compacts the journal, and what it rewrote
	// must read back the same, plus what was committed after it.
	for cycle := range 3 {
		b := openDisk(t, dir)
		got := loadRows(t, b)
		for k, v := range got {
			if len(v) == 0 {
				delete(got, k)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("cycle %d: Load after reopen (-want +got):\n%s", cycle, diff)
		}
		if diff := cmp.Diff([]string{blobID(1)}, listBlobs(t, b)); diff != "" {
			t.Errorf("cycle %d: blobs after reopen (-want +got):\n%s", cycle, diff)
		}
		if got := readBlob(t, b, blobID(1)); string(got) != "one" {
			t.Errorf("cycle %d: blob = %q", cycle, got)
		}
		k := fmt.Sprintf("cycle%d", cycle)
		commit(t, b, put("t", k, k))
		want["t"][k] = k
		b.Close()
	}
}

func TestBackendDiskSecondOpenRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := openDisk(t, dir)
	if b2, err := dropboxemu.OpenDiskBackend(dir); err == nil {
		b2.Close()
		t.Fatal("a second OpenDiskBackend of an open folder succeeded")
	} else if !strings.Contains(err.Error(), "in use") {
		t.Errorf("second open: %v; want an error saying the folder is in use", err)
	}
	commit(t, b, put("t", "k", "v"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b3 := openDisk(t, dir)
	if got := loadRows(t, b3); got["t"]["k"] != "v" {
		t.Errorf("after the first closed, reopen sees %v", got)
	}
}

// journalBatches commits three batches to a new folder and returns it with
// the journal length before the last batch, and the rows of the first two.
func journalBatches(t *testing.T) (dir string, before int64, want rows) {
	t.Helper()
	dir = t.TempDir()
	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, b, put("t", "a", "1"), put("t", "b", "2"))
	commit(t, b, put("t", "c", "3"), del("t", "a"))
	st, err := os.Stat(filepath.Join(dir, "journal.log"))
	if err != nil {
		t.Fatalf("the journal is not %s: %v", filepath.Join(dir, "journal.log"), err)
	}
	commit(t, b, put("t", "d", strings.Repeat("4", 300)), del("t", "b"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, st.Size(), rows{"t": {"b": "2", "c": "3"}}
}

// checkTornRecovery opens dir, expects want, commits more, and checks that
// the later batch survives another reopen (the torn tail is gone for good).
func checkTornRecovery(t *testing.T, dir string, want rows) {
	t.Helper()
	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		t.Fatalf("open after a torn batch: %v", err)
	}
	if diff := cmp.Diff(want, loadRows(t, b)); diff != "" {
		t.Errorf("Load after a torn batch (-want +got):\n%s", diff)
	}
	commit(t, b, put("t", "e", "5"))
	b.Close()
	b = openDisk(t, dir)
	want["t"]["e"] = "5"
	if diff := cmp.Diff(want, loadRows(t, b)); diff != "" {
		t.Errorf("Load of a batch committed after recovery (-want +got):\n%s", diff)
	}
}

func TestBackendDiskTornBatch(t *testing.T) {
	t.Parallel()
	// Cut inside the header, just after it, inside the payload, one byte short.
	for _, cut := range []int64{1, 7, 8, 9, 50, -1} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			t.Parallel()
			dir, before, want := journalBatches(t)
			p := filepath.Join(dir, "journal.log")
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			at := before + cut
			if cut < 0 {
				at = st.Size() + cut
			}
			if at <= before || at >= st.Size() {
				t.Fatalf("cut at %d is not inside the last batch [%d, %d)", at, before, st.Size())
			}
			if err := os.Truncate(p, at); err != nil {
				t.Fatal(err)
			}
			checkTornRecovery(t, dir, want)
		})
	}
}

func TestBackendDiskCorruptBatch(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"crc", "payload", "length"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			dir, before, want := journalBatches(t)
			p := filepath.Join(dir, "journal.log")
			j, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			switch where {
			case "crc":
				j[before+4] ^= 0xff
			case "payload":
				j[before+20] ^= 0x01
			case "length":
				// A length beyond the end of the file, as a torn header may give.
				binary.LittleEndian.PutUint32(j[before:], uint32(len(j)))
			}
			if err := os.WriteFile(p, j, 0o644); err != nil {
				t.Fatal(err)
			}
			checkTornRecovery(t, dir, want)
		})
	}
}

// TestBackendDiskFailedCommit makes a Commit fail halfway through its write
// (a file size limit, as a full disk would) and checks that the batch is
// cut off again: the next Commit succeeds and survives a reopen. Otherwise
// the torn bytes would hide every later, acknowledged batch.
func TestBackendDiskFailedCommit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), failedCommitChildEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	b := openDisk(t, dir)
	want := rows{"t": {"before": "1", "after": "2"}}
	if diff := cmp.Diff(want, loadRows(t, b)); diff != "" {
		t.Errorf("Load after a failed commit (-want +got):\n%s", diff)
	}
}

// failedCommitChild runs in a child process, because a file size limit
// applies to the whole process.
func failedCommitChild(dir string) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		return 1
	}
	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		return fail("open: %v", err)
	}
	defer b.Close()
	if err := b.Commit([]dropboxemu.Op{put("t", "before", "1")}); err != nil {
		return fail("first commit: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, "journal.log"))
	if err != nil {
		return fail("stat journal: %v", err)
	}
	// Go ignores SIGXFSZ, so a write past the limit fails with EFBIG.
	lim := syscall.Rlimit{Cur: uint64(st.Size()) + 4096}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		return fail("getrlimit: %v", err)
	}
	lim.Max = old.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return fail("setrlimit: %v", err)
	}
	if err := b.Commit([]dropboxemu.Op{put("t", "big", strings.Repeat("x", 64<<10))}); err == nil {
		return fail("a commit past the file size limit succeeded")
	}
	if err := b.Commit([]dropboxemu.Op{put("t", "after", "2")}); err != nil {
		return fail("the commit after a failed one: %v", err)
	}
	return 0
}
