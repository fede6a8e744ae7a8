package dropboxtest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
)

// teamMember is what the suite compares of a team member.
type teamMember struct {
	ID    string // team_member_id
	Email string
	Role  string // "" where the route does not say
}

// teamFolder is what the suite compares of a team folder.
type teamFolder struct {
	ID     string
	Name   string
	Status string
	Space  bool // is_team_shared_dropbox: the team space's root
}

// teamFolderOf is the teamFolder of m.
func teamFolderOf(m *dropbox.TeamFolderMetadata) teamFolder {
	if m == nil {
		return teamFolder{}
	}
	return teamFolder{ID: m.TeamFolderID, Name: m.Name, Status: m.Status.Tag, Space: m.IsTeamSharedDropbox}
}

// sortTeamMembers sorts members by email.
func sortTeamMembers(ms []teamMember) []teamMember {
	slices.SortFunc(ms, func(a, b teamMember) int { return strings.Compare(a.Email, b.Email) })
	return ms
}

// testTeam: get_info, token/get_authenticated_admin, members list (v1, v2,
// continues), members get_info (v1, v2), namespaces list with continue,
// team folders (create, rename, get_info, list with continue, archive with
// its check, activate, permanently_delete), and a member's files in the
// team space through AsMember, InTeamSpace, WithNamespace, and AsAdmin
// with WithRoot; then member changes: set_profile_v2, suspend (the
// member's calls get user_suspended), unsuspend, and remove with its
// job_status/get.
func testTeam(t *testing.T, e *env) {
	ta := e.target.NewTeam(t, 3)
	tc := e.client(dropbox.WithToken(ta.Team.AccessToken))
	ctx := e.ctx
	admin, m1, m2 := ta.Members[0], ta.Members[1], ta.Members[2]

	info := must(tc.Team.GetInfo(ctx))(t, "team/get_info")
	if info.TeamID != ta.Team.TeamID || info.Name != ta.Team.Name || info.NumProvisionedUsers != 3 {
		t.Errorf("team/get_info: %s %q with %d provisioned users; want %s %q with 3", info.TeamID, info.Name, info.NumProvisionedUsers, ta.Team.TeamID, ta.Team.Name)
	}
	tok := must(tc.Team.TokenGetAuthenticatedAdmin(ctx))(t, "team/token/get_authenticated_admin")
	diff(t, "team/token/get_authenticated_admin", teamMember{ID: admin.MemberID, Email: admin.Email},
		teamMember{ID: tok.AdminProfile.TeamMemberID, Email: tok.AdminProfile.Email})

	wantMembers := sortTeamMembers([]teamMember{
		{admin.MemberID, admin.Email, dropbox.AdminTierTeamAdmin},
		{m1.MemberID, m1.Email, dropbox.AdminTierMemberOnly},
		{m2.MemberID, m2.Email, dropbox.AdminTierMemberOnly},
	})
	v1 := must(tc.Team.MembersList(ctx, &dropbox.MembersListArg{Limit: dropbox.Ptr[uint32](2)}))(t, "team/members/list")
	var got []teamMember
	for {
		for _, m := range v1.Members {
			got = append(got, teamMember{m.Profile.TeamMemberID, m.Profile.Email, m.Role.Tag})
		}
		if !v1.HasMore {
			break
		}
		v1 = must(tc.Team.MembersListContinue(ctx, &dropbox.MembersListContinueArg{Cursor: v1.Cursor}))(t, "team/members/list/continue")
	}
	diff(t, "team/members/list", wantMembers, sortTeamMembers(got))
	v2 := must(tc.Team.MembersListV2(ctx, &dropbox.MembersListArg{Limit: dropbox.Ptr[uint32](2)}))(t, "team/members/list_v2")
	got = nil
	for {
		for _, m := range v2.Members {
			got = append(got, teamMember{ID: m.Profile.TeamMemberID, Email: m.Profile.Email})
		}
		if !v2.HasMore {
			break
		}
		v2 = must(tc.Team.MembersListContinueV2(ctx, &dropbox.MembersListContinueArg{Cursor: v2.Cursor}))(t, "team/members/list/continue_v2")
	}
	noRoles := func(ms []teamMember) []teamMember {
		out := slices.Clone(ms)
		for i := range out {
			out[i].Role = ""
		}
		return out
	}
	diff(t, "team/members/list_v2", noRoles(wantMembers), sortTeamMembers(got))
	got = nil
	for m, err := range tc.Team.MembersListV2All(ctx, &dropbox.MembersListArg{Limit: dropbox.Ptr[uint32](1)}) {
		check(t, "MembersListV2All", err)
		got = append(got, teamMember{ID: m.Profile.TeamMemberID, Email: m.Profile.Email})
	}
	diff(t, "MembersListV2All", noRoles(wantMembers), sortTeamMembers(got))

	selectors := []dropbox.UserSelectorArg{
		{Tag: dropbox.UserSelectorArgEmail, Email: m1.Email},
		{Tag: dropbox.UserSelectorArgTeamMemberID, TeamMemberID: m2.MemberID},
		{Tag: dropbox.UserSelectorArgEmail, Email: "nobody@nowhere.example"},
	}
	gi := must(tc.Team.MembersGetInfo(ctx, &dropbox.MembersGetInfoArgs{Members: selectors}))(t, "team/members/get_info")
	got = nil
	for _, it := range gi {
		if it.MemberInfo != nil {
			got = append(got, teamMember{it.MemberInfo.Profile.TeamMemberID, it.MemberInfo.Profile.Email, it.MemberInfo.Role.Tag})
		} else {
			got = append(got, teamMember{Email: it.Tag + ":" + it.IDNotFound})
		}
	}
	diff(t, "team/members/get_info", []teamMember{
		{m1.MemberID, m1.Email, dropbox.AdminTierMemberOnly}, {m2.MemberID, m2.Email, dropbox.AdminTierMemberOnly},
		{Email: "id_not_found:nobody@nowhere.example"},
	}, got)
	gi2 := must(tc.Team.MembersGetInfoV2(ctx, &dropbox.MembersGetInfoV2Arg{Members: selectors}))(t, "team/members/get_info_v2")
	got = nil
	for _, it := range gi2.MembersInfo {
		if it.MemberInfo != nil {
			got = append(got, teamMember{ID: it.MemberInfo.Profile.TeamMemberID, Email: it.MemberInfo.Profile.Email})
		} else {
			got = append(got, teamMember{Email: it.Tag + ":" + it.IDNotFound})
		}
	}
	diff(t, "team/members/get_info_v2", []teamMember{{ID: m1.MemberID, Email: m1.Email}, {ID: m2.MemberID, Email: m2.Email},
		{Email: "id_not_found:nobody@nowhere.example"}}, got)

	// Team folders: create, rename, get_info, list.
	created := must(tc.Team.TeamFolderCreate(ctx, &dropbox.TeamFolderCreateArg{Name: "Projects"}))(t, "team/team_folder/create")
	id := created.TeamFolderID
	diff(t, "team/team_folder/create", teamFolder{id, "Projects", dropbox.TeamFolderStatusActive, false}, teamFolderOf(created))
	other := must(tc.Team.TeamFolderCreate(ctx, &dropbox.TeamFolderCreateArg{Name: "Archive Me"}))(t, "team/team_folder/create")
	renamed := must(tc.Team.TeamFolderRename(ctx, &dropbox.TeamFolderRenameArg{TeamFolderID: id, Name: "Projects 2026"}))(t, "team/team_folder/rename")
	diff(t, "team/team_folder/rename", teamFolder{id, "Projects 2026", dropbox.TeamFolderStatusActive, false}, teamFolderOf(renamed))
	items := must(tc.Team.TeamFolderGetInfo(ctx, &dropbox.TeamFolderIdListArg{TeamFolderIDs: []string{id, "123456789"}}))(t, "team/team_folder/get_info")
	var tfs []teamFolder
	for _, it := range items {
		if it.TeamFolderMetadata != nil {
			tfs = append(tfs, teamFolderOf(it.TeamFolderMetadata))
		} else {
			tfs = append(tfs, teamFolder{ID: it.IDNotFound, Status: it.Tag})
		}
	}
	diff(t, "team/team_folder/get_info", []teamFolder{teamFolderOf(renamed), {ID: "123456789", Status: dropbox.TeamFolderGetInfoItemIDNotFound}}, tfs)
	listTeamFolders := func() []teamFolder {
		t.Helper()
		page := must(tc.Team.TeamFolderList(ctx, &dropbox.TeamFolderListArg{Limit: dropbox.Ptr[uint32](1)}))(t, "team/team_folder/list")
		var out []teamFolder
		for {
			for i := range page.TeamFolders {
				out = append(out, teamFolderOf(&page.TeamFolders[i]))
			}
			if !page.HasMore {
				break
			}
			page = must(tc.Team.TeamFolderListContinue(ctx, &dropbox.TeamFolderListContinueArg{Cursor: page.Cursor}))(t, "team/team_folder/list/continue")
		}
		// The team space's root is listed too, as the team shared dropbox.
		slices.SortFunc(out, func(a, b teamFolder) int { return strings.Compare(a.Name, b.Name) })
		return out
	}
	root := teamFolder{ta.Team.RootNS, ta.Team.Name, dropbox.TeamFolderStatusActive, true}
	diff(t, "team/team_folder/list", []teamFolder{teamFolderOf(other), teamFolderOf(renamed), root}, listTeamFolders())

	// Namespaces: the members' folders and the team folders.
	ns := must(tc.Team.NamespacesList(ctx, &dropbox.TeamNamespacesListArg{Limit: dropbox.Ptr[uint32](2)}))(t, "team/namespaces/list")
	kinds := map[string]string{}
	for {
		for _, n := range ns.Namespaces {
			key := n.Name
			if n.TeamMemberID != nil {
				key = *n.TeamMemberID
			}
			kinds[key] = n.NamespaceType.Tag
		}
		if !ns.HasMore {
			break
		}
		ns = must(tc.Team.NamespacesListContinue(ctx, &dropbox.TeamNamespacesListContinueArg{Cursor: ns.Cursor}))(t, "team/namespaces/list/continue")
	}
	// The spec says limit has no effect here: a continue after the last
	// page finds nothing new.
	rest := must(tc.Team.NamespacesListContinue(ctx, &dropbox.TeamNamespacesListContinueArg{Cursor: ns.Cursor}))(t, "team/namespaces/list/continue at the end")
	if len(rest.Namespaces) != 0 || rest.HasMore {
		t.Errorf("team/namespaces/list/continue after the last page: %d namespaces, has_more %v; want none", len(rest.Namespaces), rest.HasMore)
	}
	for key, kind := range map[string]string{admin.MemberID: dropbox.NamespaceTypeTeamMemberFolder, m1.MemberID: dropbox.NamespaceTypeTeamMemberFolder,
		m2.MemberID: dropbox.NamespaceTypeTeamMemberFolder, "Projects 2026": dropbox.NamespaceTypeTeamFolder, "Archive Me": dropbox.NamespaceTypeTeamFolder} {
		if kinds[key] != kind {
			t.Errorf("team/namespaces/list: %s is %q, want %s (all: %v)", key, kinds[key], kind, kinds)
		}
	}

	// A member in the team space: its root is the team space, where the
	// team folder is; through the folder's namespace too.
	member := tc.AsMember(m1.MemberID)
	me := must(member.Users.GetCurrentAccount(ctx))(t, "get_current_account as member")
	if me.Email != m1.Email || me.RootInfo.Tag != dropbox.RootInfoTeam || me.RootInfo.RootNamespaceID() != ta.Team.RootNS {
		t.Errorf("the member: %s with root %s %s, want %s in team space %s", me.Email, me.RootInfo.Tag, me.RootInfo.RootNamespaceID(), m1.Email, ta.Team.RootNS)
	}
	inSpace := must(member.InTeamSpace(ctx))(t, "InTeamSpace")
	doc := []byte("team plan")
	put(t, e, inSpace, "/Projects 2026/plan.txt", doc)
	inFolder := member.WithNamespace(id)
	diff(t, "the team folder through its namespace", []item{fileWant("/plan.txt", doc)}, tree(t, e, inFolder, ""))
	asAdmin := tc.AsAdmin(admin.MemberID).WithRoot(ta.Team.RootNS)
	md := must(asAdmin.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "/Projects 2026/plan.txt"}))(t, "get_metadata as admin")
	diff(t, "the member's file seen by the admin", fileWant("/Projects 2026/plan.txt", doc), itemOf(*md))

	// Archive (a job), activate, archive at once, delete for good.
	al := must(tc.Team.TeamFolderArchive(ctx, &dropbox.TeamFolderArchiveArg{TeamFolderID: other.TeamFolderID}))(t, "team/team_folder/archive")
	archived := al.Complete
	if al.Tag == dropbox.TeamFolderArchiveLaunchAsyncJobID {
		st := poll(ctx, t, "team/team_folder/archive/check", func() (*dropbox.TeamFolderArchiveJobStatus, error) {
			return tc.Team.TeamFolderArchiveCheck(ctx, &dropbox.PollArg{AsyncJobID: al.AsyncJobID})
		}, func(s *dropbox.TeamFolderArchiveJobStatus) bool {
			return s.Tag != dropbox.TeamFolderArchiveJobStatusInProgress
		})
		if st.Tag != dropbox.TeamFolderArchiveJobStatusComplete {
			t.Fatalf("team/team_folder/archive/check: %s %+v", st.Tag, st.Failed)
		}
		archived = st.Complete
	}
	diff(t, "team/team_folder/archive", teamFolder{other.TeamFolderID, "Archive Me", dropbox.TeamFolderStatusArchived, false}, teamFolderOf(archived))
	active := must(tc.Team.TeamFolderActivate(ctx, &dropbox.TeamFolderIdArg{TeamFolderID: other.TeamFolderID}))(t, "team/team_folder/activate")
	diff(t, "team/team_folder/activate", teamFolder{other.TeamFolderID, "Archive Me", dropbox.TeamFolderStatusActive, false}, teamFolderOf(active))
	al = must(tc.Team.TeamFolderArchive(ctx, &dropbox.TeamFolderArchiveArg{TeamFolderID: other.TeamFolderID, ForceAsyncOff: true}))(t, "team/team_folder/archive force_async_off")
	if al.Tag != dropbox.TeamFolderArchiveLaunchComplete || teamFolderOf(al.Complete).Status != dropbox.TeamFolderStatusArchived {
		t.Errorf("team/team_folder/archive with force_async_off: %s %+v, want complete and archived", al.Tag, teamFolderOf(al.Complete))
	}
	check(t, "team/team_folder/permanently_delete", tc.Team.TeamFolderPermanentlyDelete(ctx, &dropbox.TeamFolderIdArg{TeamFolderID: other.TeamFolderID}))
	diff(t, "team folders at the end", []teamFolder{teamFolderOf(renamed), root}, listTeamFolders())

	testTeamMemberChanges(t, e, tc, m1, m2)
}

// testTeamMemberChanges changes m2 (set_profile_v2, suspend, unsuspend)
// and removes it, with m1 still on the team.
func testTeamMemberChanges(t *testing.T, e *env, tc *dropbox.Client, m1, m2 Account) {
	ctx := e.ctx
	sel := dropbox.UserSelectorArg{Tag: dropbox.UserSelectorArgTeamMemberID, TeamMemberID: m2.MemberID}
	set := must(tc.Team.MembersSetProfileV2(ctx, &dropbox.MembersSetProfileArg{User: sel,
		NewGivenName: dropbox.Ptr("Grace"), NewSurname: dropbox.Ptr("Hopper")}))(t, "team/members/set_profile_v2")
	p := set.MemberInfo.Profile
	diff(t, "team/members/set_profile_v2", []string{m2.MemberID, m2.Email, "Grace", "Hopper", "Grace Hopper"},
		[]string{p.TeamMemberID, p.Email, p.Name.GivenName, p.Name.Surname, p.Name.DisplayName})

	check(t, "team/members/suspend", tc.Team.MembersSuspend(ctx, &dropbox.MembersDeactivateArg{User: sel, WipeData: dropbox.Ptr(false)}))
	var ae *dropbox.AuthError
	if _, err := tc.AsMember(m2.MemberID).Users.GetCurrentAccount(ctx); !errors.As(err, &ae) || ae.Tag != "user_suspended" {
		t.Errorf("a suspended member's call: %v, want user_suspended", err)
	}
	var se *dropbox.MembersSuspendError
	if err := tc.Team.MembersSuspend(ctx, &dropbox.MembersDeactivateArg{User: sel}); !errors.As(err, &se) || se.Tag != dropbox.MembersSuspendErrorSuspendInactiveUser {
		t.Errorf("team/members/suspend of a suspended member: %v, want suspend_inactive_user", err)
	}
	check(t, "team/members/unsuspend", tc.Team.MembersUnsuspend(ctx, &dropbox.MembersUnsuspendArg{User: sel}))
	must(tc.AsMember(m2.MemberID).Users.GetCurrentAccount(ctx))(t, "an unsuspended member's call")

	launch := must(tc.Team.MembersRemove(ctx, &dropbox.MembersRemoveArg{User: sel}))(t, "team/members/remove")
	if launch.Tag == dropbox.LaunchEmptyResultAsyncJobID {
		st := poll(ctx, t, "team/members/remove/job_status/get", func() (*dropbox.PollEmptyResult, error) {
			return tc.Team.MembersRemoveJobStatusGet(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
		}, func(s *dropbox.PollEmptyResult) bool { return s.Tag != dropbox.PollEmptyResultInProgress })
		if st.Tag != dropbox.PollEmptyResultComplete {
			t.Fatalf("team/members/remove/job_status/get: %s, want complete", st.Tag)
		}
	}
	var ids []string
	for m, err := range tc.Team.MembersListV2All(ctx, nil) {
		check(t, "MembersListV2All after remove", err)
		ids = append(ids, m.Profile.TeamMemberID)
	}
	if slices.Contains(ids, m2.MemberID) || !slices.Contains(ids, m1.MemberID) {
		t.Errorf("team/members/list_v2 after removing %s: %v", m2.MemberID, ids)
	}
}
