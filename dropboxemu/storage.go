package dropboxemu

import (
	"errors"
	"io"
)

// Backend is where the emulator keeps its state. The emulator holds a
// working copy of all metadata in memory; a Backend makes it durable as
// rows in named tables, and keeps file contents as immutable blobs.
//
// A Backend must be safe for concurrent use. Commit is called by one
// goroutine at a time; blob calls may run concurrently with everything.
type Backend interface {
	// Load calls fn for every row that is live after all committed batches,
	// in no particular order.
	Load(fn func(table, key string, value []byte) error) error
	// Commit applies a batch of row changes atomically and durably: after it
	// returns nil the batch survives a crash; if the process dies during
	// Commit either all of the batch or none of it is applied.
	Commit(ops []Op) error
	// PutBlob stores data under id durably. The caller does not modify data
	// afterwards. Storing an existing id is an error.
	PutBlob(id string, data []byte) error
	// OpenBlob opens a stored blob. It returns ErrBlobNotFound for an unknown id.
	OpenBlob(id string) (Blob, error)
	// DeleteBlob removes a blob; removing an unknown id is not an error.
	DeleteBlob(id string) error
	// ListBlobs calls fn with the id of every stored blob.
	ListBlobs(fn func(id string) error) error
	// Close releases the backend's resources.
	Close() error
}

// Op is one row change of a Commit: Value nil deletes the row.
type Op struct {
	Table string
	Key   string
	Value []byte
}

// Blob is an open, immutable blob.
type Blob interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// ErrBlobNotFound is returned by OpenBlob for an unknown blob id.
var ErrBlobNotFound = errors.New("dropboxemu: blob not found")
