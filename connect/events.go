package connect

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dropbridge/dropbridge"
)

// Connection events.
//
// The service tells applications of what it does to connections through
// the event feed: connection.created when a connect session makes a new
// connection (connecting the same user and account again updates it and
// makes none), connection.needs_reauth when Dropbox refuses its tokens,
// connection.revoked when it is deleted. The event is appended after the
// status change is stored, in its own transaction: when appending fails
// the change stands and the failure is logged.

// connectionChanged tells OnConnection of a connection that changed from
// before (nil for a new one) to after, and appends an event of type typ
// about it, unless typ is "".
func (s *Service) connectionChanged(ctx context.Context, typ dropbridge.EventType, before, after *dropbridge.Connection) {
	if s.OnConnection != nil {
		s.OnConnection(after)
	}
	if s.Events == nil || typ == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := s.appendConnectionEvent(ctx, typ, before, after); err != nil {
		s.logger().Warn("connection event not recorded", "connection", after.ID, "type", typ, "error", err)
	}
}

func (s *Service) appendConnectionEvent(ctx context.Context, typ dropbridge.EventType, before, after *dropbridge.Connection) error {
	now := s.now()
	id, err := s.eventIDs.New(now)
	if err != nil {
		return err
	}
	ev := dropbridge.Event{ID: id, Type: typ, SchemaVersion: dropbridge.EventSchemaVersion, Time: now.UTC(),
		EnvironmentID: after.EnvironmentID, ConnectionID: after.ID, ExternalUserID: after.ExternalUserID,
		Origin: dropbridge.OriginDropbox, ObjectID: after.ID}
	if typ == dropbridge.EventConnectionCreated || typ == dropbridge.EventConnectionRevoked {
		// The connector did it on the application's request.
		ev.Origin = dropbridge.OriginAPI
	}
	if ev.After, err = json.Marshal(after); err != nil {
		return fmt.Errorf("encode connection: %w", err)
	}
	if before != nil {
		if ev.Before, err = json.Marshal(before); err != nil {
			return fmt.Errorf("encode connection: %w", err)
		}
	}
	return s.Events.AppendEvents(ctx, []dropbridge.Event{ev})
}
