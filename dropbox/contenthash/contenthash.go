// Package contenthash computes Dropbox's content hash of a file: the
// SHA-256 of the concatenated SHA-256 digests of each 4 MiB block, as hex in
// FileMetadata.content_hash. See
// https://www.dropbox.com/developers/reference/content-hash.
//
// A Hash is not safe for concurrent use. Its state can be saved with
// MarshalBinary and restored with UnmarshalBinary, so that an upload resumed
// in another process goes on hashing where it stopped.
package contenthash

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
)

// BlockSize is the size of the blocks hashed on their own: 4 MiB.
const BlockSize = 4 << 20

// Size is the size of a content hash in bytes.
const Size = sha256.Size

// Hash is a content hash being computed. It implements hash.Hash and
// encoding.BinaryMarshaler/BinaryUnmarshaler.
type Hash struct {
	overall hash.Hash // over the digests of the whole blocks so far
	block   hash.Hash // over the bytes of the current block
	n       int       // bytes in the current block
}

var (
	_ hash.Hash                  = (*Hash)(nil)
	_ encoding.BinaryMarshaler   = (*Hash)(nil)
	_ encoding.BinaryUnmarshaler = (*Hash)(nil)
)

// New returns a Hash of no bytes.
func New() *Hash {
	return &Hash{overall: sha256.New(), block: sha256.New()}
}

// Write adds p to the hash. It never returns an error.
func (h *Hash) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := min(BlockSize-h.n, len(p))
		h.block.Write(p[:k])
		h.n += k
		p = p[k:]
		if h.n == BlockSize {
			var d [sha256.Size]byte
			h.overall.Write(h.block.Sum(d[:0]))
			h.block.Reset()
			h.n = 0
		}
	}
	return total, nil
}

// Sum appends the content hash of what was written to b. It does not
// change the state: more may be written after.
func (h *Hash) Sum(b []byte) []byte {
	if h.n == 0 {
		return h.overall.Sum(b)
	}
	// The short last block counts as a block of its own.
	o := cloneSHA(h.overall)
	var d [sha256.Size]byte
	o.Write(h.block.Sum(d[:0]))
	return o.Sum(b)
}

// Hex returns the content hash as Dropbox writes it: 64 lower-case hex digits.
func (h *Hash) Hex() string { return hex.EncodeToString(h.Sum(nil)) }

// Reset makes h a hash of no bytes again.
func (h *Hash) Reset() {
	h.overall.Reset()
	h.block.Reset()
	h.n = 0
}

// Size returns Size.
func (h *Hash) Size() int { return Size }

// BlockSize returns BlockSize: writes of whole 4 MiB blocks are the most
// efficient.
func (h *Hash) BlockSize() int { return BlockSize }

// Of returns the content hash of data, in hex.
func Of(data []byte) string {
	h := New()
	h.Write(data)
	return h.Hex()
}

const (
	magic        = "dbxch1"
	marshaledLen = len(magic) + 8 // followed by the two SHA-256 states
)

// MarshalBinary saves the state of h.
func (h *Hash) MarshalBinary() ([]byte, error) {
	o, err := h.overall.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	bl, err := h.block.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, marshaledLen+4+len(o)+len(bl))
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.n))
	b = binary.BigEndian.AppendUint32(b, uint32(len(o)))
	b = append(b, o...)
	return append(b, bl...), nil
}

// UnmarshalBinary restores a state saved by MarshalBinary.
func (h *Hash) UnmarshalBinary(b []byte) error {
	if len(b) < marshaledLen+4 || string(b[:len(magic)]) != magic {
		return errors.New("contenthash: invalid hash state")
	}
	n := binary.BigEndian.Uint64(b[len(magic):])
	ol := binary.BigEndian.Uint32(b[marshaledLen:])
	rest := b[marshaledLen+4:]
	if n >= BlockSize || uint64(ol) > uint64(len(rest)) {
		return errors.New("contenthash: invalid hash state")
	}
	overall, block := sha256.New(), sha256.New()
	if err := overall.(encoding.BinaryUnmarshaler).UnmarshalBinary(rest[:ol]); err != nil {
		return errors.New("contenthash: invalid hash state")
	}
	if err := block.(encoding.BinaryUnmarshaler).UnmarshalBinary(rest[ol:]); err != nil {
		return errors.New("contenthash: invalid hash state")
	}
	h.overall, h.block, h.n = overall, block, int(n)
	return nil
}

func cloneSHA(h hash.Hash) hash.Hash {
	c, err := h.(hash.Cloner).Clone()
	if err != nil {
		panic("contenthash: sha256 cannot be cloned: " + err.Error())
	}
	return c.(hash.Hash)
}
