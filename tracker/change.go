// Package tracker turns what dropbridge reads from Dropbox into changes: the
// diff of a list_folder page against a connection's files mirror, the diff of
// a listing after a cursor reset, the diff of polled objects (shared links,
// shared folders and members, file requests, team members, team folders), the
// file_request.file_received rule, and the rule that tells dropbridge's own
// writes (origin "api") from everyone else's.
//
// Everything here is a pure function of its inputs: no I/O, no clock, no
// randomness. Callers load the state, call the rule, and store what it
// returns (the mirror's updates and the changes, as events) in one
// transaction with the cursor.
//
// # Decisions
//
//   - Objects are keyed by their stable IDs, so a move or a rename is one
//     *.moved change, not a delete and a create (but see the settling rule
//     below), even when Dropbox lists it
//     as a deletion of the old path and the entry at its new path, and even
//     when that deletion and that entry arrive on different pages.
//   - A deletion listed by Dropbox is provisional until the listing catches
//     up (has_more is false): the entries at and below the deleted path are
//     kept, pending, and an entry listed later with one of their IDs brings
//     it back (a move). Only then do the still-pending entries become
//     *.deleted changes.
//   - The changes keep the application's view a tree: no two objects are at
//     one path at any point, so that a folder.moved can be applied to
//     everything below the folder's old path. Before an entry takes a path
//     where a pending entry was, the pending entry is settled: applied
//     first if the same page lists it elsewhere (and nothing listed in
//     between touches that place), else deleted there and then. Listings
//     in Dropbox's change order never need that; a coalesced listing that
//     takes a moved entry's old path before it lists the new one tells that
//     move as a deletion and a creation of the same id (under 2% of moves
//     in the randomized test's coalesced and reset listings, with pages of
//     at most 100 entries; none in change order).
//   - A reset is a full listing with every mirrored entry pending at its
//     start: what is listed again is kept (moved or updated by id), the
//     rest is deleted when the listing ends.
//   - A moved folder is one folder.moved change. Its subtree moves with it in
//     the mirror without a change per descendant: Dropbox lists each
//     descendant at its new path, and a descendant listed exactly where the
//     folder's move put it makes no change (unless its content changed:
//     then it is *.updated). A descendant listed elsewhere moved on its own:
//     *.moved.
//   - A deleted folder is one folder.deleted change plus one *.deleted change
//     per descendant, deepest first. A move keeps every ID valid and the new
//     paths follow from the folder's change; a deletion ends IDs, and an
//     application that keeps records by ID (or filters events by type) must
//     hear of each, or its records linger forever.
//   - A file is updated when its content_hash changes (its rev, when a
//     content_hash is missing). Dropbox gives a moved file a new rev, and a
//     restore of the same bytes makes a new rev too: neither is an update,
//     as the bytes are the same.
//   - A moved file whose content changed too (possible across a cursor gap)
//     is one *.moved change: compare Before's and After's content_hash.
//   - A folder is updated when its sharing info changes (it becomes or stops
//     being a shared folder's mount point); a folder has no rev.
//   - Paper documents are the .paper files they are, with paper_doc.* types.
//   - An entry without path_lower (not mounted) or without an id is skipped:
//     it cannot be placed in the tree.
//   - Changes carry objects as JSON in Dropbox's own shape (see
//     dropbridge.Event). A descendant moved with its folder has its
//     path_lower and path_display rewritten in the mirror's copy, so that
//     the Before of a later change shows where the application last knew it.
package tracker

import (
	"encoding/json"
	"time"

	"github.com/dropbridge/dropbridge"
)

// Change is one change of one object: what becomes a dropbridge.Event.
type Change struct {
	// Type says what happened.
	Type dropbridge.EventType
	// ObjectID is the object's stable ID (see dropbridge.Event.ObjectID).
	ObjectID string
	// Before and After are the object's states as JSON (see
	// dropbridge.Event); File is the received file of
	// file_request.file_received.
	Before, After, File json.RawMessage
	// PathLower is the object's path after the change, or before it for a
	// removal; empty for objects that are not files or folders. Rev and
	// ContentHash are the file's after the change (before it, for a
	// removal). The origin rule matches writes on them.
	PathLower   string
	Rev         string
	ContentHash string
	// Origin is set by Attribute; empty until then.
	Origin dropbridge.Origin
}

// Event returns c as an event of conn, with id and time now. An undecided
// Origin becomes dropbridge.OriginDropbox.
func (c *Change) Event(conn *dropbridge.Connection, id string, now time.Time) dropbridge.Event {
	origin := c.Origin
	if origin == "" {
		origin = dropbridge.OriginDropbox
	}
	return dropbridge.Event{
		ID: id, Type: c.Type, SchemaVersion: dropbridge.EventSchemaVersion, Time: now.UTC(),
		EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, ExternalUserID: conn.ExternalUserID,
		Origin: origin, ObjectID: c.ObjectID, Before: c.Before, After: c.After, File: c.File,
	}
}
