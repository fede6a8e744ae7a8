package dropboxemu

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
)

// uploadBody is a request body read whole, with its content hash.
type uploadBody struct {
	Data []byte
	// Digests holds the SHA-256 of each 4 MiB block of Data, the last one
	// possibly short: the content hash's inner digests, so that a session
	// part starting on a block boundary need not be hashed again.
	Digests [][sha256.Size]byte
	Hash    string
}

// bodyReadError is the answer to err from reading a body limited by
// http.MaxBytesReader: tooLarge, the route's error for a body over the
// limit, as a 409, or err itself.
func bodyReadError(err error, tooLarge map[string]any) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return routeError(tooLarge)
	}
	return err
}

// readBody reads the request body (at most the upload limit) into one buffer
// while a second goroutine hashes each 4 MiB block as soon as it is
// complete, so that hashing overlaps the network read. An oversized body
// gives payloadTooLarge as a 409.
func (s *Server) readBody(c *call, payloadTooLarge map[string]any) (*uploadBody, error) {
	limit := s.opts.MaxUploadRequest
	if c.r.ContentLength > limit {
		return nil, routeError(payloadTooLarge)
	}
	capHint := c.r.ContentLength
	if capHint < 0 {
		capHint = 1 << 20
	}
	buf := make([]byte, 0, capHint)
	body := http.MaxBytesReader(c.w, c.r.Body, limit)

	// Two hashers: the blocks are independent, and on a small machine one
	// core reads while the other hashes.
	type block struct {
		i    int
		data []byte
	}
	blocks := make(chan block, 8)
	results := make(chan map[int][sha256.Size]byte, 2)
	for range 2 {
		go func() {
			out := map[int][sha256.Size]byte{}
			for b := range blocks {
				out[b.i] = sha256.Sum256(b.data)
			}
			results <- out
		}()
	}
	nblocks := 0
	hashed := 0 // bytes handed to the hasher
	var readErr error
	var probe [512]byte
	for {
		var n int
		var err error
		if len(buf) == cap(buf) {
			// Full (the usual end when Content-Length was given): probe for
			// more before growing, so that an exact-size body is not copied.
			n, err = body.Read(probe[:])
			if n > 0 {
				// Grow; blocks already handed over keep pointing at the old
				// array, which stays valid and is never written again.
				nb := make([]byte, len(buf), max(2*cap(buf), len(buf)+blockSize))
				copy(nb, buf)
				buf = append(nb, probe[:n]...)
			}
		} else {
			n, err = body.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		}
		for len(buf)-hashed >= blockSize {
			blocks <- block{nblocks, buf[hashed : hashed+blockSize]}
			nblocks++
			hashed += blockSize
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
	}
	if readErr == nil && hashed < len(buf) {
		blocks <- block{nblocks, buf[hashed:]}
		nblocks++
	}
	close(blocks)
	ds := make([][sha256.Size]byte, nblocks)
	for range 2 {
		for i, d := range <-results {
			ds[i] = d
		}
	}
	if readErr != nil {
		return nil, bodyReadError(readErr, payloadTooLarge)
	}
	h := sha256.New()
	for _, d := range ds {
		h.Write(d[:])
	}
	ub := &uploadBody{Data: buf, Digests: ds}
	ub.Hash = hex.EncodeToString(h.Sum(nil))
	return ub, nil
}
