package dropboxemu_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/file_requests"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/sharing"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// TestReviewRelinquishNoTooManyFiles: RelinquishFolderMembershipError has
// no too_many_files, so leaving a huge folder with a copy still works,
// while remove_folder_member keeps refusing the copy.
func TestReviewRelinquishNoTooManyFiles(t *testing.T) {
	t.Parallel()
	emu, ada, bob, cy := sfSetup(t)
	fc := files.NewContext(sdkConfig(emu, ada.acct.AccessToken))
	// Grow /Big past 10,000 entries by copying it into itself.
	for i := range 39 {
		coreOverwrite(t, fc, fmt.Sprintf("/Big/g0/f%d", i), []byte("x"))
	}
	for g := 1; g <= 8; g++ {
		for _, half := range []string{"a", "b"} {
			if _, err := ada.fc.CopyV2(files.NewRelocationArg(fmt.Sprintf("/Big/g%d", g-1), fmt.Sprintf("/Big/g%d/%s", g, half))); err != nil {
				t.Fatalf("copy into g%d: %v", g, err)
			}
		}
	}
	sfid := sfShare(t, ada, "/Big").SharedFolderId
	sfAdd(t, ada, sfid, sfMember("dropbox_id", bob.acct.AccountID, "editor"), sfMember("dropbox_id", cy.acct.AccountID, "editor"))
	sfMount(t, bob, sfid)
	sfMount(t, cy, sfid)
	_, err := ada.sc.RemoveFolderMember(sharing.NewRemoveFolderMemberArg(sfid, sfSelect(cy.acct.AccountID), true))
	sfWantErr(t, "remove_folder_member with a copy", err, "too_many_files")
	leave := sharing.NewRelinquishFolderMembershipArg(sfid)
	leave.LeaveACopy = true
	res, err := bob.sc.RelinquishFolderMembership(leave)
	if err != nil || res.Tag != "async_job_id" {
		t.Fatalf("relinquish with a copy: %v %+v", err, res)
	}
}

// TestReviewJobResultKeyOrder: a job's complete status keeps the result's
// keys in the spec's declaration order, inlined (check_share_job_status)
// or under "complete" (copy_batch/check_v2), and a file name's < and >
// stay unescaped as in every other answer.
func TestReviewJobResultKeyOrder(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	coreOverwrite(t, files.NewContext(cfg), "/Share/a<b>.txt", []byte("x"))
	r := do(t, emu, rawCall{Route: "sharing/share_folder", Token: acct.AccessToken, Arg: map[string]any{"path": "/Share", "force_async": true}})
	var launch struct {
		ID string `json:"async_job_id"`
	}
	if err := json.Unmarshal(r.Body, &launch); err != nil || launch.ID == "" {
		t.Fatalf("share_folder: %d %s", r.Status, r.Body)
	}
	st := do(t, emu, rawCall{Route: "sharing/check_share_job_status", Token: acct.AccessToken, Arg: map[string]any{"async_job_id": launch.ID}})
	var md struct {
		ID string `json:"shared_folder_id"`
	}
	if err := json.Unmarshal(st.Body, &md); err != nil || md.ID == "" {
		t.Fatalf("check_share_job_status: %d %s", st.Status, st.Body)
	}
	meta := do(t, emu, rawCall{Route: "sharing/get_folder_metadata", Token: acct.AccessToken, Arg: map[string]any{"shared_folder_id": md.ID}})
	if want := `{".tag":"complete",` + string(meta.Body[1:]); string(st.Body) != want {
		t.Errorf("check_share_job_status:\n got %s\nwant %s", st.Body, want)
	}

	r = do(t, emu, rawCall{Route: "files/copy_batch_v2", Token: acct.AccessToken,
		Arg: map[string]any{"entries": []any{map[string]any{"from_path": "/Share/a<b>.txt", "to_path": "/c<d>.txt"}}}})
	if err := json.Unmarshal(r.Body, &launch); err != nil || launch.ID == "" {
		t.Fatalf("copy_batch_v2: %d %s", r.Status, r.Body)
	}
	st = do(t, emu, rawCall{Route: "files/copy_batch/check_v2", Token: acct.AccessToken, Arg: map[string]any{"async_job_id": launch.ID}})
	if want := `{".tag":"complete","entries":[{".tag":"success","success":{".tag":"file","name":"c<d>.txt","path_lower":"/c<d>.txt","path_display":"/c<d>.txt","id":`; !strings.HasPrefix(string(st.Body), want) {
		t.Errorf("copy_batch/check_v2:\n got %s\nwant %s...", st.Body, want)
	}
}

// TestReviewMountQuotaOrder: mount_folder's insufficient_quota carries
// InsufficientQuotaAmounts in the spec's field order.
func TestReviewMountQuotaOrder(t *testing.T) {
	t.Parallel()
	emu, ada, _, _ := sfSetup(t)
	relUpload(t, ada.fc, "/Proj/big.txt", "12345")
	sfid := sfShare(t, ada, "/Proj").SharedFolderId
	small := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "small@example.com", Quota: 3})
	sfAdd(t, ada, sfid, sfMember("dropbox_id", small.AccountID, "viewer"))
	r := do(t, emu, rawCall{Route: "sharing/mount_folder", Token: small.AccessToken, Arg: map[string]any{"shared_folder_id": sfid}})
	want := `{"error_summary":"insufficient_quota/..","error":{".tag":"insufficient_quota","space_needed":5,"space_shortage":2,"space_left":3}}`
	if r.Status != 409 || string(r.Body) != want {
		t.Errorf("mount_folder: %d %s\nwant %s", r.Status, r.Body, want)
	}
}

// TestReviewFileRequestNoWritePermission: a viewer of a shared folder
// cannot aim a file request into it, at the mount point, at a folder in
// it or at a new folder there.
func TestReviewFileRequestNoWritePermission(t *testing.T) {
	t.Parallel()
	emu, ada, bob, _ := sfSetup(t)
	relUpload(t, ada.fc, "/Proj/sub/a.txt", "a")
	sfid := sfShare(t, ada, "/Proj").SharedFolderId
	sfAdd(t, ada, sfid, sfMember("dropbox_id", bob.acct.AccountID, "viewer"))
	sfMount(t, bob, sfid)
	frc := file_requests.New(sdkConfig(emu, bob.acct.AccessToken))
	for _, dest := range []string{"/Proj", "/Proj/sub", "/Proj/new"} {
		_, err := frc.Create(file_requests.NewCreateFileRequestArgs("Homework", dest))
		var ce file_requests.CreateAPIError
		if !errors.As(err, &ce) || ce.EndpointError.Tag != file_requests.CreateFileRequestErrorNoWritePermission {
			t.Errorf("create into %s: %v", dest, errString(err))
		}
	}
	if _, err := bob.fc.GetMetadata(files.NewGetMetadataArg("/Proj/new")); err == nil {
		t.Error("a refused file request made its folder")
	}
	// The viewer may still aim one at a folder of its own.
	fr, err := frc.Create(file_requests.NewCreateFileRequestArgs("Homework", "/Mine"))
	if err != nil {
		t.Fatalf("create into /Mine: %v", err)
	}
	upd := file_requests.NewUpdateFileRequestArgs(fr.Id)
	upd.Destination = "/Proj/sub"
	_, err = frc.Update(upd)
	var ue file_requests.UpdateAPIError
	if !errors.As(err, &ue) || ue.EndpointError.Tag != file_requests.UpdateFileRequestErrorNoWritePermission {
		t.Errorf("update into /Proj/sub: %v", errString(err))
	}
}

// TestReviewHomePathClash: a member whose folder went to "/Name (1)"
// because the name was taken has that as root_info.home_path.
func TestReviewHomePathClash(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	ada2 := addMember(t, f.emu, teamAccountArg{Email: "ada2@acme.example", DisplayName: "Ada Lovelace", TeamID: f.team.TeamID})
	for _, tt := range []struct{ token, want string }{{f.ada.AccessToken, "/Ada Lovelace"}, {ada2.AccessToken, "/Ada Lovelace (1)"}} {
		r := do(t, f.emu, rawCall{Route: "users/get_current_account", Token: tt.token, Arg: "null"})
		var acct struct {
			RootInfo struct {
				Tag      string `json:".tag"`
				HomePath string `json:"home_path"`
			} `json:"root_info"`
		}
		if err := json.Unmarshal(r.Body, &acct); err != nil || acct.RootInfo.Tag != "team" || acct.RootInfo.HomePath != tt.want {
			t.Errorf("get_current_account: %d %s, want home_path %q", r.Status, r.Body, tt.want)
		}
	}
	// The home path is where the member's folder is in the team space.
	fc := files.New(rootConfig(sdkConfig(f.emu, ada2.AccessToken), ada2.RootNS))
	if paths, _ := listAllPaths(t, fc, ""); !slices.Contains(paths, "/Ada Lovelace (1)/") {
		t.Errorf("the second Ada's team space: %v", paths)
	}
}

// TestReviewNamespacesSharedFolders: team/namespaces/list has the shared
// folders with a team member in them, whoever owns them (shared_folder,
// no team_member_id), and not the others.
func TestReviewNamespacesSharedFolders(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	zed := sfAccount(t, f.emu, "zed@example.com", "Zed Outsider", "pro")
	ada := sfUser{acct: dropboxtest.Account{AccessToken: f.ada.AccessToken}, fc: files.New(sdkConfig(f.emu, f.ada.AccessToken)),
		sc: sharing.New(sdkConfig(f.emu, f.ada.AccessToken))}
	relUpload(t, zed.fc, "/Ext/a.txt", "a")
	relUpload(t, zed.fc, "/Alone/a.txt", "a")
	relUpload(t, ada.fc, "/Mine/a.txt", "a")
	ext := sfShare(t, zed, "/Ext").SharedFolderId
	sfShare(t, zed, "/Alone")
	mine := sfShare(t, ada, "/Mine").SharedFolderId
	sfAdd(t, zed, ext, sfMember("dropbox_id", f.bob.AccountID, "editor"))

	res, err := f.client().NamespacesList(team.NewTeamNamespacesListArg())
	if err != nil {
		t.Fatalf("namespaces/list: %v", err)
	}
	var got []string
	for _, n := range res.Namespaces {
		if n.NamespaceType.Tag == team.NamespaceTypeSharedFolder {
			got = append(got, n.NamespaceId+" "+n.Name+" "+n.TeamMemberId)
		}
	}
	want := []string{ext + " Ext ", mine + " Mine "}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shared folders in namespaces/list (-want +got):\n%s", diff)
	}
}

// TestReviewMemberPolicyTeam: a shared folder whose member_policy is team
// takes the owner's teammates only.
func TestReviewMemberPolicyTeam(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	zed := sfAccount(t, f.emu, "zed@example.com", "Zed Outsider", "pro")
	ada := sfUser{fc: files.New(sdkConfig(f.emu, f.ada.AccessToken)), sc: sharing.New(sdkConfig(f.emu, f.ada.AccessToken))}
	relUpload(t, ada.fc, "/T/a.txt", "a")
	arg := sharing.NewShareFolderArg("/T")
	arg.MemberPolicy = &sharing.MemberPolicy{Tagged: dropbox.Tagged{Tag: sharing.MemberPolicyTeam}}
	res, err := ada.sc.ShareFolder(arg)
	if err != nil || res.Complete == nil {
		t.Fatalf("share_folder: %v %+v", err, res)
	}
	sfid := res.Complete.SharedFolderId
	for _, m := range []*sharing.AddMember{sfMember("dropbox_id", zed.acct.AccountID, "editor"), sfMember("email", "nobody@example.com", "viewer")} {
		err := ada.sc.AddFolderMember(sharing.NewAddFolderMemberArg(sfid, []*sharing.AddMember{sfMember("dropbox_id", f.bob.AccountID, "editor"), m}))
		sfWantErr(t, "adding an outsider", err, "cant_share_outside_team")
	}
	if got := sfMembers(t, ada, sfid); len(got) != 1 {
		t.Errorf("members after refused adds: %v", got)
	}
	sfAdd(t, ada, sfid, sfMember("dropbox_id", f.bob.AccountID, "editor"))
	if got := sfMembers(t, ada, sfid); len(got) != 2 {
		t.Errorf("members after adding a teammate: %v", got)
	}
}

// TestReviewLinkTeamMemberInfo: a link owned by a team member carries
// team_member_info (member_id for a viewer on the same team only); a
// link of an account outside teams does not.
func TestReviewLinkTeamMemberInfo(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	zed := sfAccount(t, f.emu, "zed@example.com", "Zed Outsider", "pro")
	relUpload(t, files.New(sdkConfig(f.emu, f.ada.AccessToken)), "/a.txt", "a")
	relUpload(t, zed.fc, "/z.txt", "z")
	create := func(token, path string) string {
		t.Helper()
		r := do(t, f.emu, rawCall{Route: "sharing/create_shared_link_with_settings", Token: token, Arg: map[string]any{"path": path}})
		var l struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(r.Body, &l); err != nil || l.URL == "" {
			t.Fatalf("create_shared_link_with_settings: %d %s", r.Status, r.Body)
		}
		return l.URL
	}
	adaLink, zedLink := create(f.ada.AccessToken, "/a.txt"), create(zed.acct.AccessToken, "/z.txt")
	info := fmt.Sprintf(`"team_member_info":{"team_info":{"id":%q,"name":"Acme"},"display_name":"Ada Lovelace"`, f.team.TeamID)
	for _, tt := range []struct{ token, link, want string }{
		{f.bob.AccessToken, adaLink, info + fmt.Sprintf(`,"member_id":%q}`, f.ada.TeamMemberID)},
		{zed.acct.AccessToken, adaLink, info + "}"},
		{f.bob.AccessToken, zedLink, ""},
	} {
		r := do(t, f.emu, rawCall{Route: "sharing/get_shared_link_metadata", Token: tt.token, Arg: map[string]any{"url": tt.link}})
		if r.Status != 200 || tt.want != "" && !strings.Contains(string(r.Body), tt.want) ||
			tt.want == "" && strings.Contains(string(r.Body), "team_member_info") {
			t.Errorf("get_shared_link_metadata of %s: %d %s\nwant %s", tt.link, r.Status, r.Body, tt.want)
		}
	}
}

// TestReviewPathRootNamespacePattern: a namespace id is checked against
// the spec's pattern [-_0-9a-zA-Z:]+: one that matches but is not the
// user's is a 422, one that does not is a 400.
func TestReviewPathRootNamespacePattern(t *testing.T) {
	t.Parallel()
	emu, acct, _ := newSDKAccount(t)
	for _, tt := range []struct {
		header string
		status int
		want   string
	}{
		{`{".tag":"namespace_id","namespace_id":"ns:abc-_9"}`, 422, `"no_permission"`},
		{`{".tag":"root","root":"AbC-1"}`, 422, `"invalid_root"`},
		{`{".tag":"namespace_id","namespace_id":"a b"}`, 400, "Dropbox-API-Path-Root"},
		{`{".tag":"root","root":"1.2"}`, 400, "Dropbox-API-Path-Root"},
	} {
		r := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{"path": ""},
			Header: map[string]string{"Dropbox-API-Path-Root": tt.header}})
		if r.Status != tt.status || !strings.Contains(string(r.Body), tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.header, r.Status, r.Body, tt.status, tt.want)
		}
	}
}

// TestSelectAdminModeEnforced: a team token may act as an admin
// (Dropbox-API-Select-Admin) only on user routes whose spec has
// select_admin_mode; elsewhere it must act as the member (Select-User).
func TestSelectAdminModeEnforced(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	admin := map[string]string{"Dropbox-API-Select-Admin": f.ada.TeamMemberID}
	// users/get_current_account has select_admin_mode whole_team.
	res := do(t, f.emu, rawCall{Route: "users/get_current_account", Token: f.team.AccessToken, Header: admin})
	if res.Status != 200 {
		t.Errorf("get_current_account as admin: %d %s", res.Status, res.Body)
	}
	// sharing/list_folders has none.
	res = do(t, f.emu, rawCall{Route: "sharing/list_folders", Token: f.team.AccessToken, Arg: map[string]any{}, Header: admin})
	if res.Status != 400 || !strings.Contains(string(res.Body), "Dropbox-API-Select-Admin") {
		t.Errorf("list_folders as admin: %d %s", res.Status, res.Body)
	}
	res = do(t, f.emu, rawCall{Route: "sharing/list_folders", Token: f.team.AccessToken, Arg: map[string]any{},
		Header: map[string]string{"Dropbox-API-Select-User": f.ada.TeamMemberID}})
	if res.Status != 200 {
		t.Errorf("list_folders as the member: %d %s", res.Status, res.Body)
	}
}
