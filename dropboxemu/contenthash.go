package dropboxemu

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// blockSize is the content hash block size: 4 MiB.
const blockSize = 4 << 20

// contentHasher computes Dropbox's content hash: SHA-256 of the
// concatenated SHA-256 digests of each 4 MiB block. It is the emulator's own,
// not dropbox/contenthash: the emulator imports nothing of the client, so
// that a mistake in one cannot hide in both (DESIGN.md, rule 4).
type contentHasher struct {
	overall hash.Hash
	block   hash.Hash
	n       int // bytes in the current block
	// done holds the digest of every whole block so far, so that an upload
	// session part keeps them without hashing its bytes a second time.
	done [][sha256.Size]byte
	// tail is the digest of a final short block computed elsewhere
	// (hasherOf); a hasher with a tail takes no more writes.
	tail *[sha256.Size]byte
}

// hasherOf returns a finished hasher over the block digests ds (the last
// one may be of a short block), as computed by readBody.
func hasherOf(ds [][sha256.Size]byte, size int) *contentHasher {
	h := newContentHasher()
	for i, d := range ds {
		if i == len(ds)-1 && size%blockSize != 0 {
			h.tail = &d
			break
		}
		h.done = append(h.done, d)
		h.overall.Write(d[:])
	}
	return h
}

func newContentHasher() *contentHasher {
	return &contentHasher{overall: sha256.New(), block: sha256.New()}
}

func (h *contentHasher) Write(p []byte) (int, error) {
	if h.tail != nil {
		panic("dropboxemu: write to a finished content hasher")
	}
	total := len(p)
	for len(p) > 0 {
		k := min(blockSize-h.n, len(p))
		h.block.Write(p[:k])
		h.n += k
		p = p[k:]
		if h.n == blockSize {
			var d [sha256.Size]byte
			h.block.Sum(d[:0])
			h.done = append(h.done, d)
			h.overall.Write(d[:])
			h.block.Reset()
			h.n = 0
		}
	}
	return total, nil
}

// addBlockDigest adds the digest of one whole block computed elsewhere.
// It may only be called on a block boundary.
func (h *contentHasher) addBlockDigest(d []byte) {
	if h.n != 0 {
		panic("dropboxemu: addBlockDigest off a block boundary")
	}
	h.overall.Write(d)
}

// blockDigests returns the SHA-256 of each 4 MiB block written, the last
// one possibly short, as blockDigests of the same bytes would.
func (h *contentHasher) blockDigests() [][sha256.Size]byte {
	if h.tail != nil {
		return append(h.done[:len(h.done):len(h.done)], *h.tail)
	}
	if h.n == 0 {
		return h.done
	}
	var d [sha256.Size]byte
	h.block.Sum(d[:0]) // Sum does not change the running block
	return append(h.done[:len(h.done):len(h.done)], d)
}

// Hex returns the content hash of everything written.
func (h *contentHasher) Hex() string {
	o := h.overall
	if h.tail != nil {
		o = cloneHash(h.overall)
		o.Write(h.tail[:])
	} else if h.n > 0 {
		// Clone so that Hex may be called more than once.
		o = cloneHash(h.overall)
		o.Write(h.block.Sum(nil))
	}
	return hex.EncodeToString(o.Sum(nil))
}

func cloneHash(h hash.Hash) hash.Hash {
	if c, ok := h.(interface{ Clone() (hash.Cloner, error) }); ok {
		if cl, err := c.Clone(); err == nil {
			return cl.(hash.Hash)
		}
	}
	panic("dropboxemu: hash cannot be cloned")
}

// contentHashOf returns the content hash of b.
func contentHashOf(b []byte) string {
	h := newContentHasher()
	h.Write(b)
	return h.Hex()
}

// blockDigests returns the SHA-256 of each 4 MiB block of b; the last may be short.
func blockDigests(b []byte) [][sha256.Size]byte {
	var out [][sha256.Size]byte
	for len(b) > 0 {
		k := min(blockSize, len(b))
		out = append(out, sha256.Sum256(b[:k]))
		b = b[k:]
	}
	return out
}
