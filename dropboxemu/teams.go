package dropboxemu

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Teams (Dropbox Business, team.stone): a team owns a team space (its root
// namespace, shared by every member, who each keep a home namespace of
// their own), members with admin roles, and team folders (team_folders.go).
// Team apps hold a team token (Token.TeamID) and act on the team through
// the team/* routes, or as a member with Dropbox-API-Select-User or
// Dropbox-API-Select-Admin (auth.go). Mounting the team folders and member
// homes into the team space is the namespace view's business (path_root.go).

func init() {
	register("team/get_info", (*Server).teamGetInfo)
	register("team/token/get_authenticated_admin", (*Server).teamGetAuthenticatedAdmin)
}

// tblTeam holds teams by id, with their members and team folders.
const tblTeam = "team"

// Team is a Dropbox Business team. Members and Folders only grow but for
// permanently deleted team folders; a change mutates the Team in place and
// stores it again (the model is reloaded if the commit fails).
type Team struct {
	ID     string `json:"team_id"`
	Name   string `json:"name"`
	RootNS string `json:"root_namespace_id"` // the team space (namespace kind "team_space")
	// Licenses is TeamGetInfoResult.num_licensed_users.
	Licenses int `json:"num_licensed_users"`
	// Quota is the space the team shares (TeamSpaceAllocation.allocated).
	Quota   int64     `json:"quota"`
	Created time.Time `json:"created"`
	// TokenAdmin is the team_member_id of the admin who "authorised" the
	// team tokens the admin API hands out: the team's first team admin
	// (team/token/get_authenticated_admin).
	TokenAdmin string        `json:"token_admin,omitempty"`
	Members    []*teamMember `json:"members"`      // in the order they joined
	Folders    []*teamFolder `json:"team_folders"` // the team space root is not one of them
}

// teamMember is one member of a team.
type teamMember struct {
	AccountID  string    `json:"account_id"`
	MemberID   string    `json:"team_member_id"`
	Role       string    `json:"role"` // an AdminTier member
	ExternalID string    `json:"external_id,omitempty"`
	Joined     time.Time `json:"joined_on"`
	// Removed is when team/members/remove took the member off the team
	// (zero while they are on it): a removed member stays in
	// Team.Members, listed only with include_removed.
	Removed time.Time `json:"removed_on,omitzero"`
	// Disconnected is RemovedStatus.is_disconnected: the removed member's
	// account was kept as a Basic account (keep_account).
	Disconnected bool `json:"disconnected,omitempty"`
}

// removed reports whether m has left the team (team/members/remove).
func (m *teamMember) removed() bool { return !m.Removed.IsZero() }

// The AdminTier members (team.stone).
const (
	roleTeamAdmin     = "team_admin"
	roleUserMgmtAdmin = "user_management_admin"
	roleSupportAdmin  = "support_admin"
	roleMemberOnly    = "member_only"
)

// adminTiers are the roles a member may have.
var adminTiers = []string{roleTeamAdmin, roleUserMgmtAdmin, roleSupportAdmin, roleMemberOnly}

// defaultTeamLicenses and defaultTeamQuota are a new team's license count
// and shared space when the admin API does not say.
const (
	defaultTeamLicenses = 5
	defaultTeamQuota    = 5 << 40
)

// newTeamMemberID makes a team member id like Dropbox's: "dbmid:AA" and
// random characters, 41 in all (as in team/members/list_v2 answers; account
// ids are one shorter).
func newTeamMemberID() string { return ("dbmid:AA" + randomString(25))[:41] }

// member returns the membership of account id in tm, or nil (also for a
// removed member).
func (tm *Team) member(accountID string) *teamMember {
	for _, m := range tm.Members {
		if m.AccountID == accountID && !m.removed() {
			return m
		}
	}
	return nil
}

// memberByID returns the member whose team_member_id is id, or nil (also
// for a removed member).
func (tm *Team) memberByID(id string) *teamMember {
	for _, m := range tm.Members {
		if m.MemberID == id && !m.removed() {
			return m
		}
	}
	return nil
}

// teamOf returns the team of a and a's membership, or nils for an account
// outside any team. The caller holds s.mu.
func (s *Server) teamOf(a *Account) (*Team, *teamMember) {
	if a == nil || a.TeamID == "" {
		return nil, nil
	}
	tm := s.teams[a.TeamID]
	if tm == nil {
		return nil, nil
	}
	return tm, tm.member(a.ID)
}

// isTeamAdmin reports whether a is a team admin (AdminTier team_admin) of
// an existing team: only they may be named by Dropbox-API-Select-Admin
// (AuthError.invalid_select_admin: "not a Dropbox Business team admin").
// The caller holds s.mu.
func (s *Server) isTeamAdmin(a *Account) bool {
	_, m := s.teamOf(a)
	return m != nil && m.Role == roleTeamAdmin
}

// callTeam returns the team of c's team token. authenticate has checked
// that it exists. The caller holds s.mu.
func (s *Server) callTeam(c *call) (*Team, error) {
	if c.tok == nil || s.teams[c.tok.TeamID] == nil {
		return nil, fmt.Errorf("%s: the call's token belongs to no team", c.route)
	}
	return s.teams[c.tok.TeamID], nil
}

// readTeam runs read on the team of c's team token with s.mu read-locked.
func readTeam[T any](s *Server, c *call, read func(tm *Team) (T, error)) (T, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tm, err := s.callTeam(c)
	if err != nil {
		var zero T
		return zero, err
	}
	return read(tm)
}

// teamTx runs change on the team of c's team token and commits its tx, as
// lockedTx does.
func teamTx(s *Server, c *call, change func(t *tx, tm *Team) (any, error)) (any, error) {
	return lockedTx(s, func(t *tx) (any, error) {
		tm, err := s.callTeam(c)
		if err != nil {
			return nil, err
		}
		return change(t, tm)
	})
}

// teamNamespaces returns the namespaces a team owns: its team space, its
// team folders and its members' homes (removed members' not), by
// namespace id (creation order). The caller holds s.mu.
func (s *Server) teamNamespaces(tm *Team) []*Namespace {
	var out []*Namespace
	add := func(id string) {
		if ns := s.namespaces[id]; ns != nil {
			out = append(out, ns)
		}
	}
	add(tm.RootNS)
	for _, f := range tm.Folders {
		add(f.ID)
	}
	for _, m := range tm.Members {
		if a := s.accounts[m.AccountID]; a != nil && !m.removed() {
			add(a.HomeNS)
		}
	}
	// Namespace ids are counters, in decimal: compareRevs orders them too.
	slices.SortFunc(out, func(a, b *Namespace) int { return compareRevs(a.ID, b.ID) })
	return out
}

// The team's listings (members, team folders, namespaces) page the same
// way: items in a fixed order, each with a key, a decimal number, that
// grows along the list; a cursor holds the team, the page size and the key
// of the last item returned, so that it needs no state, survives restarts
// and sees the items added after it.

// teamCursor is what the cursor of a team listing holds.
type teamCursor struct {
	V     int    `json:"v"`
	Team  string `json:"t"`
	Limit int    `json:"l"`
	After string `json:"a,omitempty"`
	// Removed is MembersListArg.include_removed, for member listings.
	Removed bool `json:"r,omitempty"`
}

// teamListLimit is the limit of MembersListArg, TeamFolderListArg and
// TeamNamespacesListArg: UInt32(min_value=1, max_value=1000) = 1000.
const teamListLimit = 1000

// pageAfter finds the page of a listing of n items (keys key(i), ordered
// as compareRevs orders them) that follows cur: items[from:to], at most
// limit of them, and whether more follow. It moves cur past the page.
func pageAfter(n int, key func(i int) string, limit int, cur *teamCursor) (from, to int, more bool) {
	from = 0
	if cur.After != "" {
		from = sort.Search(n, func(i int) bool { return compareRevs(key(i), cur.After) > 0 })
	}
	to = min(n, from+limit)
	if to > from {
		cur.After = key(to - 1)
	}
	return from, to, to < n
}

// seqKey is the key of the i-th item of a listing that only grows.
func seqKey(i int) string { return strconv.Itoa(i + 1) }

// listTeam answers the first call of a team listing: it decodes arg, whose
// limit field is *limit, and renders the first page with page.
func listTeam(s *Server, c *call, arg any, limit **int64, page func(tm *Team, cur *teamCursor) any) (any, error) {
	if err := c.decode(arg); err != nil {
		return nil, err
	}
	n := teamListLimit
	if *limit != nil {
		if err := c.checkInt("limit", **limit, 1, teamListLimit); err != nil {
			return nil, err
		}
		n = int(**limit)
	}
	return readTeam(s, c, func(tm *Team) (any, error) {
		return page(tm, &teamCursor{V: 1, Team: tm.ID, Limit: n}), nil
	})
}

// continueTeam answers the continue route of a team listing whose cursors
// start with prefix: the page after the cursor, or invalid_cursor.
func continueTeam(s *Server, c *call, prefix string, page func(tm *Team, cur *teamCursor) any) (any, error) {
	var arg struct {
		Cursor string `json:"cursor"`
	}
	if err := c.decode(&arg, "cursor"); err != nil {
		return nil, err
	}
	return readTeam(s, c, func(tm *Team) (any, error) {
		var cur teamCursor
		if !decodeCursorToken(prefix, arg.Cursor, &cur) || cur.V != 1 || cur.Team != tm.ID || cur.Limit < 1 || cur.Limit > teamListLimit {
			return nil, routeError(u("invalid_cursor"))
		}
		return page(tm, &cur), nil
	})
}

// teamUsage is the space the team's namespaces use. The caller holds s.mu.
func (s *Server) teamUsage(tm *Team) int64 {
	var n int64
	for _, ns := range s.teamNamespaces(tm) {
		n += ns.usage
	}
	return n
}

// The team policies the emulator's teams have: Dropbox's defaults for a
// new team (team_policies.stone).

// teamSharingPolicies is the spec's TeamSharingPolicies.
type teamSharingPolicies struct {
	SharedFolderMemberPolicy           map[string]any `json:"shared_folder_member_policy"`
	SharedFolderJoinPolicy             map[string]any `json:"shared_folder_join_policy"`
	SharedLinkCreatePolicy             map[string]any `json:"shared_link_create_policy"`
	GroupCreationPolicy                map[string]any `json:"group_creation_policy"`
	SharedFolderLinkRestrictionPolicy  map[string]any `json:"shared_folder_link_restriction_policy"`
	EnforceLinkPasswordPolicy          map[string]any `json:"enforce_link_password_policy"`
	DefaultLinkExpirationDaysPolicy    map[string]any `json:"default_link_expiration_days_policy"`
	SharedLinkDefaultPermissionsPolicy map[string]any `json:"shared_link_default_permissions_policy"`
}

func defaultSharingPolicies() teamSharingPolicies {
	return teamSharingPolicies{
		SharedFolderMemberPolicy:           u("anyone"),
		SharedFolderJoinPolicy:             u("from_anyone"),
		SharedLinkCreatePolicy:             u("default_public"),
		GroupCreationPolicy:                u("admins_only"),
		SharedFolderLinkRestrictionPolicy:  u("anyone"),
		EnforceLinkPasswordPolicy:          u("optional"),
		DefaultLinkExpirationDaysPolicy:    u("none"),
		SharedLinkDefaultPermissionsPolicy: u("default"),
	}
}

// teamMemberPolicies is the spec's TeamMemberPolicies.
type teamMemberPolicies struct {
	Sharing               teamSharingPolicies `json:"sharing"`
	EmmState              map[string]any      `json:"emm_state"`
	OfficeAddin           map[string]any      `json:"office_addin"`
	SuggestMembersPolicy  map[string]any      `json:"suggest_members_policy"`
	TopLevelContentPolicy map[string]any      `json:"top_level_content_policy"`
}

// fullTeam is the spec's FullTeam (users.stone), in FullAccount.team.
type fullTeam struct {
	ID                    string              `json:"id"`
	Name                  string              `json:"name"`
	SharingPolicies       teamSharingPolicies `json:"sharing_policies"`
	OfficeAddinPolicy     map[string]any      `json:"office_addin_policy"`
	TopLevelContentPolicy map[string]any      `json:"top_level_content_policy"`
}

func fullTeamOf(tm *Team) *fullTeam {
	return &fullTeam{ID: tm.ID, Name: tm.Name, SharingPolicies: defaultSharingPolicies(),
		OfficeAddinPolicy: u("disabled"), TopLevelContentPolicy: u("admin_only")}
}

// teamGetInfoResult is the spec's TeamGetInfoResult.
type teamGetInfoResult struct {
	Name                string             `json:"name"`
	TeamID              string             `json:"team_id"`
	NumLicensedUsers    int                `json:"num_licensed_users"`
	NumProvisionedUsers int                `json:"num_provisioned_users"`
	NumUsedLicenses     int                `json:"num_used_licenses"`
	Policies            teamMemberPolicies `json:"policies"`
}

func (s *Server) teamGetInfo(c *call) (any, error) {
	return readTeam(s, c, func(tm *Team) (any, error) {
		// Every member on the team is active or suspended (invitations are
		// not emulated): each is provisioned and uses a license; removed
		// members do not.
		n := 0
		for _, m := range tm.Members {
			if !m.removed() {
				n++
			}
		}
		return teamGetInfoResult{Name: tm.Name, TeamID: tm.ID, NumLicensedUsers: tm.Licenses,
			NumProvisionedUsers: n, NumUsedLicenses: n,
			Policies: teamMemberPolicies{Sharing: defaultSharingPolicies(), EmmState: u("disabled"),
				OfficeAddin: u("disabled"), SuggestMembersPolicy: u("enabled"), TopLevelContentPolicy: u("admin_only")}}, nil
	})
}

// teamGetAuthenticatedAdmin answers which admin authorised the call's
// token: the admin who gave consent to an OAuth team token (Token.Admin),
// or for the admin API's team tokens the team's first team admin.
func (s *Server) teamGetAuthenticatedAdmin(c *call) (any, error) {
	return readTeam(s, c, func(tm *Team) (any, error) {
		id := tm.TokenAdmin
		if c.tok.Admin != "" {
			id = c.tok.Admin
		}
		if id == "" {
			return nil, routeError(u("mapping_not_found"))
		}
		m := tm.memberByID(id)
		if m == nil {
			return nil, routeError(u("admin_not_active"))
		}
		a := s.accounts[m.AccountID]
		if m.Role != roleTeamAdmin || a == nil || a.Disabled {
			return nil, routeError(u("admin_not_active"))
		}
		return map[string]any{"admin_profile": s.memberProfile(tm, m)}, nil
	})
}

// The admin API's teams.

type createTeamArg struct {
	Name     string `json:"name"`
	Licenses int    `json:"num_licensed_users"` // 0: 5
	Quota    int64  `json:"quota"`              // bytes the team shares; 0: 5 TiB
}

// createTeamResult is what POST /_emulator/teams answers.
type createTeamResult struct {
	TeamID          string `json:"team_id"`
	Name            string `json:"name"`
	RootNamespaceID string `json:"root_namespace_id"`
	AccessToken     string `json:"access_token"`
}

// adminCreateTeam makes a team with its team space and a team token with
// every scope.
func (s *Server) adminCreateTeam(w http.ResponseWriter, r *http.Request) {
	var arg createTeamArg
	if !decodeAdmin(w, r, &arg) {
		return
	}
	switch {
	case strings.TrimSpace(arg.Name) == "":
		adminError(w, http.StatusBadRequest, "name is required")
		return
	case arg.Licenses < 0:
		adminError(w, http.StatusBadRequest, "num_licensed_users must be >= 0")
		return
	case arg.Quota < 0:
		adminError(w, http.StatusBadRequest, "quota must be >= 0 bytes")
		return
	}
	if arg.Licenses == 0 {
		arg.Licenses = defaultTeamLicenses
	}
	if arg.Quota == 0 {
		arg.Quota = defaultTeamQuota
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var t tx
	tm := &Team{ID: newTeamID(), Name: arg.Name, Licenses: arg.Licenses, Quota: arg.Quota,
		Created: s.clock.Now(), Members: []*teamMember{}, Folders: []*teamFolder{}}
	tm.RootNS = s.nextNS(&t)
	ns := newNamespace(tm.RootNS, "team_space", tm.ID)
	tok := &Token{Token: newAccessToken(), Kind: "access", TeamID: tm.ID, Scopes: slices.Clone(allScopes)}
	t.put(tblNS, ns.ID, ns)
	t.put(tblTeam, tm.ID, tm)
	t.put(tblToken, tok.Token, tok)
	if !s.adminCommit(w, &t) {
		return
	}
	s.namespaces[ns.ID] = ns
	s.teams[tm.ID] = tm
	s.tokens[tok.Token] = tok
	writeJSON(w, http.StatusOK, createTeamResult{TeamID: tm.ID, Name: tm.Name, RootNamespaceID: tm.RootNS, AccessToken: tok.Token})
}

// adminListTeams answers GET /_emulator/teams: every team with its members
// and team folders, by creation.
func (s *Server) adminListTeams(w http.ResponseWriter) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	teams := sortedValues(s.teams, func(a, b *Team) int { return a.Created.Compare(b.Created) })
	writeJSON(w, http.StatusOK, map[string]any{"teams": teams})
}

// checkJoin checks the role and external id an account is to join tm
// with and returns the role ("" means team_admin for the first member,
// member_only after). The caller holds s.mu.
func checkJoin(tm *Team, role, externalID string) (string, error) {
	switch {
	case role == "" && len(tm.Members) == 0:
		role = roleTeamAdmin
	case role == "":
		role = roleMemberOnly
	case !slices.Contains(adminTiers, role):
		return "", fmt.Errorf("role must be one of %s, not %q", strings.Join(adminTiers, ", "), role)
	}
	if len([]rune(externalID)) > 64 {
		return "", fmt.Errorf("external_id must be at most 64 characters (MemberExternalId)")
	}
	if externalID != "" && slices.ContainsFunc(tm.Members, func(m *teamMember) bool { return !m.removed() && m.ExternalID == externalID }) {
		return "", fmt.Errorf("a member of team %q has external_id %q", tm.ID, externalID)
	}
	return role, nil
}

// joinTeam makes acct, a new account, a member of tm with role (checked by
// checkJoin): a business account whose root is the team space, recording
// the change of tm in t. The caller holds s.mu and stores acct.
func (s *Server) joinTeam(t *tx, tm *Team, acct *Account, role, externalID string) {
	m := &teamMember{AccountID: acct.ID, MemberID: newTeamMemberID(), Role: role, ExternalID: externalID, Joined: s.clock.Now()}
	acct.AccountType = "business"
	acct.TeamID, acct.TeamMemberID, acct.RootNS = tm.ID, m.MemberID, tm.RootNS
	tm.Members = append(tm.Members, m)
	// The member's home is their folder at the top of the team space, seen
	// by them alone.
	if root := s.namespaces[tm.RootNS]; root != nil {
		s.mountAt(t, root, acct.DisplayName, acct.HomeNS, acct.ID)
	}
	if tm.TokenAdmin == "" && role == roleTeamAdmin {
		tm.TokenAdmin = m.MemberID
	}
	t.put(tblTeam, tm.ID, tm)
}
