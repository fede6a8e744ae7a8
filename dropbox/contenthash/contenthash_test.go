package contenthash_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox/contenthash"
)

// reference computes the content hash the plain way: digests of 4 MiB
// blocks, concatenated, hashed.
func reference(data []byte) string {
	var cat []byte
	for off := 0; off < len(data); off += contenthash.BlockSize {
		d := sha256.Sum256(data[off:min(off+contenthash.BlockSize, len(data))])
		cat = append(cat, d[:]...)
	}
	sum := sha256.Sum256(cat)
	return hex.EncodeToString(sum[:])
}

func TestContentHashEdges(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 2*contenthash.BlockSize+5)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	plain := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	for _, tc := range []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"one block less a byte", contenthash.BlockSize - 1},
		{"exactly one block", contenthash.BlockSize},
		{"one block and a byte", contenthash.BlockSize + 1},
		{"two blocks", 2 * contenthash.BlockSize},
		{"two blocks and five bytes", 2*contenthash.BlockSize + 5},
	} {
		data := big[:tc.n]
		got := contenthash.Of(data)
		if want := reference(data); got != want {
			t.Errorf("%s: %s, want %s", tc.name, got, want)
		}
		if tc.n == contenthash.BlockSize || tc.n == contenthash.BlockSize+1 {
			if got == plain(data) {
				t.Errorf("%s: the content hash equals a plain SHA-256", tc.name)
			}
		}
	}
	if got := contenthash.Of(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty input: %s", got)
	}
}

// TestContentHashSplitWrites: any split of the input into writes gives the
// same hash, Sum does not disturb the state, and Reset starts over.
func TestContentHashSplitWrites(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, contenthash.BlockSize*2+12345)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	want := reference(data)
	for range 5 {
		h := contenthash.New()
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(3*1024*1024))
			h.Write(rest[:k])
			rest = rest[k:]
			_ = h.Sum(nil) // must not change the state
		}
		if got := h.Hex(); got != want {
			t.Fatalf("split writes: %s, want %s", got, want)
		}
		h.Reset()
		if got := h.Hex(); got != contenthash.Of(nil) {
			t.Fatalf("after Reset: %s", got)
		}
	}
	h := contenthash.New()
	if _, err := io.Copy(h, bytes.NewReader(data)); err != nil || h.Hex() != want {
		t.Fatalf("io.Copy: %v %s", err, h.Hex())
	}
	if h.Size() != 32 || h.BlockSize() != contenthash.BlockSize {
		t.Errorf("Size, BlockSize = %d, %d", h.Size(), h.BlockSize())
	}
}

// TestContentHashMarshal: a state saved mid-block and restored in a new
// Hash goes on to the same result; bad states are refused.
func TestContentHashMarshal(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("dropbridge "), 700_000) // ~7.7 MB: crosses a block
	for _, cut := range []int{0, 1, contenthash.BlockSize - 1, contenthash.BlockSize, contenthash.BlockSize + 3, len(data)} {
		h := contenthash.New()
		h.Write(data[:cut])
		state, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		r := contenthash.New()
		if err := r.UnmarshalBinary(state); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		r.Write(data[cut:])
		if got, want := r.Hex(), reference(data); got != want {
			t.Errorf("cut %d: resumed hash %s, want %s", cut, got, want)
		}
	}
	for _, bad := range [][]byte{nil, []byte("nope"), []byte("dbxch1\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff")} {
		if err := contenthash.New().UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%q) accepted", bad)
		}
	}
}

func FuzzContentHash(f *testing.F) {
	f.Add([]byte("hello"), uint16(3))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		h := contenthash.New()
		k := int(split) % (len(data) + 1)
		h.Write(data[:k])
		h.Write(data[k:])
		if got, want := h.Hex(), reference(data); got != want {
			t.Fatalf("%s, want %s", got, want)
		}
	})
}
