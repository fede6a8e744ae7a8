package dropboxemu

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Changing team members (team.stone): suspending and unsuspending them,
// setting their profile, and removing them from the team.
//
// What the emulator models of a removal: the member leaves the team (their
// status is "removed", they are listed only with include_removed, their
// folder leaves the team space and their account leaves the team). With
// keep_account the account becomes a Basic account that keeps its home
// folder and its tokens; without it the account is detached: disabled, its
// user tokens revoked (invalid_access_token), its files left in its home
// namespace, unless transfer_dest_id names a member, into whose home they
// move, in a folder named after the removed member (shared folders stay
// behind). wipe_data,
// retain_team_shares and permanently_delete_files are checked against the
// spec's rules and otherwise change nothing (the emulator has no linked
// devices, and a removed account's data is never deleted).

func init() {
	register("team/members/suspend", (*Server).membersSuspend)
	register("team/members/unsuspend", (*Server).membersUnsuspend)
	register("team/members/set_profile_v2", (*Server).membersSetProfileV2)
	register("team/members/remove", (*Server).membersRemove)
	register("team/members/remove/job_status/get", (*Server).membersRemoveJobStatus)
}

// memberRef is a checked UserSelectorArg.
type memberRef struct{ kind, value string }

// checkMemberRef checks the UserSelectorArg in field (nil: absent).
func (c *call) checkMemberRef(field string, sel *Tag) (*memberRef, error) {
	if sel == nil {
		return nil, nil
	}
	kind, value, err := c.userSelector(field, *sel)
	if err != nil {
		return nil, err
	}
	return &memberRef{kind, value}, nil
}

// findMember finds the member ref names in tm: the member, or the
// UserSelectorError user_not_found. A removed member is found; the caller
// decides what that means for its route. The caller holds s.mu.
func (s *Server) findMember(tm *Team, ref *memberRef) (*teamMember, *Account, error) {
	m := s.selectMember(tm, ref.kind, ref.value)
	if m == nil || s.accounts[m.AccountID] == nil {
		return nil, nil, routeError(u("user_not_found"))
	}
	return m, s.accounts[m.AccountID], nil
}

// activeAdmins counts the team admins of tm who are neither removed nor
// suspended, but for except. The caller holds s.mu.
func (s *Server) activeAdmins(tm *Team, except *teamMember) int {
	n := 0
	for _, m := range tm.Members {
		if a := s.accounts[m.AccountID]; m != except && m.Role == roleTeamAdmin && !m.removed() && a != nil && !a.Disabled {
			n++
		}
	}
	return n
}

// membersDeactivateArg is the spec's MembersDeactivateArg (suspend) and
// MembersUnsuspendArg (no wipe_data).
type membersDeactivateArg struct {
	User     *Tag  `json:"user" union:"team_member_id=value external_id=value email=value"`
	WipeData *bool `json:"wipe_data,omitempty"` // no linked devices: no effect
}

// decodeMemberArg decodes arg, whose required user field is user, and
// checks the selector.
func (c *call) decodeMemberArg(arg any, user **Tag) (*memberRef, error) {
	if err := c.decode(arg, "user"); err != nil {
		return nil, err
	}
	return c.checkMemberRef("user", *user)
}

// changeMember runs change on the member ref names, in a tx of the call's
// team: user_not_found for no member, user_not_in_team for a removed one.
func (s *Server) changeMember(c *call, ref *memberRef, change func(t *tx, tm *Team, m *teamMember, a *Account) (any, error)) (any, error) {
	return teamTx(s, c, func(t *tx, tm *Team) (any, error) {
		m, a, err := s.findMember(tm, ref)
		if err != nil {
			return nil, err
		}
		if m.removed() {
			return nil, routeError(u("user_not_in_team"))
		}
		return change(t, tm, m, a)
	})
}

// membersSuspend suspends an active member: their account is disabled,
// so that their tokens (and a team token selecting them) get 401
// user_suspended until they are unsuspended.
func (s *Server) membersSuspend(c *call) (any, error) {
	var arg membersDeactivateArg
	ref, err := c.decodeMemberArg(&arg, &arg.User)
	if err != nil {
		return nil, err
	}
	return s.changeMember(c, ref, func(t *tx, tm *Team, m *teamMember, a *Account) (any, error) {
		switch {
		case a.Disabled:
			return nil, routeError(u("suspend_inactive_user"))
		case m.Role == roleTeamAdmin && s.activeAdmins(tm, m) == 0:
			return nil, routeError(u("suspend_last_admin"))
		}
		a.Disabled = true
		t.put(tblAccount, a.ID, a)
		return nil, nil
	})
}

// membersUnsuspend makes a suspended member active again.
func (s *Server) membersUnsuspend(c *call) (any, error) {
	var arg struct {
		User *Tag `json:"user" union:"team_member_id=value external_id=value email=value"`
	}
	ref, err := c.decodeMemberArg(&arg, &arg.User)
	if err != nil {
		return nil, err
	}
	return s.changeMember(c, ref, func(t *tx, _ *Team, _ *teamMember, a *Account) (any, error) {
		if !a.Disabled {
			return nil, routeError(u("unsuspend_non_suspended_member"))
		}
		a.Disabled = false
		t.put(tblAccount, a.ID, a)
		return nil, nil
	})
}

// membersSetProfileArg is the spec's MembersSetProfileArg.
type membersSetProfileArg struct {
	User                     *Tag    `json:"user" union:"team_member_id=value external_id=value email=value"`
	NewEmail                 *string `json:"new_email,omitempty"`
	NewExternalID            *string `json:"new_external_id,omitempty"`
	NewGivenName             *string `json:"new_given_name,omitempty"`
	NewSurname               *string `json:"new_surname,omitempty"`
	NewPersistentID          *string `json:"new_persistent_id,omitempty"`
	NewIsDirectoryRestricted *bool   `json:"new_is_directory_restricted,omitempty"`
}

// reOptionalNamePart is the whole-string form of the pattern of an
// OptionalNamePart.
var reOptionalNamePart = regexp.MustCompile(`\A(?:[^/:?*<>"|]*)\z`)

const optionalNamePartPattern = `[^\/:?*<>"|]*`

// check checks the fields of arg against their Stone types.
func (arg *membersSetProfileArg) check(c *call) error {
	if arg.NewEmail != nil {
		if err := c.checkString("new_email", *arg.NewEmail, 0, 255, emailAddressPattern, reEmailAddress); err != nil {
			return err
		}
	}
	if arg.NewExternalID != nil {
		if err := c.checkString("new_external_id", *arg.NewExternalID, 0, 64, "", nil); err != nil {
			return err
		}
	}
	for field, v := range map[string]*string{"new_given_name": arg.NewGivenName, "new_surname": arg.NewSurname} {
		if v != nil {
			if err := c.checkString(field, *v, 0, 50, optionalNamePartPattern, reOptionalNamePart); err != nil {
				return err
			}
		}
	}
	return nil
}

// membersSetProfileV2 changes a member's email, external id or name (the
// account's display name is "given surname", and the member's folder in
// the team space follows it). The emulator's teams have no persistent-ID
// SAML and no directory restrictions: new_persistent_id and
// new_is_directory_restricted true get persistent_id_disabled and
// directory_restricted_off.
func (s *Server) membersSetProfileV2(c *call) (any, error) {
	var arg membersSetProfileArg
	ref, err := c.decodeMemberArg(&arg, &arg.User)
	if err != nil {
		return nil, err
	}
	if err := arg.check(c); err != nil {
		return nil, err
	}
	return teamTx(s, c, func(t *tx, tm *Team) (any, error) {
		m, a, err := s.findMember(tm, ref)
		if err != nil {
			return nil, err
		}
		switch {
		case m.removed():
			return nil, routeError(u("set_profile_disallowed"))
		case ref.kind == "external_id" && arg.NewExternalID != nil:
			return nil, routeError(u("external_id_and_new_external_id_unsafe"))
		case arg.NewPersistentID != nil:
			return nil, routeError(u("persistent_id_disabled"))
		case arg.NewIsDirectoryRestricted != nil && *arg.NewIsDirectoryRestricted:
			return nil, routeError(u("directory_restricted_off"))
		case arg.NewEmail == nil && arg.NewExternalID == nil && arg.NewGivenName == nil && arg.NewSurname == nil:
			return nil, routeError(u("no_new_data_specified"))
		}
		if arg.NewEmail != nil {
			if other := s.byEmail[strings.ToLower(*arg.NewEmail)]; other != nil && other != a {
				return nil, routeError(u("email_reserved_for_other_user"))
			}
		}
		if arg.NewExternalID != nil && *arg.NewExternalID != "" {
			for _, o := range tm.Members {
				if o != m && !o.removed() && o.ExternalID == *arg.NewExternalID {
					return nil, routeError(u("external_id_used_by_other_user"))
				}
			}
		}
		if arg.NewEmail != nil && *arg.NewEmail != a.Email {
			delete(s.byEmail, strings.ToLower(a.Email))
			a.Email = *arg.NewEmail
			s.byEmail[strings.ToLower(a.Email)] = a
		}
		if arg.NewExternalID != nil {
			m.ExternalID = *arg.NewExternalID
		}
		if arg.NewGivenName != nil || arg.NewSurname != nil {
			name := nameOf(a)
			if arg.NewGivenName != nil {
				name.GivenName = *arg.NewGivenName
			}
			if arg.NewSurname != nil {
				name.Surname = *arg.NewSurname
			}
			display := strings.TrimSpace(name.GivenName + " " + name.Surname)
			if display != "" && display != a.DisplayName {
				a.DisplayName = display
				if root := s.namespaces[tm.RootNS]; root != nil {
					s.renameMount(t, root, a.HomeNS, display)
				}
			}
		}
		t.put(tblAccount, a.ID, a)
		t.put(tblTeam, tm.ID, tm)
		return map[string]any{"member_info": s.memberInfoV2(tm, m)}, nil
	})
}

// membersRemoveArg is the spec's MembersRemoveArg.
type membersRemoveArg struct {
	User                   *Tag  `json:"user" union:"team_member_id=value external_id=value email=value"`
	WipeData               *bool `json:"wipe_data,omitempty"` // default true
	TransferDestID         *Tag  `json:"transfer_dest_id,omitempty" union:"team_member_id=value external_id=value email=value"`
	TransferAdminID        *Tag  `json:"transfer_admin_id,omitempty" union:"team_member_id=value external_id=value email=value"`
	KeepAccount            bool  `json:"keep_account,omitempty"`
	RetainTeamShares       bool  `json:"retain_team_shares,omitempty"`
	PermanentlyDeleteFiles bool  `json:"permanently_delete_files,omitempty"`
}

// removeConflict is the MembersRemoveError an argument's combination of
// options gives, or "".
func (arg *membersRemoveArg) removeConflict() string {
	wipe := arg.WipeData == nil || *arg.WipeData
	switch {
	case arg.KeepAccount && arg.TransferDestID != nil:
		return "cannot_keep_account_and_transfer"
	case arg.KeepAccount && wipe:
		return "cannot_keep_account_and_delete_data"
	case arg.KeepAccount && arg.PermanentlyDeleteFiles:
		return "cannot_keep_account_and_permanently_delete"
	case arg.RetainTeamShares && !arg.KeepAccount:
		return "cannot_retain_shares_when_no_account_kept"
	case arg.RetainTeamShares && wipe:
		return "cannot_retain_shares_when_data_wiped"
	case arg.PermanentlyDeleteFiles && arg.TransferDestID != nil:
		return "cannot_permanently_delete_and_transfer"
	case arg.TransferDestID != nil && arg.TransferAdminID == nil:
		return "unspecified_transfer_admin_id"
	}
	return ""
}

// transferTargets finds the members transfer_dest_id and transfer_admin_id
// name (nil when absent) and checks them against m, the member removed.
// The caller holds s.mu.
func (s *Server) transferTargets(tm *Team, m *teamMember, dest, admin *memberRef) (*Account, error) {
	var destAcct *Account
	if dest != nil {
		d := s.selectMember(tm, dest.kind, dest.value)
		switch {
		case d == nil || s.accounts[d.AccountID] == nil:
			return nil, routeError(u("transfer_dest_user_not_found"))
		case d.removed():
			return nil, routeError(u("transfer_dest_user_not_in_team"))
		case d == m:
			return nil, routeError(u("removed_and_transfer_dest_should_differ"))
		}
		destAcct = s.accounts[d.AccountID]
	}
	if admin != nil {
		d := s.selectMember(tm, admin.kind, admin.value)
		switch {
		case d == nil || s.accounts[d.AccountID] == nil:
			return nil, routeError(u("transfer_admin_user_not_found"))
		case d.removed():
			return nil, routeError(u("transfer_admin_user_not_in_team"))
		case d == m:
			return nil, routeError(u("removed_and_transfer_admin_should_differ"))
		case d.Role != roleTeamAdmin:
			return nil, routeError(u("transfer_admin_is_not_admin"))
		}
	}
	return destAcct, nil
}

// membersRemove removes a member from the team (see the top of the file
// for what becomes of their account and files). It always answers with a
// job of team/members/remove/job_status/get, as Dropbox does; the work is
// done at once.
func (s *Server) membersRemove(c *call) (any, error) {
	var arg membersRemoveArg
	ref, err := c.decodeMemberArg(&arg, &arg.User)
	if err != nil {
		return nil, err
	}
	dest, err := c.checkMemberRef("transfer_dest_id", arg.TransferDestID)
	if err != nil {
		return nil, err
	}
	admin, err := c.checkMemberRef("transfer_admin_id", arg.TransferAdminID)
	if err != nil {
		return nil, err
	}
	return s.changeMember(c, ref, func(t *tx, tm *Team, m *teamMember, a *Account) (any, error) {
		if m.Role == roleTeamAdmin && s.activeAdmins(tm, m) == 0 {
			return nil, routeError(u("remove_last_admin"))
		}
		if tag := arg.removeConflict(); tag != "" {
			return nil, routeError(u(tag))
		}
		destAcct, err := s.transferTargets(tm, m, dest, admin)
		if err != nil {
			return nil, err
		}
		s.removeMember(t, tm, m, a, arg.KeepAccount, destAcct)
		j := &job{ID: newJobID(), Route: c.route, AccountID: tm.ID, Result: []byte("{}"), Pending: s.opts.JobPolls,
			Created: s.clock.Now()}
		s.jobs[j.ID] = j
		t.put(tblJob, j.ID, j)
		return uv("async_job_id", j.ID), nil
	})
}

// removeMember takes m (account a) off tm: their folder leaves the team
// space; a kept account becomes a Basic account, else it is disabled and
// its user tokens revoked; their files move to dest's home when dest is
// set. The caller holds s.mu and commits t.
func (s *Server) removeMember(t *tx, tm *Team, m *teamMember, a *Account, keep bool, dest *Account) {
	// A removed TokenAdmin stays one: get_authenticated_admin answers
	// admin_not_active for them.
	m.Removed, m.Disconnected = s.clock.Now(), keep
	t.put(tblTeam, tm.ID, tm)
	if root := s.namespaces[tm.RootNS]; root != nil {
		s.unmount(t, root, a.HomeNS)
	}
	if dest != nil {
		s.transferFiles(t, a, dest)
	}
	a.TeamID, a.TeamMemberID, a.RootNS = "", "", a.HomeNS
	if keep {
		a.AccountType = "basic"
	} else {
		a.Disabled = true
		for k, tok := range s.tokens {
			if tok.AccountID == a.ID {
				delete(s.tokens, k)
				t.del(tblToken, k)
			}
		}
	}
	t.put(tblAccount, a.ID, a)
}

// transferFiles moves what is in from's home namespace (but for the
// shared folders mounted there and the folders that hold one: a shared
// folder is a membership, and cannot leave its namespace) into a
// folder of to's home named after from, as a move does: ids stay, files
// get a new rev. The caller holds s.mu and commits t.
func (s *Server) transferFiles(t *tx, from, to *Account) {
	src, dst := s.namespaces[from.HomeNS], s.namespaces[to.HomeNS]
	if src == nil || dst == nil {
		return
	}
	var tops []*Entry
	for _, name := range src.sortedChildren("") {
		e := src.child("", name)
		if e == nil {
			continue
		}
		// A shared folder cannot move to another namespace: what holds
		// one stays.
		if below, _ := subtree(src, e, len(src.byPath)); !slices.ContainsFunc(below, func(x *Entry) bool { return x.Mount != "" }) {
			tops = append(tops, e)
		}
	}
	if len(tops) == 0 {
		return
	}
	tgt := target{ns: dst, lower: "/" + lowerPath(from.DisplayName), display: "/" + from.DisplayName}
	if dst.byPath[tgt.lower] != nil {
		tgt = s.freeName(tgt, "")
	}
	s.record(t, dst, &Entry{ID: newFileID(), NS: dst.ID, Folder: true, PathLower: tgt.lower, PathDisplay: tgt.display})
	now := s.clock.Now().Truncate(time.Second)
	for _, e := range tops {
		moved, _ := subtree(src, e, len(src.byPath))
		s.forget(t, src, e)
		for _, old := range moved {
			n := *old
			n.NS = dst.ID
			n.PathLower = tgt.lower + old.PathLower
			n.PathDisplay = tgt.display + old.PathDisplay
			if !n.Folder {
				n.Rev, n.ServerModified = s.nextRev(t), now
			}
			s.record(t, dst, &n)
			if !n.Folder {
				s.addRevision(t, &n)
			}
		}
	}
}

// membersRemoveJobStatus answers a job of team/members/remove of the
// call's team: in_progress for the first Options.JobPolls checks, then
// complete.
func (s *Server) membersRemoveJobStatus(c *call) (any, error) {
	jobID, err := c.asyncJobIDArg()
	if err != nil {
		return nil, err
	}
	return teamTx(s, c, func(t *tx, tm *Team) (any, error) {
		j := s.jobs[jobID]
		if j == nil || j.Route != "team/members/remove" || j.AccountID != tm.ID {
			return nil, routeError(u("invalid_async_job_id"))
		}
		if j.Pending > 0 {
			j.Pending--
			t.put(tblJob, j.ID, j)
			return u("in_progress"), nil
		}
		return u("complete"), nil
	})
}
