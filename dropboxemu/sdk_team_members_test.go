package dropboxemu_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/async"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/users"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// byMemberID is a UserSelectorArg naming a member by team_member_id.
func byMemberID(id string) *team.UserSelectorArg {
	return &team.UserSelectorArg{Tagged: dropbox.Tagged{Tag: "team_member_id"}, TeamMemberId: id}
}

// byEmail is a UserSelectorArg naming a member by email.
func byEmail(email string) *team.UserSelectorArg {
	return &team.UserSelectorArg{Tagged: dropbox.Tagged{Tag: "email"}, Email: email}
}

// byExternalID is a UserSelectorArg naming a member by external id.
func byExternalID(id string) *team.UserSelectorArg {
	return &team.UserSelectorArg{Tagged: dropbox.Tagged{Tag: "external_id"}, ExternalId: id}
}

// authTag is the AuthError tag of err, or "".
func authTag(err error) string {
	var ae auth.AuthAPIError
	if errors.As(err, &ae) && ae.AuthError != nil {
		return ae.AuthError.Tag
	}
	return ""
}

// memberStatus is the status tag of the member with id in get_info_v2.
func memberStatus(t *testing.T, tc team.Client, id string) string {
	t.Helper()
	res, err := tc.MembersGetInfoV2(team.NewMembersGetInfoV2Arg([]*team.UserSelectorArg{byMemberID(id)}))
	if err != nil || len(res.MembersInfo) != 1 || res.MembersInfo[0].MemberInfo == nil {
		t.Fatalf("get_info_v2 of %s: %+v, %v", id, res, err)
	}
	return res.MembersInfo[0].MemberInfo.Profile.Status.Tag
}

func TestTeamMembersSuspend(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	bobUsers := users.New(sdkConfig(f.emu, f.bob.AccessToken))
	if _, err := bobUsers.GetCurrentAccount(); err != nil {
		t.Fatalf("Bob before the suspension: %v", err)
	}

	arg := team.NewMembersDeactivateArg(byEmail(f.bob.Email))
	arg.WipeData = false
	if err := tc.MembersSuspend(arg); err != nil {
		t.Fatalf("suspend Bob: %v", err)
	}
	if got := memberStatus(t, tc, f.bob.TeamMemberID); got != "suspended" {
		t.Errorf("Bob's status after suspend = %q, want suspended", got)
	}
	if _, err := bobUsers.GetCurrentAccount(); authTag(err) != auth.AuthErrorUserSuspended {
		t.Errorf("Bob's token while suspended: %v, want 401 user_suspended", err)
	}
	cfg := sdkConfig(f.emu, f.team.AccessToken)
	cfg.AsMemberID = f.bob.TeamMemberID
	if _, err := users.New(cfg).GetCurrentAccount(); authTag(err) != auth.AuthErrorUserSuspended {
		t.Errorf("the team token selecting Bob: %v, want 401 user_suspended", err)
	}

	var se team.MembersSuspendAPIError
	if err := tc.MembersSuspend(team.NewMembersDeactivateArg(byMemberID(f.bob.TeamMemberID))); !errors.As(err, &se) ||
		se.EndpointError == nil || se.EndpointError.Tag != team.MembersSuspendErrorSuspendInactiveUser {
		t.Errorf("suspend Bob again: %v, want suspend_inactive_user", err)
	}
	// Ada is the only team admin.
	if err := tc.MembersSuspend(team.NewMembersDeactivateArg(byExternalID("E-1"))); !errors.As(err, &se) ||
		se.EndpointError == nil || se.EndpointError.Tag != team.MembersSuspendErrorSuspendLastAdmin {
		t.Errorf("suspend the last admin: %v, want suspend_last_admin", err)
	}
	if err := tc.MembersSuspend(team.NewMembersDeactivateArg(byEmail("nobody@acme.example"))); !errors.As(err, &se) ||
		se.EndpointError == nil || se.EndpointError.Tag != "user_not_found" {
		t.Errorf("suspend an unknown member: %v, want user_not_found", err)
	}

	if err := tc.MembersUnsuspend(team.NewMembersUnsuspendArg(byMemberID(f.bob.TeamMemberID))); err != nil {
		t.Fatalf("unsuspend Bob: %v", err)
	}
	if got := memberStatus(t, tc, f.bob.TeamMemberID); got != "active" {
		t.Errorf("Bob's status after unsuspend = %q, want active", got)
	}
	if _, err := bobUsers.GetCurrentAccount(); err != nil {
		t.Errorf("Bob after unsuspend: %v", err)
	}
	var ue team.MembersUnsuspendAPIError
	if err := tc.MembersUnsuspend(team.NewMembersUnsuspendArg(byMemberID(f.bob.TeamMemberID))); !errors.As(err, &ue) ||
		ue.EndpointError == nil || ue.EndpointError.Tag != team.MembersUnsuspendErrorUnsuspendNonSuspendedMember {
		t.Errorf("unsuspend an active member: %v, want unsuspend_non_suspended_member", err)
	}

	// The wire forms: Void answers null, a bad selector is a 400.
	r := f.call(t, "team/members/suspend", map[string]any{"user": map[string]any{".tag": "team_member_id", "team_member_id": f.bob.TeamMemberID}})
	if r.Status != 200 || string(r.Body) != "null" {
		t.Errorf("suspend answer: %d %s, want 200 null", r.Status, r.Body)
	}
	wantStatus(t, "suspend with a bad email", f.call(t, "team/members/suspend", map[string]any{"user": map[string]any{".tag": "email", "email": "x"}}),
		400, "did not match pattern")
	wantStatus(t, "suspend without user", f.call(t, "team/members/suspend", map[string]any{}), 400, "user")
}

func TestTeamMembersSetProfile(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	arg := team.NewMembersSetProfileArg(byMemberID(f.bob.TeamMemberID))
	arg.NewEmail = "robert@acme.example"
	arg.NewGivenName = "Robert"
	arg.NewSurname = "Builder"
	arg.NewExternalId = "E-2"
	res, err := tc.MembersSetProfileV2(arg)
	if err != nil {
		t.Fatalf("set_profile_v2: %v", err)
	}
	p := res.MemberInfo.Profile
	got := []string{p.TeamMemberId, p.Email, p.ExternalId, p.Name.GivenName, p.Name.Surname, p.Name.DisplayName, p.Status.Tag}
	want := []string{f.bob.TeamMemberID, "robert@acme.example", "E-2", "Robert", "Builder", "Robert Builder", "active"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("set_profile_v2 profile (-want +got):\n%s", diff)
	}
	// The new email and external id select Bob; his own token sees his
	// new name, and his folder in the team space follows it.
	for _, sel := range []*team.UserSelectorArg{byEmail("robert@acme.example"), byExternalID("E-2")} {
		res, err := tc.MembersGetInfoV2(team.NewMembersGetInfoV2Arg([]*team.UserSelectorArg{sel}))
		if err != nil || len(res.MembersInfo) != 1 || res.MembersInfo[0].MemberInfo == nil ||
			res.MembersInfo[0].MemberInfo.Profile.TeamMemberId != f.bob.TeamMemberID {
			t.Errorf("get_info_v2 by the new %s: %+v, %v", sel.Tag, res, err)
		}
	}
	// Bob's folder at the top of the team space has his new name.
	r0 := do(t, f.emu, rawCall{Route: "files/list_folder", Token: f.bob.AccessToken, Arg: map[string]any{"path": ""},
		Header: map[string]string{"Dropbox-API-Path-Root": `{".tag":"root","root":"` + f.team.RootNS + `"}`}})
	if r0.Status != 200 || !bytes.Contains(r0.Body, []byte(`"Robert Builder"`)) || bytes.Contains(r0.Body, []byte("Bob Builder")) {
		t.Errorf("the team space after the rename: %d %s", r0.Status, r0.Body)
	}
	me, err := users.New(sdkConfig(f.emu, f.bob.AccessToken)).GetCurrentAccount()
	if err != nil || me.Email != "robert@acme.example" || me.Name.DisplayName != "Robert Builder" {
		t.Errorf("Bob's account after set_profile_v2: %+v, %v", me, err)
	}
	r := f.call(t, "team/members/get_info_v2", map[string]any{"members": []any{map[string]any{".tag": "email", "email": "bob@acme.example"}}})
	wantStatus(t, "the old email", r, 200, `"id_not_found"`)

	var pe team.MembersSetProfileV2APIError
	for _, c := range []struct {
		name string
		arg  func() *team.MembersSetProfileArg
		want string
	}{
		{"no new data", func() *team.MembersSetProfileArg { return team.NewMembersSetProfileArg(byMemberID(f.bob.TeamMemberID)) },
			team.MembersSetProfileErrorNoNewDataSpecified},
		{"Ada's email", func() *team.MembersSetProfileArg {
			a := team.NewMembersSetProfileArg(byMemberID(f.bob.TeamMemberID))
			a.NewEmail = "ada@acme.example"
			return a
		}, team.MembersSetProfileErrorEmailReservedForOtherUser},
		{"Ada's external id", func() *team.MembersSetProfileArg {
			a := team.NewMembersSetProfileArg(byMemberID(f.bob.TeamMemberID))
			a.NewExternalId = "E-1"
			return a
		}, team.MembersSetProfileErrorExternalIdUsedByOtherUser},
		{"external id by external id", func() *team.MembersSetProfileArg {
			a := team.NewMembersSetProfileArg(byExternalID("E-2"))
			a.NewExternalId = "E-3"
			return a
		}, team.MembersSetProfileErrorExternalIdAndNewExternalIdUnsafe},
		{"a persistent id", func() *team.MembersSetProfileArg {
			a := team.NewMembersSetProfileArg(byMemberID(f.bob.TeamMemberID))
			a.NewPersistentId = "p-1"
			return a
		}, team.MembersSetProfileErrorPersistentIdDisabled},
		{"an unknown member", func() *team.MembersSetProfileArg {
			a := team.NewMembersSetProfileArg(byEmail("nobody@acme.example"))
			a.NewSurname = "X"
			return a
		}, "user_not_found"},
	} {
		_, err := tc.MembersSetProfileV2(c.arg())
		if !errors.As(err, &pe) || pe.EndpointError == nil || pe.EndpointError.Tag != c.want {
			t.Errorf("set_profile_v2 with %s: %v, want %s", c.name, err, c.want)
		}
	}
	wantStatus(t, "a surname with a slash", f.call(t, "team/members/set_profile_v2", map[string]any{
		"user": map[string]any{".tag": "team_member_id", "team_member_id": f.bob.TeamMemberID}, "new_surname": "a/b"}), 400, "new_surname")
}

// removeMember removes with arg and waits for the job to complete.
func removeMember(t *testing.T, tc team.Client, arg *team.MembersRemoveArg) {
	t.Helper()
	launch, err := tc.MembersRemove(arg)
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	if launch.Tag != "async_job_id" {
		t.Fatalf("remove answered %q, want async_job_id", launch.Tag)
	}
	for {
		st, err := tc.MembersRemoveJobStatusGet(async.NewPollArg(launch.AsyncJobId))
		if err != nil {
			t.Fatalf("remove/job_status/get: %v", err)
		}
		if st.Tag == "complete" {
			return
		}
		if st.Tag != "in_progress" {
			t.Fatalf("remove/job_status/get: %q", st.Tag)
		}
	}
}

func TestTeamMembersRemoveTransfer(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 1 }))
	tc := f.client()
	bobFiles := files.New(sdkConfig(f.emu, f.bob.AccessToken))
	if _, err := bobFiles.Upload(files.NewUploadArg("/Plans/roof.txt"), bytes.NewReader([]byte("slate"))); err != nil {
		t.Fatalf("Bob's upload: %v", err)
	}

	arg := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
	arg.TransferDestId = byExternalID("E-1")
	arg.TransferAdminId = byEmail(f.ada.Email)
	removeMember(t, tc, arg)

	// Bob is gone from the team and his token is revoked.
	res, err := tc.MembersListV2(team.NewMembersListArg())
	if err != nil || len(res.Members) != 1 || res.Members[0].Profile.TeamMemberId != f.ada.TeamMemberID {
		t.Errorf("list_v2 after the removal: %+v, %v", res, err)
	}
	withRemoved := team.NewMembersListArg()
	withRemoved.IncludeRemoved = true
	withRemoved.Limit = 1
	all, err := tc.MembersListV2(withRemoved)
	if err == nil && all.HasMore {
		more, cerr := tc.MembersListContinueV2(team.NewMembersListContinueArg(all.Cursor))
		if cerr == nil {
			all.Members = append(all.Members, more.Members...)
		}
		err = cerr
	}
	if err != nil || len(all.Members) != 2 || all.Members[1].Profile.Status.Tag != "removed" ||
		all.Members[1].Profile.Status.Removed == nil || all.Members[1].Profile.Status.Removed.IsDisconnected {
		t.Errorf("list_v2 with include_removed: %+v, %v", all, err)
	}
	if _, err := users.New(sdkConfig(f.emu, f.bob.AccessToken)).GetCurrentAccount(); authTag(err) != auth.AuthErrorInvalidAccessToken {
		t.Errorf("Bob's token after the removal: %v, want invalid_access_token", err)
	}
	info, err := tc.GetInfo()
	if err != nil || info.NumProvisionedUsers != 1 {
		t.Errorf("get_info after the removal: %+v, %v", info, err)
	}

	// His files are in Ada's home, in a folder named after him.
	adaFiles := files.New(sdkConfig(f.emu, f.ada.AccessToken))
	md, err := adaFiles.GetMetadata(files.NewGetMetadataArg("/Bob Builder/Plans/roof.txt"))
	if err != nil {
		t.Fatalf("the transferred file: %v", err)
	}
	if fm, ok := md.(*files.FileMetadata); !ok || fm.Size != 5 {
		t.Errorf("the transferred file: %#v", md)
	}

	// Removing him again, or to him, fails.
	var re team.MembersRemoveAPIError
	if _, err := tc.MembersRemove(team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))); !errors.As(err, &re) ||
		re.EndpointError == nil || re.EndpointError.Tag != "user_not_in_team" {
		t.Errorf("remove Bob again: %v, want user_not_in_team", err)
	}
	cy := addMember(t, f.emu, teamAccountArg{Email: "cy@acme.example", TeamID: f.team.TeamID})
	toBob := team.NewMembersRemoveArg(byMemberID(cy.TeamMemberID))
	toBob.TransferDestId = byMemberID(f.bob.TeamMemberID)
	toBob.TransferAdminId = byMemberID(f.ada.TeamMemberID)
	if _, err := tc.MembersRemove(toBob); !errors.As(err, &re) || re.EndpointError == nil ||
		re.EndpointError.Tag != team.MembersRemoveErrorTransferDestUserNotInTeam {
		t.Errorf("transfer to a removed member: %v, want transfer_dest_user_not_in_team", err)
	}
	var pe team.MembersRemoveJobStatusGetAPIError
	if _, err := tc.MembersRemoveJobStatusGet(async.NewPollArg("dbjid:nope")); !errors.As(err, &pe) ||
		pe.EndpointError == nil || pe.EndpointError.Tag != async.PollErrorInvalidAsyncJobId {
		t.Errorf("job_status/get of an unknown job: %v, want invalid_async_job_id", err)
	}
}

func TestTeamMembersRemoveKeepAccount(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	bobFiles := files.New(sdkConfig(f.emu, f.bob.AccessToken))
	if _, err := bobFiles.Upload(files.NewUploadArg("/mine.txt"), bytes.NewReader([]byte("keep"))); err != nil {
		t.Fatalf("Bob's upload: %v", err)
	}

	cy := addMember(t, f.emu, teamAccountArg{Email: "cy@acme.example", TeamID: f.team.TeamID})
	var re team.MembersRemoveAPIError
	for _, c := range []struct {
		name string
		arg  func() *team.MembersRemoveArg
		want string
	}{
		{"keep_account with wipe_data", func() *team.MembersRemoveArg {
			a := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
			a.KeepAccount = true
			return a
		}, team.MembersRemoveErrorCannotKeepAccountAndDeleteData},
		{"keep_account and a transfer", func() *team.MembersRemoveArg {
			a := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
			a.KeepAccount, a.WipeData = true, false
			a.TransferDestId, a.TransferAdminId = byMemberID(f.ada.TeamMemberID), byMemberID(f.ada.TeamMemberID)
			return a
		}, team.MembersRemoveErrorCannotKeepAccountAndTransfer},
		{"a transfer without an admin", func() *team.MembersRemoveArg {
			a := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
			a.TransferDestId = byMemberID(f.ada.TeamMemberID)
			return a
		}, team.MembersRemoveErrorUnspecifiedTransferAdminId},
		{"a transfer admin who is no admin", func() *team.MembersRemoveArg {
			a := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
			a.TransferDestId, a.TransferAdminId = byMemberID(f.ada.TeamMemberID), byMemberID(cy.TeamMemberID)
			return a
		}, team.MembersRemoveErrorTransferAdminIsNotAdmin},
		{"the removed member as transfer admin", func() *team.MembersRemoveArg {
			a := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
			a.TransferDestId, a.TransferAdminId = byMemberID(f.ada.TeamMemberID), byMemberID(f.bob.TeamMemberID)
			return a
		}, team.MembersRemoveErrorRemovedAndTransferAdminShouldDiffer},
		{"the last admin", func() *team.MembersRemoveArg { return team.NewMembersRemoveArg(byExternalID("E-1")) },
			team.MembersRemoveErrorRemoveLastAdmin},
		{"to himself", func() *team.MembersRemoveArg {
			a := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
			a.TransferDestId, a.TransferAdminId = byMemberID(f.bob.TeamMemberID), byMemberID(f.ada.TeamMemberID)
			return a
		}, team.MembersRemoveErrorRemovedAndTransferDestShouldDiffer},
	} {
		if _, err := tc.MembersRemove(c.arg()); !errors.As(err, &re) || re.EndpointError == nil || re.EndpointError.Tag != c.want {
			t.Errorf("remove with %s: %v, want %s", c.name, err, c.want)
		}
	}
	if got := memberStatus(t, tc, f.bob.TeamMemberID); got != "active" {
		t.Fatalf("Bob after failed removals: %q, want active", got)
	}

	arg := team.NewMembersRemoveArg(byMemberID(f.bob.TeamMemberID))
	arg.KeepAccount, arg.WipeData = true, false
	removeMember(t, tc, arg)

	// Bob keeps a Basic account, his token and his files.
	me, err := users.New(sdkConfig(f.emu, f.bob.AccessToken)).GetCurrentAccount()
	if err != nil || me.AccountType.Tag != "basic" || me.Team != nil || me.TeamMemberId != "" {
		t.Fatalf("Bob after keep_account: %+v, %v", me, err)
	}
	if _, err := bobFiles.GetMetadata(files.NewGetMetadataArg("/mine.txt")); err != nil {
		t.Errorf("Bob's file after keep_account: %v", err)
	}
	r := f.call(t, "team/members/get_info_v2", map[string]any{"members": []any{map[string]any{".tag": "team_member_id", "team_member_id": f.bob.TeamMemberID}}})
	status := usersJSON(t, r.Body).(map[string]any)["members_info"].([]any)[0].(map[string]any)["profile"].(map[string]any)["status"]
	want := map[string]any{".tag": "removed", "is_recoverable": false, "is_disconnected": true}
	if diff := cmp.Diff(any(want), status); diff != "" {
		t.Errorf("a kept account's status (-want +got):\n%s", diff)
	}
	// His home is no longer the team's.
	nss, err := tc.NamespacesList(team.NewTeamNamespacesListArg())
	if err != nil {
		t.Fatalf("namespaces/list: %v", err)
	}
	for _, ns := range nss.Namespaces {
		if ns.NamespaceId == f.bob.HomeNS {
			t.Errorf("namespaces/list after the removal lists Bob's home: %+v", ns)
		}
	}
	if err := tc.MembersSuspend(team.NewMembersDeactivateArg(byMemberID(f.bob.TeamMemberID))); err == nil {
		t.Errorf("suspend a removed member: no error")
	}
	var pe team.MembersSetProfileV2APIError
	sp := team.NewMembersSetProfileArg(byMemberID(f.bob.TeamMemberID))
	sp.NewSurname = "X"
	if _, err := tc.MembersSetProfileV2(sp); !errors.As(err, &pe) || pe.EndpointError == nil ||
		pe.EndpointError.Tag != team.MembersSetProfileErrorSetProfileDisallowed {
		t.Errorf("set_profile_v2 of a removed member: %v, want set_profile_disallowed", err)
	}
}

func TestTeamMembersRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	tm := createTeam(t, emu, "Acme")
	ada := addMember(t, emu, teamAccountArg{Email: "ada@acme.example", DisplayName: "Ada Lovelace", TeamID: tm.TeamID})
	bob := addMember(t, emu, teamAccountArg{Email: "bob@acme.example", DisplayName: "Bob Builder", TeamID: tm.TeamID})
	cy := addMember(t, emu, teamAccountArg{Email: "cy@acme.example", DisplayName: "Cy Young", TeamID: tm.TeamID})
	tc := team.New(sdkConfig(emu, tm.AccessToken))
	if _, err := files.New(sdkConfig(emu, bob.AccessToken)).Upload(files.NewUploadArg("/a.txt"), bytes.NewReader([]byte("a"))); err != nil {
		t.Fatal(err)
	}
	sp := team.NewMembersSetProfileArg(byMemberID(cy.TeamMemberID))
	sp.NewEmail = "cyrus@acme.example"
	if _, err := tc.MembersSetProfileV2(sp); err != nil {
		t.Fatal(err)
	}
	if err := tc.MembersSuspend(team.NewMembersDeactivateArg(byMemberID(cy.TeamMemberID))); err != nil {
		t.Fatal(err)
	}
	arg := team.NewMembersRemoveArg(byMemberID(bob.TeamMemberID))
	arg.TransferDestId, arg.TransferAdminId = byMemberID(ada.TeamMemberID), byMemberID(ada.TeamMemberID)
	removeMember(t, tc, arg)
	withRemoved := func() map[string]any {
		t.Helper()
		r := do(t, emu, rawCall{Route: "team/members/list_v2", Token: tm.AccessToken, Arg: map[string]any{"include_removed": true}})
		if r.Status != 200 {
			t.Fatalf("list_v2: %d %s", r.Status, r.Body)
		}
		return usersJSON(t, r.Body).(map[string]any)
	}
	before, beforeList := snapshotTeam(t, emu, tm.AccessToken), withRemoved()
	stop()

	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})
	if diff := cmp.Diff(before, snapshotTeam(t, emu, tm.AccessToken)); diff != "" {
		t.Errorf("team after a restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(beforeList, withRemoved()); diff != "" {
		t.Errorf("list_v2 with include_removed after a restart (-before +after):\n%s", diff)
	}
	if _, err := users.New(sdkConfig(emu, bob.AccessToken)).GetCurrentAccount(); authTag(err) != auth.AuthErrorInvalidAccessToken {
		t.Errorf("the removed member's token after a restart: %v, want invalid_access_token", err)
	}
	if _, err := users.New(sdkConfig(emu, cy.AccessToken)).GetCurrentAccount(); authTag(err) != auth.AuthErrorUserSuspended {
		t.Errorf("the suspended member's token after a restart: %v, want user_suspended", err)
	}
	if _, err := files.New(sdkConfig(emu, ada.AccessToken)).GetMetadata(files.NewGetMetadataArg("/Bob Builder/a.txt")); err != nil {
		t.Errorf("the transferred file after a restart: %v", err)
	}
	tc = team.New(sdkConfig(emu, tm.AccessToken))
	res, err := tc.MembersGetInfoV2(team.NewMembersGetInfoV2Arg([]*team.UserSelectorArg{byEmail("cyrus@acme.example")}))
	if err != nil || res.MembersInfo[0].MemberInfo == nil || res.MembersInfo[0].MemberInfo.Profile.TeamMemberId != cy.TeamMemberID {
		t.Errorf("the new email after a restart: %+v, %v", res, err)
	}
}

func TestTeamMembersRemoveTokenAdmin(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	addMember(t, f.emu, teamAccountArg{Email: "dee@acme.example", TeamID: f.team.TeamID, Role: "team_admin"})
	removeMember(t, tc, team.NewMembersRemoveArg(byMemberID(f.ada.TeamMemberID)))
	_, err := tc.TokenGetAuthenticatedAdmin()
	var ae team.TokenGetAuthenticatedAdminAPIError
	if !errors.As(err, &ae) || ae.EndpointError == nil || ae.EndpointError.Tag != team.TokenGetAuthenticatedAdminErrorAdminNotActive {
		t.Errorf("get_authenticated_admin after its admin left: %v, want admin_not_active", err)
	}
	// The admin who left selects nobody.
	cfg := sdkConfig(f.emu, f.team.AccessToken)
	cfg.AsAdminID = f.ada.TeamMemberID
	if _, err := users.New(cfg).GetCurrentAccount(); authTag(err) != auth.AuthErrorInvalidSelectAdmin {
		t.Errorf("Select-Admin of a removed admin: %v, want invalid_select_admin", err)
	}
}
