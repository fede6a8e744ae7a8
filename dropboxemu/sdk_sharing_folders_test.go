package dropboxemu_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/async"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/sharing"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// Helpers of the shared folder tests, all named sf*.

// sfUser is an account with its Go SDK clients.
type sfUser struct {
	acct dropboxtest.Account
	fc   files.Client
	sc   sharing.Client
}

// sfAccount makes an account on emu.
func sfAccount(t *testing.T, emu *dropboxtest.Emulator, email, name, plan string) sfUser {
	t.Helper()
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: email, DisplayName: name, AccountType: plan})
	cfg := sdkConfig(emu, acct.AccessToken)
	return sfUser{acct: acct, fc: files.New(cfg), sc: sharing.New(cfg)}
}

// sfSetup starts an emulator with Ada (the owner), Bob and Cy.
func sfSetup(t *testing.T, opts ...dropboxtest.Option) (emu *dropboxtest.Emulator, ada, bob, cy sfUser) {
	t.Helper()
	emu = dropboxtest.NewEmulator(t, opts...)
	return emu, sfAccount(t, emu, "ada@example.com", "Ada Lovelace", "pro"),
		sfAccount(t, emu, "bob@example.com", "Bob Builder", "pro"),
		sfAccount(t, emu, "cy@example.com", "Cy Young", "basic")
}

// sfShare shares path as u and fails the test unless it completes at once.
func sfShare(t *testing.T, u sfUser, path string) *sharing.SharedFolderMetadata {
	t.Helper()
	res, err := u.sc.ShareFolder(sharing.NewShareFolderArg(path))
	if err != nil {
		t.Fatalf("share_folder %s: %v", path, err)
	}
	if res.Tag != sharing.ShareFolderLaunchComplete || res.Complete == nil {
		t.Fatalf("share_folder %s: %+v, want complete", path, res)
	}
	return res.Complete
}

// sfShareErr fails the test unless sharing path as u fails with the
// error whose tags are want.
func sfShareErr(t *testing.T, u sfUser, path, want string) {
	t.Helper()
	_, err := u.sc.ShareFolder(sharing.NewShareFolderArg(path))
	sfWantErr(t, "share_folder "+path, err, want)
}

// sfMember selects a member by email or dropbox_id, with an access level.
func sfMember(kind, value, level string) *sharing.AddMember {
	sel := &sharing.MemberSelector{Tagged: dropbox.Tagged{Tag: kind}}
	if kind == sharing.MemberSelectorEmail {
		sel.Email = value
	} else {
		sel.DropboxId = value
	}
	am := sharing.NewAddMember(sel)
	if level != "" {
		am.AccessLevel = &sharing.AccessLevel{Tagged: dropbox.Tagged{Tag: level}}
	}
	return am
}

// sfSelect is a MemberSelector by dropbox_id.
func sfSelect(id string) *sharing.MemberSelector {
	return &sharing.MemberSelector{Tagged: dropbox.Tagged{Tag: sharing.MemberSelectorDropboxId}, DropboxId: id}
}

// sfAdd adds members to shared folder id as u.
func sfAdd(t *testing.T, u sfUser, id string, members ...*sharing.AddMember) {
	t.Helper()
	if err := u.sc.AddFolderMember(sharing.NewAddFolderMemberArg(id, members)); err != nil {
		t.Fatalf("add_folder_member: %v", err)
	}
}

// sfMount mounts shared folder id for u.
func sfMount(t *testing.T, u sfUser, id string) *sharing.SharedFolderMetadata {
	t.Helper()
	md, err := u.sc.MountFolder(sharing.NewMountFolderArg(id))
	if err != nil {
		t.Fatalf("mount_folder: %v", err)
	}
	return md
}

// sfFolders lists u's shared folders as "name path access" lines.
func sfFolders(t *testing.T, u sfUser) []string {
	t.Helper()
	res, err := u.sc.ListFolders(sharing.NewListFoldersArgs())
	if err != nil {
		t.Fatalf("list_folders: %v", err)
	}
	var out []string
	for _, e := range res.Entries {
		out = append(out, e.Name+" "+e.PathDisplay+" "+e.AccessType.Tag)
	}
	return out
}

// sfMembers lists the members of shared folder id as "account access"
// lines (invitees as "email access (invitee)").
func sfMembers(t *testing.T, u sfUser, id string) []string {
	t.Helper()
	res, err := u.sc.ListFolderMembers(sharing.NewListFolderMembersArgs(id))
	if err != nil {
		t.Fatalf("list_folder_members: %v", err)
	}
	var out []string
	for _, m := range res.Users {
		out = append(out, m.User.AccountId+" "+m.AccessType.Tag)
	}
	for _, m := range res.Invitees {
		out = append(out, m.Invitee.Email+" "+m.AccessType.Tag+" (invitee)")
	}
	return out
}

// sfMeta returns the metadata of path for u.
func sfMeta(t *testing.T, u sfUser, path string) files.IsMetadata {
	t.Helper()
	m, err := u.fc.GetMetadata(files.NewGetMetadataArg(path))
	if err != nil {
		t.Fatalf("get_metadata %s: %v", path, err)
	}
	return m
}

// sfWantErr fails the test unless err is a Dropbox error whose summary
// starts with the tags of want ("bad_path/is_file").
func sfWantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), want+"/") {
		t.Errorf("%s: error %s, want %s", what, errString(err), want)
	}
}

// sfRelocate moves (move) or copies from to to as u; want is the tags of
// the error it must fail with, "" when it must succeed.
func sfRelocate(t *testing.T, u sfUser, move bool, from, to, want string) {
	t.Helper()
	arg := files.NewRelocationArg(from, to)
	var err error
	if move {
		_, err = u.fc.MoveV2(arg)
	} else {
		_, err = u.fc.CopyV2(arg)
	}
	if want == "" {
		if err != nil {
			t.Errorf("relocating %s to %s: %v", from, to, err)
		}
		return
	}
	sfWantErr(t, "relocating "+from+" to "+to, err, want)
}

// sfWaitJob polls a sharing job with check until it is no longer in
// progress and returns its final status tag.
func sfWaitJob(t *testing.T, check func() (string, error)) string {
	t.Helper()
	for range 10 {
		tag, err := check()
		if err != nil {
			t.Fatalf("check job: %v", err)
		}
		if tag != "in_progress" {
			return tag
		}
	}
	t.Fatal("job still in progress after 10 checks")
	return ""
}

// TestSharedFolderShareAndMount: sharing keeps the owner's paths and ids
// and adds sharing_info; members mount the folder at the top of their
// home (a free name when taken), see each other's changes through their
// cursors, and a viewer cannot write.
func TestSharedFolderShareAndMount(t *testing.T) {
	t.Parallel()
	emu, ada, bob, cy := sfSetup(t)
	folder := relFolder(t, ada.fc, "/Proj")
	a := relUpload(t, ada.fc, "/Proj/a.txt", "alpha")
	relUpload(t, ada.fc, "/Proj/sub/b.txt", "beta")
	_, adaCursor := listAllPaths(t, ada.fc, "")

	md := sfShare(t, ada, "/Proj")
	sfid := md.SharedFolderId
	got := []string{md.AccessType.Tag, md.Name, md.PathLower, md.PathDisplay, md.FolderId, strings.Join(md.OwnerDisplayNames, ","),
		md.Policy.AclUpdatePolicy.Tag, md.Policy.SharedLinkPolicy.Tag, md.AccessInheritance.Tag}
	want := []string{"owner", "Proj", "/proj", "/Proj", folder.Id, "Ada Lovelace", "owner", "anyone", "inherit"}
	if !cmp.Equal(got, want) || sfid == "" || md.IsTeamFolder || md.IsInsideTeamFolder || md.OwnerTeam != nil ||
		!strings.HasPrefix(md.PreviewUrl, emu.URL+"/scl/fo/") || time.Time(md.TimeInvited).IsZero() {
		t.Errorf("share_folder result:\n%s\n%+v", cmp.Diff(want, got), md)
	}

	// The owner's paths and ids stay; sharing_info appears.
	fm := sfMeta(t, ada, "/Proj").(*files.FolderMetadata)
	if fm.Id != folder.Id || fm.SharedFolderId != sfid || fm.SharingInfo == nil || fm.SharingInfo.SharedFolderId != sfid || fm.SharingInfo.ReadOnly {
		t.Errorf("the shared folder's metadata: %+v %+v", fm, fm.SharingInfo)
	}
	am := sfMeta(t, ada, "/proj/A.TXT").(*files.FileMetadata)
	wantInfo := &files.FileSharingInfo{ParentSharedFolderId: sfid, ModifiedBy: ada.acct.AccountID}
	if am.Id != a.Id || am.PathDisplay != "/Proj/a.txt" || am.ParentSharedFolderId != sfid || !cmp.Equal(am.SharingInfo, wantInfo) {
		t.Errorf("a file of the shared folder: %+v\n%s", am, cmp.Diff(wantInfo, am.SharingInfo))
	}
	if revs, err := ada.fc.ListRevisions(files.NewListRevisionsArg("/Proj/a.txt")); err != nil || len(revs.Entries) != 1 || revs.Entries[0].Rev != a.Rev {
		t.Errorf("the revisions of a shared file: %v %+v", err, revs)
	}
	sub := sfMeta(t, ada, "/Proj/sub").(*files.FolderMetadata)
	if sub.SharingInfo == nil || sub.SharingInfo.ParentSharedFolderId != sfid || sub.SharedFolderId != "" {
		t.Errorf("a folder of the shared folder: %+v", sub)
	}
	// The owner's cursor sees the folder change (and its children again), nothing deleted.
	changes, adaCursor := continuePaths(t, ada.fc, adaCursor)
	if !slices.Contains(changes, "/Proj/") || slices.ContainsFunc(changes, func(p string) bool { return strings.HasPrefix(p, "-") }) {
		t.Errorf("the owner's cursor after sharing: %v", changes)
	}

	// Members by email (any case) and by account id.
	sfAdd(t, ada, sfid, sfMember("email", "BOB@example.com", "editor"), sfMember("dropbox_id", cy.acct.AccountID, "viewer"))
	wantMembers := []string{ada.acct.AccountID + " owner", bob.acct.AccountID + " editor", cy.acct.AccountID + " viewer"}
	if got := sfMembers(t, ada, sfid); !cmp.Equal(got, wantMembers) {
		t.Errorf("members:\n%s", cmp.Diff(wantMembers, got))
	}
	if got, want := sfFolders(t, bob), []string{"Proj  editor"}; !cmp.Equal(got, want) {
		t.Errorf("Bob's folders before mounting:\n%s", cmp.Diff(want, got))
	}

	// Bob has a /Proj of his own: the mount takes the next free name.
	relFolder(t, bob.fc, "/Proj")
	_, bobCursor := listAllPaths(t, bob.fc, "")
	bm := sfMount(t, bob, sfid)
	if bm.PathDisplay != "/Proj (1)" || bm.PathLower != "/proj (1)" || bm.AccessType.Tag != "editor" || bm.Name != "Proj (1)" {
		t.Errorf("Bob's mount: %+v", bm)
	}
	changes, bobCursor = continuePaths(t, bob.fc, bobCursor)
	if want := []string{"/Proj (1)/", "/Proj (1)/a.txt", "/Proj (1)/sub/", "/Proj (1)/sub/b.txt"}; !cmp.Equal(changes, want) {
		t.Errorf("Bob's cursor after mounting:\n%s", cmp.Diff(want, changes))
	}
	if _, err := bob.sc.MountFolder(sharing.NewMountFolderArg(sfid)); err == nil || !strings.HasPrefix(err.Error(), "already_mounted") {
		t.Errorf("mounting twice: %v", errString(err))
	}
	// The folder's id names Bob's mount point, and leads into it.
	if m := sfMeta(t, bob, folder.Id+"/sub/b.txt").(*files.FileMetadata); m.PathDisplay != "/Proj (1)/sub/b.txt" {
		t.Errorf("a path below the folder's id: %+v", m)
	}
	if m := sfMeta(t, bob, folder.Id).(*files.FolderMetadata); m.PathDisplay != "/Proj (1)" {
		t.Errorf("the folder's id for a member: %+v", m)
	}

	// An editor writes; the owner's cursor and metadata see it.
	up, err := bob.fc.Upload(files.NewUploadArg("/Proj (1)/sub/bob.txt"), strings.NewReader("bob"))
	if err != nil {
		t.Fatalf("Bob's upload: %v", err)
	}
	if up.PathDisplay != "/Proj (1)/sub/bob.txt" || up.SharingInfo == nil || up.SharingInfo.ModifiedBy != bob.acct.AccountID {
		t.Errorf("Bob's upload result: %+v %+v", up, up.SharingInfo)
	}
	changes, adaCursor = continuePaths(t, ada.fc, adaCursor)
	if want := []string{"/Proj/sub/bob.txt"}; !cmp.Equal(changes, want) {
		t.Errorf("Ada's cursor after Bob's upload:\n%s", cmp.Diff(want, changes))
	}
	if m := sfMeta(t, ada, "/Proj/sub/bob.txt").(*files.FileMetadata); m.Id != up.Id || m.SharingInfo.ModifiedBy != bob.acct.AccountID {
		t.Errorf("Bob's file seen by Ada: %+v", m)
	}
	// And the owner's changes reach Bob's cursor (after his own) under his paths.
	relUpload(t, ada.fc, "/Proj/late.txt", "late")
	changes, bobCursor = continuePaths(t, bob.fc, bobCursor)
	if want := []string{"/Proj (1)/sub/bob.txt", "/Proj (1)/late.txt"}; !cmp.Equal(changes, want) {
		t.Errorf("Bob's cursor after Ada's upload:\n%s", cmp.Diff(want, changes))
	}

	// A viewer reads but may not write.
	if cm := sfMount(t, cy, sfid); cm.PathDisplay != "/Proj" || cm.AccessType.Tag != "viewer" {
		t.Errorf("Cy's mount: %+v", cm)
	}
	if m := sfMeta(t, cy, "/Proj/a.txt").(*files.FileMetadata); m.SharingInfo == nil || !m.SharingInfo.ReadOnly {
		t.Errorf("a file seen by a viewer: %+v", m.SharingInfo)
	}
	if m := sfMeta(t, cy, "/Proj").(*files.FolderMetadata); m.SharingInfo == nil || !m.SharingInfo.ReadOnly || m.SharingInfo.SharedFolderId != sfid {
		t.Errorf("the mount point seen by a viewer: %+v", m.SharingInfo)
	}
	_, err = cy.fc.Upload(files.NewUploadArg("/Proj/cy.txt"), strings.NewReader("no"))
	var upErr files.UploadAPIError
	if !errors.As(err, &upErr) || upErr.EndpointError.Path == nil || upErr.EndpointError.Path.Reason.Tag != files.WriteErrorNoWritePermission {
		t.Errorf("a viewer's upload: %v", errString(err))
	}
	_, err = cy.fc.DeleteV2(files.NewDeleteArg("/Proj/a.txt"))
	sfWantErr(t, "a viewer's delete", err, "path_write/no_write_permission")
	_, err = cy.fc.CreateFolderV2(files.NewCreateFolderArg("/Proj/new"))
	sfWantErr(t, "a viewer's create_folder", err, "path/no_write_permission")
	if cp, err := cy.fc.CopyV2(files.NewRelocationArg("/Proj/a.txt", "/mine.txt")); err != nil {
		t.Errorf("a viewer copies out: %v", err)
	} else if m := cp.Metadata.(*files.FileMetadata); m.SharingInfo != nil || relDownload(t, cy.fc, "/mine.txt") != "alpha" {
		t.Errorf("the viewer's copy: %+v", m)
	}
	sfRelocate(t, cy, true, "/Proj/a.txt", "/a.txt", "from_write/no_write_permission")
	sfRelocate(t, cy, true, "/Proj/a.txt", "/Proj/sub/a.txt", "from_write/no_write_permission")
	sfRelocate(t, cy, false, "/mine.txt", "/Proj/mine.txt", "to/no_write_permission")

	// Unmounting takes it out of Bob's tree; mounting brings it back.
	if err := bob.sc.UnmountFolder(sharing.NewUnmountFolderArg(sfid)); err != nil {
		t.Fatalf("unmount_folder: %v", err)
	}
	changes, bobCursor = continuePaths(t, bob.fc, bobCursor)
	if want := []string{"-/Proj (1)"}; !cmp.Equal(changes, want) {
		t.Errorf("Bob's cursor after unmounting:\n%s", cmp.Diff(want, changes))
	}
	if got, want := sfFolders(t, bob), []string{"Proj  editor"}; !cmp.Equal(got, want) {
		t.Errorf("Bob's folders after unmounting:\n%s", cmp.Diff(want, got))
	}
	if _, err := bob.fc.GetMetadata(files.NewGetMetadataArg("/Proj (1)/a.txt")); err == nil {
		t.Error("an unmounted folder is still readable")
	}
	err = bob.sc.UnmountFolder(sharing.NewUnmountFolderArg(sfid))
	sfWantErr(t, "unmounting an unmounted folder", err, "access_error/unmounted")
	sfMount(t, bob, sfid)
	// Deleting the mount point unmounts it too; Bob stays a member.
	if _, err := bob.fc.DeleteV2(files.NewDeleteArg("/Proj (1)")); err != nil {
		t.Fatalf("deleting the mount point: %v", err)
	}
	if got, want := sfFolders(t, bob), []string{"Proj  editor"}; !cmp.Equal(got, want) {
		t.Errorf("Bob's folders after deleting his mount:\n%s", cmp.Diff(want, got))
	}
	if got, _ := listAllPaths(t, ada.fc, "/Proj"); len(got) != 6 {
		t.Errorf("Ada's folder after Bob's delete: %v", got)
	}
}

// TestSharedFolderShareErrors: what share_folder refuses, with
// ShareFolderError's members, and a malformed argument's 400.
func TestSharedFolderShareErrors(t *testing.T) {
	t.Parallel()
	emu, ada, bob, _ := sfSetup(t)
	relUpload(t, ada.fc, "/file.txt", "x")
	relUpload(t, ada.fc, "/Proj/in.txt", "x")
	relFolder(t, ada.fc, "/Outer/Deep")
	relFolder(t, ada.fc, "/Thing.app/Inside")
	sfid := sfShare(t, ada, "/Proj").SharedFolderId
	for _, tt := range []struct {
		path, want string
	}{
		{"/file.txt", "bad_path/is_file"},
		{"/file.txt/below", "bad_path/invalid_path"},
		{"/Proj/inner", "bad_path/inside_shared_folder"},
		{"/Thing.app", "bad_path/is_osx_package"},
		{"/Thing.app/Inside", "bad_path/inside_osx_package"},
		{"/a/./b", "bad_path/invalid_path"},
	} {
		sfShareErr(t, ada, tt.path, tt.want)
	}
	// Already shared: the folder's metadata comes with the error.
	_, err := ada.sc.ShareFolder(sharing.NewShareFolderArg("/proj"))
	var se sharing.ShareFolderAPIError
	if !errors.As(err, &se) || se.EndpointError.BadPath == nil || se.EndpointError.BadPath.Tag != sharing.SharePathErrorAlreadyShared ||
		se.EndpointError.BadPath.AlreadyShared == nil || se.EndpointError.BadPath.AlreadyShared.SharedFolderId != sfid ||
		se.EndpointError.BadPath.AlreadyShared.PathDisplay != "/Proj" || se.ErrorSummary != "bad_path/already_shared/.." {
		t.Errorf("sharing a shared folder again: %v %+v", errString(err), se.EndpointError)
	}
	// A folder holding a shared folder cannot be shared.
	if _, err := ada.fc.MoveV2(files.NewRelocationArg("/Proj", "/Outer/Deep/Proj")); err != nil {
		t.Fatalf("moving the shared folder: %v", err)
	}
	sfShareErr(t, ada, "/Outer", "bad_path/contains_shared_folder")
	sfWantErr(t, "shared_link_policy members off a team", func() error {
		arg := sharing.NewShareFolderArg("/Other")
		arg.SharedLinkPolicy = &sharing.SharedLinkPolicy{Tagged: dropbox.Tagged{Tag: "members"}}
		_, err := ada.sc.ShareFolder(arg)
		return err
	}(), "disallowed_shared_link_policy")
	if _, err := ada.fc.GetMetadata(files.NewGetMetadataArg("/Other")); err == nil {
		t.Error("a refused share_folder made its folder")
	}
	// A member cannot share what is inside the folder either.
	sfAdd(t, ada, sfid, sfMember("email", bob.acct.Email, "editor"))
	sfMount(t, bob, sfid)
	sfShareErr(t, bob, "/Proj/x", "bad_path/inside_shared_folder")

	// 400s for arguments the spec does not allow.
	for _, tt := range []struct {
		route string
		arg   any
		want  string
	}{
		{"sharing/share_folder", map[string]any{"path": "/x", "acl_update_policy": "nobody"}, "acl_update_policy: unknown tag 'nobody'"},
		{"sharing/share_folder", map[string]any{"path": "/x", "colour": "red"}, "unknown field 'colour'"},
		{"sharing/share_folder", map[string]any{}, "missing required field 'path'"},
		{"sharing/mount_folder", map[string]any{"shared_folder_id": "a b"}, "shared_folder_id: 'a b' did not match pattern '[-_0-9a-zA-Z:]+'"},
		{"sharing/add_folder_member", map[string]any{"shared_folder_id": sfid, "members": []any{map[string]any{"member": map[string]any{".tag": "email", "email": "not-an-email"}}}},
			"members.member.email: 'not-an-email' did not match pattern"},
		{"sharing/add_folder_member", map[string]any{"shared_folder_id": sfid, "members": []any{map[string]any{"member": "email"}}},
			"members.member: expected object for 'email', got symbol"},
		{"sharing/add_folder_member", map[string]any{"shared_folder_id": sfid, "members": []any{map[string]any{}}},
			"members: missing required field 'member'"},
		{"sharing/remove_folder_member", map[string]any{"shared_folder_id": sfid, "member": map[string]any{".tag": "dropbox_id", "dropbox_id": bob.acct.AccountID}},
			"missing required field 'leave_a_copy'"},
		{"sharing/list_folders", map[string]any{"limit": 0}, "limit: 0 is not within range [1, 1000]"},
	} {
		wantStatus(t, tt.route, do(t, emu, rawCall{Route: tt.route, Token: ada.acct.AccessToken, Arg: tt.arg}), 400, tt.want)
	}
}

// TestSharedFolderAccessErrors: the errors of the folder and member routes
// for folders one is not a member of, members one may not manage, and
// stale cursors.
func TestSharedFolderAccessErrors(t *testing.T) {
	t.Parallel()
	emu, ada, bob, cy := sfSetup(t)
	sfid := sfShare(t, ada, "/Proj").SharedFolderId

	_, err := bob.sc.GetFolderMetadata(sharing.NewGetMetadataArgs(sfid))
	sfWantErr(t, "get_folder_metadata by a stranger", err, "not_a_member")
	_, err = bob.sc.GetFolderMetadata(sharing.NewGetMetadataArgs("123456789"))
	sfWantErr(t, "get_folder_metadata of no folder", err, "invalid_id")
	_, err = bob.sc.MountFolder(sharing.NewMountFolderArg(sfid))
	sfWantErr(t, "mount by a stranger", err, "access_error/not_a_member")
	_, err = bob.sc.ListFolderMembers(sharing.NewListFolderMembersArgs(sfid))
	sfWantErr(t, "list_folder_members by a stranger", err, "not_a_member")
	err = bob.sc.AddFolderMember(sharing.NewAddFolderMemberArg(sfid, []*sharing.AddMember{sfMember("email", "bob@example.com", "editor")}))
	sfWantErr(t, "a stranger adds himself", err, "access_error/not_a_member")

	// An editor may not manage members while the ACL policy is owner.
	sfAdd(t, ada, sfid, sfMember("dropbox_id", bob.acct.AccountID, "editor"))
	err = bob.sc.AddFolderMember(sharing.NewAddFolderMemberArg(sfid, []*sharing.AddMember{sfMember("email", cy.acct.Email, "viewer")}))
	sfWantErr(t, "an editor adds a member", err, "no_permission")
	err = ada.sc.AddFolderMember(sharing.NewAddFolderMemberArg(sfid, []*sharing.AddMember{sfMember("email", cy.acct.Email, "owner")}))
	sfWantErr(t, "adding an owner", err, "no_permission")
	err = ada.sc.AddFolderMember(sharing.NewAddFolderMemberArg(sfid, []*sharing.AddMember{
		sfMember("email", cy.acct.Email, "viewer"), sfMember("dropbox_id", "dbid:AAnobody", "viewer")}))
	var ae sharing.AddFolderMemberAPIError
	if !errors.As(err, &ae) || ae.EndpointError.BadMember == nil || ae.EndpointError.BadMember.InvalidDropboxId != "dbid:AAnobody" {
		t.Errorf("adding an unknown account id: %v", errString(err))
	}
	err = ada.sc.AddFolderMember(sharing.NewAddFolderMemberArg(sfid, []*sharing.AddMember{sfMember("dropbox_id", "g:1234", "viewer")}))
	sfWantErr(t, "adding a group", err, "bad_member/invalid_group")
	if got := sfMembers(t, ada, sfid); len(got) != 2 {
		t.Errorf("a refused add_folder_member added someone: %v", got)
	}
	_, err = ada.sc.UpdateFolderMember(sharing.NewUpdateFolderMemberArg(sfid, sfSelect(cy.acct.AccountID), &sharing.AccessLevel{Tagged: dropbox.Tagged{Tag: "editor"}}))
	sfWantErr(t, "updating a non-member", err, "member_error/not_a_member")
	_, err = ada.sc.UpdateFolderMember(sharing.NewUpdateFolderMemberArg(sfid, sfSelect("dbid:AAnobody"), &sharing.AccessLevel{Tagged: dropbox.Tagged{Tag: "editor"}}))
	sfWantErr(t, "updating an unknown id", err, "member_error/invalid_dropbox_id")
	_, err = ada.sc.UpdateFolderMember(sharing.NewUpdateFolderMemberArg(sfid, sfSelect(ada.acct.AccountID), &sharing.AccessLevel{Tagged: dropbox.Tagged{Tag: "viewer"}}))
	sfWantErr(t, "downgrading the owner", err, "no_permission")
	_, err = bob.sc.UpdateFolderMember(sharing.NewUpdateFolderMemberArg(sfid, sfSelect(ada.acct.AccountID), &sharing.AccessLevel{Tagged: dropbox.Tagged{Tag: "viewer"}}))
	sfWantErr(t, "an editor updating", err, "no_permission")
	_, err = ada.sc.RemoveFolderMember(sharing.NewRemoveFolderMemberArg(sfid, sfSelect(ada.acct.AccountID), false))
	sfWantErr(t, "removing the owner", err, "folder_owner")
	_, err = bob.sc.RemoveFolderMember(sharing.NewRemoveFolderMemberArg(sfid, sfSelect(ada.acct.AccountID), false))
	sfWantErr(t, "an editor removing the owner", err, "folder_owner")
	_, err = bob.sc.UnshareFolder(sharing.NewUnshareFolderArg(sfid))
	sfWantErr(t, "an editor unsharing", err, "no_permission")
	_, err = ada.sc.RelinquishFolderMembership(sharing.NewRelinquishFolderMembershipArg(sfid))
	sfWantErr(t, "the owner relinquishing", err, "folder_owner")
	_, err = ada.sc.ListFoldersContinue(sharing.NewListFoldersContinueArg("SFCnonsense"))
	sfWantErr(t, "list_folders/continue with a bad cursor", err, "invalid_cursor")
	_, err = ada.sc.ListFolderMembersContinue(sharing.NewListFolderMembersContinueArg("nonsense"))
	sfWantErr(t, "list_folder_members/continue with a bad cursor", err, "invalid_cursor")
	_, err = ada.sc.CheckJobStatus(async.NewPollArg("dbjid:nothing"))
	sfWantErr(t, "check_job_status of no job", err, "invalid_async_job_id")

	// The folder's bytes count against each member who mounts it.
	small := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "small@example.com", Quota: 3})
	relUpload(t, ada.fc, "/Proj/big.txt", "12345")
	sfAdd(t, ada, sfid, sfMember("dropbox_id", small.AccountID, "viewer"))
	_, err = sharing.New(sdkConfig(emu, small.AccessToken)).MountFolder(sharing.NewMountFolderArg(sfid))
	var me sharing.MountFolderAPIError
	if !errors.As(err, &me) || me.EndpointError.Tag != "insufficient_quota" || me.EndpointError.InsufficientQuota == nil ||
		me.EndpointError.InsufficientQuota.SpaceNeeded != 5 || me.EndpointError.InsufficientQuota.SpaceShortage != 2 || me.EndpointError.InsufficientQuota.SpaceLeft != 3 {
		t.Errorf("mounting without the space: %v %+v", errString(err), me.EndpointError)
	}

	// A list_folders cursor is not a list_mountable_folders cursor.
	sfShare(t, ada, "/Two")
	lf := sharing.NewListFoldersArgs()
	lf.Limit = 1
	res, err := ada.sc.ListFolders(lf)
	if err != nil || res.Cursor == "" || len(res.Entries) != 1 {
		t.Fatalf("list_folders limit 1: %v %+v", err, res)
	}
	_, err = ada.sc.ListMountableFoldersContinue(sharing.NewListFoldersContinueArg(res.Cursor))
	sfWantErr(t, "a list_folders cursor elsewhere", err, "invalid_cursor")
	_, err = bob.sc.ListFoldersContinue(sharing.NewListFoldersContinueArg(res.Cursor))
	sfWantErr(t, "another account's cursor", err, "invalid_cursor")
	next, err := ada.sc.ListFoldersContinue(sharing.NewListFoldersContinueArg(res.Cursor))
	if err != nil || len(next.Entries) != 1 || next.Cursor != "" || next.Entries[0].Name != "Two" || res.Entries[0].Name != "Proj" {
		t.Errorf("list_folders paging: %v %+v", err, next)
	}
	mount, err := ada.sc.ListMountableFolders(sharing.NewListFoldersArgs())
	if err != nil || len(mount.Entries) != 2 {
		t.Errorf("list_mountable_folders: %v %+v", err, mount)
	}
}

// TestSharedFolderMoves: a mount point moves within its owner's tree (the
// folder stays shared, at its new path); it cannot be copied, nor put
// inside another shared folder; each member moves their own mount.
func TestSharedFolderMoves(t *testing.T) {
	t.Parallel()
	_, ada, bob, _ := sfSetup(t)
	relUpload(t, ada.fc, "/Proj/a.txt", "alpha")
	sfid := sfShare(t, ada, "/Proj").SharedFolderId
	other := sfShare(t, ada, "/Other").SharedFolderId
	sfAdd(t, ada, sfid, sfMember("dropbox_id", bob.acct.AccountID, "editor"))
	sfMount(t, bob, sfid)
	_, bobCursor := listAllPaths(t, bob.fc, "")

	res, err := ada.fc.MoveV2(files.NewRelocationArg("/Proj", "/Work/Projects"))
	if err != nil {
		t.Fatalf("moving the mount point: %v", err)
	}
	if m := res.Metadata.(*files.FolderMetadata); m.PathDisplay != "/Work/Projects" || m.SharingInfo == nil || m.SharingInfo.SharedFolderId != sfid {
		t.Errorf("the moved mount point: %+v", m)
	}
	if m := sfMeta(t, ada, "/Work/Projects/a.txt").(*files.FileMetadata); m.SharingInfo == nil || m.SharingInfo.ParentSharedFolderId != sfid {
		t.Errorf("a file below the moved mount point: %+v", m)
	}
	md, err := ada.sc.GetFolderMetadata(sharing.NewGetMetadataArgs(sfid))
	if err != nil || md.PathLower != "/work/projects" || md.Name != "Projects" {
		t.Errorf("get_folder_metadata after the move: %v %+v", err, md)
	}
	// Bob's mount did not move.
	if changes, _ := continuePaths(t, bob.fc, bobCursor); len(changes) != 0 {
		t.Errorf("Bob's cursor after Ada moved her mount: %v", changes)
	}
	if relDownload(t, bob.fc, "/Proj/a.txt") != "alpha" {
		t.Error("Bob lost the folder")
	}
	// A folder holding a mount point moves within the home, not into a shared folder.
	sfRelocate(t, ada, true, "/Work", "/Job", "")
	sfRelocate(t, ada, true, "/Job", "/Other/Job", "cant_nest_shared_folder")
	sfRelocate(t, ada, true, "/Job/Projects", "/Other/Projects", "cant_nest_shared_folder")
	sfRelocate(t, ada, true, "/Job/Projects", "/Job/Projects/In", "cant_nest_shared_folder")
	sfRelocate(t, ada, false, "/Job/Projects", "/Copy", "cant_copy_shared_folder")
	sfRelocate(t, ada, false, "/Job", "/Copy", "cant_copy_shared_folder")
	// Plain content moves between the shared folders and the home.
	sfRelocate(t, ada, true, "/Job/Projects/a.txt", "/Other/a.txt", "")
	if m := sfMeta(t, ada, "/Other/a.txt").(*files.FileMetadata); m.SharingInfo == nil || m.SharingInfo.ParentSharedFolderId != other {
		t.Errorf("a file moved into another shared folder: %+v", m.SharingInfo)
	}
	// A member moves their own mount.
	if _, err := bob.fc.MoveV2(files.NewRelocationArg("/Proj", "/Shared/Proj")); err != nil {
		t.Fatalf("Bob moves his mount: %v", err)
	}
	relUpload(t, ada.fc, "/Job/Projects/b.txt", "beta")
	if relDownload(t, bob.fc, "/Shared/Proj/b.txt") != "beta" {
		t.Error("Bob's moved mount does not show Ada's file")
	}
	if md, err := bob.sc.GetFolderMetadata(sharing.NewGetMetadataArgs(sfid)); err != nil || md.PathDisplay != "/Shared/Proj" {
		t.Errorf("Bob's folder metadata after his move: %v %+v", err, md)
	}
}

// TestSharedFolderUnshare: unsharing moves the folder back to the owner's
// home with its ids; members lose their mounts, or keep a copy with
// leave_a_copy; cursors into the folder itself get reset.
func TestSharedFolderUnshare(t *testing.T) {
	t.Parallel()
	_, ada, bob, cy := sfSetup(t)
	a := relUpload(t, ada.fc, "/Proj/a.txt", "alpha")
	relUpload(t, ada.fc, "/Keep/k.txt", "kept")
	proj := sfShare(t, ada, "/Proj").SharedFolderId
	keep := sfShare(t, ada, "/Keep").SharedFolderId
	for _, id := range []string{proj, keep} {
		sfAdd(t, ada, id, sfMember("dropbox_id", bob.acct.AccountID, "editor"), sfMember("dropbox_id", cy.acct.AccountID, "viewer"))
		sfMount(t, bob, id)
	}
	relUpload(t, bob.fc, "/Proj/bob.txt", "bob")
	_, bobCursor := listAllPaths(t, bob.fc, "")
	inside, err := bob.fc.ListFolder(files.NewListFolderArg("/Proj"))
	if err != nil {
		t.Fatal(err)
	}
	_, adaCursor := listAllPaths(t, ada.fc, "")

	unshare := func(id string, leaveACopy bool) {
		t.Helper()
		arg := sharing.NewUnshareFolderArg(id)
		arg.LeaveACopy = leaveACopy
		res, err := ada.sc.UnshareFolder(arg)
		if err != nil || res.Tag != "async_job_id" {
			t.Fatalf("unshare_folder: %v %+v", err, res)
		}
		tag := sfWaitJob(t, func() (string, error) {
			st, err := ada.sc.CheckJobStatus(async.NewPollArg(res.AsyncJobId))
			if err != nil {
				return "", err
			}
			return st.Tag, nil
		})
		if tag != "complete" {
			t.Fatalf("unshare job: %s", tag)
		}
	}
	unshare(proj, false)
	m := sfMeta(t, ada, "/Proj/a.txt").(*files.FileMetadata)
	if m.Id != a.Id || m.SharingInfo != nil || m.ParentSharedFolderId != "" || relDownload(t, ada.fc, "/Proj/bob.txt") != "bob" {
		t.Errorf("the owner's file after unsharing: %+v", m)
	}
	if f := sfMeta(t, ada, "/Proj").(*files.FolderMetadata); f.SharingInfo != nil || f.SharedFolderId != "" {
		t.Errorf("the owner's folder after unsharing: %+v", f)
	}
	changes, _ := continuePaths(t, bob.fc, bobCursor)
	if want := []string{"-/Proj"}; !cmp.Equal(changes, want) {
		t.Errorf("Bob's cursor after unsharing:\n%s", cmp.Diff(want, changes))
	}
	changes, _ = continuePaths(t, ada.fc, adaCursor)
	if !slices.Contains(changes, "/Proj/a.txt") || slices.ContainsFunc(changes, func(p string) bool { return strings.HasPrefix(p, "-") }) {
		t.Errorf("Ada's cursor after unsharing: %v", changes)
	}
	_, err = bob.fc.ListFolderContinue(files.NewListFolderContinueArg(inside.Cursor))
	sfWantErr(t, "a cursor inside the unshared folder", err, "reset")
	if got := sfFolders(t, bob); len(got) != 1 || !strings.HasPrefix(got[0], "Keep ") {
		t.Errorf("Bob's folders after unsharing Proj: %v", got)
	}
	_, err = bob.sc.GetFolderMetadata(sharing.NewGetMetadataArgs(proj))
	sfWantErr(t, "the unshared folder", err, "invalid_id")

	// With leave_a_copy, a member who had it mounted keeps a copy (not a
	// member who had not).
	unshare(keep, true)
	k := sfMeta(t, bob, "/Keep/k.txt").(*files.FileMetadata)
	if k.SharingInfo != nil || relDownload(t, bob.fc, "/Keep/k.txt") != "kept" {
		t.Errorf("Bob's copy: %+v", k)
	}
	if ak := sfMeta(t, ada, "/Keep/k.txt").(*files.FileMetadata); ak.Id == k.Id {
		t.Error("the member's copy has the owner's ids")
	}
	if _, err := cy.fc.GetMetadata(files.NewGetMetadataArg("/Keep")); err == nil {
		t.Error("a member who had not mounted the folder got a copy")
	}
	relUpload(t, bob.fc, "/Keep/bob.txt", "mine")
	if _, err := ada.fc.GetMetadata(files.NewGetMetadataArg("/Keep/bob.txt")); err == nil {
		t.Error("the copy is still shared")
	}
}

// TestSharedFolderMembers: changing a member's access, removing members
// (a job, with or without a copy), leaving, invitations to addresses that
// have no account yet, and paging through the members.
func TestSharedFolderMembers(t *testing.T) {
	t.Parallel()
	emu, ada, bob, cy := sfSetup(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 1 }))
	relUpload(t, ada.fc, "/Proj/a.txt", "alpha")
	sfid := sfShare(t, ada, "/Proj").SharedFolderId
	sfAdd(t, ada, sfid, sfMember("dropbox_id", bob.acct.AccountID, ""), sfMember("email", cy.acct.Email, "viewer"),
		sfMember("email", "dora@example.com", "editor"))
	// Adding someone again changes nothing.
	sfAdd(t, ada, sfid, sfMember("email", bob.acct.Email, "editor"), sfMember("email", "DORA@example.com", "viewer"))
	want := []string{ada.acct.AccountID + " owner", bob.acct.AccountID + " viewer", cy.acct.AccountID + " viewer", "dora@example.com editor (invitee)"}
	if got := sfMembers(t, ada, sfid); !cmp.Equal(got, want) {
		t.Errorf("members:\n%s", cmp.Diff(want, got))
	}

	// Paging, with the permissions asked for.
	arg := sharing.NewListFolderMembersArgs(sfid)
	arg.Limit = 3
	arg.Actions = []*sharing.MemberAction{{Tagged: dropbox.Tagged{Tag: "remove"}}, {Tagged: dropbox.Tagged{Tag: "make_editor"}}}
	page, err := ada.sc.ListFolderMembers(arg)
	if err != nil || len(page.Users) != 3 || len(page.Invitees) != 0 || page.Cursor == "" {
		t.Fatalf("list_folder_members limit 3: %v %+v", err, page)
	}
	perms := func(m *sharing.MembershipInfo) string {
		var out []string
		for _, p := range m.Permissions {
			s := p.Action.Tag + "="
			if p.Allow {
				s += "yes"
			} else {
				s += p.Reason.Tag
			}
			out = append(out, s)
		}
		return strings.Join(out, ",")
	}
	if got, want := []string{perms(&page.Users[0].MembershipInfo), perms(&page.Users[1].MembershipInfo)},
		[]string{"remove=target_is_owner,make_editor=target_is_owner", "remove=yes,make_editor=yes"}; !cmp.Equal(got, want) {
		t.Errorf("permissions:\n%s", cmp.Diff(want, got))
	}
	rest, err := ada.sc.ListFolderMembersContinue(sharing.NewListFolderMembersContinueArg(page.Cursor))
	if err != nil || len(rest.Users) != 0 || len(rest.Invitees) != 1 || rest.Cursor != "" || rest.Invitees[0].Invitee.Email != "dora@example.com" {
		t.Errorf("list_folder_members/continue: %v %+v", err, rest)
	}

	// A viewer made an editor may write.
	sfMount(t, bob, sfid)
	if _, err := bob.fc.Upload(files.NewUploadArg("/Proj/b.txt"), strings.NewReader("b")); err == nil {
		t.Error("a viewer uploaded")
	}
	lvl, err := ada.sc.UpdateFolderMember(sharing.NewUpdateFolderMemberArg(sfid, sfSelect(bob.acct.AccountID), &sharing.AccessLevel{Tagged: dropbox.Tagged{Tag: "editor"}}))
	if err != nil || lvl.AccessLevel != nil || lvl.Warning != "" {
		t.Fatalf("update_folder_member: %v %+v", err, lvl)
	}
	relUpload(t, bob.fc, "/Proj/b.txt", "b")
	if m := sfMeta(t, bob, "/Proj/b.txt").(*files.FileMetadata); m.SharingInfo.ReadOnly {
		t.Error("an editor's file is read-only to him")
	}

	// The invitee's account comes; mounting accepts the invitation.
	dora := sfAccount(t, emu, "dora@example.com", "Dora Explorer", "pro")
	if got, want := sfFolders(t, dora), []string{"Proj  editor"}; !cmp.Equal(got, want) {
		t.Errorf("the invitee's folders:\n%s", cmp.Diff(want, got))
	}
	sfMount(t, dora, sfid)
	relUpload(t, dora.fc, "/Proj/dora.txt", "d")
	if got := sfMembers(t, ada, sfid); got[len(got)-1] != dora.acct.AccountID+" editor" {
		t.Errorf("after the invitee mounted: %v", got)
	}

	// Removing a member is a job; leave_a_copy leaves them the folder's content.
	_, bobCursor := listAllPaths(t, bob.fc, "")
	launch, err := ada.sc.RemoveFolderMember(sharing.NewRemoveFolderMemberArg(sfid, sfSelect(bob.acct.AccountID), true))
	if err != nil || launch.Tag != "async_job_id" {
		t.Fatalf("remove_folder_member: %v %+v", err, launch)
	}
	first, err := ada.sc.CheckRemoveMemberJobStatus(async.NewPollArg(launch.AsyncJobId))
	if err != nil || first.Tag != "in_progress" {
		t.Errorf("first check of the remove job: %v %+v", err, first)
	}
	if tag := sfWaitJob(t, func() (string, error) {
		st, err := ada.sc.CheckRemoveMemberJobStatus(async.NewPollArg(launch.AsyncJobId))
		if err != nil {
			return "", err
		}
		return st.Tag, nil
	}); tag != "complete" {
		t.Errorf("remove job: %s", tag)
	}
	if st, err := ada.sc.CheckJobStatus(async.NewPollArg(launch.AsyncJobId)); err != nil || st.Tag != "complete" {
		t.Errorf("check_job_status of the remove job: %v %+v", err, st)
	}
	if _, err := ada.sc.CheckShareJobStatus(async.NewPollArg(launch.AsyncJobId)); err == nil {
		t.Error("check_share_job_status knows a remove job")
	}
	changes, _ := continuePaths(t, bob.fc, bobCursor)
	if len(changes) < 2 || changes[0] != "-/Proj" || !slices.Contains(changes, "/Proj/dora.txt") {
		t.Errorf("Bob's cursor after being removed with a copy: %v", changes)
	}
	if m := sfMeta(t, bob, "/Proj/a.txt").(*files.FileMetadata); m.SharingInfo != nil {
		t.Errorf("Bob's copy is still shared: %+v", m)
	}
	if got := sfFolders(t, bob); len(got) != 0 {
		t.Errorf("Bob's folders after removal: %v", got)
	}
	// Without a copy, the folder just goes.
	sfMount(t, cy, sfid)
	if _, err := ada.sc.RemoveFolderMember(sharing.NewRemoveFolderMemberArg(sfid, sfSelect(cy.acct.AccountID), false)); err != nil {
		t.Fatalf("remove_folder_member: %v", err)
	}
	if _, err := cy.fc.GetMetadata(files.NewGetMetadataArg("/Proj")); err == nil {
		t.Error("a member removed without a copy keeps the folder")
	}
	_, err = ada.sc.RemoveFolderMember(sharing.NewRemoveFolderMemberArg(sfid, sfSelect(cy.acct.AccountID), false))
	sfWantErr(t, "removing a former member", err, "member_error/not_a_member")

	// Leaving: at once without a copy, a job with one.
	res, err := dora.sc.RelinquishFolderMembership(sharing.NewRelinquishFolderMembershipArg(sfid))
	if err != nil || res.Tag != "complete" {
		t.Errorf("relinquish_folder_membership: %v %+v", err, res)
	}
	if _, err := dora.fc.GetMetadata(files.NewGetMetadataArg("/Proj")); err == nil {
		t.Error("a member who left keeps the folder")
	}
	sfAdd(t, ada, sfid, sfMember("dropbox_id", cy.acct.AccountID, "viewer"))
	sfMount(t, cy, sfid)
	leave := sharing.NewRelinquishFolderMembershipArg(sfid)
	leave.LeaveACopy = true
	res, err = cy.sc.RelinquishFolderMembership(leave)
	if err != nil || res.Tag != "async_job_id" {
		t.Fatalf("relinquish with a copy: %v %+v", err, res)
	}
	if relDownload(t, cy.fc, "/Proj/a.txt") != "alpha" {
		t.Error("the copy of a member who left")
	}
	want = []string{ada.acct.AccountID + " owner"}
	if got := sfMembers(t, ada, sfid); !cmp.Equal(got, want) {
		t.Errorf("members at the end:\n%s", cmp.Diff(want, got))
	}
}

// TestSharedFolderAsync: force_async answers with a job whose status
// carries the folder's metadata.
func TestSharedFolderAsync(t *testing.T) {
	t.Parallel()
	_, ada, _, _ := sfSetup(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 1 }))
	arg := sharing.NewShareFolderArg("/Big")
	arg.ForceAsync = true
	arg.AclUpdatePolicy = &sharing.AclUpdatePolicy{Tagged: dropbox.Tagged{Tag: "editors"}}
	arg.Actions = []*sharing.FolderAction{{Tagged: dropbox.Tagged{Tag: "unshare"}}, {Tagged: dropbox.Tagged{Tag: "relinquish_membership"}}}
	res, err := ada.sc.ShareFolder(arg)
	if err != nil || res.Tag != "async_job_id" || res.AsyncJobId == "" {
		t.Fatalf("share_folder force_async: %v %+v", err, res)
	}
	var done *sharing.ShareFolderJobStatus
	if tag := sfWaitJob(t, func() (string, error) {
		st, err := ada.sc.CheckShareJobStatus(async.NewPollArg(res.AsyncJobId))
		done = st
		if err != nil {
			return "", err
		}
		return st.Tag, nil
	}); tag != "complete" {
		t.Fatalf("share job: %s", tag)
	}
	md := done.Complete
	perms := []string{}
	for _, p := range md.Permissions {
		perms = append(perms, fmt.Sprintf("%s=%v", p.Action.Tag, p.Allow))
	}
	if md.Policy.AclUpdatePolicy.Tag != "editors" || md.PathDisplay != "/Big" || md.AccessType.Tag != "owner" ||
		!cmp.Equal(perms, []string{"unshare=true", "relinquish_membership=false"}) || md.SharedFolderId != sfFolderID(t, ada, "/Big") {
		t.Errorf("the job's result: %+v %v", md, perms)
	}
	if _, err := ada.sc.CheckJobStatus(async.NewPollArg(res.AsyncJobId)); err == nil {
		t.Error("check_job_status knows a share job")
	}
}

// sfFolderID returns the shared folder id of the mount point at path.
func sfFolderID(t *testing.T, u sfUser, path string) string {
	t.Helper()
	m, ok := sfMeta(t, u, path).(*files.FolderMetadata)
	if !ok || m.SharingInfo == nil || m.SharingInfo.SharedFolderId == "" {
		t.Fatalf("%s is not a shared folder: %+v", path, m)
	}
	return m.SharingInfo.SharedFolderId
}

// TestSharedFolderRestart: shared folders, members, mounts, who wrote what
// and cursors through mounts survive a restart of a disk-backed emulator.
func TestSharedFolderRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	ada := sfAccount(t, emu, "ada@example.com", "Ada Lovelace", "pro")
	bob := sfAccount(t, emu, "bob@example.com", "Bob Builder", "pro")
	cy := sfAccount(t, emu, "cy@example.com", "Cy Young", "pro")
	relUpload(t, ada.fc, "/Proj/a.txt", "alpha")
	sfid := sfShare(t, ada, "/Proj").SharedFolderId
	sfAdd(t, ada, sfid, sfMember("dropbox_id", bob.acct.AccountID, "editor"), sfMember("dropbox_id", cy.acct.AccountID, "viewer"),
		sfMember("email", "dora@example.com", "viewer"))
	sfMount(t, bob, sfid)
	sfMount(t, cy, sfid)
	relUpload(t, bob.fc, "/Proj/bob.txt", "bob")
	_, bobCursor := listAllPaths(t, bob.fc, "")
	membersBefore := sfMembers(t, ada, sfid)
	bobFolders := sfFolders(t, bob)
	stop()

	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})
	for _, u := range []*sfUser{&ada, &bob, &cy} {
		cfg := sdkConfig(emu, u.acct.AccessToken)
		u.fc, u.sc = files.New(cfg), sharing.New(cfg)
	}
	if got := sfMembers(t, ada, sfid); !cmp.Equal(got, membersBefore) {
		t.Errorf("members after the restart:\n%s", cmp.Diff(membersBefore, got))
	}
	if got := sfFolders(t, bob); !cmp.Equal(got, bobFolders) {
		t.Errorf("Bob's folders after the restart:\n%s", cmp.Diff(bobFolders, got))
	}
	if m := sfMeta(t, ada, "/Proj/bob.txt").(*files.FileMetadata); m.SharingInfo == nil || m.SharingInfo.ModifiedBy != bob.acct.AccountID {
		t.Errorf("who wrote the file, after the restart: %+v", m.SharingInfo)
	}
	relUpload(t, ada.fc, "/Proj/after.txt", "after")
	if changes, _ := continuePaths(t, bob.fc, bobCursor); !cmp.Equal(changes, []string{"/Proj/after.txt"}) {
		t.Errorf("Bob's cursor after the restart: %v", changes)
	}
	_, err := cy.fc.Upload(files.NewUploadArg("/Proj/cy.txt"), strings.NewReader("no"))
	sfWantErr(t, "a viewer's upload after the restart", err, "path/no_write_permission")
	if _, err := ada.sc.UnshareFolder(sharing.NewUnshareFolderArg(sfid)); err != nil {
		t.Fatalf("unshare after the restart: %v", err)
	}
	if relDownload(t, ada.fc, "/Proj/bob.txt") != "bob" {
		t.Error("the owner's files after unsharing")
	}
}

// TestSharedFolderWebhook: a change by one member notifies the apps of
// every member who has the folder in their Dropbox.
func TestSharedFolderWebhook(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t)
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.WebhookDelay = 10 * time.Millisecond }))
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "hookapp", AppSecret: "sec", RedirectURIs: []string{}, WebhookURI: recv.srv.URL})
	mk := func(email string) sfUser {
		acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: email, AppKey: "hookapp"})
		cfg := sdkConfig(emu, acct.AccessToken)
		return sfUser{acct: acct, fc: files.New(cfg), sc: sharing.New(cfg)}
	}
	ada, bob := mk("ada@example.com"), mk("bob@example.com")
	// waitFor reads notifications until both accounts have been named.
	waitFor := func() {
		t.Helper()
		seen := map[string]bool{}
		for !seen[ada.acct.AccountID] || !seen[bob.acct.AccountID] {
			for _, a := range recv.next(t).check(t, "sec").ListFolder.Accounts {
				seen[a] = true
			}
		}
	}
	// Sharing changes Ada's tree, mounting Bob's: one notification each.
	sfid := sfShare(t, ada, "/Proj").SharedFolderId
	sfAdd(t, ada, sfid, sfMember("dropbox_id", bob.acct.AccountID, "editor"))
	sfMount(t, bob, sfid)
	waitFor()
	// Bob's upload into the folder is a change for both.
	relUpload(t, bob.fc, "/Proj/bob.txt", "bob")
	waitFor()
}

// TestSharedFolderTeamSpace: team members share from their member folder,
// seen with Dropbox-API-Path-Root; the folder belongs to the team; team
// folders and the team space itself are not theirs to share.
func TestSharedFolderTeamSpace(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	if _, err := f.client().TeamFolderCreate(team.NewTeamFolderCreateArg("Projects")); err != nil {
		t.Fatalf("team_folder/create: %v", err)
	}
	user := func(a teamAccount) sfUser {
		cfg := rootConfig(sdkConfig(f.emu, a.AccessToken), a.RootNS)
		return sfUser{fc: files.New(cfg), sc: sharing.New(cfg)}
	}
	ada, bob := user(f.ada), user(f.bob)
	relUpload(t, ada.fc, "/Ada Lovelace/Plans/p.txt", "p")
	md := sfShare(t, ada, "/Ada Lovelace/Plans")
	if md.PathDisplay != "/Ada Lovelace/Plans" || md.OwnerTeam == nil || md.OwnerTeam.Id != f.team.TeamID || md.OwnerTeam.Name != "Acme" ||
		md.Policy.MemberPolicy == nil || md.Policy.MemberPolicy.Tag != "anyone" {
		t.Errorf("a team member's shared folder: %+v %+v", md, md.Policy)
	}
	sfAdd(t, ada, md.SharedFolderId, sfMember("email", f.bob.Email, "editor"))
	if m := sfMount(t, bob, md.SharedFolderId); m.PathDisplay != "/Bob Builder/Plans" {
		t.Errorf("Bob's mount, seen from the team space: %+v", m)
	}
	if relDownload(t, bob.fc, "/Bob Builder/Plans/p.txt") != "p" {
		t.Error("Bob cannot read the shared file")
	}
	res, err := bob.sc.ListFolderMembers(sharing.NewListFolderMembersArgs(md.SharedFolderId))
	if err != nil || len(res.Users) != 2 || !res.Users[0].User.SameTeam || res.Users[0].User.TeamMemberId != f.ada.TeamMemberID {
		t.Errorf("teammates among the members: %v %+v", err, res)
	}
	sfShareErr(t, ada, "/Projects", "bad_path/invalid_path")             // a team folder
	sfShareErr(t, ada, "/Projects/Sub", "bad_path/inside_shared_folder") // inside one
	sfShareErr(t, ada, "/Ada Lovelace", "bad_path/invalid_path")         // one's member folder
}
