package dropboxemu

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// allScopes are the scopes the emulator knows; admin-created tokens get all.
var allScopes = []string{
	"account_info.read", "account_info.write",
	"contacts.read", "contacts.write",
	"file_requests.read", "file_requests.write",
	"files.content.read", "files.content.write",
	"files.metadata.read", "files.metadata.write",
	"files.permanent_delete",
	"openid", "email", "profile",
	"sharing.read", "sharing.write",
	"team_data.content.read", "team_data.content.write",
	"team_data.governance.read", "team_data.governance.write",
	"team_data.member", "team_data.team_space",
	"team_info.read", "team_info.write",
	"members.read", "members.write", "members.delete",
	"groups.read", "groups.write",
	"sessions.list", "sessions.modify",
	"events.read",
}

// expandScopes adds what the App Console adds by itself: every app may read
// account info, and a write scope brings its read scope.
func expandScopes(scopes []string) []string {
	out := slices.Clone(scopes)
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add("account_info.read")
	for _, sc := range scopes {
		if base, ok := strings.CutSuffix(sc, ".write"); ok {
			add(base + ".read")
		}
		if strings.HasPrefix(sc, "files.content.") || strings.HasPrefix(sc, "sharing.") || strings.HasPrefix(sc, "file_requests.") {
			add("files.metadata.read")
		}
	}
	slices.Sort(out)
	return out
}

func knownScope(s string) bool { return slices.Contains(allScopes, s) }

// authorization returns the credentials of r: from the Authorization header
// or the authorization URL parameter.
func authorization(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		return a
	}
	return r.URL.Query().Get("authorization")
}

// authValue is how a 400 quotes the Authorization header: the scheme and
// at most five characters of the credential, so that no secret is echoed.
func authValue(authz string) string {
	scheme, cred, found := strings.Cut(strings.TrimSpace(authz), " ")
	if !found {
		scheme, cred = "", scheme
	}
	cred = strings.TrimSpace(cred)
	if scheme == "" && (strings.EqualFold(cred, "bearer") || strings.EqualFold(cred, "basic")) {
		return cred
	}
	if r := []rune(cred); len(r) > 5 {
		cred = string(r[:5]) + "..."
	}
	if scheme == "" {
		return cred
	}
	return scheme + " " + cred
}

// wrongAuth is Dropbox's 400 for an Authorization header of the wrong kind.
func wrongAuth(route, authz, expecting string) *apiError {
	return badInput(route, `Invalid authorization value in HTTP header "Authorization": "%s".  Expecting "%s".`, authValue(authz), expecting)
}

const (
	expectBearer = "Bearer <oauth2-access-token>"
	expectBasic  = "Basic <base64(APP_KEY:APP_SECRET)>"
)

// authenticate checks the call's credentials against its route's auth type
// and scope, and fills c.tok, c.acct and c.app.
func (s *Server) authenticate(c *call) *apiError {
	authz := authorization(c.r)
	kinds := strings.Split(strings.ReplaceAll(c.spec.Auth, " ", ""), ",")
	if c.spec.Auth == "noauth" {
		if authz != "" {
			return badInput(c.route, "Your request includes an Authorization header, but this function does not use it.")
		}
		return nil
	}
	if authz == "" {
		return badInput(c.route, `Must provide HTTP header "Authorization" or URL parameter "authorization".`)
	}
	appRoute := slices.Contains(kinds, "app")
	tokenRoute := slices.Contains(kinds, "user") || slices.Contains(kinds, "team")
	expecting := expectBearer
	if !tokenRoute {
		expecting = expectBasic
	}
	scheme, cred, _ := strings.Cut(authz, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "basic") && appRoute:
		raw, err := base64.StdEncoding.DecodeString(cred)
		key, secret, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok {
			return wrongAuth(c.route, authz, expectBasic)
		}
		s.mu.RLock()
		app := s.apps[key]
		s.mu.RUnlock()
		if app == nil || subtle.ConstantTimeCompare([]byte(app.Secret), []byte(secret)) != 1 {
			return authError(u("invalid_access_token"))
		}
		c.app = app
		return nil
	case strings.EqualFold(scheme, "bearer") && tokenRoute && cred != "":
	default:
		return wrongAuth(c.route, authz, expecting)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	tok := s.tokens[cred]
	if tok == nil || tok.Kind != "access" {
		return authError(u("invalid_access_token"))
	}
	if !tok.ExpiresAt.IsZero() && !s.clock.Now().Before(tok.ExpiresAt) {
		return authError(u("expired_access_token"))
	}
	if c.spec.Scope != "" && !slices.Contains(tok.Scopes, c.spec.Scope) {
		return authError(uf("missing_scope", map[string]any{"required_scope": c.spec.Scope}))
	}
	c.tok = tok
	userRoute := slices.Contains(kinds, "user")
	teamRoute := slices.Contains(kinds, "team")
	switch {
	case tok.AccountID != "":
		if !userRoute {
			return badInput(c.route, "This API function operates on a Dropbox Business team, but the OAuth 2 access token you provided is for a single Dropbox account. Use a team access token.")
		}
		acct := s.accounts[tok.AccountID]
		if acct == nil {
			return authError(u("invalid_access_token"))
		}
		if acct.Disabled {
			return authError(u("user_suspended"))
		}
		c.acct = acct
	case tok.TeamID != "":
		if s.teams[tok.TeamID] == nil {
			return authError(u("invalid_access_token"))
		}
		member, e := s.selectTeamMember(c, tok.TeamID)
		if e != nil {
			return e
		}
		if member != nil && userRoute {
			c.acct = member
			return nil
		}
		if !teamRoute {
			return badInput(c.route, `This API function operates on a single Dropbox account, but the OAuth 2 access token you provided is for an entire Dropbox Business team. Since your API app key has team member file access permissions, you can operate on a team member's Dropbox by providing the "Dropbox-API-Select-User" HTTP header or "select_user" URL parameter to specify the exact user https://www.dropbox.com/developers/documentation/http/teams.`)
		}
	default:
		return authError(u("invalid_access_token"))
	}
	return nil
}

// selectTeamMember returns the member of team a team token acts as: the
// one Dropbox-API-Select-User names (header or select_user URL parameter),
// or the team admin Dropbox-API-Select-Admin names (or select_admin), or
// nil when neither is given. The caller holds s.mu.
func (s *Server) selectTeamMember(c *call, teamID string) (*Account, *apiError) {
	selUser, selAdmin := selectHeader(c, "Dropbox-API-Select-User", "select_user"), selectHeader(c, "Dropbox-API-Select-Admin", "select_admin")
	switch {
	case selUser != "" && selAdmin != "":
		return nil, badInput(c.route, `Provide either "Dropbox-API-Select-User" or "Dropbox-API-Select-Admin", not both.`)
	case selUser != "":
		if !memberRefFormat(selUser) {
			return nil, badInput(c.route, "Invalid select user id format")
		}
		member := s.teamMember(teamID, selUser)
		switch {
		case member == nil:
			return nil, authError(u("invalid_select_user"))
		case member.Disabled:
			return nil, authError(u("user_suspended"))
		}
		return member, nil
	case selAdmin != "":
		if strings.Contains(c.spec.Auth, "user") && c.spec.SelectAdminMode == "" {
			// The spec lets an admin act through this user route only with
			// select_admin_mode; here it has none.
			return nil, badInput(c.route, `This API function does not support "Dropbox-API-Select-Admin": act as the member with "Dropbox-API-Select-User".`)
		}
		if !memberRefFormat(selAdmin) {
			return nil, badInput(c.route, "Invalid select admin id format")
		}
		member := s.teamMember(teamID, selAdmin)
		switch {
		case member == nil || !s.isTeamAdmin(member):
			return nil, authError(u("invalid_select_admin"))
		case member.Disabled:
			return nil, authError(u("user_suspended"))
		}
		return member, nil
	}
	return nil, nil
}

// selectHeader is the value of a select header, or of its URL parameter.
func selectHeader(c *call, header, param string) string {
	if v := c.r.Header.Get(header); v != "" {
		return v
	}
	return c.r.URL.Query().Get(param)
}

// memberRefFormat reports whether v may name a team member: a team member
// id or an account id. Dropbox answers 400 for anything else (an email,
// an id without its "dbmid:" prefix).
func memberRefFormat(v string) bool {
	return strings.HasPrefix(v, "dbmid:") || strings.HasPrefix(v, "dbid:")
}

// teamMember finds a member of team by team member id ("dbmid:...") or account id.
func (s *Server) teamMember(teamID, sel string) *Account {
	for _, a := range s.accounts {
		if a.TeamID == teamID && (a.TeamMemberID == sel || a.ID == sel) {
			return a
		}
	}
	return nil
}
