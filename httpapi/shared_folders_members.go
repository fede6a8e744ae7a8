package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// The members of a shared folder
// (https://www.dropbox.com/developers/documentation/http/documentation#sharing-add_folder_member).

// cursorFolderMembers is the kind of the cursors of member listings.
const cursorFolderMembers = "folder_members"

// FolderMember is a member of a shared folder: a Dropbox user, a group,
// or an invitee (an email address that has not joined yet).
type FolderMember struct {
	Tag          string       `json:".tag" enum:"user,group,invitee" doc:"What the member is."`
	AccessType   string       `json:"access_type" enum:"owner,editor,viewer,viewer_no_comment,traverse,no_access" doc:"The member's access to the folder."`
	IsInherited  bool         `json:"is_inherited" doc:"Whether the access comes from a folder above."`
	AccountID    string       `json:"account_id,omitempty" doc:"Users (and invitees who have an account): the Dropbox account ID." example:"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"`
	Email        string       `json:"email,omitempty" doc:"Users and invitees: the email address." example:"bob@example.com"`
	DisplayName  string       `json:"display_name,omitempty" doc:"Users: the name." example:"Bob Smith"`
	SameTeam     bool         `json:"same_team,omitempty" doc:"Users: whether the user is on the connected account's team."`
	TeamMemberID string       `json:"team_member_id,omitempty" doc:"Users on the same team: their team member ID."`
	GroupID      string       `json:"group_id,omitempty" doc:"Groups: the group's ID."`
	GroupName    string       `json:"group_name,omitempty" doc:"Groups: the group's name."`
	MemberCount  *uint32      `json:"member_count,omitempty" doc:"Groups: how many members the group has, when Dropbox says."`
	Permissions  []Permission `json:"permissions,omitempty" doc:"Whether the connected account may take the actions asked for with actions on this member."`
}

// memberPermissionsOut converts Dropbox's permissions on a member.
func memberPermissionsOut(ps []dropbox.MemberPermission) []Permission {
	var out []Permission
	for _, p := range ps {
		perm := Permission{Action: p.Action.Tag, Allow: p.Allow}
		if p.Reason != nil {
			perm.Reason = p.Reason.Tag
		}
		out = append(out, perm)
	}
	return out
}

// membersOut converts a page of Dropbox's members: users, then groups,
// then invitees.
func membersOut(m *dropbox.SharedFolderMembers) []FolderMember {
	out := make([]FolderMember, 0, len(m.Users)+len(m.Groups)+len(m.Invitees))
	for _, u := range m.Users {
		out = append(out, FolderMember{Tag: "user", AccessType: u.AccessType.Tag, IsInherited: u.IsInherited,
			AccountID: u.User.AccountID, Email: u.User.Email, DisplayName: u.User.DisplayName, SameTeam: u.User.SameTeam,
			TeamMemberID: deref(u.User.TeamMemberID), Permissions: memberPermissionsOut(u.Permissions)})
	}
	for _, g := range m.Groups {
		out = append(out, FolderMember{Tag: "group", AccessType: g.AccessType.Tag, IsInherited: g.IsInherited,
			GroupID: g.Group.GroupID, GroupName: g.Group.GroupName, MemberCount: g.Group.MemberCount,
			Permissions: memberPermissionsOut(g.Permissions)})
	}
	for _, i := range m.Invitees {
		fm := FolderMember{Tag: "invitee", AccessType: i.AccessType.Tag, IsInherited: i.IsInherited, Email: i.Invitee.Email,
			Permissions: memberPermissionsOut(i.Permissions)}
		if u := i.User; u != nil {
			fm.AccountID, fm.DisplayName = u.AccountID, u.DisplayName
		}
		out = append(out, fm)
	}
	return out
}

// MemberSelector names a member of a shared folder: by email address or by
// Dropbox account ID, exactly one of them.
type MemberSelector struct {
	Email     string `json:"email,omitempty" maxLength:"255" doc:"The member's email address." example:"bob@example.com"`
	DropboxID string `json:"dropbox_id,omitempty" minLength:"1" doc:"The member's Dropbox account ID." example:"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"`
}

// selector returns Dropbox's MemberSelector for m, or an EINVALID error
// naming field unless exactly one of its fields is given.
func (m *MemberSelector) selector(field string) (dropbox.MemberSelector, error) {
	switch {
	case m.Email != "" && m.DropboxID == "":
		if !strings.Contains(m.Email, "@") {
			return dropbox.MemberSelector{}, dropbridge.Errorf(dropbridge.EINVALID, "%s.email %q is not an email address.", field, m.Email)
		}
		return dropbox.MemberSelector{Tag: dropbox.MemberSelectorEmail, Email: m.Email}, nil
	case m.DropboxID != "" && m.Email == "":
		return dropbox.MemberSelector{Tag: dropbox.MemberSelectorDropboxID, DropboxID: m.DropboxID}, nil
	}
	return dropbox.MemberSelector{}, dropbridge.Errorf(dropbridge.EINVALID, "%s names no one: give either email or dropbox_id.", field)
}

// newMember is a member to add.
type newMember struct {
	MemberSelector
	AccessLevel string `json:"access_level,omitempty" enum:"editor,viewer,viewer_no_comment" doc:"The new member's access; Dropbox's default is viewer."`
}

type addFolderMembersInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	SharedFolderID string `path:"shared_folder_id" pattern:"^[-_0-9a-zA-Z:]+$" doc:"The shared folder's ID." example:"84528192421"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Members       []newMember `json:"members" minItems:"1" maxItems:"100" doc:"Who to add. A member already there keeps their access: update it instead."`
		Quiet         bool        `json:"quiet,omitempty" doc:"Do not email the new members."`
		CustomMessage string      `json:"custom_message,omitempty" maxLength:"1000" doc:"A message for the invitation email."`
	}
}

type listFolderMembersInput struct {
	ID             string   `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	SharedFolderID string   `path:"shared_folder_id" pattern:"^[-_0-9a-zA-Z:]+$" doc:"The shared folder's ID." example:"84528192421"`
	Limit          int      `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
	Actions        []string `query:"actions" enum:"leave_a_copy,make_editor,make_owner,make_viewer,make_viewer_no_comment,remove" doc:"Comma-separated: say in permissions whether the connected account may take these actions on each member."`
	Cursor         string   `query:"cursor" doc:"Continue a listing: next_cursor of the previous page. The other parameters are those of the first page, and are ignored."`
}

type listFolderMembersOutput struct {
	Body struct {
		Data       []FolderMember `json:"data" doc:"A page of members: users, groups, then invitees."`
		NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type updateFolderMemberInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	SharedFolderID string `path:"shared_folder_id" pattern:"^[-_0-9a-zA-Z:]+$" doc:"The shared folder's ID." example:"84528192421"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Member      MemberSelector `json:"member" doc:"The member to change."`
		AccessLevel string         `json:"access_level" enum:"editor,viewer,viewer_no_comment" doc:"The member's new access."`
	}
}

// MemberAccess is a member's access after a change, with Dropbox's names.
type MemberAccess struct {
	AccessLevel string `json:"access_level,omitempty" doc:"The member's access to the folder now, when it is explicit." example:"editor"`
	Warning     string `json:"warning,omitempty" doc:"Dropbox's note on the change, for example when the member keeps access through a folder above."`
}

type memberAccessOutput struct {
	Body MemberAccess
}

type removeFolderMemberInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	SharedFolderID string `path:"shared_folder_id" pattern:"^[-_0-9a-zA-Z:]+$" doc:"The shared folder's ID." example:"84528192421"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Member     MemberSelector `json:"member" doc:"The member to remove."`
		LeaveACopy bool           `json:"leave_a_copy,omitempty" doc:"Leave the member a copy of the folder's content."`
	}
}

func (s *Server) registerSharedFolderMembers() {
	tags := []string{"Shared folders"}
	base := "/v1/connections/{id}/shared-folders/{shared_folder_id}/members"
	huma.Register(s.api, huma.Operation{
		OperationID: "add-folder-members",
		Method:      http.MethodPost,
		Path:        base,
		Summary:     "Add members to a shared folder",
		Description: "Invites users by email address or account ID (Dropbox's sharing/add_folder_member); they become members, " +
			"and the folder appears in their Dropbox once they mount it. Either all are added or none.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusNoContent,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.addFolderMembers)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-folder-members",
		Method:      http.MethodGet,
		Path:        base,
		Summary:     "List a shared folder's members",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listFolderMembers)
	huma.Register(s.api, huma.Operation{
		OperationID: "update-folder-member",
		Method:      http.MethodPost,
		Path:        base + "/update",
		Summary:     "Change a member's access",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.updateFolderMember)
	huma.Register(s.api, huma.Operation{
		OperationID:   "remove-folder-member",
		Method:        http.MethodPost,
		Path:          base + "/remove",
		Summary:       "Remove a member from a shared folder",
		Description:   "Answers when Dropbox's job is done. The owner cannot be removed: unshare the folder instead.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusNoContent,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.removeFolderMember)
}

func (s *Server) addFolderMembers(ctx context.Context, in *addFolderMembersInput) (*struct{}, error) {
	arg := &dropbox.AddFolderMemberArg{SharedFolderID: in.SharedFolderID, Quiet: in.Body.Quiet}
	for i := range in.Body.Members {
		m := &in.Body.Members[i]
		sel, err := m.selector("members[" + strconv.Itoa(i) + "]")
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		am := dropbox.AddMember{Member: sel}
		if m.AccessLevel != "" {
			am.AccessLevel = &dropbox.AccessLevel{Tag: m.AccessLevel}
		}
		arg.Members = append(arg.Members, am)
	}
	if in.Body.CustomMessage != "" {
		arg.CustomMessage = &in.Body.CustomMessage
	}
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		return c.Sharing.AddFolderMember(ctx, arg)
	})
	if err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Server) listFolderMembers(ctx context.Context, in *listFolderMembersInput) (*listFolderMembersOutput, error) {
	var prev pageCursor
	if in.Cursor != "" {
		var err error
		// The cursor is bound to the folder as well as the connection.
		if prev, err = decodePageCursor(in.Cursor, in.ID, cursorFolderMembers); err != nil || prev.Path != in.SharedFolderID {
			return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID,
				"The cursor is not one of this listing: pass next_cursor of the previous page unchanged, on the same connection and shared folder."))
		}
	}
	var res *dropbox.SharedFolderMembers
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if prev.Dropbox != "" {
			res, err = c.Sharing.ListFolderMembersContinue(ctx, &dropbox.ListFolderMembersContinueArg{Cursor: prev.Dropbox})
			return err
		}
		limit := uint32(in.Limit)
		arg := &dropbox.ListFolderMembersArgs{SharedFolderID: in.SharedFolderID, Limit: &limit}
		for _, a := range in.Actions {
			arg.Actions = append(arg.Actions, dropbox.MemberAction{Tag: a})
		}
		res, err = c.Sharing.ListFolderMembers(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listFolderMembersOutput{}
	out.Body.Data = membersOut(res)
	if res.Cursor != nil && *res.Cursor != "" {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorFolderMembers, Path: in.SharedFolderID, Dropbox: *res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) updateFolderMember(ctx context.Context, in *updateFolderMemberInput) (*memberAccessOutput, error) {
	sel, err := in.Body.Member.selector("member")
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	var res *dropbox.MemberAccessLevelResult
	err = s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Sharing.UpdateFolderMember(ctx, &dropbox.UpdateFolderMemberArg{SharedFolderID: in.SharedFolderID,
			Member: sel, AccessLevel: dropbox.AccessLevel{Tag: in.Body.AccessLevel}})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &memberAccessOutput{Body: MemberAccess{Warning: deref(res.Warning)}}
	if res.AccessLevel != nil {
		out.Body.AccessLevel = res.AccessLevel.Tag
	}
	return out, nil
}

func (s *Server) removeFolderMember(ctx context.Context, in *removeFolderMemberInput) (*struct{}, error) {
	sel, err := in.Body.Member.selector("member")
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	err = s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		return removeMemberAndWait(ctx, c, &dropbox.RemoveFolderMemberArg{SharedFolderID: in.SharedFolderID,
			Member: sel, LeaveACopy: in.Body.LeaveACopy})
	})
	if err != nil {
		return nil, err
	}
	return nil, nil
}

// removeMemberAndWait removes a member as arg says and waits for Dropbox's
// job.
func removeMemberAndWait(ctx context.Context, c *dropbox.Client, arg *dropbox.RemoveFolderMemberArg) error {
	launch, err := c.Sharing.RemoveFolderMember(ctx, arg)
	if err != nil {
		return err
	}
	return awaitJob(ctx, "list the folder's members to see whether they are gone", func(ctx context.Context) (bool, error) {
		st, err := c.Sharing.CheckRemoveMemberJobStatus(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
		switch {
		case err != nil:
			return false, err
		case st.Tag == dropbox.RemoveMemberJobStatusFailed:
			return false, jobFailure("sharing/remove_folder_member", st.Failed)
		}
		return st.Tag == dropbox.RemoveMemberJobStatusComplete, nil
	})
}
