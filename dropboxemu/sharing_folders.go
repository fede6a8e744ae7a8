package dropboxemu

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Shared folders (sharing.stone). Sharing a folder of a user's home turns
// it into a namespace of its own (kind "shared_folder", whose id is the
// shared_folder_id): what was below the folder moves there with the same
// ids and paths relative to it, and the folder stays in the owner's home
// as a mount point (Entry.Mount) with the same id, so the owner's paths and
// ids do not change. Members are added by email or account id with an
// access level; each mounts the folder at a place of their own in their
// home (mount_folder: at the top, named as the folder), and sees changes
// any member makes through their mount. Unsharing moves the entries back
// to the owner's home and takes the members' mounts away (leaving them a
// copy when asked).
//
// Membership lives in sharedFolder; whether an account has the folder in
// its Dropbox is whether its home holds a mount point of it for it
// (sharedMount), so that deleting or moving that folder with the files
// routes unmounts or moves the mount.

func init() {
	register("sharing/share_folder", (*Server).shareFolder)
	register("sharing/check_share_job_status", (*Server).checkShareJobStatus)
	register("sharing/check_job_status", (*Server).checkJobStatus)
	register("sharing/unshare_folder", (*Server).unshareFolder)
	register("sharing/get_folder_metadata", (*Server).getFolderMetadata)
	register("sharing/list_folders", (*Server).listFolders)
	register("sharing/list_folders/continue", (*Server).listFoldersContinue)
	register("sharing/list_mountable_folders", (*Server).listMountableFolders)
	register("sharing/list_mountable_folders/continue", (*Server).listMountableFoldersContinue)
	register("sharing/mount_folder", (*Server).mountFolder)
	register("sharing/unmount_folder", (*Server).unmountFolder)
}

// Tables: shared folders by id; the account that last wrote each file in
// a shared folder, by file id (sharing_info.modified_by).
const (
	tblSharedFolder = "sharedfolder"
	tblModifiedBy   = "modifiedby"
)

// folderSharing is the shared folder model of a Server, guarded by s.mu
// but for modifiedBy, which rendering reads without it (see view.place).
type folderSharing struct {
	folders    map[string]*sharedFolder
	modifiedBy sync.Map // file id -> account id
}

func newFolderSharing() *folderSharing {
	return &folderSharing{folders: map[string]*sharedFolder{}}
}

// sharedFolder is a shared folder: its namespace's id, its policies and
// its members. A change mutates it in place and stores it again (the
// model is reloaded if the commit fails).
type sharedFolder struct {
	ID                string          `json:"shared_folder_id"`
	Name              string          `json:"name"`      // the folder's name when it was shared
	FolderID          string          `json:"folder_id"` // the id of its mount points
	Owner             string          `json:"owner"`
	PreviewKey        string          `json:"preview_key"`
	ACLUpdatePolicy   string          `json:"acl_update_policy"`
	SharedLinkPolicy  string          `json:"shared_link_policy"`
	MemberPolicy      string          `json:"member_policy,omitempty"` // owners on a team only
	ViewerInfoPolicy  string          `json:"viewer_info_policy,omitempty"`
	AccessInheritance string          `json:"access_inheritance"`
	Created           time.Time       `json:"created"`
	Members           []*folderMember `json:"members"` // the owner first, then in the order they were added
}

// folderMember is a member of a shared folder: an account, or an invitee
// (an email address that had no account when it was invited).
type folderMember struct {
	AccountID string    `json:"account_id,omitempty"`
	Email     string    `json:"email,omitempty"` // an invitee's
	Access    string    `json:"access"`          // an AccessLevel member: owner, editor, viewer, viewer_no_comment
	Invited   time.Time `json:"invited"`
}

// memberOf returns acct's membership of sf: as a user, or as an invitee
// whose address is acct's (the invitation is the account's once it exists).
func (sf *sharedFolder) memberOf(acct *Account) *folderMember {
	if acct == nil {
		return nil
	}
	for _, m := range sf.Members {
		if isMember(m, acct) {
			return m
		}
	}
	return nil
}

// isMember reports whether m is acct's membership (an invitation to its
// address included).
func isMember(m *folderMember, acct *Account) bool {
	return m.AccountID == acct.ID || m.AccountID == "" && strings.EqualFold(m.Email, acct.Email)
}

// readOnlyAccess reports whether an access level only reads.
func readOnlyAccess(level string) bool { return level == "viewer" || level == "viewer_no_comment" }

// canManage reports whether member m may add, change and remove members
// of sf: the owner, and editors when the ACL policy lets them.
func (sf *sharedFolder) canManage(m *folderMember) bool {
	return m.Access == "owner" || m.Access == "editor" && sf.ACLUpdatePolicy == "editors"
}

// folderOf returns shared folder id and acct's membership of it, or the
// SharedFolderAccessError value. The caller holds s.mu.
func (s *Server) folderOf(acct *Account, id string) (*sharedFolder, *folderMember, map[string]any) {
	sf := s.sharing.folders[id]
	if sf == nil {
		return nil, nil, u("invalid_id")
	}
	m := sf.memberOf(acct)
	if m == nil {
		return sf, nil, u("not_a_member")
	}
	return sf, m, nil
}

// sharedMount returns acct's mount point of shared folder id, nil when the
// folder is not in acct's Dropbox. The caller holds s.mu.
func (s *Server) sharedMount(acct *Account, id string) *Entry {
	home := s.namespaces[acct.HomeNS]
	if home == nil {
		return nil
	}
	for _, m := range home.mounts {
		if m.Mount == id && mountVisible(m, acct) {
			return m
		}
	}
	return nil
}

// readOnlyFor reports whether acct may only read namespace ns: a shared
// folder it is a viewer of (or not a member of at all). The caller holds
// s.mu.
func (s *Server) readOnlyFor(acct *Account, ns *Namespace) bool {
	sf := s.sharing.folders[ns.ID]
	if sf == nil {
		return false
	}
	m := sf.memberOf(acct)
	return m == nil || readOnlyAccess(m.Access)
}

// noteWriter remembers acct as the last writer of file e when e is in a
// shared folder (its sharing_info.modified_by). The caller holds s.mu and
// commits t.
func (s *Server) noteWriter(t *tx, e *Entry, acct *Account) {
	if e.Folder || s.sharing.folders[e.NS] == nil {
		return
	}
	if w, ok := s.sharing.modifiedBy.Load(e.ID); ok && w == acct.ID {
		return
	}
	s.sharing.modifiedBy.Store(e.ID, acct.ID)
	t.put(tblModifiedBy, e.ID, acct.ID)
}

// Wire forms.

// sharedFolderMetadata is the spec's SharedFolderMetadata, fields in the
// spec's order (SharedFolderMetadataBase's first). Tag is set where it is
// a union member whose fields sit beside ".tag".
type sharedFolderMetadata struct {
	Tag                string             `json:".tag,omitempty"`
	AccessType         map[string]any     `json:"access_type"`
	IsInsideTeamFolder bool               `json:"is_inside_team_folder"`
	IsTeamFolder       bool               `json:"is_team_folder"`
	OwnerDisplayNames  []string           `json:"owner_display_names,omitempty"`
	OwnerTeam          *ownerTeam         `json:"owner_team,omitempty"`
	PathDisplay        string             `json:"path_display,omitempty"`
	PathLower          string             `json:"path_lower,omitempty"`
	Name               string             `json:"name"`
	Permissions        []folderPermission `json:"permissions"`
	Policy             folderPolicy       `json:"policy"`
	PreviewURL         string             `json:"preview_url"`
	SharedFolderID     string             `json:"shared_folder_id"`
	TimeInvited        string             `json:"time_invited"`
	AccessInheritance  map[string]any     `json:"access_inheritance"`
	FolderID           string             `json:"folder_id,omitempty"`
}

// ownerTeam is the spec's users.Team.
type ownerTeam struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// folderPolicy is the spec's FolderPolicy.
type folderPolicy struct {
	MemberPolicy         map[string]any `json:"member_policy,omitempty"`
	ResolvedMemberPolicy map[string]any `json:"resolved_member_policy,omitempty"`
	ACLUpdatePolicy      map[string]any `json:"acl_update_policy"`
	SharedLinkPolicy     map[string]any `json:"shared_link_policy"`
	ViewerInfoPolicy     map[string]any `json:"viewer_info_policy,omitempty"`
}

// folderPermission is the spec's FolderPermission (no reason: it is
// optional, and absent when none is available).
type folderPermission struct {
	Action map[string]any `json:"action"`
	Allow  bool           `json:"allow"`
}

// tagNames returns the members named by a list of union values.
func tagNames(tags []Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Name
	}
	return out
}

// folderMetadata renders sf as member m (c's account) sees it: its mount
// point's path in c's view, when it is mounted, and the permissions of
// the actions asked for. The caller holds s.mu.
func (s *Server) folderMetadata(c *call, sf *sharedFolder, m *folderMember, actions []string) *sharedFolderMetadata {
	md := &sharedFolderMetadata{AccessType: u(m.Access), Name: sf.Name, Permissions: []folderPermission{},
		PreviewURL: s.baseURL(c.r) + "/scl/fo/" + sf.PreviewKey, SharedFolderID: sf.ID,
		TimeInvited: dropboxTime(m.Invited), AccessInheritance: u(sf.AccessInheritance), FolderID: sf.FolderID,
		Policy: folderPolicy{ACLUpdatePolicy: u(sf.ACLUpdatePolicy), SharedLinkPolicy: u(sf.SharedLinkPolicy)}}
	if owner := s.accounts[sf.Owner]; owner != nil {
		md.OwnerDisplayNames = []string{owner.DisplayName}
		if tm, _ := s.teamOf(owner); tm != nil {
			md.OwnerTeam = &ownerTeam{ID: tm.ID, Name: tm.Name}
		}
	}
	if sf.MemberPolicy != "" {
		md.Policy.MemberPolicy, md.Policy.ResolvedMemberPolicy = u(sf.MemberPolicy), u(sf.MemberPolicy)
	}
	if sf.ViewerInfoPolicy != "" {
		md.Policy.ViewerInfoPolicy = u(sf.ViewerInfoPolicy)
	}
	mnt := s.sharedMount(c.acct, sf.ID)
	if mnt != nil {
		md.PathLower, md.PathDisplay = c.view().path(mnt.NS, mnt.PathLower, mnt.PathDisplay)
		md.Name = mnt.Name()
	}
	for _, a := range actions {
		md.Permissions = append(md.Permissions, folderPermission{Action: u(a), Allow: folderActionAllowed(sf, m, a, mnt != nil)})
	}
	return md
}

// folderActionAllowed reports whether member m may take a FolderAction on sf.
func folderActionAllowed(sf *sharedFolder, m *folderMember, action string, mounted bool) bool {
	owner := m.Access == "owner"
	switch action {
	case "change_options", "disable_viewer_info", "enable_viewer_info", "unshare":
		return owner
	case "edit_contents", "create_edit_link":
		return owner || m.Access == "editor"
	case "invite_editor", "invite_viewer", "invite_viewer_no_comment":
		return sf.canManage(m)
	case "relinquish_membership", "leave_a_copy":
		return !owner
	case "unmount":
		return mounted
	case "share_link", "create_link", "create_view_link":
		return true
	}
	return false // set_access_inheritance: team spaces only
}

// sharedFolderIDArg decodes an argument whose required fields are
// shared_folder_id and required, and checks the id.
func (c *call) sharedFolderIDArg(arg any, id *string, required ...string) error {
	if err := c.decode(arg, append([]string{"shared_folder_id"}, required...)...); err != nil {
		return err
	}
	return c.checkSharedFolderID("shared_folder_id", *id)
}

// folderIDArg is an argument that names a shared folder and nothing else
// (MountFolderArg, UnmountFolderArg).
type folderIDArg struct {
	SharedFolderID string `json:"shared_folder_id"`
}

// leaveACopyArg is UnshareFolderArg and RelinquishFolderMembershipArg.
type leaveACopyArg struct {
	SharedFolderID string `json:"shared_folder_id"`
	LeaveACopy     bool   `json:"leave_a_copy,omitempty"`
}

// memberTx runs do on shared folder id with the membership of c's account
// in it, as writeTx does; the route error is access_error when the folder
// is unknown or the account is not a member.
func (s *Server) memberTx(c *call, id string, do func(t *tx, sf *sharedFolder, m *folderMember) (any, error)) (any, error) {
	return writeTx(s, c, func(t *tx) (any, error) {
		sf, m, aerr := s.folderOf(c.acct, id)
		if aerr != nil {
			return nil, routeError(uv("access_error", aerr))
		}
		return do(t, sf, m)
	})
}

// share_folder.

// shareFolderArg is the spec's ShareFolderArg.
type shareFolderArg struct {
	ACLUpdatePolicy   *Tag          `json:"acl_update_policy,omitempty" union:"owner editors"`
	ForceAsync        bool          `json:"force_async,omitempty"`
	MemberPolicy      *Tag          `json:"member_policy,omitempty" union:"team anyone team_and_approved"`
	Path              string        `json:"path"`
	SharedLinkPolicy  *Tag          `json:"shared_link_policy,omitempty" union:"anyone team members"`
	ViewerInfoPolicy  *Tag          `json:"viewer_info_policy,omitempty" union:"enabled disabled"`
	AccessInheritance *Tag          `json:"access_inheritance,omitempty" union:"inherit no_inherit"`
	Actions           []Tag         `json:"actions,omitempty" union:"change_options disable_viewer_info edit_contents enable_viewer_info invite_editor invite_viewer invite_viewer_no_comment relinquish_membership unmount unshare leave_a_copy share_link create_link create_view_link create_edit_link set_access_inheritance"`
	LinkSettings      *linkSettings `json:"link_settings,omitempty"`
}

// linkSettings is the spec's LinkSettings. The emulator keeps no link on
// shared folders (link_metadata is "an unreleased feature"), so it is only
// checked.
type linkSettings struct {
	AccessLevel *Tag `json:"access_level,omitempty" union:"owner editor viewer viewer_no_comment traverse no_access"`
	Audience    *Tag `json:"audience,omitempty" union:"public team no_one password members"`
	Expiry      *Tag `json:"expiry,omitempty" union:"remove_expiry set_expiry=value"`
	Password    *Tag `json:"password,omitempty" union:"remove_password set_password=value"`
}

// badSharePath is the ShareFolderError bad_path with a SharePathError value.
func badSharePath(v map[string]any) error { return routeError(uv("bad_path", v)) }

// osxPackageExts are the folder name extensions macOS shows as one file
// (packages), which Dropbox will not share (SharePathError.is_osx_package).
var osxPackageExts = []string{".app", ".bundle", ".framework", ".kext", ".pkg", ".plugin", ".rtfd",
	".pages", ".numbers", ".key", ".photoslibrary", ".band", ".xcodeproj", ".xcworkspace"}

func isOSXPackage(name string) bool {
	lower := strings.ToLower(name)
	return slices.ContainsFunc(osxPackageExts, func(ext string) bool { return strings.HasSuffix(lower, ext) && len(lower) > len(ext) })
}

func (s *Server) shareFolder(c *call) (any, error) {
	var arg shareFolderArg
	if err := c.decode(&arg, "path"); err != nil {
		return nil, err
	}
	if arg.LinkSettings != nil && arg.LinkSettings.Expiry != nil && arg.LinkSettings.Expiry.Name == "set_expiry" {
		if _, err := c.checkTimestamp("link_settings.expiry.set_expiry", arg.LinkSettings.Expiry.String()); err != nil {
			return nil, err
		}
	}
	p, malformed, err := c.pathArg("path", arg.Path, "WritePathOrId")
	if err != nil {
		return nil, err
	}
	if malformed != nil {
		return nil, badSharePath(u("invalid_path"))
	}
	return writeTx(s, c, func(t *tx) (any, error) {
		sf, err := s.share(t, c, p, &arg)
		if err != nil {
			return nil, err
		}
		md := s.folderMetadata(c, sf, sf.memberOf(c.acct), tagNames(arg.Actions))
		if arg.ForceAsync {
			return s.launchJob(t, c, md)
		}
		md.Tag = "complete"
		return md, nil
	})
}

// share shares the folder at p (making it when nothing is there) as c's
// account asks. It returns the new shared folder or the ShareFolderError.
// The caller holds s.mu and commits t.
func (s *Server) share(t *tx, c *call, p parsedPath, arg *shareFolderArg) (*sharedFolder, error) {
	acct := c.acct
	tgt, lerr := s.resolve(acct, p)
	if lerr != nil {
		return nil, badSharePath(u("invalid_path"))
	}
	e := tgt.entry
	switch {
	case e != nil && e.Mount != "" || tgt.lower == "":
		inner := tgt.ns.ID
		if e != nil {
			inner = e.Mount
		}
		if sf := s.sharing.folders[inner]; sf != nil {
			if m := sf.memberOf(acct); m != nil {
				md := s.folderMetadata(c, sf, m, nil)
				md.Tag = "already_shared"
				// The value is a struct: the summary cannot be derived from it.
				return nil, &apiError{Status: http.StatusConflict, Body: uv("bad_path", md), Summary: "bad_path/already_shared/.."}
			}
		}
		return nil, badSharePath(u("invalid_path")) // a root, a team folder, a member's folder
	case tgt.ns.ID != acct.HomeNS:
		return nil, badSharePath(u("inside_shared_folder")) // a shared folder, a team folder, the team space
	case e != nil && !e.Folder:
		return nil, badSharePath(u("is_file"))
	}
	comps := strings.Split(tgt.display[1:], "/")
	for i, comp := range comps {
		if isOSXPackage(comp) {
			if i == len(comps)-1 {
				return nil, badSharePath(u("is_osx_package"))
			}
			return nil, badSharePath(u("inside_osx_package"))
		}
	}
	if e != nil {
		for _, m := range tgt.ns.mounts {
			if m != e && isWithin(m.PathLower, e.PathLower) {
				if inner := s.namespaces[m.Mount]; inner != nil && inner.Kind == "team_folder" {
					return nil, badSharePath(u("contains_team_folder"))
				}
				return nil, badSharePath(u("contains_shared_folder"))
			}
		}
	}
	tm, _ := s.teamOf(acct)
	if arg.SharedLinkPolicy != nil && arg.SharedLinkPolicy.Name == "members" && tm == nil {
		return nil, routeError(u("disallowed_shared_link_policy"))
	}
	if e == nil {
		var wf *writeFailure
		if e, wf = s.createFolder(t, acct, p, false); wf != nil {
			return nil, badSharePath(u("invalid_path"))
		}
	}
	now := s.clock.Now()
	sf := &sharedFolder{Name: e.Name(), FolderID: e.ID, Owner: acct.ID, PreviewKey: randomString(15),
		ACLUpdatePolicy: "owner", SharedLinkPolicy: "anyone", AccessInheritance: "inherit", Created: now,
		Members: []*folderMember{{AccountID: acct.ID, Access: "owner", Invited: now}}}
	set := func(dst *string, v *Tag) {
		if v != nil {
			*dst = v.Name
		}
	}
	set(&sf.ACLUpdatePolicy, arg.ACLUpdatePolicy)
	set(&sf.SharedLinkPolicy, arg.SharedLinkPolicy)
	set(&sf.ViewerInfoPolicy, arg.ViewerInfoPolicy)
	set(&sf.AccessInheritance, arg.AccessInheritance)
	if tm != nil {
		// Only folders owned by a team member have a member policy.
		sf.MemberPolicy = "anyone"
		set(&sf.MemberPolicy, arg.MemberPolicy)
	}
	sf.ID = s.shareTree(t, acct, tgt.ns, e).ID
	s.sharing.folders[sf.ID] = sf
	t.put(tblSharedFolder, sf.ID, sf)
	return sf, nil
}

// shareTree turns folder root of home into a new shared folder namespace,
// owned by owner, mounted where it was. The caller holds s.mu and commits t.
func (s *Server) shareTree(t *tx, owner *Account, home *Namespace, root *Entry) *Namespace {
	ns := newNamespace(s.nextNS(t), "shared_folder", owner.ID)
	s.namespaces[ns.ID] = ns
	t.put(tblNS, ns.ID, ns)
	// The owner's cursors see the folder change; the mount appearing in
	// their feed brings what is in it, so its arrival is not logged again.
	s.transplant(t, home, root.PathLower, root.PathDisplay, ns, "", "", false)
	mnt := *root
	mnt.Mount, mnt.MountFor = ns.ID, owner.ID
	s.record(t, home, &mnt)
	return ns
}

// transplant moves what is below folder fromLower (displayed fromDisplay)
// of namespace from, not the folder itself, to below folder toLower of to,
// keeping ids: the entries, the deleted paths, the revisions, tags, and the
// shared links and file requests that follow the entries. With logged, the
// entries are recorded in to's change log; else only stored there, for a
// namespace whose listings learn of them otherwise. It returns the moved
// entries as they were. The caller holds s.mu and commits t.
func (s *Server) transplant(t *tx, from *Namespace, fromLower, fromDisplay string, to *Namespace, toLower, toDisplay string, logged bool) []*Entry {
	var moved []*Entry
	from.walk(fromLower, true, nil, func(e *Entry) bool { moved = append(moved, e); return true })
	relocated := func(lower, display string) (string, string) {
		rest := display
		if len(display) >= len(fromDisplay) {
			rest = display[len(fromDisplay):]
		}
		return toLower + lower[len(fromLower):], toDisplay + rest
	}
	ids := make(map[string]bool, len(moved))
	for _, e := range moved {
		from.unindex(e)
		t.del(tblEntry, nsKey(from.ID, e.ID))
		ids[e.ID] = true
	}
	for _, e := range moved {
		n := *e
		n.NS = to.ID
		n.PathLower, n.PathDisplay = relocated(e.PathLower, e.PathDisplay)
		if logged {
			s.record(t, to, &n)
		} else {
			to.index(&n)
			t.put(tblEntry, nsKey(to.ID, n.ID), &n)
		}
		for _, rev := range s.revsByID[e.ID] {
			if r := s.revs[rev]; r != nil && r.NS == from.ID && r.PathLower != fromLower && isWithin(r.PathLower, fromLower) {
				nr := *r
				nr.NS = to.ID
				nr.PathLower, nr.PathDisplay = relocated(r.PathLower, r.PathDisplay)
				s.revs[rev] = &nr
				t.put(tblRev, rev, &nr)
			}
		}
		if tags, ok := s.tags[nsKey(from.ID, e.ID)]; ok {
			delete(s.tags, nsKey(from.ID, e.ID))
			t.del(tblTags, nsKey(from.ID, e.ID))
			s.tags[nsKey(to.ID, e.ID)] = tags
			t.put(tblTags, nsKey(to.ID, e.ID), tags)
		}
	}
	for p, tomb := range from.tombstones {
		if p == fromLower || !isWithin(p, fromLower) {
			continue
		}
		delete(from.tombstones, p)
		t.del(tblTombstone, nsKey(from.ID, p))
		lower, display := relocated(tomb.PathLower, tomb.PathDisplay)
		if to.byPath[lower] == nil {
			nt := &Tombstone{PathLower: lower, PathDisplay: display, DeletedAt: tomb.DeletedAt}
			to.tombstones[lower] = nt
			t.put(tblTombstone, nsKey(to.ID, lower), nt)
		}
	}
	for _, l := range s.sharedLinks {
		if l.NS == from.ID && ids[l.Target] {
			l.NS = to.ID
			t.put(tblSharedLink, l.ID, l)
		}
	}
	for _, fr := range s.fileRequests {
		if fr.NS == from.ID && ids[fr.DestID] {
			fr.NS = to.ID
			t.put(tblFileRequest, fr.ID, fr)
		}
	}
	return moved
}

func (s *Server) checkShareJobStatus(c *call) (any, error) {
	return s.pollJob(c, true, "sharing/share_folder")
}

func (s *Server) checkJobStatus(c *call) (any, error) {
	return s.pollJob(c, true, "sharing/unshare_folder", "sharing/remove_folder_member", "sharing/relinquish_folder_membership")
}

// unshare_folder.

func (s *Server) unshareFolder(c *call) (any, error) {
	var arg leaveACopyArg
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID); err != nil {
		return nil, err
	}
	return s.memberTx(c, arg.SharedFolderID, func(t *tx, sf *sharedFolder, m *folderMember) (any, error) {
		if m.Access != "owner" {
			return nil, routeError(u("no_permission"))
		}
		if arg.LeaveACopy && s.namespaces[sf.ID] != nil && len(s.namespaces[sf.ID].byID) > maxRelocationEntries {
			return nil, routeError(u("too_many_files"))
		}
		s.unshareTree(t, sf, arg.LeaveACopy)
		// Dropbox answers with a job: check_job_status tells when it is done.
		return s.launchJob(t, c, map[string]any{})
	})
}

// unshareTree ends sf: the members' mounts go (with leaveACopy, each gets
// a copy of the folder where their mount was), and what is in it moves
// back to the owner's home, where the owner's mount point was (or at the
// top, named as the folder, when the owner had unmounted it), with its
// ids. The caller holds s.mu and commits t.
func (s *Server) unshareTree(t *tx, sf *sharedFolder, leaveACopy bool) {
	ns := s.namespaces[sf.ID]
	owner := s.accounts[sf.Owner]
	for _, m := range sf.Members {
		if a := s.accounts[m.AccountID]; a != nil && a.ID != sf.Owner {
			s.unmountFor(t, a, sf, leaveACopy)
		}
	}
	if owner != nil && ns != nil {
		home := s.namespaces[owner.HomeNS]
		mnt := s.sharedMount(owner, sf.ID)
		if mnt == nil {
			mnt = s.mountWithID(t, home, sf.Name, sf.ID, owner.ID, sf.FolderID)
		}
		folder := *mnt
		folder.Mount, folder.MountFor = "", ""
		s.record(t, home, &folder)
		for _, e := range s.transplant(t, ns, "", "", home, folder.PathLower, folder.PathDisplay, true) {
			if _, ok := s.sharing.modifiedBy.LoadAndDelete(e.ID); ok {
				t.del(tblModifiedBy, e.ID)
			}
		}
	}
	if ns != nil {
		s.retire(t, ns)
	}
	delete(s.sharing.folders, sf.ID)
	t.del(tblSharedFolder, sf.ID)
}

// retire empties the change log of a namespace that is gone and moves its
// start past every position, so that the cursors still naming it get reset.
// The caller holds s.mu and commits t.
func (s *Server) retire(t *tx, ns *Namespace) {
	for _, ch := range ns.log {
		t.del(tblChange, changeKey(ns.ID, ch.Seq))
	}
	ns.log = nil
	for p := range ns.tombstones {
		t.del(tblTombstone, nsKey(ns.ID, p))
	}
	clear(ns.tombstones)
	ns.LogStart = s.ctr.Seq + 2
	t.put(tblNS, ns.ID, ns)
	t.touch(ns)
}

// unmountFor takes shared folder sf out of acct's Dropbox, if it is there:
// with leaveACopy, a copy of what is in it (new ids) takes the mount
// point's place. The caller holds s.mu and commits t.
func (s *Server) unmountFor(t *tx, acct *Account, sf *sharedFolder, leaveACopy bool) {
	mnt := s.sharedMount(acct, sf.ID)
	if mnt == nil {
		return
	}
	home := s.namespaces[mnt.NS]
	s.forget(t, home, mnt)
	if inner := s.namespaces[sf.ID]; leaveACopy && inner != nil {
		s.copyTree(t, inner, home, mnt.PathLower, mnt.PathDisplay)
	}
}

// copyTree copies all of namespace from to a new folder of to at lower
// (displayed display): new ids, and a new rev for each file, whose bytes
// are shared. The caller holds s.mu and commits t.
func (s *Server) copyTree(t *tx, from, to *Namespace, lower, display string) {
	s.record(t, to, &Entry{ID: newFileID(), NS: to.ID, Folder: true, PathLower: lower, PathDisplay: display})
	now := s.clock.Now().Truncate(time.Second)
	from.walk("", true, nil, func(e *Entry) bool {
		n := *e
		n.ID, n.NS = newFileID(), to.ID
		n.PathLower, n.PathDisplay = lower+e.PathLower, display+e.PathDisplay
		if !n.Folder {
			n.Rev, n.ServerModified = s.nextRev(t), now
		}
		s.record(t, to, &n)
		if !n.Folder {
			s.addRevision(t, &n)
		}
		return true
	})
}

// get_folder_metadata, mount_folder, unmount_folder.

func (s *Server) getFolderMetadata(c *call) (any, error) {
	var arg struct {
		SharedFolderID string `json:"shared_folder_id"`
		Actions        []Tag  `json:"actions,omitempty" union:"change_options disable_viewer_info edit_contents enable_viewer_info invite_editor invite_viewer invite_viewer_no_comment relinquish_membership unmount unshare leave_a_copy share_link create_link create_view_link create_edit_link set_access_inheritance"`
	}
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID); err != nil {
		return nil, err
	}
	return s.readFolder(c, arg.SharedFolderID, false, func(sf *sharedFolder, m *folderMember) any {
		return s.folderMetadata(c, sf, m, tagNames(arg.Actions))
	})
}

// readFolder answers with what read makes of shared folder id and the
// membership of c's account in it, s.mu read-locked. The route error is
// the SharedFolderAccessError value itself, or it under access_error when
// nested.
func (s *Server) readFolder(c *call, id string, nested bool, read func(sf *sharedFolder, m *folderMember) any) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sf, m, aerr := s.folderOf(c.acct, id)
	switch {
	case aerr != nil && nested:
		return nil, routeError(uv("access_error", aerr))
	case aerr != nil:
		return nil, routeError(aerr)
	}
	return read(sf, m), nil
}

func (s *Server) mountFolder(c *call) (any, error) {
	var arg folderIDArg
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID); err != nil {
		return nil, err
	}
	return s.memberTx(c, arg.SharedFolderID, func(t *tx, sf *sharedFolder, m *folderMember) (any, error) {
		if s.sharedMount(c.acct, sf.ID) != nil {
			return nil, routeError(u("already_mounted"))
		}
		home := s.namespaces[c.acct.HomeNS]
		inner := s.namespaces[sf.ID]
		if home == nil || inner == nil {
			return nil, routeError(u("not_mountable"))
		}
		// The folder's bytes count against each member who has it.
		if need, left := inner.usage, max(c.acct.Quota-s.usage(c.acct), 0); need > left {
			// InsufficientQuotaAmounts, in the spec's field order.
			return nil, routeErrorFields("insufficient_quota", struct {
				Tag      string `json:".tag"`
				Needed   int64  `json:"space_needed"`
				Shortage int64  `json:"space_shortage"`
				Left     int64  `json:"space_left"`
			}{"insufficient_quota", need, need - left, left})
		}
		if m.AccountID == "" {
			// Mounting accepts an invitation sent to the account's address.
			m.AccountID, m.Email = c.acct.ID, ""
			t.put(tblSharedFolder, sf.ID, sf)
		}
		s.mountWithID(t, home, sf.Name, sf.ID, c.acct.ID, sf.FolderID)
		return s.folderMetadata(c, sf, m, nil), nil
	})
}

func (s *Server) unmountFolder(c *call) (any, error) {
	var arg folderIDArg
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID); err != nil {
		return nil, err
	}
	return s.memberTx(c, arg.SharedFolderID, func(t *tx, sf *sharedFolder, _ *folderMember) (any, error) {
		if s.sharedMount(c.acct, sf.ID) == nil {
			return nil, routeError(uv("access_error", u("unmounted")))
		}
		s.unmountFor(t, c.acct, sf, false)
		return nil, nil
	})
}

// list_folders, list_mountable_folders.

// listFoldersArg is the spec's ListFoldersArgs.
type listFoldersArg struct {
	Limit   *int64 `json:"limit,omitempty"`
	Actions []Tag  `json:"actions,omitempty" union:"change_options disable_viewer_info edit_contents enable_viewer_info invite_editor invite_viewer invite_viewer_no_comment relinquish_membership unmount unshare leave_a_copy share_link create_link create_view_link create_edit_link set_access_inheritance"`
}

// sharingCursor is what the cursors of list_folders,
// list_mountable_folders and list_folder_members hold: the listing, its
// page size and actions, and where the next page starts.
type sharingCursor struct {
	V       int      `json:"v"`
	Account string   `json:"a"`
	List    string   `json:"t"`           // the listing route
	Folder  string   `json:"f,omitempty"` // list_folder_members: the shared folder
	Limit   int      `json:"l"`
	Actions []string `json:"x,omitempty"`
	After   string   `json:"k,omitempty"` // folders: the last one returned (ids are counters)
	Offset  int      `json:"o,omitempty"` // members: how many were returned
}

const sharingCursorPrefix = "SFC"

// newSharingCursor checks the limit (1 to 1000, default 1000) of a
// listing's argument and makes the cursor of its first page.
func (c *call) newSharingCursor(folder string, limit *int64, actions []Tag) (*sharingCursor, error) {
	cur := &sharingCursor{V: 1, Account: c.acct.ID, List: c.route, Folder: folder, Limit: 1000, Actions: tagNames(actions)}
	if limit != nil {
		if err := c.checkInt("limit", *limit, 1, 1000); err != nil {
			return nil, err
		}
		cur.Limit = int(*limit)
	}
	return cur, nil
}

// sharingCursorArg decodes the argument of a listing's continue route and
// its cursor, which must come from list, for c's account: a route error
// invalid_cursor when it does not.
func (c *call) sharingCursorArg(list string) (*sharingCursor, error) {
	var arg struct {
		Cursor string `json:"cursor"`
	}
	if err := c.decode(&arg, "cursor"); err != nil {
		return nil, err
	}
	var cur sharingCursor
	if !decodeCursorToken(sharingCursorPrefix, arg.Cursor, &cur) || cur.V != 1 || cur.Account != c.acct.ID ||
		cur.List != list || cur.Limit < 1 || cur.Offset < 0 {
		return nil, routeError(u("invalid_cursor"))
	}
	return &cur, nil
}

// listFoldersResult is the spec's ListFoldersResult.
type listFoldersResult struct {
	Entries []*sharedFolderMetadata `json:"entries"`
	Cursor  string                  `json:"cursor,omitempty"`
}

func (s *Server) listFolders(c *call) (any, error)          { return s.listFoldersCall(c) }
func (s *Server) listMountableFolders(c *call) (any, error) { return s.listFoldersCall(c) }

func (s *Server) listFoldersContinue(c *call) (any, error) {
	return s.listFoldersNext(c, "sharing/list_folders")
}

func (s *Server) listMountableFoldersContinue(c *call) (any, error) {
	return s.listFoldersNext(c, "sharing/list_mountable_folders")
}

func (s *Server) listFoldersCall(c *call) (any, error) {
	var arg listFoldersArg
	if err := c.decode(&arg); err != nil {
		return nil, err
	}
	cur, err := c.newSharingCursor("", arg.Limit, arg.Actions)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.foldersPage(c, cur), nil
}

func (s *Server) listFoldersNext(c *call, list string) (any, error) {
	cur, err := c.sharingCursorArg(list)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.foldersPage(c, cur), nil
}

// foldersPage lists the shared folders of c's account after cur, as
// members see them. Both listings hold every folder the account is a
// member of: it may mount or unmount each of them. The caller holds s.mu.
func (s *Server) foldersPage(c *call, cur *sharingCursor) *listFoldersResult {
	var mine []*sharedFolder
	for _, sf := range s.sharing.folders {
		if sf.memberOf(c.acct) != nil && (cur.After == "" || compareRevs(sf.ID, cur.After) > 0) {
			mine = append(mine, sf)
		}
	}
	slices.SortFunc(mine, func(a, b *sharedFolder) int { return compareRevs(a.ID, b.ID) })
	res := &listFoldersResult{Entries: []*sharedFolderMetadata{}}
	for i, sf := range mine {
		if i == cur.Limit {
			next := *cur
			next.After = mine[i-1].ID
			res.Cursor = encodeCursorToken(sharingCursorPrefix, &next)
			break
		}
		res.Entries = append(res.Entries, s.folderMetadata(c, sf, sf.memberOf(c.acct), cur.Actions))
	}
	return res
}
