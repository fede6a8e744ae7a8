package dropbridge

import "context"

// EventFilter selects events for ListEvents; empty fields match
// everything.
type EventFilter struct {
	// After continues the feed after the event with this ID (the last ID
	// the reader has seen: the pull feed's after, the stream's
	// Last-Event-ID); empty starts at the oldest event. An ID the store
	// does not hold in the environment is EINVALID.
	After string
	// ConnectionID keeps the events of one connection.
	ConnectionID string
	// Types keeps the events of these types.
	Types []EventType
	// Limit is the page size: 0 means DefaultPageSize; at most MaxPageSize.
	Limit int
}

// Validate returns an EINVALID error for a malformed After, an unknown
// type or a limit out of range.
func (f EventFilter) Validate() error {
	if f.After != "" && !ValidEventID(f.After) {
		return Errorf(EINVALID, "The event ID %q to continue after is not an event ID.", f.After)
	}
	for _, t := range f.Types {
		if !t.Valid() {
			return Errorf(EINVALID, "Event type %q is not one dropbridge knows.", t)
		}
	}
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return Errorf(EINVALID, "The page size must be between 1 and %d.", MaxPageSize)
	}
	return nil
}

// PageSize returns the limit to use: Limit, or DefaultPageSize if zero.
func (f EventFilter) PageSize() int {
	if f.Limit == 0 {
		return DefaultPageSize
	}
	return f.Limit
}

// EventStore keeps the outbox of events: every event in the order the
// store committed it, which is the order of the feed. Its methods are safe
// for concurrent use.
//
// The feed's order is the order of commits, not of event IDs: IDs made by
// two processes may commit in the other order, and a reader that has seen
// an event never misses one committed before it. Within one connection,
// the order is the order in which its changes were applied.
type EventStore interface {
	// AppendEvents stores events in order, in one transaction, each with a
	// delivery for every enabled webhook endpoint it matches: for events
	// that come from no mirror change (connection.*). An invalid event is
	// EINVALID, an event of a connection unknown in its environment
	// ENOTFOUND, an ID already stored ECONFLICT; then nothing is stored.
	AppendEvents(ctx context.Context, events []Event) error
	// ListEvents returns the environment's events that f selects, in feed
	// order, after f.After. An invalid f is EINVALID.
	ListEvents(ctx context.Context, environmentID string, f EventFilter) ([]*Event, error)
	// FindEventByID returns the environment's event with id, or ENOTFOUND.
	FindEventByID(ctx context.Context, environmentID, id string) (*Event, error)
}
