package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Team connections and team spaces.
//
// A connection holds either a user's token or a team's (a team-linked app,
// authorised by a team admin). Do finds out which the first time it needs
// to, with one users/get_current_account call that Dropbox answers for a
// user's token and refuses (400) for a team's, and remembers it for the
// life of the Service:
//
//   - A user's connection sees the user's whole root namespace: for a
//     member of a team with a team space, the team space (team folders
//     beside the member's own folder), as in Dropbox's desktop app;
//     otherwise the home namespace. Connections without a team never need
//     the call.
//   - A team's connection calls the team routes as the admin who authorised
//     it; with AsMember in the context, it acts as that member on the
//     member's routes (Dropbox-API-Select-User) and sees the member's team
//     space; with AsAdmin, as that admin (Dropbox-API-Select-Admin), on the
//     routes Dropbox lets an admin use that way.

// actorKey holds the actor of a context's calls.
type actorKey struct{}

// actor is whom a team connection's calls act as.
type actor struct {
	member string // Dropbox-API-Select-User
	admin  string // Dropbox-API-Select-Admin
}

// AsMember returns a context in which Do's calls through a team's
// connection act as the team member with this team_member_id ("dbmid:...")
// or account ID ("dbid:..."). Through a user's connection Do refuses such
// a context (EINVALID): a user's token acts as its user only. A member the
// team does not have is ENOTFOUND, a suspended one EFORBIDDEN; neither
// counts against the connection's token.
func AsMember(ctx context.Context, teamMemberID string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{member: teamMemberID})
}

// AsAdmin returns a context in which Do's calls through a team's
// connection act as the team admin with this team_member_id, on the routes
// that Dropbox lets an admin use for content outside their own (see
// Dropbox-API-Select-Admin in
// https://www.dropbox.com/developers/documentation/http/teams). Through a
// user's connection Do refuses such a context (EINVALID); a member who is
// not an admin of the team is ENOTFOUND.
func AsAdmin(ctx context.Context, teamMemberID string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{admin: teamMemberID})
}

// actorOf returns the actor ctx names, if any.
func actorOf(ctx context.Context) actor {
	a, _ := ctx.Value(actorKey{}).(actor)
	return a
}

// space is what Do learned of a connection (or of one member through a
// team's connection): whether its token is a team's, and the root
// namespace to use as path root ("" for the home namespace).
type space struct {
	team bool
	root string
}

// spaceKey is the key of a connection's space in Service.spaces, and of a
// member's through a team connection.
func spaceKey(connectionID, member string) string { return connectionID + "\x00" + member }

// run calls fn with c, a client of conn, set up for whom ctx acts as and
// for the team space; it explains the errors that come from using a
// team's connection as a user's, or the other way round.
func (s *Service) run(ctx context.Context, conn *dropbridge.Connection, c *dropbox.Client, fn func(ctx context.Context, c *dropbox.Client) error) error {
	a := actorOf(ctx)
	var sp space
	if conn.TeamID != "" {
		var err error
		if sp, err = s.spaceOf(ctx, spaceKey(conn.ID, ""), c); err != nil {
			return err
		}
	}
	key := spaceKey(conn.ID, "")
	switch {
	case !sp.team && (a.member != "" || a.admin != ""):
		return dropbridge.Errorf(dropbridge.EINVALID, "Connection %q holds a user's token, which acts as that user only: leave out the team member to act as (X-Dropbridge-Member, X-Dropbridge-Admin).", conn.ID)
	case sp.team && a.member != "":
		c = c.AsMember(a.member)
		key = spaceKey(conn.ID, a.member)
		member, err := s.spaceOf(ctx, key, c)
		if err != nil {
			return s.explain(err, conn, a, sp, key)
		}
		if member.root != "" {
			c = c.WithRoot(member.root)
		}
	case sp.team && a.admin != "":
		c = c.AsAdmin(a.admin)
	case sp.root != "":
		c = c.WithRoot(sp.root)
	}
	err := fn(ctx, c)
	return s.explain(err, conn, a, sp, key)
}

// explain returns err of a call through conn acting as a, with the
// mistakes of acting as the wrong kind of account said plainly. Dropbox's
// refusal of the member or admin acted as is about that member, not the
// connection's token: it comes back without Dropbox's error, so that Do
// does not take it for a refused token.
func (s *Service) explain(err error, conn *dropbridge.Connection, a actor, sp space, key string) error {
	var root *dropbox.PathRootError
	var bad *dropbox.BadInputError
	var auth *dropbox.AuthError
	who := a.member + a.admin
	switch {
	case who != "" && errors.As(err, &auth) && (auth.Tag == "invalid_select_user" || auth.Tag == "invalid_select_admin"):
		return dropbridge.Errorf(dropbridge.ENOTFOUND, "The team of connection %q has no member %q that can be acted as this way (%s): give the team_member_id of an active member (an admin for X-Dropbridge-Admin).", conn.ID, who, auth.Tag)
	case who != "" && errors.As(err, &auth) && auth.Tag == "user_suspended":
		return dropbridge.Errorf(dropbridge.EFORBIDDEN, "Team member %q is suspended (user_suspended): act as another member.", who)
	case errors.As(err, &root):
		// The account's root moved (the team got a team space, or the
		// user changed teams): learn it again next time.
		s.spaces.Delete(key)
	case errors.As(err, &bad) && sp.team && a.member == "" && a.admin == "" && !strings.HasPrefix(bad.Route, "team/"):
		return dropbridge.Errorf(dropbridge.EINVALID, "Connection %q is a team's connection, and %s works on one member's Dropbox: name the team member to act as (X-Dropbridge-Member: dbmid:...).", conn.ID, bad.Route)
	case errors.As(err, &bad) && !sp.team && strings.HasPrefix(bad.Route, "team/"):
		return dropbridge.Errorf(dropbridge.EINVALID, "Connection %q holds a user's token, and %s needs a team's: connect a team-linked app as a team admin.", conn.ID, bad.Route)
	}
	return err
}

// spaceOf returns the space of the account c acts as, asking Dropbox the
// first time and remembering the answer under key.
func (s *Service) spaceOf(ctx context.Context, key string, c *dropbox.Client) (space, error) {
	if v, ok := s.spaces.Load(key); ok {
		return v.(space), nil
	}
	acct, err := c.Users.GetCurrentAccount(ctx)
	var bad *dropbox.BadInputError
	var sp space
	switch {
	case errors.As(err, &bad):
		// Dropbox refuses a user route to a team's token that selects
		// no member: the connection is a team's.
		sp.team = true
	case err != nil:
		return space{}, err
	default:
		if root := acct.RootInfo.RootNamespaceID(); root != "" && root != acct.RootInfo.HomeNamespaceID() {
			sp.root = root
		}
	}
	s.spaces.Store(key, sp)
	return sp, nil
}

// revokeToken revokes the token of conn that c holds (auth/token/revoke,
// which also revokes its refresh token). That is a user route, which
// Dropbox refuses to a team's token that selects no member: a team's token
// revokes itself acting as the admin who authorised it.
func revokeToken(ctx context.Context, conn *dropbridge.Connection, c *dropbox.Client) error {
	err := c.Auth.TokenRevoke(ctx)
	var bad *dropbox.BadInputError
	if conn.TeamID == "" || !errors.As(err, &bad) {
		return err
	}
	admin, err := c.Team.TokenGetAuthenticatedAdmin(ctx)
	if err != nil {
		return fmt.Errorf("find the admin who linked the team: %w", err)
	}
	return c.AsMember(admin.AdminProfile.TeamMemberID).Auth.TokenRevoke(ctx)
}
