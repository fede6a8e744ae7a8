package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Polled says how to diff one kind of object that dropbridge polls, since
// Dropbox sends no notification for it: its key, and the event types of its
// changes. Two states of an object differ when their JSON differs.
type Polled[T any] struct {
	// Key returns the object's stable ID (the Change's ObjectID); it must
	// not be empty.
	Key func(*T) string
	// Created, Updated and Removed are the event types of an object that
	// appeared, changed, and went away.
	Created, Updated, Removed dropbridge.EventType
	// Transition, when set, returns the event type of a change from before
	// to after that is more than an update (a file request closed, a team
	// folder archived), or "" for a plain update.
	Transition func(before, after *T) dropbridge.EventType
}

// Diff returns the changes from the listing before to the listing after, in
// the order of their keys. A listing that holds an object without a key or
// two objects of one key is an error, and no changes are returned.
func (k Polled[T]) Diff(before, after []T) ([]Change, error) {
	old, err := k.byKey(before)
	if err != nil {
		return nil, fmt.Errorf("previous listing: %w", err)
	}
	now, err := k.byKey(after)
	if err != nil {
		return nil, fmt.Errorf("new listing: %w", err)
	}
	keys := make([]string, 0, len(old)+len(now))
	for key := range old {
		keys = append(keys, key)
	}
	for key := range now {
		if _, ok := old[key]; !ok {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	var out []Change
	for _, key := range keys {
		o, n := old[key], now[key]
		switch {
		case n.raw == nil:
			out = append(out, Change{Type: k.Removed, ObjectID: key, Before: o.raw})
		case o.raw == nil:
			out = append(out, Change{Type: k.Created, ObjectID: key, After: n.raw})
		case !bytes.Equal(o.raw, n.raw):
			t := k.Updated
			if k.Transition != nil {
				if tt := k.Transition(o.v, n.v); tt != "" {
					t = tt
				}
			}
			out = append(out, Change{Type: t, ObjectID: key, Before: o.raw, After: n.raw})
		}
	}
	return out, nil
}

type polledObject[T any] struct {
	v   *T
	raw json.RawMessage
}

func (k Polled[T]) byKey(list []T) (map[string]polledObject[T], error) {
	out := make(map[string]polledObject[T], len(list))
	for i := range list {
		v := &list[i]
		key := k.Key(v)
		if key == "" {
			return nil, fmt.Errorf("object %d has no key", i)
		}
		if _, ok := out[key]; ok {
			return nil, fmt.Errorf("two objects of key %q", key)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %q: %w", key, err)
		}
		out[key] = polledObject[T]{v, raw}
	}
	return out, nil
}

// SharedLinks diffs sharing/list_shared_links, keyed by URL (a file or
// folder may have several links; a link's id is its target's).
var SharedLinks = Polled[dropbox.SharedLinkMetadata]{
	Key:     func(l *dropbox.SharedLinkMetadata) string { return l.URL() },
	Created: dropbridge.EventSharedLinkCreated, Updated: dropbridge.EventSharedLinkUpdated, Removed: dropbridge.EventSharedLinkRevoked,
}

// SharedFolders diffs sharing/list_folders, keyed by shared folder ID. A
// folder gone from the listing was unshared, or the account left it.
var SharedFolders = Polled[dropbox.SharedFolderMetadata]{
	Key:     func(f *dropbox.SharedFolderMetadata) string { return f.SharedFolderID },
	Created: dropbridge.EventSharedFolderCreated, Updated: dropbridge.EventSharedFolderUpdated, Removed: dropbridge.EventSharedFolderDeleted,
}

// SharedFolderMember is one member of a shared folder: a user, a group or
// an invitee, with the shared folder's ID.
type SharedFolderMember struct {
	SharedFolderID string                         `json:"shared_folder_id"`
	User           *dropbox.UserMembershipInfo    `json:"user,omitempty"`
	Group          *dropbox.GroupMembershipInfo   `json:"group,omitempty"`
	Invitee        *dropbox.InviteeMembershipInfo `json:"invitee,omitempty"`
}

// Key returns "<shared folder id>/user:<account id>", ".../group:<group
// id>" or ".../invitee:<email>"; "" for a member of none of these kinds.
func (m *SharedFolderMember) Key() string {
	var k string
	switch {
	case m.User != nil && m.User.User.AccountID != "":
		k = "user:" + m.User.User.AccountID
	case m.Group != nil && m.Group.Group.GroupID != "":
		k = "group:" + m.Group.Group.GroupID
	case m.Invitee != nil && m.Invitee.Invitee.Email != "":
		k = "invitee:" + strings.ToLower(m.Invitee.Invitee.Email)
	default:
		return ""
	}
	return m.SharedFolderID + "/" + k
}

// SharedFolderMembersOf returns the members of one listing of
// sharing/list_folder_members (all its pages joined).
func SharedFolderMembersOf(sharedFolderID string, ms *dropbox.SharedFolderMembers) []SharedFolderMember {
	var out []SharedFolderMember
	for i := range ms.Users {
		out = append(out, SharedFolderMember{SharedFolderID: sharedFolderID, User: &ms.Users[i]})
	}
	for i := range ms.Groups {
		out = append(out, SharedFolderMember{SharedFolderID: sharedFolderID, Group: &ms.Groups[i]})
	}
	for i := range ms.Invitees {
		out = append(out, SharedFolderMember{SharedFolderID: sharedFolderID, Invitee: &ms.Invitees[i]})
	}
	return out
}

// SharedFolderMembers diffs the members of shared folders. A member whose
// access level or permissions change is updated.
var SharedFolderMembers = Polled[SharedFolderMember]{
	Key:     (*SharedFolderMember).Key,
	Created: dropbridge.EventSharedFolderMemberAdded, Updated: dropbridge.EventSharedFolderMemberUpdated,
	Removed: dropbridge.EventSharedFolderMemberRemoved,
}

// FileRequests diffs file_requests/list_v2, keyed by ID. An open request
// that is closed is file_request.closed (its other changes go with it).
var FileRequests = Polled[dropbox.FileRequest]{
	Key:     func(r *dropbox.FileRequest) string { return r.ID },
	Created: dropbridge.EventFileRequestCreated, Updated: dropbridge.EventFileRequestUpdated, Removed: dropbridge.EventFileRequestDeleted,
	Transition: func(before, after *dropbox.FileRequest) dropbridge.EventType {
		if before.IsOpen && !after.IsOpen {
			return dropbridge.EventFileRequestClosed
		}
		return ""
	},
}

// TeamMembers diffs team/members/list_v2, keyed by team member ID. A status
// change (suspended, active again) is an update.
var TeamMembers = Polled[dropbox.TeamMemberInfoV2]{
	Key:     func(m *dropbox.TeamMemberInfoV2) string { return m.Profile.TeamMemberID },
	Created: dropbridge.EventTeamMemberAdded, Updated: dropbridge.EventTeamMemberUpdated, Removed: dropbridge.EventTeamMemberRemoved,
}

// TeamFolders diffs team/team_folder/list, keyed by team folder ID. A team
// folder whose status becomes archived is team_folder.archived.
var TeamFolders = Polled[dropbox.TeamFolderMetadata]{
	Key:     func(f *dropbox.TeamFolderMetadata) string { return f.TeamFolderID },
	Created: dropbridge.EventTeamFolderCreated, Updated: dropbridge.EventTeamFolderUpdated, Removed: dropbridge.EventTeamFolderDeleted,
	Transition: func(before, after *dropbox.TeamFolderMetadata) dropbridge.EventType {
		if before.Status.Tag != dropbox.TeamFolderStatusArchived && after.Status.Tag == dropbox.TeamFolderStatusArchived {
			return dropbridge.EventTeamFolderArchived
		}
		return ""
	},
}
