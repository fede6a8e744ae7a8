package dropboxemu_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/async"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/common"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/users"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// createdTeam is what POST /_emulator/teams answers.
type createdTeam struct {
	TeamID      string `json:"team_id"`
	Name        string `json:"name"`
	RootNS      string `json:"root_namespace_id"`
	AccessToken string `json:"access_token"`
}

// teamAccount is an account made through the admin API as a team member.
type teamAccount struct {
	AccountID    string `json:"account_id"`
	Email        string `json:"email"`
	DisplayName  string `json:"display_name"`
	AccountType  string `json:"account_type"`
	TeamID       string `json:"team_id"`
	TeamMemberID string `json:"team_member_id"`
	RootNS       string `json:"root_namespace_id"`
	HomeNS       string `json:"home_namespace_id"`
	AccessToken  string `json:"access_token"`
}

// teamAccountArg is the body of POST /_emulator/accounts for a member.
type teamAccountArg struct {
	Email       string `json:"email"`
	DisplayName string `json:"display_name,omitempty"`
	AccountType string `json:"account_type,omitempty"`
	TeamID      string `json:"team_id,omitempty"`
	Role        string `json:"role,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

func createTeam(t *testing.T, emu *dropboxtest.Emulator, name string) createdTeam {
	t.Helper()
	var tm createdTeam
	emu.Admin(t, http.MethodPost, "/_emulator/teams", map[string]any{"name": name}, &tm)
	return tm
}

func addMember(t *testing.T, emu *dropboxtest.Emulator, arg teamAccountArg) teamAccount {
	t.Helper()
	var a teamAccount
	emu.Admin(t, http.MethodPost, "/_emulator/accounts", arg, &a)
	return a
}

// teamFixture is a team "Acme" of two: Ada, its admin (external id E-1),
// and Bob, a member.
type teamFixture struct {
	emu      *dropboxtest.Emulator
	team     createdTeam
	ada, bob teamAccount
}

func newTeamFixture(t *testing.T, opts ...dropboxtest.Option) *teamFixture {
	t.Helper()
	emu := dropboxtest.NewEmulator(t, opts...)
	tm := createTeam(t, emu, "Acme")
	ada := addMember(t, emu, teamAccountArg{Email: "ada@acme.example", DisplayName: "Ada Lovelace", TeamID: tm.TeamID, ExternalID: "E-1"})
	bob := addMember(t, emu, teamAccountArg{Email: "bob@acme.example", DisplayName: "Bob Builder", TeamID: tm.TeamID})
	return &teamFixture{emu: emu, team: tm, ada: ada, bob: bob}
}

// client is the SDK's team client with the team token.
func (f *teamFixture) client() team.Client { return team.New(sdkConfig(f.emu, f.team.AccessToken)) }

// call calls route with the team token.
func (f *teamFixture) call(t *testing.T, route string, arg any) rawResult {
	t.Helper()
	return do(t, f.emu, rawCall{Route: route, Token: f.team.AccessToken, Arg: arg})
}

// wantStatus fails the test unless r has the status and its body contains want.
func wantStatus(t *testing.T, what string, r rawResult, status int, want string) {
	t.Helper()
	if r.Status != status || !strings.Contains(string(r.Body), want) {
		t.Errorf("%s: %d %s; want %d with %s", what, r.Status, r.Body, status, want)
	}
}

// teamFolderJSON is a TeamFolderMetadata as Dropbox writes it.
func teamFolderJSON(id, name, status string, root bool, sync string) map[string]any {
	return map[string]any{"team_folder_id": id, "name": name, "status": map[string]any{".tag": status},
		"is_team_shared_dropbox": root, "sync_setting": map[string]any{".tag": sync},
		"content_sync_settings": []any{}, "quota_limit": 0.0}
}

// sharingPoliciesJSON is the TeamSharingPolicies of a new team.
func sharingPoliciesJSON() map[string]any {
	return map[string]any{
		"shared_folder_member_policy":            map[string]any{".tag": "anyone"},
		"shared_folder_join_policy":              map[string]any{".tag": "from_anyone"},
		"shared_link_create_policy":              map[string]any{".tag": "default_public"},
		"group_creation_policy":                  map[string]any{".tag": "admins_only"},
		"shared_folder_link_restriction_policy":  map[string]any{".tag": "anyone"},
		"enforce_link_password_policy":           map[string]any{".tag": "optional"},
		"default_link_expiration_days_policy":    map[string]any{".tag": "none"},
		"shared_link_default_permissions_policy": map[string]any{".tag": "default"},
	}
}

func TestTeamAdminAPI(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	if err := emu.AdminErr(http.MethodPost, "/_emulator/teams", map[string]any{"name": " "}, nil); err == nil || !strings.Contains(err.Error(), "name is required") {
		t.Errorf("team without a name: %v", err)
	}
	tm := createTeam(t, emu, "Acme")
	if !strings.HasPrefix(tm.TeamID, "dbtid:") || tm.Name != "Acme" || tm.RootNS == "" || tm.AccessToken == "" {
		t.Fatalf("created team = %+v", tm)
	}
	ada := addMember(t, emu, teamAccountArg{Email: "ada@acme.example", DisplayName: "Ada", TeamID: tm.TeamID})
	bob := addMember(t, emu, teamAccountArg{Email: "bob@acme.example", TeamID: tm.TeamID, ExternalID: "E-2"})
	cy := addMember(t, emu, teamAccountArg{Email: "cy@acme.example", TeamID: tm.TeamID, Role: "support_admin", AccountType: "business"})
	for _, a := range []teamAccount{ada, bob, cy} {
		if a.AccountType != "business" || a.TeamID != tm.TeamID || a.RootNS != tm.RootNS || a.HomeNS == "" || a.HomeNS == a.RootNS ||
			!strings.HasPrefix(a.TeamMemberID, "dbmid:AA") || len(a.TeamMemberID) != 41 {
			t.Errorf("member %s = %+v; want a business account rooted in the team space %s with a home of its own and a dbmid id", a.Email, a, tm.RootNS)
		}
	}
	// Accounts outside teams stay as they are, business ones included.
	solo := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "solo@example.com", AccountType: "business"})
	if solo.RootNS == tm.RootNS {
		t.Errorf("a business account without a team_id joined the team")
	}

	bad := []struct {
		name string
		arg  teamAccountArg
		want string
	}{
		{"unknown team", teamAccountArg{Email: "x1@acme.example", TeamID: "dbtid:nope"}, `team \"dbtid:nope\" does not exist`},
		{"not business", teamAccountArg{Email: "x2@acme.example", TeamID: tm.TeamID, AccountType: "pro"}, "account_type is business"},
		{"unknown role", teamAccountArg{Email: "x3@acme.example", TeamID: tm.TeamID, Role: "boss"}, `not \"boss\"`},
		{"role without team", teamAccountArg{Email: "x4@acme.example", Role: "team_admin"}, "need a team_id"},
		{"taken external id", teamAccountArg{Email: "x5@acme.example", TeamID: tm.TeamID, ExternalID: "E-2"}, `has external_id \"E-2\"`},
		{"long external id", teamAccountArg{Email: "x6@acme.example", TeamID: tm.TeamID, ExternalID: strings.Repeat("e", 65)}, "at most 64"},
	}
	for _, b := range bad {
		err := emu.AdminErr(http.MethodPost, "/_emulator/accounts", b.arg, nil)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v, want a 400 with %s", b.name, err, b.want)
		}
	}

	var list struct {
		Teams []struct {
			TeamID  string `json:"team_id"`
			Name    string `json:"name"`
			RootNS  string `json:"root_namespace_id"`
			Members []struct {
				AccountID  string `json:"account_id"`
				MemberID   string `json:"team_member_id"`
				Role       string `json:"role"`
				ExternalID string `json:"external_id"`
			} `json:"members"`
		} `json:"teams"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/teams", nil, &list)
	type member struct{ AccountID, MemberID, Role, ExternalID string }
	var got []member
	for _, m := range list.Teams[0].Members {
		got = append(got, member(m))
	}
	// The first member is the team admin, later ones members only; the
	// refused accounts left nothing behind.
	want := []member{{ada.AccountID, ada.TeamMemberID, "team_admin", ""}, {bob.AccountID, bob.TeamMemberID, "member_only", "E-2"},
		{cy.AccountID, cy.TeamMemberID, "support_admin", ""}}
	if len(list.Teams) != 1 || list.Teams[0].TeamID != tm.TeamID || list.Teams[0].RootNS != tm.RootNS {
		t.Errorf("teams = %+v", list.Teams)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	var accts struct {
		Accounts []teamAccount `json:"accounts"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/accounts", nil, &accts)
	if len(accts.Accounts) != 4 {
		t.Errorf("%d accounts after the refused ones, want 4", len(accts.Accounts))
	}
}

func TestTeamGetInfo(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	r := f.call(t, "team/get_info", nil)
	want := map[string]any{"name": "Acme", "team_id": f.team.TeamID, "num_licensed_users": 5.0,
		"num_provisioned_users": 2.0, "num_used_licenses": 2.0,
		"policies": map[string]any{"sharing": sharingPoliciesJSON(), "emm_state": map[string]any{".tag": "disabled"},
			"office_addin": map[string]any{".tag": "disabled"}, "suggest_members_policy": map[string]any{".tag": "enabled"},
			"top_level_content_policy": map[string]any{".tag": "admin_only"}}}
	if diff := cmp.Diff(any(want), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("get_info: %d (-want +got):\n%s", r.Status, diff)
	}
	info, err := f.client().GetInfo()
	if err != nil || info.TeamId != f.team.TeamID || info.Name != "Acme" || info.NumProvisionedUsers != 2 ||
		info.Policies == nil || info.Policies.TopLevelContentPolicy.Tag != "admin_only" {
		t.Errorf("SDK get_info: %+v, %v", info, err)
	}

	// A user token does not work on team routes.
	r = do(t, f.emu, rawCall{Route: "team/get_info", Token: f.ada.AccessToken})
	wantStatus(t, "get_info with a user token", r, 400, "This API function operates on a Dropbox Business team")
}

func TestTeamTokenGetAuthenticatedAdmin(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	res, err := f.client().TokenGetAuthenticatedAdmin()
	if err != nil || res.AdminProfile == nil || res.AdminProfile.TeamMemberId != f.ada.TeamMemberID || res.AdminProfile.Email != f.ada.Email {
		t.Fatalf("get_authenticated_admin: %+v, %v; want Ada, the first team admin", res, err)
	}

	// A team whose first member is no team admin has no admin to name.
	other := createTeam(t, f.emu, "Beta")
	addMember(t, f.emu, teamAccountArg{Email: "dee@beta.example", TeamID: other.TeamID, Role: "member_only"})
	_, err = team.New(sdkConfig(f.emu, other.AccessToken)).TokenGetAuthenticatedAdmin()
	var ae team.TokenGetAuthenticatedAdminAPIError
	if !errors.As(err, &ae) || ae.EndpointError == nil || ae.EndpointError.Tag != team.TokenGetAuthenticatedAdminErrorMappingNotFound {
		t.Errorf("get_authenticated_admin without an admin: %v, want mapping_not_found", err)
	}
}

func TestTeamMembersList(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	cy := addMember(t, f.emu, teamAccountArg{Email: "cy@acme.example", DisplayName: "Cy Young", TeamID: f.team.TeamID, Role: "support_admin"})

	r := f.call(t, "team/members/list_v2", map[string]any{"limit": 2})
	if r.Status != 200 {
		t.Fatalf("list_v2: %d %s", r.Status, r.Body)
	}
	page := usersJSON(t, r.Body).(map[string]any)
	members := page["members"].([]any)
	if len(members) != 2 || page["has_more"] != true {
		t.Fatalf("first page: %s; want 2 members and has_more", r.Body)
	}
	joined := members[0].(map[string]any)["profile"].(map[string]any)["joined_on"]
	wantAda := map[string]any{
		"profile": map[string]any{"team_member_id": f.ada.TeamMemberID, "external_id": "E-1", "account_id": f.ada.AccountID,
			"email": "ada@acme.example", "email_verified": true, "secondary_emails": []any{},
			"status": map[string]any{".tag": "active"},
			"name": map[string]any{"given_name": "Ada", "surname": "Lovelace", "familiar_name": "Ada",
				"display_name": "Ada Lovelace", "abbreviated_name": "AL"},
			"membership_type": map[string]any{".tag": "full"}, "joined_on": joined, "groups": []any{},
			"member_folder_id": f.ada.HomeNS, "root_folder_id": f.team.RootNS},
		"roles": []any{map[string]any{"role_id": "pid_dbtmr:AAAAAFMcx6E0tax39Kb0H671TzWLeE07dwaqFQ5fDRy2",
			"name": "Team", "description": "Manage everything and access all permissions"}},
	}
	if diff := cmp.Diff(any(wantAda), members[0]); diff != "" {
		t.Errorf("team admin (-want +got):\n%s", diff)
	}
	if _, ok := members[1].(map[string]any)["roles"]; ok {
		t.Errorf("a member_only member has roles: %v", members[1])
	}

	tc := f.client()
	rest, err := tc.MembersListContinueV2(team.NewMembersListContinueArg(page["cursor"].(string)))
	if err != nil || len(rest.Members) != 1 || rest.HasMore || rest.Members[0].Profile.TeamMemberId != cy.TeamMemberID ||
		len(rest.Members[0].Roles) != 1 || rest.Members[0].Roles[0].Name != "Support" {
		t.Fatalf("continue_v2: %+v, %v; want Cy, a support admin, and the end", rest, err)
	}
	end, err := tc.MembersListContinueV2(team.NewMembersListContinueArg(rest.Cursor))
	if err != nil || len(end.Members) != 0 || end.HasMore {
		t.Errorf("continue_v2 at the end: %+v, %v", end, err)
	}
	// A member who joins later shows up from a cursor taken before.
	dee := addMember(t, f.emu, teamAccountArg{Email: "dee@acme.example", TeamID: f.team.TeamID})
	late, err := tc.MembersListContinueV2(team.NewMembersListContinueArg(rest.Cursor))
	if err != nil || len(late.Members) != 1 || late.Members[0].Profile.TeamMemberId != dee.TeamMemberID {
		t.Errorf("continue_v2 after a member joined: %+v, %v", late, err)
	}

	all, err := tc.MembersListV2(team.NewMembersListArg())
	if err != nil || len(all.Members) != 4 || all.HasMore {
		t.Fatalf("list_v2 with the default limit: %+v, %v", all, err)
	}
	for i, want := range []string{f.ada.TeamMemberID, f.bob.TeamMemberID, cy.TeamMemberID, dee.TeamMemberID} {
		if p := all.Members[i].Profile; p.TeamMemberId != want || p.MemberFolderId == f.team.RootNS || p.RootFolderId != f.team.RootNS {
			t.Errorf("member %d = %+v, want %s in join order", i, p, want)
		}
	}

	// v1: the role as an AdminTier.
	v1, err := tc.MembersList(&team.MembersListArg{Limit: 3})
	if err != nil || len(v1.Members) != 3 || !v1.HasMore || v1.Members[0].Role.Tag != "team_admin" ||
		v1.Members[1].Role.Tag != "member_only" || v1.Members[2].Role.Tag != "support_admin" {
		t.Fatalf("list (v1): %+v, %v", v1, err)
	}
	v1rest, err := tc.MembersListContinue(team.NewMembersListContinueArg(v1.Cursor))
	if err != nil || len(v1rest.Members) != 1 || v1rest.HasMore {
		t.Errorf("list/continue (v1): %+v, %v", v1rest, err)
	}

	for _, limit := range []int{0, 1001} {
		r := f.call(t, "team/members/list_v2", map[string]any{"limit": limit})
		wantStatus(t, "list_v2 with a limit out of range", r, 400,
			`Error in call to API function "team/members/list_v2": request body: limit: `+map[int]string{0: "0", 1001: "1001"}[limit]+` is not within range [1, 1000]`)
	}
	r = f.call(t, "team/members/list_v2", map[string]any{"include_removed": true, "extra": 1})
	wantStatus(t, "list_v2 with an unknown field", r, 400, "unknown field 'extra'")

	other := createTeam(t, f.emu, "Beta")
	addMember(t, f.emu, teamAccountArg{Email: "eve@beta.example", TeamID: other.TeamID})
	betaPage, err := team.New(sdkConfig(f.emu, other.AccessToken)).MembersListV2(&team.MembersListArg{Limit: 1})
	if err != nil || len(betaPage.Members) != 1 {
		t.Fatalf("Beta's list_v2: %+v, %v", betaPage, err)
	}
	for name, cursor := range map[string]string{"garbage": "nope", "another team's": betaPage.Cursor} {
		_, err := tc.MembersListContinueV2(team.NewMembersListContinueArg(cursor))
		var ce team.MembersListContinueV2APIError
		if !errors.As(err, &ce) || ce.EndpointError == nil || ce.EndpointError.Tag != team.MembersListContinueErrorInvalidCursor {
			t.Errorf("continue_v2 with a %s cursor: %v, want invalid_cursor", name, err)
		}
	}
}

func TestTeamMembersGetInfo(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	sel := func(tag, v string) *team.UserSelectorArg {
		s := &team.UserSelectorArg{Tagged: dropbox.Tagged{Tag: tag}}
		switch tag {
		case "team_member_id":
			s.TeamMemberId = v
		case "external_id":
			s.ExternalId = v
		case "email":
			s.Email = v
		}
		return s
	}
	tc := f.client()
	res, err := tc.MembersGetInfoV2(team.NewMembersGetInfoV2Arg([]*team.UserSelectorArg{
		sel("team_member_id", f.bob.TeamMemberID), sel("email", "ADA@acme.example"), sel("external_id", "E-1"),
		sel("email", "nobody@acme.example"), sel("team_member_id", "dbmid:AAnobody"), sel("external_id", "E-9"),
	}))
	if err != nil || len(res.MembersInfo) != 6 {
		t.Fatalf("get_info_v2: %+v, %v", res, err)
	}
	type item struct{ Tag, Member, NotFound string }
	var got []item
	for _, it := range res.MembersInfo {
		i := item{Tag: it.Tag, NotFound: it.IdNotFound}
		if it.MemberInfo != nil {
			i.Member = it.MemberInfo.Profile.TeamMemberId
		}
		got = append(got, i)
	}
	want := []item{{"member_info", f.bob.TeamMemberID, ""}, {"member_info", f.ada.TeamMemberID, ""}, {"member_info", f.ada.TeamMemberID, ""},
		{"id_not_found", "", "nobody@acme.example"}, {"id_not_found", "", "dbmid:AAnobody"}, {"id_not_found", "", "E-9"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("get_info_v2 (-want +got):\n%s", diff)
	}
	if roles := res.MembersInfo[1].MemberInfo.Roles; len(roles) != 1 || roles[0].Name != "Team" {
		t.Errorf("Ada's roles = %+v", roles)
	}

	// A member of another team is not found.
	other := createTeam(t, f.emu, "Beta")
	eve := addMember(t, f.emu, teamAccountArg{Email: "eve@beta.example", TeamID: other.TeamID})
	r := f.call(t, "team/members/get_info_v2", map[string]any{"members": []any{map[string]any{".tag": "team_member_id", "team_member_id": eve.TeamMemberID}}})
	wantBody := map[string]any{"members_info": []any{map[string]any{".tag": "id_not_found", "id_not_found": eve.TeamMemberID}}}
	if diff := cmp.Diff(any(wantBody), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("get_info_v2 of another team's member: %d (-want +got):\n%s", r.Status, diff)
	}

	// v1: TeamMemberInfo with the role.
	v1, err := tc.MembersGetInfo(team.NewMembersGetInfoArgs([]*team.UserSelectorArg{sel("email", "bob@acme.example"), sel("external_id", "none")}))
	if err != nil || len(v1) != 2 || v1[0].Tag != "member_info" || v1[0].MemberInfo.Role.Tag != "member_only" ||
		v1[0].MemberInfo.Profile.AccountId != f.bob.AccountID || v1[1].Tag != "id_not_found" || v1[1].IdNotFound != "none" {
		t.Errorf("get_info (v1): %+v, %v", v1, err)
	}

	for _, c := range []struct {
		name string
		arg  any
		want string
	}{
		{"a bad email", map[string]any{"members": []any{map[string]any{".tag": "email", "email": "not-an-email"}}},
			`members.email: 'not-an-email' did not match pattern '^['#&A-Za-z0-9._%+-]+@[A-Za-z0-9-][A-Za-z0-9.-]*\.[A-Za-z]{2,15}$'`},
		{"a long external id", map[string]any{"members": []any{map[string]any{".tag": "external_id", "external_id": strings.Repeat("x", 65)}}},
			"members.external_id: '" + strings.Repeat("x", 65) + "' must be at most 64 characters, got 65"},
		{"a number", map[string]any{"members": []any{map[string]any{".tag": "team_member_id", "team_member_id": 7}}},
			"members.team_member_id: expected string, got integer"},
		{"an unknown selector", map[string]any{"members": []any{map[string]any{".tag": "phone", "phone": "1"}}}, "members: unknown tag 'phone'"},
		{"no members", map[string]any{}, "missing required field 'members'"},
	} {
		r := f.call(t, "team/members/get_info_v2", c.arg)
		wantStatus(t, "get_info_v2 with "+c.name, r, 400, c.want)
	}
}

func TestTeamSelectUser(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	call := func(route string, header map[string]string) rawResult {
		return do(t, f.emu, rawCall{Route: route, Token: f.team.AccessToken, Header: header})
	}

	// A user route with a team token needs a member.
	r := call("users/get_current_account", nil)
	if want := `Error in call to API function "users/get_current_account": This API function operates on a single Dropbox account, but the OAuth 2 access token you provided is for an entire Dropbox Business team. Since your API app key has team member file access permissions, you can operate on a team member's Dropbox by providing the "Dropbox-API-Select-User" HTTP header or "select_user" URL parameter to specify the exact user https://www.dropbox.com/developers/documentation/http/teams.`; r.Status != 400 || string(r.Body) != want {
		t.Errorf("user route without Select-User: %d %s", r.Status, r.Body)
	}

	cfg := sdkConfig(f.emu, f.team.AccessToken)
	cfg.AsMemberID = f.bob.TeamMemberID
	bob, err := users.New(cfg).GetCurrentAccount()
	if err != nil || bob.AccountId != f.bob.AccountID || bob.TeamMemberId != f.bob.TeamMemberID || bob.Team == nil || bob.Team.Name != "Acme" {
		t.Fatalf("get_current_account as Bob: %+v, %v", bob, err)
	}
	if root, ok := bob.RootInfo.(*common.TeamRootInfo); !ok || root.RootNamespaceId != f.team.RootNS || root.HomeNamespaceId != f.bob.HomeNS || root.HomePath != "/Bob Builder" {
		t.Errorf("Bob's root_info = %#v", bob.RootInfo)
	}
	// The account id names a member too, and so does the select_user URL parameter.
	if r := call("users/get_current_account", map[string]string{"Dropbox-API-Select-User": f.bob.AccountID}); r.Status != 200 || r.json(t)["account_id"] != f.bob.AccountID {
		t.Errorf("Select-User with an account id: %d %s", r.Status, r.Body)
	}
	req, _ := http.NewRequest(http.MethodPost, f.emu.URL+"/2/users/get_current_account?select_user="+url.QueryEscape(f.bob.TeamMemberID), nil)
	req.Header.Set("Authorization", "Bearer "+f.team.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("select_user URL parameter: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// Select-Admin names a team admin only.
	if r := call("users/get_current_account", map[string]string{"Dropbox-API-Select-Admin": f.ada.TeamMemberID}); r.Status != 200 || r.json(t)["account_id"] != f.ada.AccountID {
		t.Errorf("Select-Admin of the team admin: %d %s", r.Status, r.Body)
	}
	acfg := sdkConfig(f.emu, f.team.AccessToken)
	acfg.AsAdminID = f.bob.TeamMemberID
	_, err = users.New(acfg).GetCurrentAccount()
	var ae auth.AuthAPIError
	if !errors.As(err, &ae) || ae.AuthError.Tag != auth.AuthErrorInvalidSelectAdmin {
		t.Errorf("Select-Admin of a member only: %v, want 401 invalid_select_admin", err)
	}
	support := addMember(t, f.emu, teamAccountArg{Email: "cy@acme.example", TeamID: f.team.TeamID, Role: "support_admin"})
	r = call("users/get_current_account", map[string]string{"Dropbox-API-Select-Admin": support.TeamMemberID})
	wantStatus(t, "Select-Admin of a support admin", r, 401, `"invalid_select_admin"`)

	other := createTeam(t, f.emu, "Beta")
	eve := addMember(t, f.emu, teamAccountArg{Email: "eve@beta.example", TeamID: other.TeamID})
	for _, c := range []struct {
		name   string
		header map[string]string
		status int
		want   string
	}{
		{"an unknown member", map[string]string{"Dropbox-API-Select-User": "dbmid:AAnobody"}, 401, `"invalid_select_user"`},
		{"another team's member", map[string]string{"Dropbox-API-Select-User": eve.TeamMemberID}, 401, `"invalid_select_user"`},
		{"an email", map[string]string{"Dropbox-API-Select-User": "bob@acme.example"}, 400,
			`Error in call to API function "users/get_current_account": Invalid select user id format`},
		{"an admin email", map[string]string{"Dropbox-API-Select-Admin": "ada@acme.example"}, 400, "Invalid select admin id format"},
		{"both headers", map[string]string{"Dropbox-API-Select-User": f.bob.TeamMemberID, "Dropbox-API-Select-Admin": f.ada.TeamMemberID}, 400, "not both"},
	} {
		wantStatus(t, "Select with "+c.name, call("users/get_current_account", c.header), c.status, c.want)
	}
	// A team route does not need a member.
	if r := call("team/get_info", nil); r.Status != 200 {
		t.Errorf("team/get_info: %d %s", r.Status, r.Body)
	}
}

func TestTeamMemberAccount(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	r := do(t, f.emu, rawCall{Route: "users/get_current_account", Token: f.bob.AccessToken})
	got := usersJSON(t, r.Body).(map[string]any)
	team := map[string]any{"id": f.team.TeamID, "name": "Acme",
		"sharing_policies":    sharingPoliciesJSON(),
		"office_addin_policy": map[string]any{".tag": "disabled"}, "top_level_content_policy": map[string]any{".tag": "admin_only"}}
	if diff := cmp.Diff(any(team), got["team"]); r.Status != 200 || diff != "" {
		t.Errorf("FullAccount.team: %d (-want +got):\n%s", r.Status, diff)
	}
	wantRoot := map[string]any{".tag": "team", "root_namespace_id": f.team.RootNS, "home_namespace_id": f.bob.HomeNS, "home_path": "/Bob Builder"}
	if got["team_member_id"] != f.bob.TeamMemberID || got["account_type"].(map[string]any)[".tag"] != "business" || !cmp.Equal(any(wantRoot), got["root_info"]) {
		t.Errorf("get_current_account of a member: %s", r.Body)
	}

	// Space: the team's, shared.
	if r := do(t, f.emu, rawCall{Route: "files/upload", Style: "upload", Token: f.bob.AccessToken, Arg: map[string]any{"path": "/notes.txt"}, Body: []byte("12345")}); r.Status != 200 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	r = do(t, f.emu, rawCall{Route: "users/get_space_usage", Token: f.bob.AccessToken})
	wantUsage := map[string]any{"used": 5.0, "allocation": map[string]any{".tag": "team", "used": 5.0, "allocated": float64(5 << 40),
		"user_within_team_space_allocated": 0.0, "user_within_team_space_limit_type": map[string]any{".tag": "off"},
		"user_within_team_space_used_cached": 5.0}}
	if diff := cmp.Diff(any(wantUsage), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("get_space_usage of a member: %d (-want +got):\n%s", r.Status, diff)
	}
	usage, err := users.New(sdkConfig(f.emu, f.ada.AccessToken)).GetSpaceUsage()
	if err != nil || usage.Used != 0 || usage.Allocation.Tag != "team" || usage.Allocation.Team.Used != 5 {
		t.Errorf("Ada's get_space_usage: %+v, %v; want the team's 5 bytes and none of her own", usage, err)
	}

	// Features: a team space member has a shared root and a home of its own.
	features := map[string]any{"features": []any{"team_shared_dropbox", "distinct_member_home"}}
	wantOn := map[string]any{"values": []any{
		map[string]any{".tag": "team_shared_dropbox", "team_shared_dropbox": map[string]any{".tag": "enabled", "enabled": true}},
		map[string]any{".tag": "distinct_member_home", "distinct_member_home": map[string]any{".tag": "enabled", "enabled": true}}}}
	r = do(t, f.emu, rawCall{Route: "users/features/get_values", Token: f.bob.AccessToken, Arg: features})
	if diff := cmp.Diff(any(wantOn), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("features of a member: %d (-want +got):\n%s", r.Status, diff)
	}

	// Teammates see each other's team member ids; outsiders do not.
	out := f.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "out@example.com"})
	uc := users.New(sdkConfig(f.emu, f.ada.AccessToken))
	mate, err := uc.GetAccount(users.NewGetAccountArg(f.bob.AccountID))
	if err != nil || !mate.IsTeammate || mate.TeamMemberId != f.bob.TeamMemberID {
		t.Errorf("Ada's get_account of Bob: %+v, %v", mate, err)
	}
	batch, err := uc.GetAccountBatch(users.NewGetAccountBatchArg([]string{f.bob.AccountID, out.AccountID}))
	if err != nil || len(batch) != 2 || !batch[0].IsTeammate || batch[0].TeamMemberId != f.bob.TeamMemberID || batch[1].IsTeammate || batch[1].TeamMemberId != "" {
		t.Errorf("Ada's get_account_batch: %+v, %v", batch, err)
	}
	r = do(t, f.emu, rawCall{Route: "users/get_account", Token: out.AccessToken, Arg: map[string]any{"account_id": f.bob.AccountID}})
	if m := r.json(t); r.Status != 200 || m["is_teammate"] != false || m["team_member_id"] != nil {
		t.Errorf("an outsider's get_account of Bob: %d %s", r.Status, r.Body)
	}
	r = do(t, f.emu, rawCall{Route: "users/get_current_account", Token: out.AccessToken})
	if m := r.json(t); m["team"] != nil || m["team_member_id"] != nil {
		t.Errorf("an outsider's get_current_account has team fields: %s", r.Body)
	}
}

func TestTeamFolderLifecycle(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	mk, err := tc.TeamFolderCreate(&team.TeamFolderCreateArg{Name: "Marketing",
		SyncSetting: &files.SyncSettingArg{Tagged: dropbox.Tagged{Tag: "not_synced"}}})
	if err != nil || mk.Name != "Marketing" || mk.Status.Tag != "active" || mk.IsTeamSharedDropbox || mk.SyncSetting.Tag != "not_synced" {
		t.Fatalf("create: %+v, %v", mk, err)
	}
	r := f.call(t, "team/team_folder/create", map[string]any{"name": "Sales"})
	sales := r.json(t)["team_folder_id"].(string)
	if diff := cmp.Diff(any(teamFolderJSON(sales, "Sales", "active", false, "default")), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("create Sales: %d (-want +got):\n%s", r.Status, diff)
	}

	// The list: the team space root first, then the team folders.
	r = f.call(t, "team/team_folder/list", map[string]any{})
	body := usersJSON(t, r.Body).(map[string]any)
	wantFolders := []any{teamFolderJSON(f.team.RootNS, "Acme", "active", true, "default"),
		teamFolderJSON(mk.TeamFolderId, "Marketing", "active", false, "not_synced"), teamFolderJSON(sales, "Sales", "active", false, "default")}
	if diff := cmp.Diff(wantFolders, body["team_folders"]); r.Status != 200 || diff != "" || body["has_more"] != false {
		t.Errorf("list: %d (-want +got):\n%s", r.Status, diff)
	}

	createErr := func(name string) string {
		_, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg(name))
		var ce team.TeamFolderCreateAPIError
		if !errors.As(err, &ce) || ce.EndpointError == nil {
			return "no route error: " + errString(err)
		}
		return ce.EndpointError.Tag
	}
	for name, want := range map[string]string{
		"marketing": "folder_name_already_used", "Bob Builder": "folder_name_already_used",
		"": "invalid_folder_name", "a/b": "invalid_folder_name", "trailing ": "invalid_folder_name", "..": "invalid_folder_name",
		"desktop.ini": "folder_name_reserved",
	} {
		if got := createErr(name); got != want {
			t.Errorf("create %q: %s, want %s", name, got, want)
		}
	}
	// A folder at the top of the team space takes the name too.
	cfg := sdkConfig(f.emu, f.team.AccessToken)
	cfg.AsMemberID = f.ada.TeamMemberID
	cfg.PathRoot = `{".tag":"root","root":"` + f.team.RootNS + `"}`
	if _, err := files.New(cfg).CreateFolderV2(files.NewCreateFolderArg("/Plans")); err != nil {
		t.Fatalf("create_folder_v2 in the team space as Ada: %v", err)
	}
	if got := createErr("plans"); got != "folder_name_already_used" {
		t.Errorf("create over a team space folder: %s, want folder_name_already_used", got)
	}

	// get_info: known ids, the root, unknown ids.
	items, err := tc.TeamFolderGetInfo(team.NewTeamFolderIdListArg([]string{sales, f.team.RootNS, "999999"}))
	if err != nil || len(items) != 3 || items[0].TeamFolderMetadata == nil || items[0].TeamFolderMetadata.Name != "Sales" ||
		items[1].TeamFolderMetadata == nil || !items[1].TeamFolderMetadata.IsTeamSharedDropbox || items[2].Tag != "id_not_found" || items[2].IdNotFound != "999999" {
		t.Errorf("get_info: %+v, %v", items, err)
	}
	wantStatus(t, "get_info with no ids", f.call(t, "team/team_folder/get_info", map[string]any{"team_folder_ids": []string{}}), 400,
		"team_folder_ids: [] has fewer than 1 items")
	wantStatus(t, "get_info with a bad id", f.call(t, "team/team_folder/get_info", map[string]any{"team_folder_ids": []string{"a b"}}), 400,
		"team_folder_ids: 'a b' did not match pattern '[-_0-9a-zA-Z:]+'")

	// Rename.
	renamed, err := tc.TeamFolderRename(team.NewTeamFolderRenameArg(sales, "Sales EMEA"))
	if err != nil || renamed.Name != "Sales EMEA" || renamed.TeamFolderId != sales {
		t.Errorf("rename: %+v, %v", renamed, err)
	}
	if _, err := tc.TeamFolderRename(team.NewTeamFolderRenameArg(sales, "SALES emea")); err != nil {
		t.Errorf("case-only rename: %v", err)
	}
	renameErr := func(id, name string) (tag, sub string) {
		_, err := tc.TeamFolderRename(team.NewTeamFolderRenameArg(id, name))
		var re team.TeamFolderRenameAPIError
		if !errors.As(err, &re) || re.EndpointError == nil {
			return "no route error: " + errString(err), ""
		}
		e := re.EndpointError
		switch {
		case e.StatusError != nil:
			sub = e.StatusError.Tag
		case e.AccessError != nil:
			sub = e.AccessError.Tag
		case e.TeamSharedDropboxError != nil:
			sub = e.TeamSharedDropboxError.Tag
		}
		return e.Tag, sub
	}
	type tagPair struct{ Tag, Sub string }
	check := func(what string, got1, got2 string, want tagPair) {
		t.Helper()
		if (tagPair{got1, got2}) != want {
			t.Errorf("%s: %s/%s, want %s/%s", what, got1, got2, want.Tag, want.Sub)
		}
	}
	a, b := renameErr(sales, "Marketing")
	check("rename to a used name", a, b, tagPair{"folder_name_already_used", ""})
	a, b = renameErr(sales, "x/y")
	check("rename to a bad name", a, b, tagPair{"invalid_folder_name", ""})
	a, b = renameErr(f.team.RootNS, "Acme Corp")
	check("rename the team space", a, b, tagPair{"team_shared_dropbox_error", "disallowed"})
	a, b = renameErr("424242", "Nope")
	check("rename an unknown folder", a, b, tagPair{"access_error", "invalid_team_folder_id"})
	wantStatus(t, "rename with a bad id", f.call(t, "team/team_folder/rename", map[string]any{"team_folder_id": "a/b", "name": "x"}), 400,
		"team_folder_id: 'a/b' did not match pattern '[-_0-9a-zA-Z:]+'")
	wantStatus(t, "rename without a name", f.call(t, "team/team_folder/rename", map[string]any{"team_folder_id": sales}), 400,
		"missing required field 'name'")

	// Archive at once, then what an archived folder refuses.
	launch, err := tc.TeamFolderArchive(&team.TeamFolderArchiveArg{TeamFolderIdArg: team.TeamFolderIdArg{TeamFolderId: sales}, ForceAsyncOff: true})
	if err != nil || launch.Tag != "complete" || launch.Complete == nil || launch.Complete.Status.Tag != "archived" || launch.Complete.Name != "SALES emea" {
		t.Fatalf("archive with force_async_off: %+v, %v", launch, err)
	}
	a, b = renameErr(sales, "Sales again")
	check("rename an archived folder", a, b, tagPair{"status_error", "archived"})
	_, err = tc.TeamFolderArchive(&team.TeamFolderArchiveArg{TeamFolderIdArg: team.TeamFolderIdArg{TeamFolderId: sales}, ForceAsyncOff: true})
	var are team.TeamFolderArchiveAPIError
	if !errors.As(err, &are) || are.EndpointError.StatusError == nil || are.EndpointError.StatusError.Tag != "archived" {
		t.Errorf("archive an archived folder: %v, want status_error/archived", err)
	}
	if got := createErr("sales EMEA"); got != "folder_name_already_used" {
		t.Errorf("create with an archived folder's name: %s, want folder_name_already_used", got)
	}
	_, err = tc.TeamFolderArchive(&team.TeamFolderArchiveArg{TeamFolderIdArg: team.TeamFolderIdArg{TeamFolderId: f.team.RootNS}})
	if !errors.As(err, &are) || are.EndpointError.Tag != "team_shared_dropbox_error" {
		t.Errorf("archive the team space: %v, want team_shared_dropbox_error", err)
	}

	// Activate.
	act, err := tc.TeamFolderActivate(team.NewTeamFolderIdArg(sales))
	if err != nil || act.Status.Tag != "active" {
		t.Errorf("activate: %+v, %v", act, err)
	}
	_, err = tc.TeamFolderActivate(team.NewTeamFolderIdArg(sales))
	var ace team.TeamFolderActivateAPIError
	if !errors.As(err, &ace) || ace.EndpointError.StatusError == nil || ace.EndpointError.StatusError.Tag != "active" {
		t.Errorf("activate an active folder: %v, want status_error/active", err)
	}

	// Permanently delete: archived folders only.
	err = tc.TeamFolderPermanentlyDelete(team.NewTeamFolderIdArg(sales))
	var pde team.TeamFolderPermanentlyDeleteAPIError
	if !errors.As(err, &pde) || pde.EndpointError.StatusError == nil || pde.EndpointError.StatusError.Tag != "active" {
		t.Errorf("permanently_delete an active folder: %v, want status_error/active", err)
	}
	err = tc.TeamFolderPermanentlyDelete(team.NewTeamFolderIdArg(f.team.RootNS))
	if !errors.As(err, &pde) || pde.EndpointError.Tag != "team_shared_dropbox_error" {
		t.Errorf("permanently_delete the team space: %v", err)
	}
	// Archive through a job (Options.JobPolls is 0: done at once).
	launch, err = tc.TeamFolderArchive(team.NewTeamFolderArchiveArg(sales))
	if err != nil || launch.Tag != "async_job_id" || launch.AsyncJobId == "" {
		t.Fatalf("archive: %+v, %v", launch, err)
	}
	st, err := tc.TeamFolderArchiveCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != "complete" || st.Complete == nil || st.Complete.Status.Tag != "archived" || st.Complete.TeamFolderId != sales {
		t.Fatalf("archive/check: %+v, %v", st, err)
	}
	r = f.call(t, "team/team_folder/permanently_delete", map[string]any{"team_folder_id": sales})
	if r.Status != 200 || string(r.Body) != "null" {
		t.Errorf("permanently_delete: %d %s", r.Status, r.Body)
	}
	err = tc.TeamFolderPermanentlyDelete(team.NewTeamFolderIdArg(sales))
	if !errors.As(err, &pde) || pde.EndpointError.AccessError == nil || pde.EndpointError.AccessError.Tag != "invalid_team_folder_id" {
		t.Errorf("permanently_delete twice: %v, want access_error/invalid_team_folder_id", err)
	}
	// The job still answers; the folder is gone from every listing.
	if st, err := tc.TeamFolderArchiveCheck(async.NewPollArg(launch.AsyncJobId)); err != nil || st.Tag != "complete" {
		t.Errorf("archive/check after the delete: %+v, %v", st, err)
	}
	items, err = tc.TeamFolderGetInfo(team.NewTeamFolderIdListArg([]string{sales}))
	if err != nil || len(items) != 1 || items[0].Tag != "id_not_found" {
		t.Errorf("get_info of a deleted folder: %+v, %v", items, err)
	}
	ns, err := tc.NamespacesList(team.NewTeamNamespacesListArg())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Namespaces {
		if n.NamespaceId == sales {
			t.Errorf("namespaces/list still has the deleted team folder: %+v", n)
		}
	}
	// Its name is free again.
	if got, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg("Sales EMEA")); err != nil || got.TeamFolderId == sales {
		t.Errorf("create with a deleted folder's name: %+v, %v", got, err)
	}

	for _, c := range []struct{ route, want string }{
		{"team/team_folder/archive/check", `"invalid_async_job_id"`},
	} {
		wantStatus(t, c.route+" of an unknown job", f.call(t, c.route, map[string]any{"async_job_id": "dbjid:nope"}), 409, c.want)
	}
	wantStatus(t, "archive/check with an empty id", f.call(t, "team/team_folder/archive/check", map[string]any{"async_job_id": ""}), 400,
		"async_job_id: '' must be at least 1 characters, got 0")
	wantStatus(t, "create with a bad sync setting", f.call(t, "team/team_folder/create", map[string]any{"name": "X", "sync_setting": "not_synced_inactive"}), 400,
		"sync_setting: unknown tag 'not_synced_inactive'")
}

// errString is err's text, or "nil".
func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestTeamFolderArchiveJob(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 2 }))
	tc := f.client()
	fl, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg("Legal"))
	if err != nil {
		t.Fatal(err)
	}
	launch, err := tc.TeamFolderArchive(team.NewTeamFolderArchiveArg(fl.TeamFolderId))
	if err != nil || launch.Tag != "async_job_id" {
		t.Fatalf("archive: %+v, %v", launch, err)
	}
	// While the job runs the folder is archive_in_progress and refuses
	// every change.
	items, err := tc.TeamFolderGetInfo(team.NewTeamFolderIdListArg([]string{fl.TeamFolderId}))
	if err != nil || items[0].TeamFolderMetadata.Status.Tag != "archive_in_progress" {
		t.Errorf("get_info during the archive: %+v, %v", items, err)
	}
	for _, route := range []string{"team/team_folder/activate", "team/team_folder/archive", "team/team_folder/permanently_delete"} {
		r := f.call(t, route, map[string]any{"team_folder_id": fl.TeamFolderId})
		want := map[string]any{".tag": "status_error", "status_error": map[string]any{".tag": "archive_in_progress"}}
		if got := usersJSON(t, r.Body).(map[string]any)["error"]; r.Status != 409 || !cmp.Equal(any(want), got) {
			t.Errorf("%s during the archive: %d %s", route, r.Status, r.Body)
		}
	}
	r := f.call(t, "team/team_folder/rename", map[string]any{"team_folder_id": fl.TeamFolderId, "name": "Law"})
	wantStatus(t, "rename during the archive", r, 409, `"archive_in_progress"`)

	// Another team cannot check the job.
	other := createTeam(t, f.emu, "Beta")
	_, err = team.New(sdkConfig(f.emu, other.AccessToken)).TeamFolderArchiveCheck(async.NewPollArg(launch.AsyncJobId))
	var ce team.TeamFolderArchiveCheckAPIError
	if !errors.As(err, &ce) || ce.EndpointError == nil || ce.EndpointError.Tag != async.PollErrorInvalidAsyncJobId {
		t.Errorf("another team's archive/check: %v, want invalid_async_job_id", err)
	}

	for i := range 2 {
		st, err := tc.TeamFolderArchiveCheck(async.NewPollArg(launch.AsyncJobId))
		if err != nil || st.Tag != "in_progress" {
			t.Fatalf("check %d: %+v, %v; want in_progress", i+1, st, err)
		}
	}
	st, err := tc.TeamFolderArchiveCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != "complete" || st.Complete.Status.Tag != "archived" {
		t.Fatalf("check 3: %+v, %v; want complete and archived", st, err)
	}
	r = f.call(t, "team/team_folder/archive/check", map[string]any{"async_job_id": launch.AsyncJobId})
	want := teamFolderJSON(fl.TeamFolderId, "Legal", "archived", false, "default")
	want[".tag"] = "complete"
	if diff := cmp.Diff(any(want), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("archive/check answer (-want +got):\n%s", diff)
	}
	if act, err := tc.TeamFolderActivate(team.NewTeamFolderIdArg(fl.TeamFolderId)); err != nil || act.Status.Tag != "active" {
		t.Errorf("activate after the archive: %+v, %v", act, err)
	}
}

func TestTeamFolderListPaging(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	var ids []string
	for _, name := range []string{"One", "Two", "Three"} {
		fl, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg(name))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fl.TeamFolderId)
	}
	page, err := tc.TeamFolderList(&team.TeamFolderListArg{Limit: 2})
	if err != nil || len(page.TeamFolders) != 2 || !page.HasMore || page.TeamFolders[0].TeamFolderId != f.team.RootNS || page.TeamFolders[1].TeamFolderId != ids[0] {
		t.Fatalf("list limit 2: %+v, %v", page, err)
	}
	rest, err := tc.TeamFolderListContinue(team.NewTeamFolderListContinueArg(page.Cursor))
	if err != nil || len(rest.TeamFolders) != 2 || rest.HasMore || rest.TeamFolders[0].TeamFolderId != ids[1] || rest.TeamFolders[1].TeamFolderId != ids[2] {
		t.Errorf("list/continue: %+v, %v", rest, err)
	}
	_, err = tc.TeamFolderListContinue(team.NewTeamFolderListContinueArg("garbage"))
	var ce team.TeamFolderListContinueAPIError
	if !errors.As(err, &ce) || ce.EndpointError == nil || ce.EndpointError.Tag != team.TeamFolderListContinueErrorInvalidCursor {
		t.Errorf("list/continue with a bad cursor: %v, want invalid_cursor", err)
	}
	wantStatus(t, "list with limit 0", f.call(t, "team/team_folder/list", map[string]any{"limit": 0}), 400, "limit: 0 is not within range [1, 1000]")
}

func TestTeamNamespacesList(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	fl, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg("Design"))
	if err != nil {
		t.Fatal(err)
	}
	outsider := f.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "out@example.com"})
	r := f.call(t, "team/namespaces/list", map[string]any{"limit": 1})
	body := usersJSON(t, r.Body).(map[string]any)
	// By namespace id: the team space, the members' homes, the team folder;
	// the limit has no effect (team.stone); no outsider.
	want := []any{
		map[string]any{"name": "Acme", "namespace_id": f.team.RootNS, "namespace_type": map[string]any{".tag": "team_folder"}, "quota_limit": 0.0},
		map[string]any{"name": "Ada Lovelace", "namespace_id": f.ada.HomeNS, "namespace_type": map[string]any{".tag": "team_member_folder"},
			"team_member_id": f.ada.TeamMemberID, "quota_limit": 0.0},
		map[string]any{"name": "Bob Builder", "namespace_id": f.bob.HomeNS, "namespace_type": map[string]any{".tag": "team_member_folder"},
			"team_member_id": f.bob.TeamMemberID, "quota_limit": 0.0},
		map[string]any{"name": "Design", "namespace_id": fl.TeamFolderId, "namespace_type": map[string]any{".tag": "team_folder"}, "quota_limit": 0.0},
	}
	if diff := cmp.Diff(want, body["namespaces"]); r.Status != 200 || diff != "" || body["has_more"] != false {
		t.Errorf("namespaces/list: %d (-want +got):\n%s", r.Status, diff)
	}
	for _, n := range body["namespaces"].([]any) {
		if n.(map[string]any)["namespace_id"] == outsider.RootNS {
			t.Errorf("an outsider's namespace is listed")
		}
	}
	// A cursor from the end sees the namespaces made since.
	cy := addMember(t, f.emu, teamAccountArg{Email: "cy@acme.example", DisplayName: "Cy", TeamID: f.team.TeamID})
	more, err := tc.NamespacesListContinue(team.NewTeamNamespacesListContinueArg(body["cursor"].(string)))
	if err != nil || len(more.Namespaces) != 1 || more.HasMore || more.Namespaces[0].NamespaceId != cy.HomeNS ||
		more.Namespaces[0].NamespaceType.Tag != "team_member_folder" || more.Namespaces[0].TeamMemberId != cy.TeamMemberID {
		t.Errorf("namespaces/list/continue: %+v, %v", more, err)
	}
	_, err = tc.NamespacesListContinue(team.NewTeamNamespacesListContinueArg("nope"))
	var ce team.NamespacesListContinueAPIError
	if !errors.As(err, &ce) || ce.EndpointError == nil || ce.EndpointError.Tag != team.TeamNamespacesListContinueErrorInvalidCursor {
		t.Errorf("namespaces/list/continue with a bad cursor: %v, want invalid_cursor", err)
	}
	wantStatus(t, "namespaces/list with limit 0", f.call(t, "team/namespaces/list", map[string]any{"limit": 0}), 400,
		"limit: 0 is not within range [1, 1000]")
}

func TestTeamRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	tm := createTeam(t, emu, "Acme")
	ada := addMember(t, emu, teamAccountArg{Email: "ada@acme.example", DisplayName: "Ada Lovelace", TeamID: tm.TeamID, ExternalID: "E-1"})
	bob := addMember(t, emu, teamAccountArg{Email: "bob@acme.example", DisplayName: "Bob Builder", TeamID: tm.TeamID})
	tc := team.New(sdkConfig(emu, tm.AccessToken))
	kept, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg("Kept"))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg("Gone"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.TeamFolderArchive(&team.TeamFolderArchiveArg{TeamFolderIdArg: team.TeamFolderIdArg{TeamFolderId: gone.TeamFolderId}, ForceAsyncOff: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.TeamFolderRename(team.NewTeamFolderRenameArg(kept.TeamFolderId, "Kept Safe")); err != nil {
		t.Fatal(err)
	}
	before := snapshotTeam(t, emu, tm.AccessToken)
	stop()

	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})
	if diff := cmp.Diff(before, snapshotTeam(t, emu, tm.AccessToken)); diff != "" {
		t.Errorf("team after a restart (-before +after):\n%s", diff)
	}
	// Members still act through the team token, and the team goes on.
	cfg := sdkConfig(emu, tm.AccessToken)
	cfg.AsMemberID = bob.TeamMemberID
	if acct, err := users.New(cfg).GetCurrentAccount(); err != nil || acct.AccountId != bob.AccountID || acct.Team == nil {
		t.Errorf("Select-User after a restart: %+v, %v", acct, err)
	}
	tc = team.New(sdkConfig(emu, tm.AccessToken))
	if admin, err := tc.TokenGetAuthenticatedAdmin(); err != nil || admin.AdminProfile.TeamMemberId != ada.TeamMemberID {
		t.Errorf("get_authenticated_admin after a restart: %+v, %v", admin, err)
	}
	if err := tc.TeamFolderPermanentlyDelete(team.NewTeamFolderIdArg(gone.TeamFolderId)); err != nil {
		t.Errorf("permanently_delete after a restart: %v", err)
	}
	cy := addMember(t, emu, teamAccountArg{Email: "cy@acme.example", TeamID: tm.TeamID})
	if cy.RootNS != tm.RootNS || cy.HomeNS == ada.HomeNS || cy.HomeNS == bob.HomeNS {
		t.Errorf("a member added after the restart: %+v", cy)
	}
}

// snapshotTeam is what a team's routes answer, for comparisons across restarts.
func snapshotTeam(t *testing.T, emu *dropboxtest.Emulator, token string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for route, arg := range map[string]any{"team/get_info": nil, "team/members/list_v2": map[string]any{},
		"team/team_folder/list": map[string]any{}, "team/namespaces/list": map[string]any{}} {
		r := do(t, emu, rawCall{Route: route, Token: token, Arg: arg})
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", route, r.Status, r.Body)
		}
		out[route] = usersJSON(t, r.Body)
	}
	return out
}
