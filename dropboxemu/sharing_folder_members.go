package dropboxemu

import (
	"strings"
)

// The members of shared folders (sharing.stone): adding them by email or
// account id, listing, changing their access level, removing them, and a
// member leaving. A member added by an address that has no account is an
// invitee; the invitation is the account's once one exists with that
// address, and mounting the folder accepts it (sharing_folders.go).

func init() {
	register("sharing/add_folder_member", (*Server).addFolderMember)
	register("sharing/list_folder_members", (*Server).listFolderMembers)
	register("sharing/list_folder_members/continue", (*Server).listFolderMembersContinue)
	register("sharing/update_folder_member", (*Server).updateFolderMember)
	register("sharing/remove_folder_member", (*Server).removeFolderMember)
	register("sharing/check_remove_member_job_status", (*Server).checkRemoveMemberJobStatus)
	register("sharing/relinquish_folder_membership", (*Server).relinquishFolderMembership)
}

// memberSelector checks a MemberSelector found at field and returns its
// member (dropbox_id or email) and value.
func (c *call) memberSelector(field string, sel Tag) (kind, value string, err error) {
	kind, value, err = c.userSelector(field, sel) // checks an email as Stone does
	if err == nil && kind == "dropbox_id" {
		err = c.checkString(joinPath(field, kind), value, 1, 0, "", nil)
	}
	return kind, value, err
}

// selectedAccount returns the account a MemberSelector names: by account
// id or team member id, or by email address; nil when there is none.
// The caller holds s.mu.
func (s *Server) selectedAccount(kind, value string) *Account {
	if kind == "email" {
		return s.byEmail[strings.ToLower(value)]
	}
	if a := s.accounts[value]; a != nil {
		return a
	}
	for _, tm := range s.teams {
		if m := tm.memberByID(value); m != nil {
			return s.accounts[m.AccountID]
		}
	}
	return nil
}

// selectedMember finds the member of sf a MemberSelector names, or returns
// the SharedFolderMemberError value: invalid_dropbox_id for an id that
// names no account, not_a_member for anyone else who is not a member.
// The caller holds s.mu.
func (s *Server) selectedMember(sf *sharedFolder, kind, value string) (*folderMember, map[string]any) {
	if a := s.selectedAccount(kind, value); a != nil {
		if m := sf.memberOf(a); m != nil {
			return m, nil
		}
		return nil, u("not_a_member")
	}
	if kind == "dropbox_id" {
		return nil, u("invalid_dropbox_id")
	}
	for _, m := range sf.Members {
		if m.AccountID == "" && strings.EqualFold(m.Email, value) {
			return m, nil
		}
	}
	return nil, u("not_a_member")
}

// grantable reports whether an access level may be given to a member:
// owner, traverse and no_access are not.
func grantable(level string) bool {
	return level == "editor" || level == "viewer" || level == "viewer_no_comment"
}

// add_folder_member.

// addFolderMemberArg is the spec's AddFolderMemberArg.
type addFolderMemberArg struct {
	SharedFolderID string      `json:"shared_folder_id"`
	Members        []addMember `json:"members"`
	Quiet          bool        `json:"quiet,omitempty"`
	CustomMessage  *string     `json:"custom_message,omitempty"`
	FpSealedResult *string     `json:"fp_sealed_result,omitempty"`
}

// addMember is the spec's AddMember.
type addMember struct {
	Member      Tag  `json:"member" union:"dropbox_id=value email=value"`
	AccessLevel *Tag `json:"access_level,omitempty" union:"owner editor viewer viewer_no_comment traverse no_access"`
}

func (s *Server) addFolderMember(c *call) (any, error) {
	var arg addFolderMemberArg
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID, "members", "members.member"); err != nil {
		return nil, err
	}
	if arg.CustomMessage != nil {
		if err := c.checkString("custom_message", *arg.CustomMessage, 1, 0, "", nil); err != nil {
			return nil, err
		}
	}
	type wanted struct{ kind, value, level string }
	var want []wanted
	for _, am := range arg.Members {
		kind, value, err := c.memberSelector("members.member", am.Member)
		if err != nil {
			return nil, err
		}
		level := "viewer"
		if am.AccessLevel != nil {
			level = am.AccessLevel.Name
		}
		want = append(want, wanted{kind, value, level})
	}
	return s.memberTx(c, arg.SharedFolderID, func(t *tx, sf *sharedFolder, m *folderMember) (any, error) {
		if !sf.canManage(m) {
			return nil, routeError(u("no_permission"))
		}
		// member_policy team: only the owner's teammates may join.
		ownerTeam := ""
		if o := s.accounts[sf.Owner]; o != nil && sf.MemberPolicy == "team" {
			ownerTeam = o.TeamID
		}
		// Check every recipient before adding any: a failed call adds no one.
		var add []*folderMember
		for _, w := range want {
			if !grantable(w.level) {
				return nil, routeError(u("no_permission")) // "AccessLevel.owner is disallowed"
			}
			a := s.selectedAccount(w.kind, w.value)
			switch {
			case a == nil && w.kind == "dropbox_id" && strings.HasPrefix(w.value, "g:"):
				return nil, routeError(uv("bad_member", u("invalid_group"))) // the emulator has no groups
			case a == nil && w.kind == "dropbox_id":
				return nil, routeError(uv("bad_member", uv("invalid_dropbox_id", w.value)))
			case ownerTeam != "" && (a == nil || a.TeamID != ownerTeam):
				return nil, routeError(u("cant_share_outside_team"))
			case a != nil && sf.memberOf(a) != nil:
				continue // already a member: update_folder_member changes levels
			case a != nil:
				add = append(add, &folderMember{AccountID: a.ID, Access: w.level})
			default:
				if _, notInvited := s.selectedMember(sf, "email", w.value); notInvited == nil {
					continue // already invited
				}
				add = append(add, &folderMember{Email: w.value, Access: w.level})
			}
		}
		now := s.clock.Now()
		for _, nm := range add {
			if dupMember(sf, nm) {
				continue // named twice in the call
			}
			nm.Invited = now
			sf.Members = append(sf.Members, nm)
		}
		if len(add) > 0 {
			t.put(tblSharedFolder, sf.ID, sf)
		}
		return nil, nil
	})
}

// dupMember reports whether sf already has member nm (the same account or
// the same invited address).
func dupMember(sf *sharedFolder, nm *folderMember) bool {
	for _, m := range sf.Members {
		if nm.AccountID != "" && m.AccountID == nm.AccountID ||
			nm.AccountID == "" && m.AccountID == "" && strings.EqualFold(m.Email, nm.Email) {
			return true
		}
	}
	return false
}

// list_folder_members.

// sharedFolderMembers is the spec's SharedFolderMembers.
type sharedFolderMembers struct {
	Users    []userMembershipInfo    `json:"users"`
	Groups   []any                   `json:"groups"`
	Invitees []inviteeMembershipInfo `json:"invitees"`
	Cursor   string                  `json:"cursor,omitempty"`
}

// userMembershipInfo is the spec's UserMembershipInfo (MembershipInfo's
// fields first).
type userMembershipInfo struct {
	AccessType  map[string]any     `json:"access_type"`
	Permissions []memberPermission `json:"permissions"`
	IsInherited bool               `json:"is_inherited"`
	User        userInfo           `json:"user"`
}

// inviteeMembershipInfo is the spec's InviteeMembershipInfo.
type inviteeMembershipInfo struct {
	AccessType  map[string]any     `json:"access_type"`
	Permissions []memberPermission `json:"permissions"`
	IsInherited bool               `json:"is_inherited"`
	Invitee     map[string]any     `json:"invitee"`
	User        *userInfo          `json:"user,omitempty"`
}

// userInfo is the spec's UserInfo.
type userInfo struct {
	AccountID    string `json:"account_id"`
	Email        string `json:"email"`
	DisplayName  string `json:"display_name"`
	SameTeam     bool   `json:"same_team"`
	TeamMemberID string `json:"team_member_id,omitempty"`
}

// memberPermission is the spec's MemberPermission.
type memberPermission struct {
	Action map[string]any `json:"action"`
	Allow  bool           `json:"allow"`
	Reason map[string]any `json:"reason,omitempty"`
}

func (s *Server) listFolderMembers(c *call) (any, error) {
	var arg struct {
		Actions        []Tag   `json:"actions,omitempty" union:"leave_a_copy make_editor make_owner make_viewer make_viewer_no_comment remove"`
		Limit          *int64  `json:"limit,omitempty"`
		SharedFolderID string  `json:"shared_folder_id"`
		Path           *string `json:"path,omitempty"`
	}
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID); err != nil {
		return nil, err
	}
	cur, err := c.newSharingCursor(arg.SharedFolderID, arg.Limit, arg.Actions)
	if err != nil {
		return nil, err
	}
	return s.readFolder(c, cur.Folder, false, func(sf *sharedFolder, m *folderMember) any {
		return s.membersPage(c, sf, m, cur)
	})
}

func (s *Server) listFolderMembersContinue(c *call) (any, error) {
	cur, err := c.sharingCursorArg("sharing/list_folder_members")
	if err != nil {
		return nil, err
	}
	return s.readFolder(c, cur.Folder, true, func(sf *sharedFolder, m *folderMember) any {
		return s.membersPage(c, sf, m, cur)
	})
}

// membersPage renders the members of sf from cur's offset, as member
// viewer (c's account) sees them. The caller holds s.mu.
func (s *Server) membersPage(c *call, sf *sharedFolder, viewer *folderMember, cur *sharingCursor) *sharedFolderMembers {
	res := &sharedFolderMembers{Users: []userMembershipInfo{}, Groups: []any{}, Invitees: []inviteeMembershipInfo{}}
	end := min(cur.Offset+cur.Limit, len(sf.Members))
	for _, m := range sf.Members[min(cur.Offset, end):end] {
		perms := make([]memberPermission, 0, len(cur.Actions))
		for _, a := range cur.Actions {
			perms = append(perms, memberActionPermission(sf, viewer, m, c.acct, a))
		}
		if a := s.accounts[m.AccountID]; a != nil {
			res.Users = append(res.Users, userMembershipInfo{AccessType: u(m.Access), Permissions: perms,
				User: userInfoOf(a, c.acct)})
			continue
		}
		inv := inviteeMembershipInfo{AccessType: u(m.Access), Permissions: perms, Invitee: uv("email", m.Email)}
		if a := s.byEmail[strings.ToLower(m.Email)]; a != nil {
			ui := userInfoOf(a, c.acct)
			inv.User = &ui // the account the invitation has come to be for
		}
		res.Invitees = append(res.Invitees, inv)
	}
	if end < len(sf.Members) {
		next := *cur
		next.Offset = end
		res.Cursor = encodeCursorToken(sharingCursorPrefix, &next)
	}
	return res
}

// userInfoOf renders a as UserInfo seen by viewer.
func userInfoOf(a, viewer *Account) userInfo {
	ui := userInfo{AccountID: a.ID, Email: a.Email, DisplayName: a.DisplayName,
		SameTeam: a.TeamID != "" && a.TeamID == viewer.TeamID}
	if ui.SameTeam {
		ui.TeamMemberID = a.TeamMemberID
	}
	return ui
}

// memberActionPermission is whether viewer (of account acct) may take a
// MemberAction on member target of sf, and why not.
func memberActionPermission(sf *sharedFolder, viewer, target *folderMember, acct *Account, action string) memberPermission {
	p := memberPermission{Action: u(action)}
	switch {
	case target.Access == "owner":
		p.Reason = u("target_is_owner")
	case isMember(target, acct):
		p.Reason = u("target_is_self")
	case !sf.canManage(viewer):
		p.Reason = u("user_not_allowed_by_owner")
	case action == "make_owner":
		p.Reason = u("user_not_allowed_by_owner") // ownership moves with transfer_folder, not here
	case action == "leave_a_copy" && target.AccountID == "":
		p.Reason = u("target_not_active") // an invitee has nothing to keep
	default:
		p.Allow = true
	}
	return p
}

// update_folder_member, remove_folder_member, relinquish_folder_membership.

// targetTx is memberTx for a route that names another member of the
// folder with sel: do gets that member too; the route error is
// member_error when sel names no member.
func (s *Server) targetTx(c *call, id string, sel Tag, do func(t *tx, sf *sharedFolder, m, target *folderMember) (any, error)) (any, error) {
	kind, value, err := c.memberSelector("member", sel)
	if err != nil {
		return nil, err
	}
	return s.memberTx(c, id, func(t *tx, sf *sharedFolder, m *folderMember) (any, error) {
		target, merr := s.selectedMember(sf, kind, value)
		if merr != nil {
			return nil, routeError(uv("member_error", merr))
		}
		return do(t, sf, m, target)
	})
}

func (s *Server) updateFolderMember(c *call) (any, error) {
	var arg struct {
		SharedFolderID string `json:"shared_folder_id"`
		Member         Tag    `json:"member" union:"dropbox_id=value email=value"`
		AccessLevel    Tag    `json:"access_level" union:"owner editor viewer viewer_no_comment traverse no_access"`
	}
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID, "member", "access_level"); err != nil {
		return nil, err
	}
	return s.targetTx(c, arg.SharedFolderID, arg.Member, func(t *tx, sf *sharedFolder, m, target *folderMember) (any, error) {
		if !sf.canManage(m) || target.Access == "owner" || isMember(target, c.acct) || !grantable(arg.AccessLevel.Name) {
			return nil, routeError(u("no_permission"))
		}
		if target.Access != arg.AccessLevel.Name {
			target.Access = arg.AccessLevel.Name
			t.put(tblSharedFolder, sf.ID, sf)
		}
		// MemberAccessLevelResult: no access through a parent folder.
		return map[string]any{}, nil
	})
}

func (s *Server) removeFolderMember(c *call) (any, error) {
	var arg struct {
		SharedFolderID string `json:"shared_folder_id"`
		Member         Tag    `json:"member" union:"dropbox_id=value email=value"`
		LeaveACopy     bool   `json:"leave_a_copy"`
	}
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID, "member", "leave_a_copy"); err != nil {
		return nil, err
	}
	return s.targetTx(c, arg.SharedFolderID, arg.Member, func(t *tx, sf *sharedFolder, m, target *folderMember) (any, error) {
		switch {
		case target.Access == "owner":
			return nil, routeError(u("folder_owner"))
		case !sf.canManage(m):
			return nil, routeError(u("no_permission"))
		}
		if err := s.dropMember(t, sf, target, arg.LeaveACopy, true); err != nil {
			return nil, err
		}
		// Dropbox always answers with a job (LaunchResultBase): its result,
		// a MemberAccessLevelResult, says the member has no other access.
		return s.launchJob(t, c, map[string]any{})
	})
}

// dropMember ends membership m of sf: the folder leaves the member's
// Dropbox, or, with leaveACopy, a copy of it stays there. It returns the
// too_many_files error of a copy too large to make when limitCopy is set
// (RemoveFolderMemberError has it; RelinquishFolderMembershipError does
// not, so relinquishing always leaves the copy). The caller holds s.mu
// and commits t.
func (s *Server) dropMember(t *tx, sf *sharedFolder, m *folderMember, leaveACopy, limitCopy bool) error {
	a := s.accounts[m.AccountID]
	if limitCopy && leaveACopy && a != nil && s.sharedMount(a, sf.ID) != nil {
		if inner := s.namespaces[sf.ID]; inner != nil && len(inner.byID) > maxRelocationEntries {
			return routeError(u("too_many_files"))
		}
	}
	if a != nil {
		s.unmountFor(t, a, sf, leaveACopy)
	}
	for i, x := range sf.Members {
		if x == m {
			sf.Members = append(sf.Members[:i], sf.Members[i+1:]...)
			break
		}
	}
	t.put(tblSharedFolder, sf.ID, sf)
	return nil
}

func (s *Server) checkRemoveMemberJobStatus(c *call) (any, error) {
	return s.pollJob(c, true, "sharing/remove_folder_member")
}

func (s *Server) relinquishFolderMembership(c *call) (any, error) {
	var arg leaveACopyArg
	if err := c.sharedFolderIDArg(&arg, &arg.SharedFolderID); err != nil {
		return nil, err
	}
	return s.memberTx(c, arg.SharedFolderID, func(t *tx, sf *sharedFolder, m *folderMember) (any, error) {
		if m.Access == "owner" {
			return nil, routeError(u("folder_owner"))
		}
		if err := s.dropMember(t, sf, m, arg.LeaveACopy, false); err != nil {
			return nil, err
		}
		// "This will run synchronously if leave_a_copy is false, and
		// asynchronously if leave_a_copy is true."
		if arg.LeaveACopy {
			return s.launchJob(t, c, map[string]any{})
		}
		return u("complete"), nil
	})
}
