package changes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/tracker"
)

// poll lists every polled kind of conn and stores what changed. A kind
// that fails does not stop the others; the errors come back joined.
func (s *Service) poll(ctx context.Context, conn *dropbridge.Connection) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if isTeam(conn) {
		add(pollKind(ctx, s, conn, dropbridge.MirrorTeamMembers, tracker.TeamMembers,
			func(ctx context.Context, c *dropbox.Client) ([]dropbox.TeamMemberInfoV2, error) {
				return collect(c.Team.MembersListV2All(ctx, nil))
			}))
		add(pollKind(ctx, s, conn, dropbridge.MirrorTeamFolders, tracker.TeamFolders,
			func(ctx context.Context, c *dropbox.Client) ([]dropbox.TeamFolderMetadata, error) {
				return collect(c.Team.TeamFolderListAll(ctx, nil))
			}))
		return errors.Join(errs...)
	}
	add(pollKind(ctx, s, conn, dropbridge.MirrorSharedLinks, tracker.SharedLinks,
		func(ctx context.Context, c *dropbox.Client) ([]dropbox.SharedLinkMetadata, error) {
			return collect(c.Sharing.ListSharedLinksAll(ctx, nil))
		}))
	var folders []dropbox.SharedFolderMetadata
	err := pollKind(ctx, s, conn, dropbridge.MirrorSharedFolders, tracker.SharedFolders,
		func(ctx context.Context, c *dropbox.Client) ([]dropbox.SharedFolderMetadata, error) {
			var err error
			folders, err = collect(c.Sharing.ListFoldersAll(ctx, nil))
			return folders, err
		})
	add(err)
	if err == nil {
		add(pollKind(ctx, s, conn, dropbridge.MirrorSharedFolderMembers, tracker.SharedFolderMembers,
			func(ctx context.Context, c *dropbox.Client) ([]tracker.SharedFolderMember, error) {
				return folderMembers(ctx, c, folders)
			}))
	}
	add(pollKind(ctx, s, conn, dropbridge.MirrorFileRequests, tracker.FileRequests,
		func(ctx context.Context, c *dropbox.Client) ([]dropbox.FileRequest, error) {
			return collect(c.FileRequests.ListV2All(ctx, nil))
		}))
	return errors.Join(errs...)
}

// collect returns every item of seq, or its first error.
func collect[T any](seq func(yield func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// folderMembers returns the members of every shared folder in folders.
func folderMembers(ctx context.Context, c *dropbox.Client, folders []dropbox.SharedFolderMetadata) ([]tracker.SharedFolderMember, error) {
	var out []tracker.SharedFolderMember
	for _, f := range folders {
		var all dropbox.SharedFolderMembers
		for page, err := range c.Sharing.ListFolderMembersPages(ctx, &dropbox.ListFolderMembersArgs{SharedFolderID: f.SharedFolderID}) {
			if err != nil {
				return nil, fmt.Errorf("members of shared folder %s: %w", f.SharedFolderID, err)
			}
			all.Users = append(all.Users, page.Users...)
			all.Groups = append(all.Groups, page.Groups...)
			all.Invitees = append(all.Invitees, page.Invitees...)
		}
		out = append(out, tracker.SharedFolderMembersOf(f.SharedFolderID, &all)...)
	}
	return out, nil
}

// missingScope reports whether err is Dropbox's missing_scope: the
// connection was not granted the kind's scope.
func missingScope(err error) bool {
	var auth *dropbox.AuthError
	return errors.As(err, &auth) && auth.Tag == "missing_scope"
}

// pollKind lists one polled kind of conn with list, diffs it against the
// mirror with k, and stores the new state and its events. The first poll of
// a kind makes no events. A stale mirror version (another process polled
// meanwhile) is not an error: that poll's result stands.
func pollKind[T any](ctx context.Context, s *Service, conn *dropbridge.Connection, kind dropbridge.MirrorKind, k tracker.Polled[T],
	list func(context.Context, *dropbox.Client) ([]T, error)) error {
	st := s.cfg.Store
	cur, err := st.FindMirrorCursor(ctx, conn.EnvironmentID, conn.ID, kind)
	if err != nil {
		return fmt.Errorf("changes: %s of %s: %w", kind, conn.ID, err)
	}
	stored, err := st.ListMirrorObjects(ctx, conn.EnvironmentID, conn.ID, kind)
	if err != nil {
		return fmt.Errorf("changes: %s of %s: %w", kind, conn.ID, err)
	}
	before := make([]T, len(stored))
	for i, o := range stored {
		if err := json.Unmarshal(o.Object, &before[i]); err != nil {
			return fmt.Errorf("changes: %s %q of %s: %w", kind, o.Key, conn.ID, err)
		}
	}
	var after []T
	err = s.cfg.Connect.Do(background(ctx), conn.EnvironmentID, conn.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		after, err = list(ctx, c)
		return err
	})
	if missingScope(err) {
		s.logger.Debug("polled kind skipped: the connection has no scope for it", "connection", conn.ID, "kind", kind)
		return nil
	}
	if err != nil {
		return fmt.Errorf("changes: list %s of %s: %w", kind, conn.ID, err)
	}
	changes, err := k.Diff(before, after)
	if err != nil {
		return fmt.Errorf("changes: %s of %s: %w", kind, conn.ID, err)
	}
	if len(changes) == 0 && cur.Version > 0 {
		return nil
	}
	ch := &dropbridge.MirrorChange{EnvironmentID: conn.EnvironmentID, ConnectionID: conn.ID, Kind: kind, IfVersion: cur.Version}
	for _, c := range changes {
		ch.Objects = append(ch.Objects, dropbridge.MirrorObject{Key: c.ObjectID, Object: c.After})
	}
	if cur.Version > 0 {
		if ch.Events, ch.ConsumedWrites, err = s.events(ctx, conn, changes, false); err != nil {
			return err
		}
	}
	if err := s.apply(ctx, ch); err != nil && !errors.Is(err, errVersion) {
		return err
	}
	return nil
}
