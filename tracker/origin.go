package tracker

import (
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
)

// DefaultOriginWindow is how long after a write dropbridge made a change
// may still be matched to it: long enough for a change to come through
// polling and reconciliation, short enough that a path alone rarely
// matches someone else's change.
const DefaultOriginWindow = 10 * time.Minute

// Write is one write that dropbridge made for a connection, as the write
// log records it from Dropbox's answer.
type Write struct {
	// ObjectID is the object's ID as a Change names it: a Dropbox id, a
	// shared link's URL, a file request's ID, and so on; may be empty.
	ObjectID string
	// PathLower is the file or folder's path after the write (before it,
	// for a deletion); may be empty.
	PathLower string
	// Rev and ContentHash are the file's after the write (before it, for a
	// deletion); may be empty.
	Rev         string
	ContentHash string
	// Removal is set for writes that remove the object: a deletion, a
	// revoked link, a removed member.
	Removal bool
	// At is when the write was made.
	At time.Time
}

// Attribute returns changes with their Origin set, and the indexes of the
// writes that matched, in increasing order, which the caller may drop from
// the log. A change is "api" when a write made within window before now
// (and not after it) matches it, else "dropbox":
//
//   - a removal (a change without After) matches only removal writes, and
//     any other change only other writes;
//   - when both have a rev, the revs are equal (a rev names one version of
//     one file);
//   - else, the write names the same object (by ObjectID or PathLower), and
//     when both have a content hash, the hashes are equal;
//   - a write matches one change; but a removal write of a path also makes
//     "api" every removal below that path (the contents of a folder that
//     dropbridge deleted).
//
// file_request.file_received is never "api".
func Attribute(changes []Change, writes []Write, now time.Time, window time.Duration) ([]Change, []int) {
	out := make([]Change, len(changes))
	copy(out, changes)
	used := make([]bool, len(writes))
	for i := range out {
		c := &out[i]
		c.Origin = dropbridge.OriginDropbox
		if c.Type == dropbridge.EventFileRequestFileReceived {
			continue
		}
		removal := len(c.After) == 0
		covered := false
		for j := range writes {
			w := &writes[j]
			if w.Removal != removal || w.At.After(now) || now.Sub(w.At) > window {
				continue
			}
			if !used[j] && matches(c, w) {
				used[j] = true
				c.Origin = dropbridge.OriginAPI
				break
			}
			if removal && w.PathLower != "" && strings.HasPrefix(c.PathLower, w.PathLower+"/") {
				covered = true
			}
		}
		if covered {
			c.Origin = dropbridge.OriginAPI
		}
	}
	var idx []int
	for j, u := range used {
		if u {
			idx = append(idx, j)
		}
	}
	return out, idx
}

// matches reports whether write w made change c.
func matches(c *Change, w *Write) bool {
	if c.Rev != "" && w.Rev != "" {
		return c.Rev == w.Rev
	}
	same := w.ObjectID != "" && w.ObjectID == c.ObjectID || w.PathLower != "" && w.PathLower == c.PathLower
	if c.ContentHash != "" && w.ContentHash != "" {
		return same && c.ContentHash == w.ContentHash
	}
	return same
}
