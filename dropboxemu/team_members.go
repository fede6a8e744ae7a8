package dropboxemu

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Team members (team.stone): listing them and looking them up by
// team_member_id, external id or email. Members join through the admin API
// (POST /_emulator/accounts with team_id); every one is active, suspended
// when its account is disabled (team/members/suspend), or removed
// (team/members/remove). Changing them is team_members_change.go's.

func init() {
	register("team/members/list_v2", (*Server).membersListV2)
	register("team/members/list/continue_v2", (*Server).membersListContinueV2)
	register("team/members/list", (*Server).membersListV1)
	register("team/members/list/continue", (*Server).membersListContinueV1)
	register("team/members/get_info_v2", (*Server).membersGetInfoV2)
	register("team/members/get_info", (*Server).membersGetInfoV1)
}

// teamMemberProfile is the spec's TeamMemberProfile, in its field order.
type teamMemberProfile struct {
	TeamMemberID    string         `json:"team_member_id"`
	ExternalID      string         `json:"external_id,omitempty"`
	AccountID       string         `json:"account_id"`
	Email           string         `json:"email"`
	EmailVerified   bool           `json:"email_verified"`
	SecondaryEmails []any          `json:"secondary_emails"`
	Status          any            `json:"status"` // TeamMemberStatus: a tag, or removedStatus
	Name            accountName    `json:"name"`
	MembershipType  map[string]any `json:"membership_type"`
	JoinedOn        string         `json:"joined_on"`
	Groups          []string       `json:"groups"`
	MemberFolderID  string         `json:"member_folder_id"`
	RootFolderID    string         `json:"root_folder_id"`
}

// memberProfile renders m, a member of tm. The caller holds s.mu.
func (s *Server) memberProfile(tm *Team, m *teamMember) teamMemberProfile {
	a := s.accounts[m.AccountID]
	var status any = u("active")
	switch {
	case m.removed():
		// The emulator has no team/members/recover: no removed member is
		// recoverable.
		status = removedStatus{Tag: "removed", IsDisconnected: m.Disconnected}
	case a.Disabled:
		status = u("suspended")
	}
	return teamMemberProfile{TeamMemberID: m.MemberID, ExternalID: m.ExternalID, AccountID: a.ID,
		Email: a.Email, EmailVerified: true, SecondaryEmails: []any{}, Status: status, Name: nameOf(a),
		MembershipType: u("full"), JoinedOn: dropboxTime(m.Joined), Groups: []string{},
		MemberFolderID: a.HomeNS, RootFolderID: tm.RootNS}
}

// removedStatus is TeamMemberStatus.removed, with its RemovedStatus.
type removedStatus struct {
	Tag            string `json:".tag"`
	IsRecoverable  bool   `json:"is_recoverable"`
	IsDisconnected bool   `json:"is_disconnected"`
}

// teamMemberRole is the spec's TeamMemberRole.
type teamMemberRole struct {
	RoleID      string `json:"role_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// memberRoles are the TeamMemberRoles of the admin tiers. Dropbox's role
// ids are the same for every team; the team admin's is the one Dropbox
// answers, the others are the emulator's.
var memberRoles = map[string]teamMemberRole{
	roleTeamAdmin: {RoleID: "pid_dbtmr:AAAAAFMcx6E0tax39Kb0H671TzWLeE07dwaqFQ5fDRy2", Name: "Team",
		Description: "Manage everything and access all permissions"},
	roleUserMgmtAdmin: {RoleID: "pid_dbtmr:AAAAAJ2WnLe-zu2t3Tu0Y7F0MVm1GTWeGtxRqpmpMEKG", Name: "User management",
		Description: "Add, remove, and manage member accounts"},
	roleSupportAdmin: {RoleID: "pid_dbtmr:AAAAAPyzYCHCr6tYG1ZN3lVYuuE6h3IbXvf5Eq2k4PtS", Name: "Support",
		Description: "Help members with limited tasks, including password reset"},
}

// teamMemberInfoV2 is the spec's TeamMemberInfoV2: a member_only member
// has no roles.
type teamMemberInfoV2 struct {
	Profile teamMemberProfile `json:"profile"`
	Roles   []teamMemberRole  `json:"roles,omitempty"`
}

// teamMemberInfo is the spec's TeamMemberInfo (v1 routes).
type teamMemberInfo struct {
	Profile teamMemberProfile `json:"profile"`
	Role    map[string]any    `json:"role"`
}

func (s *Server) memberInfoV2(tm *Team, m *teamMember) teamMemberInfoV2 {
	info := teamMemberInfoV2{Profile: s.memberProfile(tm, m)}
	if r, ok := memberRoles[m.Role]; ok {
		info.Roles = []teamMemberRole{r}
	}
	return info
}

func (s *Server) memberInfoV1(tm *Team, m *teamMember) teamMemberInfo {
	return teamMemberInfo{Profile: s.memberProfile(tm, m), Role: u(m.Role)}
}

// membersCursorPrefix starts the cursors of team/members/list: members
// are listed in the order they joined, keyed by it; removed members keep
// their place and are skipped unless the listing includes them.
const membersCursorPrefix = "TMM"

type membersListArg struct {
	Limit          *int64 `json:"limit,omitempty"`
	IncludeRemoved bool   `json:"include_removed,omitempty"`
}

// membersListResult is the spec's MembersListResult and MembersListV2Result.
type membersListResult[T any] struct {
	Members []T    `json:"members"`
	Cursor  string `json:"cursor"`
	HasMore bool   `json:"has_more"`
}

// membersPage renders the members of tm after cur with render.
func membersPage[T any](render func(*Team, *teamMember) T) func(tm *Team, cur *teamCursor) any {
	return func(tm *Team, cur *teamCursor) any {
		var listed []int // indexes in tm.Members, whose seqKey is the key
		for i, m := range tm.Members {
			if cur.Removed || !m.removed() {
				listed = append(listed, i)
			}
		}
		from, to, more := pageAfter(len(listed), func(i int) string { return seqKey(listed[i]) }, cur.Limit, cur)
		res := membersListResult[T]{Members: make([]T, 0, to-from), HasMore: more}
		for _, i := range listed[from:to] {
			res.Members = append(res.Members, render(tm, tm.Members[i]))
		}
		res.Cursor = encodeCursorToken(membersCursorPrefix, cur)
		return res
	}
}

// withRemoved makes the first page of a member listing keep the
// listing's include_removed in its cursor.
func withRemoved(arg *membersListArg, page func(tm *Team, cur *teamCursor) any) func(tm *Team, cur *teamCursor) any {
	return func(tm *Team, cur *teamCursor) any {
		cur.Removed = arg.IncludeRemoved
		return page(tm, cur)
	}
}

func (s *Server) membersListV2(c *call) (any, error) {
	var arg membersListArg
	return listTeam(s, c, &arg, &arg.Limit, withRemoved(&arg, membersPage(s.memberInfoV2)))
}

func (s *Server) membersListV1(c *call) (any, error) {
	var arg membersListArg
	return listTeam(s, c, &arg, &arg.Limit, withRemoved(&arg, membersPage(s.memberInfoV1)))
}

func (s *Server) membersListContinueV2(c *call) (any, error) {
	return continueTeam(s, c, membersCursorPrefix, membersPage(s.memberInfoV2))
}

func (s *Server) membersListContinueV1(c *call) (any, error) {
	return continueTeam(s, c, membersCursorPrefix, membersPage(s.memberInfoV1))
}

// reEmailAddress is the whole-string form of the pattern of an EmailAddress.
var reEmailAddress = regexp.MustCompile(`\A(?:^['#&A-Za-z0-9._%+-]+@[A-Za-z0-9-][A-Za-z0-9.-]*\.[A-Za-z]{2,15}$)\z`)

const emailAddressPattern = `^['#&A-Za-z0-9._%+-]+@[A-Za-z0-9-][A-Za-z0-9.-]*\.[A-Za-z]{2,15}$`

// tagValue returns the string a union member carries, or the 400 Stone
// gives when it is not a string.
func (c *call) tagValue(field string, t Tag) (string, error) {
	raw := t.Fields[t.Name]
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return "", c.badArg("%s: expected string, got %s", field, stoneValueType(raw))
	}
	return v, nil
}

// userSelector checks a UserSelectorArg whose list field is field and
// returns its member and value.
func (c *call) userSelector(field string, sel Tag) (kind, value string, err error) {
	path := joinPath(field, sel.Name)
	if value, err = c.tagValue(path, sel); err != nil {
		return "", "", err
	}
	switch sel.Name {
	case "external_id":
		err = c.checkString(path, value, 0, 64, "", nil)
	case "email":
		err = c.checkString(path, value, 0, 255, emailAddressPattern, reEmailAddress)
	}
	return sel.Name, value, err
}

// selectMember finds the member of tm a UserSelectorArg names. The caller
// holds s.mu.
func (s *Server) selectMember(tm *Team, kind, value string) *teamMember {
	for _, m := range tm.Members {
		switch kind {
		case "team_member_id":
			if m.MemberID == value {
				return m
			}
		case "external_id":
			if m.ExternalID != "" && m.ExternalID == value {
				return m
			}
		case "email":
			if a := s.accounts[m.AccountID]; a != nil && strings.EqualFold(a.Email, value) {
				return m
			}
		}
	}
	return nil
}

// getMembers answers members/get_info and its v2: one item per selector,
// in order, id_not_found (with the value given) for those that name no
// member of the team.
func getMembers(s *Server, c *call, found func(*Team, *teamMember) map[string]any) ([]map[string]any, error) {
	var arg struct {
		Members []Tag `json:"members" union:"team_member_id=value external_id=value email=value"`
	}
	if err := c.decode(&arg, "members"); err != nil {
		return nil, err
	}
	type selector struct{ kind, value string }
	sels := make([]selector, len(arg.Members))
	for i, m := range arg.Members {
		kind, value, err := c.userSelector("members", m)
		if err != nil {
			return nil, err
		}
		sels[i] = selector{kind, value}
	}
	return readTeam(s, c, func(tm *Team) ([]map[string]any, error) {
		out := make([]map[string]any, 0, len(sels))
		for _, sel := range sels {
			if m := s.selectMember(tm, sel.kind, sel.value); m != nil {
				out = append(out, found(tm, m))
			} else {
				out = append(out, uv("id_not_found", sel.value))
			}
		}
		return out, nil
	})
}

func (s *Server) membersGetInfoV2(c *call) (any, error) {
	items, err := getMembers(s, c, func(tm *Team, m *teamMember) map[string]any {
		info := s.memberInfoV2(tm, m)
		fields := map[string]any{"profile": info.Profile}
		if info.Roles != nil {
			fields["roles"] = info.Roles
		}
		return uf("member_info", fields)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"members_info": items}, nil
}

func (s *Server) membersGetInfoV1(c *call) (any, error) {
	items, err := getMembers(s, c, func(tm *Team, m *teamMember) map[string]any {
		info := s.memberInfoV1(tm, m)
		return uf("member_info", map[string]any{"profile": info.Profile, "role": info.Role})
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}
