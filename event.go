package dropbridge

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// EventSchemaVersion is the version of the Event envelope that this code
// writes. It grows when a field changes meaning or goes away; adding a field
// does not change it. Receivers should ignore fields they do not know.
const EventSchemaVersion = 1

// EventIDPrefix starts every event ID.
const EventIDPrefix = "evt_"

// EventType names what happened, as "<object>.<what happened>".
type EventType string

// Event types of files and folders, from the list_folder mirror. A Paper
// document is a .paper file, told apart with paper_doc.* types.
const (
	EventFileCreated   EventType = "file.created"
	EventFileUpdated   EventType = "file.updated" // new content or revision at the same path
	EventFileMoved     EventType = "file.moved"   // new path, same Dropbox id: renames too
	EventFileDeleted   EventType = "file.deleted"
	EventFolderCreated EventType = "folder.created"
	EventFolderUpdated EventType = "folder.updated" // metadata other than the path changed (sharing info)
	EventFolderMoved   EventType = "folder.moved"   // the folder only: its subtree moved with it, without events
	EventFolderDeleted EventType = "folder.deleted" // one event per deleted descendant comes too
	EventPaperCreated  EventType = "paper_doc.created"
	EventPaperUpdated  EventType = "paper_doc.updated"
	EventPaperMoved    EventType = "paper_doc.moved"
	EventPaperDeleted  EventType = "paper_doc.deleted"
)

// Event types of polled objects: shared links, shared folders and their
// members, file requests, team members and team folders.
const (
	EventSharedLinkCreated EventType = "shared_link.created"
	EventSharedLinkUpdated EventType = "shared_link.updated"
	EventSharedLinkRevoked EventType = "shared_link.revoked"

	EventSharedFolderCreated       EventType = "shared_folder.created"
	EventSharedFolderUpdated       EventType = "shared_folder.updated"
	EventSharedFolderDeleted       EventType = "shared_folder.deleted" // unshared, or no longer visible to the account
	EventSharedFolderMemberAdded   EventType = "shared_folder.member_added"
	EventSharedFolderMemberUpdated EventType = "shared_folder.member_updated"
	EventSharedFolderMemberRemoved EventType = "shared_folder.member_removed"

	EventFileRequestCreated      EventType = "file_request.created"
	EventFileRequestUpdated      EventType = "file_request.updated"
	EventFileRequestClosed       EventType = "file_request.closed"
	EventFileRequestDeleted      EventType = "file_request.deleted"
	EventFileRequestFileReceived EventType = "file_request.file_received"

	EventTeamMemberAdded   EventType = "team_member.added"
	EventTeamMemberUpdated EventType = "team_member.updated"
	EventTeamMemberRemoved EventType = "team_member.removed"

	EventTeamFolderCreated  EventType = "team_folder.created"
	EventTeamFolderUpdated  EventType = "team_folder.updated"
	EventTeamFolderArchived EventType = "team_folder.archived"
	EventTeamFolderDeleted  EventType = "team_folder.deleted"
)

// Event types of connections, told by the connector itself.
const (
	EventConnectionCreated     EventType = "connection.created"
	EventConnectionNeedsReauth EventType = "connection.needs_reauth"
	EventConnectionRevoked     EventType = "connection.revoked"
)

// eventShape says which of Before and After an event type carries.
type eventShape int

const (
	shapeAfter  eventShape = iota + 1 // a new object: After only
	shapeBoth                         // a change: Before and After
	shapeBefore                       // a removal: Before only
)

var eventShapes = map[EventType]eventShape{
	EventFileCreated: shapeAfter, EventFileUpdated: shapeBoth, EventFileMoved: shapeBoth, EventFileDeleted: shapeBefore,
	EventFolderCreated: shapeAfter, EventFolderUpdated: shapeBoth, EventFolderMoved: shapeBoth, EventFolderDeleted: shapeBefore,
	EventPaperCreated: shapeAfter, EventPaperUpdated: shapeBoth, EventPaperMoved: shapeBoth, EventPaperDeleted: shapeBefore,

	EventSharedLinkCreated: shapeAfter, EventSharedLinkUpdated: shapeBoth, EventSharedLinkRevoked: shapeBefore,

	EventSharedFolderCreated: shapeAfter, EventSharedFolderUpdated: shapeBoth, EventSharedFolderDeleted: shapeBefore,
	EventSharedFolderMemberAdded: shapeAfter, EventSharedFolderMemberUpdated: shapeBoth, EventSharedFolderMemberRemoved: shapeBefore,

	EventFileRequestCreated: shapeAfter, EventFileRequestUpdated: shapeBoth, EventFileRequestClosed: shapeBoth,
	EventFileRequestDeleted: shapeBefore, EventFileRequestFileReceived: shapeAfter,

	EventTeamMemberAdded: shapeAfter, EventTeamMemberUpdated: shapeBoth, EventTeamMemberRemoved: shapeBefore,

	EventTeamFolderCreated: shapeAfter, EventTeamFolderUpdated: shapeBoth, EventTeamFolderArchived: shapeBoth,
	EventTeamFolderDeleted: shapeBefore,

	EventConnectionCreated: shapeAfter, EventConnectionNeedsReauth: shapeBoth, EventConnectionRevoked: shapeBoth,
}

// EventTypes returns every event type, sorted.
func EventTypes() []EventType {
	out := make([]EventType, 0, len(eventShapes))
	for t := range eventShapes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Valid reports whether t is one of the event types above.
func (t EventType) Valid() bool {
	_, ok := eventShapes[t]
	return ok
}

// Object returns the object part of t: "file" for "file.created".
func (t EventType) Object() string {
	o, _, _ := strings.Cut(string(t), ".")
	return o
}

// Origin says who made a change.
type Origin string

// Origins.
const (
	// OriginAPI: the change matches a write that dropbridge made for the
	// connection, so an application can skip its own writes.
	OriginAPI Origin = "api"
	// OriginDropbox: anything else (the Dropbox apps, other API clients,
	// other people in a shared folder).
	OriginDropbox Origin = "dropbox"
)

// Valid reports whether o is "api" or "dropbox".
func (o Origin) Valid() bool { return o == OriginAPI || o == OriginDropbox }

// Event is one change of one object of a connected account, as dropbridge
// tells applications: by webhook, in the event stream and in the pull feed.
// An event is made once and never changes; its ID is the same on every
// delivery of it, so receivers deduplicate retries by ID.
//
// Before and After hold the object as JSON, in Dropbox's own shape for it
// (with Dropbox's field names: a file is
// https://www.dropbox.com/developers/documentation/http/documentation#files-get_metadata),
// and for connections the connector's Connection. They are raw JSON, not
// typed fields, because this package knows no Dropbox types, and because
// an event is stored and delivered byte for byte as it was made: a later
// version of dropbridge never rewrites the history an application has seen.
type Event struct {
	// ID is unique and sorts by creation time ("evt_" and 26 characters);
	// see EventIDs.
	ID string `json:"id"`
	// Type says what happened.
	Type EventType `json:"type"`
	// SchemaVersion is the version of this envelope: EventSchemaVersion.
	SchemaVersion int `json:"schema_version"`
	// Time is when dropbridge saw the change (Dropbox does not say when a
	// change happened), UTC.
	Time time.Time `json:"time"`
	// EnvironmentID, ConnectionID and ExternalUserID say whose account
	// changed.
	EnvironmentID  string `json:"environment_id"`
	ConnectionID   string `json:"connection_id"`
	ExternalUserID string `json:"external_user_id"`
	// Origin is "api" when the change was made through dropbridge.
	Origin Origin `json:"origin"`
	// ObjectID is the object's stable ID: a Dropbox file or folder id
	// ("id:..."), a shared link's URL, a shared folder's ID (members:
	// "<shared folder id>/<member key>"), a file request's ID, a team
	// member's ID, a team folder's ID, or a connection's ID.
	ObjectID string `json:"object_id"`
	// Before is the object before the change: absent for *.created,
	// *.added and file_request.file_received.
	Before json.RawMessage `json:"before,omitempty"`
	// After is the object after the change: absent for removals
	// (*.deleted, *.removed, shared_link.revoked).
	After json.RawMessage `json:"after,omitempty"`
	// File is the file that arrived, for file_request.file_received (whose
	// After is the file request); absent otherwise.
	File json.RawMessage `json:"file,omitempty"`
}

// Validate returns an EINVALID error unless e has a well-formed ID, a known
// type, the current schema version, a time, its environment, connection,
// external user and object, a valid origin, and exactly the Before, After
// and File its type calls for, each valid JSON.
func (e *Event) Validate() error {
	if !ValidEventID(e.ID) {
		return Errorf(EINVALID, "Event ID %q is not one made by EventIDs.", e.ID)
	}
	shape, ok := eventShapes[e.Type]
	if !ok {
		return Errorf(EINVALID, "Event type %q is not one dropbridge knows.", e.Type)
	}
	switch {
	case e.SchemaVersion != EventSchemaVersion:
		return Errorf(EINVALID, "Event schema version %d is not the current version %d.", e.SchemaVersion, EventSchemaVersion)
	case e.Time.IsZero():
		return Errorf(EINVALID, "An event needs a time.")
	case e.EnvironmentID == "":
		return Errorf(EINVALID, "An event needs an environment.")
	case e.ConnectionID == "":
		return Errorf(EINVALID, "An event needs a connection.")
	case e.ObjectID == "":
		return Errorf(EINVALID, "An event needs the ID of the object that changed.")
	case !e.Origin.Valid():
		return Errorf(EINVALID, "Event origin %q is not api or dropbox.", e.Origin)
	}
	if err := validateExternalUserID(e.ExternalUserID); err != nil {
		return err
	}
	if err := checkPart(e.Type, "before", e.Before, shape != shapeAfter); err != nil {
		return err
	}
	if err := checkPart(e.Type, "after", e.After, shape != shapeBefore); err != nil {
		return err
	}
	return checkPart(e.Type, "file", e.File, e.Type == EventFileRequestFileReceived)
}

// checkPart checks that raw is a JSON object when want, and absent otherwise.
func checkPart(t EventType, name string, raw json.RawMessage, want bool) error {
	has := len(raw) > 0 && string(raw) != "null"
	switch {
	case want && !has:
		return Errorf(EINVALID, "A %s event needs %s.", t, name)
	case !want && has:
		return Errorf(EINVALID, "A %s event has no %s.", t, name)
	case has && (!json.Valid(raw) || raw[0] != '{'):
		return Errorf(EINVALID, "The %s of a %s event must be a JSON object.", name, t)
	}
	return nil
}

// eventIDEncoding is base32 whose alphabet is in ASCII order, so that IDs
// of equal length sort as the bytes they encode.
var eventIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// eventIDLen is the length of an event ID: the prefix and 16 bytes in
// base32.
var eventIDLen = len(EventIDPrefix) + eventIDEncoding.EncodedLen(16)

// ValidEventID reports whether id has the form EventIDs makes.
func ValidEventID(id string) bool {
	if len(id) != eventIDLen || !strings.HasPrefix(id, EventIDPrefix) {
		return false
	}
	b, err := eventIDEncoding.DecodeString(id[len(EventIDPrefix):])
	// 26 characters hold 130 bits: the 2 spare bits must be zero, so that
	// one ID has one spelling.
	return err == nil && len(b) == 16 && eventIDEncoding.EncodeToString(b) == id[len(EventIDPrefix):]
}

// EventIDTime returns the millisecond that an event ID was made in, or
// false for a malformed ID.
func EventIDTime(id string) (time.Time, bool) {
	if !ValidEventID(id) {
		return time.Time{}, false
	}
	b, _ := eventIDEncoding.DecodeString(id[len(EventIDPrefix):])
	ms := binary.BigEndian.Uint64(b[:8]) >> 16
	return time.UnixMilli(int64(ms)).UTC(), true
}

// EventIDs makes event IDs: 48 bits of Unix milliseconds, then 80 bits that
// start random, written in an order-preserving base32. IDs from one EventIDs
// strictly increase, even within a millisecond or when the clock steps back
// (the new ID then counts up from the previous one), so an event feed can
// page by ID. IDs from different processes are unique (80 random bits) and
// sort by their milliseconds, up to the skew of the machines' clocks. Its
// methods are safe for concurrent use; the zero value is ready.
type EventIDs struct {
	mu   sync.Mutex
	last [16]byte
}

// New returns a new event ID made at now, or an error when the system's
// random source fails.
func (g *EventIDs) New(now time.Time) (string, error) {
	var b [16]byte
	ms := now.UnixMilli()
	if ms < 0 || ms >= 1<<48 {
		return "", fmt.Errorf("event id: time %v is out of range", now)
	}
	binary.BigEndian.PutUint64(b[:8], uint64(ms)<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		return "", fmt.Errorf("generate event id: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if string(b[:6]) <= string(g.last[:6]) {
		// Same or earlier millisecond: one more than the last ID.
		b = g.last
		for i := 15; i >= 0; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	g.last = b
	return EventIDPrefix + eventIDEncoding.EncodeToString(b[:]), nil
}

// EncodeEvents returns the JSON of each event, as stored and delivered.
func EncodeEvents(events []Event) ([][]byte, error) {
	out := make([][]byte, len(events))
	for i := range events {
		b, err := json.Marshal(&events[i])
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w", events[i].ID, err)
		}
		out[i] = b
	}
	return out, nil
}
