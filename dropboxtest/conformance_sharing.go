package dropboxtest

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
)

// link is what the suite compares of a shared link.
type link struct {
	Tag      string // file or folder
	Name     string
	Path     string // path_lower
	Visible  string // resolved_visibility
	Expires  time.Time
	Download bool // allow_download
}

// linkOf is the link of m.
func linkOf(m dropbox.SharedLinkMetadata) link {
	l := link{Tag: m.Tag, Name: m.Name(), Path: deref(m.PathLower()), Expires: deref(m.Expires())}
	p := m.LinkPermissions()
	if p.ResolvedVisibility != nil {
		l.Visible = p.ResolvedVisibility.Tag
	}
	l.Download = p.AllowDownload
	return l
}

// testSharedLinks: create_shared_link_with_settings (and the link that
// exists already), list_shared_links, modify_shared_link_settings,
// get_shared_link_metadata, get_shared_link_file with user and with app
// authentication, revoke_shared_link.
func testSharedLinks(t *testing.T, e *env) {
	c, _ := e.user(PlanPro)
	ctx := e.ctx
	report := []byte("quarterly numbers")
	inner := []byte("inside the folder")
	put(t, e, c, "/Share/Report.txt", report)
	put(t, e, c, "/Share/Folder/Inner.txt", inner)

	fileLink := must(c.Sharing.CreateSharedLinkWithSettings(ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: "/Share/Report.txt",
		Settings: &dropbox.SharedLinkSettings{Audience: &dropbox.LinkAudience{Tag: dropbox.LinkAudiencePublic}, AllowDownload: dropbox.Ptr(true)}}))(t, "create_shared_link_with_settings file")
	diff(t, "file link", link{Tag: dropbox.SharedLinkMetadataFile, Name: "Report.txt", Path: "/share/report.txt", Visible: dropbox.ResolvedVisibilityPublic, Download: true}, linkOf(*fileLink))
	if fileLink.URL() == "" || fileLink.File == nil || fileLink.File.Size != uint64(len(report)) {
		t.Errorf("file link: url %q, %+v", fileLink.URL(), fileLink.File)
	}
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	folderLink := must(c.Sharing.CreateSharedLinkWithSettings(ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: "/Share/Folder",
		Settings: &dropbox.SharedLinkSettings{Expires: &expires}}))(t, "create_shared_link_with_settings folder")
	diff(t, "folder link", link{Tag: dropbox.SharedLinkMetadataFolder, Name: "Folder", Path: "/share/folder", Visible: dropbox.ResolvedVisibilityPublic, Expires: expires, Download: true}, linkOf(*folderLink))

	// A second link for the same file: the existing one comes back in the
	// error.
	_, err := c.Sharing.CreateSharedLinkWithSettings(ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: "/Share/Report.txt"})
	var ce *dropbox.CreateSharedLinkWithSettingsError
	switch {
	case !errors.Is(err, dropbox.ErrSharedLinkExists) || !errors.As(err, &ce):
		t.Errorf("a second link for a file: %v, want shared_link_already_exists", err)
	case ce.SharedLinkAlreadyExists != nil && ce.SharedLinkAlreadyExists.Metadata != nil:
		if got := ce.SharedLinkAlreadyExists.Metadata.URL(); got != fileLink.URL() {
			t.Errorf("shared_link_already_exists carries %q, want %q", got, fileLink.URL())
		}
	}
	// Settings a Basic account may not use.
	basic, _ := e.user(PlanBasic)
	put(t, e, basic, "/b.txt", []byte("b"))
	_, err = basic.Sharing.CreateSharedLinkWithSettings(ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: "/b.txt", Settings: &dropbox.SharedLinkSettings{Expires: &expires}})
	if !errors.Is(err, dropbox.ErrSettingsNotAuthorized) || !errors.As(err, &ce) || ce.Tag != dropbox.CreateSharedLinkWithSettingsErrorSettingsError {
		t.Errorf("an expiring link on a Basic account: %v, want settings_error/not_authorized", err)
	}

	// list_shared_links: all, for one path, and through the iterator.
	all := must(c.Sharing.ListSharedLinks(ctx, &dropbox.ListSharedLinksArg{}))(t, "list_shared_links")
	var got []link
	for _, l := range all.Links {
		got = append(got, linkOf(l))
	}
	want := []link{linkOf(*folderLink), linkOf(*fileLink)}
	sortLinks(want)
	diff(t, "list_shared_links", want, sortLinks(got))
	one := must(c.Sharing.ListSharedLinks(ctx, &dropbox.ListSharedLinksArg{Path: dropbox.Ptr("/Share/Report.txt"), DirectOnly: dropbox.Ptr(true)}))(t, "list_shared_links path")
	if len(one.Links) != 1 || one.Links[0].URL() != fileLink.URL() {
		t.Errorf("list_shared_links of one file: %+v, want its one link", one.Links)
	}
	got = nil
	for l, err := range c.Sharing.ListSharedLinksAll(ctx, nil) {
		check(t, "ListSharedLinksAll", err)
		got = append(got, linkOf(l))
	}
	diff(t, "ListSharedLinksAll", want, sortLinks(got))

	// modify_shared_link_settings: an expiry on the file link, then none.
	mod := must(c.Sharing.ModifySharedLinkSettings(ctx, &dropbox.ModifySharedLinkSettingsArgs{URL: fileLink.URL(),
		Settings: dropbox.SharedLinkSettings{Expires: &expires, AllowDownload: dropbox.Ptr(false)}}))(t, "modify_shared_link_settings")
	wantFile := linkOf(*fileLink)
	wantFile.Expires, wantFile.Download = expires, false
	diff(t, "modified link", wantFile, linkOf(*mod))
	mod = must(c.Sharing.ModifySharedLinkSettings(ctx, &dropbox.ModifySharedLinkSettingsArgs{URL: fileLink.URL(), RemoveExpiration: true}))(t, "modify_shared_link_settings remove_expiration")
	wantFile.Expires = time.Time{}
	diff(t, "link without expiry", wantFile, linkOf(*mod))

	// get_shared_link_metadata, of the link and of a file in a folder link.
	meta := must(c.Sharing.GetSharedLinkMetadata(ctx, &dropbox.GetSharedLinkMetadataArg{URL: fileLink.URL()}))(t, "get_shared_link_metadata")
	diff(t, "get_shared_link_metadata", wantFile, linkOf(*meta))
	sub := must(c.Sharing.GetSharedLinkMetadata(ctx, &dropbox.GetSharedLinkMetadataArg{URL: folderLink.URL(), Path: dropbox.Ptr("/Inner.txt")}))(t, "get_shared_link_metadata path")
	if sub.Tag != dropbox.SharedLinkMetadataFile || sub.Name() != "Inner.txt" || sub.File.Size != uint64(len(inner)) {
		t.Errorf("get_shared_link_metadata of a file in a folder link: %s %q %+v", sub.Tag, sub.Name(), sub.File)
	}

	// get_shared_link_file with the user's token and with the app's key:
	// the folder link's file (downloads of the file link are off now).
	app := e.target.NewApp(t)
	byApp := e.client(dropbox.WithAppAuth(app.Key, app.Secret))
	for name, cl := range map[string]*dropbox.Client{"user": c, "app": byApp} {
		lm, body := must2(cl.Sharing.GetSharedLinkFile(ctx, &dropbox.GetSharedLinkMetadataArg{URL: folderLink.URL(), Path: dropbox.Ptr("/Inner.txt")}))(t, "get_shared_link_file as "+name)
		data := must(io.ReadAll(body))(t, "read get_shared_link_file")
		body.Close()
		if string(data) != string(inner) || lm.Name() != "Inner.txt" {
			t.Errorf("get_shared_link_file as %s: %q named %q, want %q", name, data, lm.Name(), inner)
		}
	}
	check(t, "modify_shared_link_settings allow_download", func() error {
		_, err := c.Sharing.ModifySharedLinkSettings(ctx, &dropbox.ModifySharedLinkSettingsArgs{URL: fileLink.URL(), Settings: dropbox.SharedLinkSettings{AllowDownload: dropbox.Ptr(true)}})
		return err
	}())
	lm, body := must2(byApp.Sharing.GetSharedLinkFile(ctx, &dropbox.GetSharedLinkMetadataArg{URL: fileLink.URL()}))(t, "get_shared_link_file of the file link")
	data := must(io.ReadAll(body))(t, "read get_shared_link_file")
	body.Close()
	if string(data) != string(report) || lm.Tag != dropbox.SharedLinkMetadataFile {
		t.Errorf("get_shared_link_file of the file link: %q (%s), want %q", data, lm.Tag, report)
	}

	// revoke_shared_link: the link is gone.
	check(t, "revoke_shared_link", c.Sharing.RevokeSharedLink(ctx, &dropbox.RevokeSharedLinkArg{URL: fileLink.URL()}))
	_, err = c.Sharing.GetSharedLinkMetadata(ctx, &dropbox.GetSharedLinkMetadataArg{URL: fileLink.URL()})
	var se *dropbox.SharedLinkMetadataError
	if !errors.Is(err, dropbox.ErrSharedLinkNotFound) || !errors.As(err, &se) {
		t.Errorf("get_shared_link_metadata of a revoked link: %v, want shared_link_not_found", err)
	}
	err = c.Sharing.RevokeSharedLink(ctx, &dropbox.RevokeSharedLinkArg{URL: fileLink.URL()})
	var re *dropbox.RevokeSharedLinkError
	if !errors.As(err, &re) || re.Tag != dropbox.RevokeSharedLinkErrorSharedLinkNotFound {
		t.Errorf("revoke of a revoked link: %v, want shared_link_not_found", err)
	}
	left := must(c.Sharing.ListSharedLinks(ctx, &dropbox.ListSharedLinksArg{}))(t, "list_shared_links after revoke")
	if len(left.Links) != 1 || left.Links[0].URL() != folderLink.URL() {
		t.Errorf("links after revoke: %d, want the folder's alone", len(left.Links))
	}
}

// sortLinks sorts links by path.
func sortLinks(ls []link) []link {
	slices.SortFunc(ls, func(a, b link) int { return strings.Compare(a.Path, b.Path) })
	return ls
}

// member is what the suite compares of a shared folder's member.
type member struct {
	Email  string
	Access string
}

// members lists the users of a shared folder through
// list_folder_members and its continue, one per page.
func members(t *testing.T, e *env, c *dropbox.Client, id string) []member {
	t.Helper()
	page := must(c.Sharing.ListFolderMembers(e.ctx, &dropbox.ListFolderMembersArgs{SharedFolderID: id, Limit: dropbox.Ptr[uint32](1)}))(t, "list_folder_members")
	var out []member
	for {
		for _, u := range page.Users {
			out = append(out, member{Email: u.User.Email, Access: u.AccessType.Tag})
		}
		if page.Cursor == nil || *page.Cursor == "" {
			break
		}
		page = must(c.Sharing.ListFolderMembersContinue(e.ctx, &dropbox.ListFolderMembersContinueArg{Cursor: *page.Cursor}))(t, "list_folder_members/continue")
	}
	return sortMembers(out)
}

// sharedFolder is what the suite compares of a shared folder.
type sharedFolder struct {
	Name   string
	Path   string // path_lower; "" when not mounted
	Access string
	ID     string
}

// sharedFolderOf is the sharedFolder of m.
func sharedFolderOf(m *dropbox.SharedFolderMetadata) sharedFolder {
	if m == nil {
		return sharedFolder{}
	}
	return sharedFolder{Name: m.Name, Path: deref(m.PathLower), Access: m.AccessType.Tag, ID: m.SharedFolderID}
}

// listShared lists shared folders through a listing route and its
// continue, one per page.
func listShared(t *testing.T, e *env, what string,
	first func() (*dropbox.ListFoldersResult, error), next func(cursor string) (*dropbox.ListFoldersResult, error)) []sharedFolder {
	t.Helper()
	page := must(first())(t, what)
	var out []sharedFolder
	for {
		for i := range page.Entries {
			out = append(out, sharedFolderOf(&page.Entries[i]))
		}
		if page.Cursor == nil || *page.Cursor == "" || next == nil {
			return out
		}
		page = must(next(*page.Cursor))(t, what+"/continue")
	}
}

// testSharedFolders: share_folder with its job, get_folder_metadata,
// members added, listed, updated and removed (with its job),
// list_folders and list_mountable_folders with their continues, mount
// and unmount, relinquish_folder_membership and check_job_status,
// unshare_folder.
func testSharedFolders(t *testing.T, e *env) {
	owner, oa := e.user(PlanBasic)
	guest, ga := e.user(PlanBasic)
	third, ta := e.user(PlanBasic)
	ctx := e.ctx
	plan := []byte("the plan")
	put(t, e, owner, "/Shared Work/plan.txt", plan)

	launch := must(owner.Sharing.ShareFolder(ctx, &dropbox.ShareFolderArg{Path: "/Shared Work", ForceAsync: true}))(t, "share_folder")
	sf := launch.Complete
	if launch.Tag == dropbox.ShareFolderLaunchAsyncJobID {
		st := poll(ctx, t, "check_share_job_status", func() (*dropbox.ShareFolderJobStatus, error) {
			return owner.Sharing.CheckShareJobStatus(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
		}, func(s *dropbox.ShareFolderJobStatus) bool { return s.Tag != dropbox.ShareFolderJobStatusInProgress })
		if st.Tag != dropbox.ShareFolderJobStatusComplete {
			t.Fatalf("check_share_job_status: %s %+v", st.Tag, st.Failed)
		}
		sf = st.Complete
	}
	if sf == nil || sf.SharedFolderID == "" {
		t.Fatalf("share_folder gave no shared folder: %+v", launch)
	}
	id := sf.SharedFolderID
	diff(t, "share_folder", sharedFolder{Name: "Shared Work", Path: "/shared work", Access: dropbox.AccessLevelOwner, ID: id}, sharedFolderOf(sf))
	md := must(owner.Sharing.GetFolderMetadata(ctx, &dropbox.GetMetadataArgs{SharedFolderID: id}))(t, "get_folder_metadata")
	diff(t, "get_folder_metadata", sharedFolderOf(sf), sharedFolderOf(md))

	check(t, "add_folder_member", owner.Sharing.AddFolderMember(ctx, &dropbox.AddFolderMemberArg{SharedFolderID: id, Quiet: true, Members: []dropbox.AddMember{
		{Member: dropbox.MemberSelector{Tag: dropbox.MemberSelectorEmail, Email: ga.Email}, AccessLevel: &dropbox.AccessLevel{Tag: dropbox.AccessLevelEditor}},
		{Member: dropbox.MemberSelector{Tag: dropbox.MemberSelectorDropboxID, DropboxID: ta.AccountID}, AccessLevel: &dropbox.AccessLevel{Tag: dropbox.AccessLevelViewer}},
	}}))
	diff(t, "members", sortMembers([]member{{oa.Email, dropbox.AccessLevelOwner}, {ga.Email, dropbox.AccessLevelEditor}, {ta.Email, dropbox.AccessLevelViewer}}), members(t, e, owner, id))

	// A second shared folder, for the guest too (shared at once).
	put(t, e, owner, "/Second/x.txt", []byte("x"))
	second := must(owner.Sharing.ShareFolder(ctx, &dropbox.ShareFolderArg{Path: "/Second"}))(t, "share_folder second")
	if second.Complete == nil {
		st := poll(ctx, t, "check_share_job_status", func() (*dropbox.ShareFolderJobStatus, error) {
			return owner.Sharing.CheckShareJobStatus(ctx, &dropbox.PollArg{AsyncJobID: second.AsyncJobID})
		}, func(s *dropbox.ShareFolderJobStatus) bool { return s.Tag != dropbox.ShareFolderJobStatusInProgress })
		second.Complete = st.Complete
	}
	secondID := second.Complete.SharedFolderID
	check(t, "add_folder_member second", owner.Sharing.AddFolderMember(ctx, &dropbox.AddFolderMemberArg{SharedFolderID: secondID, Members: []dropbox.AddMember{
		{Member: dropbox.MemberSelector{Tag: dropbox.MemberSelectorEmail, Email: ga.Email}}}}))

	// The guest finds both folders mountable, mounts one, sees and adds
	// files; the owner lists its shared folders.
	mountable := listShared(t, e, "list_mountable_folders", func() (*dropbox.ListFoldersResult, error) {
		return guest.Sharing.ListMountableFolders(ctx, &dropbox.ListFoldersArgs{Limit: dropbox.Ptr[uint32](1)})
	}, func(cur string) (*dropbox.ListFoldersResult, error) {
		return guest.Sharing.ListMountableFoldersContinue(ctx, &dropbox.ListFoldersContinueArg{Cursor: cur})
	})
	diff(t, "list_mountable_folders", []sharedFolder{
		{Name: "Second", Access: dropbox.AccessLevelViewer, ID: secondID},
		{Name: "Shared Work", Access: dropbox.AccessLevelEditor, ID: id},
	}, sortShared(mountable))
	mounted := must(guest.Sharing.MountFolder(ctx, &dropbox.MountFolderArg{SharedFolderID: id}))(t, "mount_folder")
	diff(t, "mount_folder", sharedFolder{Name: "Shared Work", Path: "/shared work", Access: dropbox.AccessLevelEditor, ID: id}, sharedFolderOf(mounted))
	_, got := fetch(t, e, guest, "/Shared Work/plan.txt")
	if string(got) != string(plan) {
		t.Errorf("the guest reads %q, want %q", got, plan)
	}
	reply := []byte("the reply")
	put(t, e, guest, "/Shared Work/reply.txt", reply)
	diff(t, "the owner's tree", sortItems([]item{folderWant("/Second"), fileWant("/Second/x.txt", []byte("x")),
		folderWant("/Shared Work"), fileWant("/Shared Work/plan.txt", plan), fileWant("/Shared Work/reply.txt", reply)}),
		tree(t, e, owner, ""))
	listed := listShared(t, e, "list_folders", func() (*dropbox.ListFoldersResult, error) {
		return owner.Sharing.ListFolders(ctx, &dropbox.ListFoldersArgs{Limit: dropbox.Ptr[uint32](1)})
	}, func(cur string) (*dropbox.ListFoldersResult, error) {
		return owner.Sharing.ListFoldersContinue(ctx, &dropbox.ListFoldersContinueArg{Cursor: cur})
	})
	diff(t, "list_folders", []sharedFolder{
		{Name: "Second", Path: "/second", Access: dropbox.AccessLevelOwner, ID: secondID},
		{Name: "Shared Work", Path: "/shared work", Access: dropbox.AccessLevelOwner, ID: id},
	}, sortShared(listed))

	// Unmount: the folder leaves the guest's tree but stays mountable.
	check(t, "unmount_folder", guest.Sharing.UnmountFolder(ctx, &dropbox.UnmountFolderArg{SharedFolderID: id}))
	if got := tree(t, e, guest, ""); len(got) != 0 {
		t.Errorf("the guest's tree after unmount_folder: %v, want empty", got)
	}
	must(guest.Sharing.MountFolder(ctx, &dropbox.MountFolderArg{SharedFolderID: id}))(t, "mount_folder again")

	// update_folder_member, remove_folder_member with its job.
	upd := must(owner.Sharing.UpdateFolderMember(ctx, &dropbox.UpdateFolderMemberArg{SharedFolderID: id,
		Member: dropbox.MemberSelector{Tag: dropbox.MemberSelectorEmail, Email: ga.Email}, AccessLevel: dropbox.AccessLevel{Tag: dropbox.AccessLevelViewer}}))(t, "update_folder_member")
	if upd.AccessLevel != nil && upd.AccessLevel.Tag == dropbox.AccessLevelOwner {
		t.Errorf("update_folder_member: %+v", upd)
	}
	rm := must(owner.Sharing.RemoveFolderMember(ctx, &dropbox.RemoveFolderMemberArg{SharedFolderID: id,
		Member: dropbox.MemberSelector{Tag: dropbox.MemberSelectorDropboxID, DropboxID: ta.AccountID}}))(t, "remove_folder_member")
	if rm.Tag == dropbox.LaunchResultBaseAsyncJobID {
		st := poll(ctx, t, "check_remove_member_job_status", func() (*dropbox.RemoveMemberJobStatus, error) {
			return owner.Sharing.CheckRemoveMemberJobStatus(ctx, &dropbox.PollArg{AsyncJobID: rm.AsyncJobID})
		}, func(s *dropbox.RemoveMemberJobStatus) bool { return s.Tag != dropbox.RemoveMemberJobStatusInProgress })
		if st.Tag != dropbox.RemoveMemberJobStatusComplete {
			t.Errorf("check_remove_member_job_status: %s %+v", st.Tag, st.Failed)
		}
	}
	diff(t, "members after update and remove", sortMembers([]member{{oa.Email, dropbox.AccessLevelOwner}, {ga.Email, dropbox.AccessLevelViewer}}), members(t, e, owner, id))
	if got := listShared(t, e, "list_mountable_folders", func() (*dropbox.ListFoldersResult, error) {
		return third.Sharing.ListMountableFolders(ctx, &dropbox.ListFoldersArgs{})
	}, nil); len(got) != 0 {
		t.Errorf("a removed member's mountable folders: %v, want none", got)
	}

	// The guest leaves, keeping a copy (a job); then the owner unshares.
	left := must(guest.Sharing.RelinquishFolderMembership(ctx, &dropbox.RelinquishFolderMembershipArg{SharedFolderID: id, LeaveACopy: true}))(t, "relinquish_folder_membership")
	waitJob(t, e, guest, "relinquish_folder_membership", left)
	diff(t, "the guest's copy", sortItems([]item{folderWant("/Shared Work"), fileWant("/Shared Work/plan.txt", plan), fileWant("/Shared Work/reply.txt", reply)}),
		tree(t, e, guest, ""))
	diff(t, "members after relinquish", []member{{oa.Email, dropbox.AccessLevelOwner}}, members(t, e, owner, id))
	un := must(owner.Sharing.UnshareFolder(ctx, &dropbox.UnshareFolderArg{SharedFolderID: id}))(t, "unshare_folder")
	waitJob(t, e, owner, "unshare_folder", un)
	if _, err := owner.Sharing.GetFolderMetadata(ctx, &dropbox.GetMetadataArgs{SharedFolderID: id}); err == nil {
		t.Error("get_folder_metadata of an unshared folder succeeded")
	}
	diff(t, "the owner's files after unshare", sortItems([]item{folderWant("/Second"), fileWant("/Second/x.txt", []byte("x")),
		folderWant("/Shared Work"), fileWant("/Shared Work/plan.txt", plan), fileWant("/Shared Work/reply.txt", reply)}), tree(t, e, owner, ""))
}

// waitJob waits for the job of a launch through check_job_status.
func waitJob(t *testing.T, e *env, c *dropbox.Client, what string, l *dropbox.LaunchEmptyResult) {
	t.Helper()
	if l.Tag != dropbox.LaunchEmptyResultAsyncJobID {
		return
	}
	st := poll(e.ctx, t, what+": check_job_status", func() (*dropbox.JobStatus, error) {
		return c.Sharing.CheckJobStatus(e.ctx, &dropbox.PollArg{AsyncJobID: l.AsyncJobID})
	}, func(s *dropbox.JobStatus) bool { return s.Tag != dropbox.JobStatusInProgress })
	if st.Tag != dropbox.JobStatusComplete {
		t.Fatalf("%s: check_job_status: %s %+v", what, st.Tag, st.Failed)
	}
}

// sortMembers sorts members by email.
func sortMembers(ms []member) []member {
	slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.Email, b.Email) })
	return ms
}

// sortShared sorts shared folders by name.
func sortShared(fs []sharedFolder) []sharedFolder {
	slices.SortFunc(fs, func(a, b sharedFolder) int { return strings.Compare(a.Name, b.Name) })
	return fs
}
