package dropbridge

import (
	"context"
	"time"
)

// WriteRecord is one write that dropbridge made to a connected account, as
// Dropbox answered it: what tracker.Attribute matches changes against to
// give them origin "api".
type WriteRecord struct {
	// ID is given by the store.
	ID            int64
	EnvironmentID string
	ConnectionID  string
	// ObjectID is the object's ID as an event names it; may be empty.
	ObjectID string
	// PathLower is the file or folder's path after the write (before it,
	// for a removal); may be empty.
	PathLower string
	// Rev and ContentHash are the file's after the write (before it, for a
	// removal); may be empty.
	Rev         string
	ContentHash string
	// Removal is set for writes that remove the object.
	Removal bool
	// At is when the write was made.
	At time.Time
}

// Validate returns an EINVALID error for a record without environment,
// connection or time, or that names no object, path or rev.
func (w *WriteRecord) Validate() error {
	switch {
	case w.EnvironmentID == "" || w.ConnectionID == "":
		return Errorf(EINVALID, "A write record needs its environment and connection.")
	case w.At.IsZero():
		return Errorf(EINVALID, "A write record needs the time of the write.")
	case w.ObjectID == "" && w.PathLower == "" && w.Rev == "":
		return Errorf(EINVALID, "A write record needs the object's ID, path or rev.")
	}
	return nil
}

// WriteLogStore keeps the log of dropbridge's own writes. Its methods are
// safe for concurrent use.
type WriteLogStore interface {
	// RecordWrite stores w and gives it an ID. An invalid w is EINVALID; a
	// connection unknown in the environment is ENOTFOUND.
	RecordWrite(ctx context.Context, w *WriteRecord) error
	// ListWrites returns the connection's writes made at or after since,
	// oldest first.
	ListWrites(ctx context.Context, environmentID, connectionID string, since time.Time) ([]*WriteRecord, error)
	// DeleteWritesBefore deletes the writes, of every connection, made
	// before before (the expiry sweep), and returns how many.
	DeleteWritesBefore(ctx context.Context, before time.Time) (int64, error)
}
