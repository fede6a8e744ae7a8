package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Team connections: a connection made through a team-linked Dropbox app
// by a team admin holds a team's token. It lists the team's members and
// manages its team folders (team-members, team-folders), and it works on
// one member's Dropbox, through every resource of a connection (files,
// shared links, Paper documents, the proxy...), when the request names the
// member in the MemberHeader header, or an admin in AdminHeader. A user's
// connection refuses both headers; it sees the user's team space, when the
// user's team has one, without being asked.

// MemberHeader is the request header that makes a call through a team
// connection act as one team member (Dropbox-API-Select-User): the
// member's team_member_id ("dbmid:...") or account ID ("dbid:...").
const MemberHeader = "X-Dropbridge-Member"

// AdminHeader is the request header that makes a call through a team
// connection act as one team admin (Dropbox-API-Select-Admin), on the
// routes where Dropbox lets an admin reach content outside their own.
const AdminHeader = "X-Dropbridge-Admin"

// teamTagDescription explains team connections in the OpenAPI description.
const teamTagDescription = "A connection made through a team-linked Dropbox app by a team admin holds a team's token: " +
	"it lists the team's members and manages its team folders. To work on one member's Dropbox through any resource " +
	"of the connection (files, shared links, Paper documents, the proxy), send `" + MemberHeader + ": dbmid:...` " +
	"(the member's team_member_id, from the member list) with the request; `" + AdminHeader + ": dbmid:...` acts " +
	"as a team admin instead, where Dropbox allows it. A user's connection refuses both headers; for a member of a " +
	"team with a team space, it sees the team space (team folders beside the member's own folder) by itself."

// selectActor is the middleware that hands the team member or admin of
// MemberHeader or AdminHeader to the calls the request makes.
func (s *Server) selectActor(ctx huma.Context, next func(huma.Context)) {
	member, admin := strings.TrimSpace(ctx.Header(MemberHeader)), strings.TrimSpace(ctx.Header(AdminHeader))
	if member == "" && admin == "" || !strings.HasPrefix(ctx.Operation().Path, "/v1/connections/{id}/") {
		next(ctx)
		return
	}
	var msg string
	switch {
	case member != "" && admin != "":
		msg = "Send " + MemberHeader + " or " + AdminHeader + ", not both: a call acts as one member."
	case !memberRef(member + admin):
		msg = "Name the team member to act as by its team_member_id (\"dbmid:...\", from GET /v1/connections/{id}/team-members) or account ID (\"dbid:...\")."
	}
	if msg != "" {
		s.writeProblem(ctx, newProblem(dropbridge.EINVALID, msg))
		return
	}
	if member != "" {
		next(huma.WithContext(ctx, connect.AsMember(ctx.Context(), member)))
		return
	}
	next(huma.WithContext(ctx, connect.AsAdmin(ctx.Context(), admin)))
}

// memberRef reports whether v can name a team member for Dropbox: a
// team_member_id or an account ID, in a form that fits a header.
func memberRef(v string) bool {
	id, ok := strings.CutPrefix(v, "dbmid:")
	if !ok {
		id, ok = strings.CutPrefix(v, "dbid:")
	}
	return ok && id != "" && len(v) <= 255 && !strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r >= 0x7f })
}

// TeamMember is a member of a team, with Dropbox's names for its fields
// (https://www.dropbox.com/developers/documentation/http/teams#team-members-list_v2).
type TeamMember struct {
	TeamMemberID   string           `json:"team_member_id" doc:"The member's ID in the team; send it as X-Dropbridge-Member to act as the member." example:"dbmid:AAHhy7WsR0x-u4ZCqiDl5Fz5zvuL3kmspwU"`
	AccountID      string           `json:"account_id,omitempty" doc:"The member's Dropbox account ID; absent for members who have not joined yet." example:"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"`
	ExternalID     string           `json:"external_id,omitempty" doc:"The ID the team gave the member in its own systems."`
	Email          string           `json:"email" example:"ada@example.com"`
	EmailVerified  bool             `json:"email_verified"`
	Status         string           `json:"status" enum:"active,invited,suspended,removed" doc:"Where the member stands in the team."`
	DisplayName    string           `json:"display_name" example:"Ada Lovelace"`
	GivenName      string           `json:"given_name,omitempty" example:"Ada"`
	Surname        string           `json:"surname,omitempty" example:"Lovelace"`
	MembershipType string           `json:"membership_type" enum:"full,limited" doc:"full: a paid seat; limited: a member with limited use of Dropbox."`
	InvitedOn      *time.Time       `json:"invited_on,omitempty" doc:"When the member was invited."`
	JoinedOn       *time.Time       `json:"joined_on,omitempty" doc:"When the member joined."`
	Roles          []TeamMemberRole `json:"roles" doc:"The member's admin roles; none for a member who is not an admin."`
}

// TeamMemberRole is an admin role of a team member.
type TeamMemberRole struct {
	RoleID      string `json:"role_id" example:"pid_dbtmr:3456"`
	Name        string `json:"name" example:"Team admin"`
	Description string `json:"description,omitempty"`
}

// teamMemberOut converts Dropbox's member info to a TeamMember.
func teamMemberOut(m *dropbox.TeamMemberInfoV2) TeamMember {
	p := &m.Profile
	out := TeamMember{TeamMemberID: p.TeamMemberID, Email: p.Email, EmailVerified: p.EmailVerified, Status: p.Status.Tag,
		DisplayName: p.Name.DisplayName, GivenName: p.Name.GivenName, Surname: p.Name.Surname,
		MembershipType: p.MembershipType.Tag, InvitedOn: p.InvitedOn, JoinedOn: p.JoinedOn, Roles: []TeamMemberRole{}}
	if p.AccountID != nil {
		out.AccountID = *p.AccountID
	}
	if p.ExternalID != nil {
		out.ExternalID = *p.ExternalID
	}
	for _, r := range m.Roles {
		out.Roles = append(out.Roles, TeamMemberRole{RoleID: r.RoleID, Name: r.Name, Description: r.Description})
	}
	return out
}

// TeamFolder is a team folder, with Dropbox's names for its fields
// (https://www.dropbox.com/developers/documentation/http/teams#team-team_folder-list).
type TeamFolder struct {
	TeamFolderID        string `json:"team_folder_id" doc:"The team folder's ID, also its namespace ID (usable in paths as ns:<id>)." example:"1234567890"`
	Name                string `json:"name" example:"Projects"`
	Status              string `json:"status" enum:"active,archived,archive_in_progress,inactive" doc:"active folders can be used; archived ones are read-only and out of members' Dropboxes until activated again."`
	IsTeamSharedDropbox bool   `json:"is_team_shared_dropbox" doc:"Whether this is the team space's root rather than a team folder."`
	SyncSetting         string `json:"sync_setting,omitempty" enum:"default,not_synced,not_synced_inactive" doc:"Whether members' desktop apps sync the folder by default."`
}

// teamFolderOut converts Dropbox's team folder metadata to a TeamFolder.
func teamFolderOut(f *dropbox.TeamFolderMetadata) TeamFolder {
	return TeamFolder{TeamFolderID: f.TeamFolderID, Name: f.Name, Status: f.Status.Tag,
		IsTeamSharedDropbox: f.IsTeamSharedDropbox, SyncSetting: f.SyncSetting.Tag}
}

// Kinds of team page cursors.
const (
	cursorTeamMembers = "team_members"
	cursorTeamFolders = "team_folders"
)

type listTeamMembersInput struct {
	ID             string `path:"id" doc:"The team connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Limit          int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"At most how many members a page holds."`
	IncludeRemoved bool   `query:"include_removed" doc:"Include members who were removed from the team."`
	Cursor         string `query:"cursor" doc:"Continue a listing: next_cursor of the previous page. The other parameters are those of the first page, and are ignored."`
}

type listTeamMembersOutput struct {
	Body struct {
		Data       []TeamMember `json:"data" doc:"A page of the team's members."`
		NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type listTeamFoldersInput struct {
	ID     string `path:"id" doc:"The team connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"At most how many team folders a page holds."`
	Cursor string `query:"cursor" doc:"Continue a listing: next_cursor of the previous page. limit is that of the first page, and is ignored."`
}

type listTeamFoldersOutput struct {
	Body struct {
		Data       []TeamFolder `json:"data" doc:"A page of the team's folders, archived ones included."`
		NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type teamFolderInput struct {
	ID           string `path:"id" doc:"The team connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	TeamFolderID string `path:"team_folder_id" doc:"The team folder's ID." example:"1234567890"`
}

type teamFolderChangeInput struct {
	ID             string `path:"id" doc:"The team connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	TeamFolderID   string `path:"team_folder_id" doc:"The team folder's ID." example:"1234567890"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
}

type createTeamFolderInput struct {
	ID             string `path:"id" doc:"The team connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Name        string `json:"name" minLength:"1" doc:"The new team folder's name." example:"Projects"`
		SyncSetting string `json:"sync_setting,omitempty" enum:"default,not_synced" doc:"Whether members' desktop apps sync the folder by default; omitted: the team's default."`
	}
}

type renameTeamFolderInput struct {
	ID             string `path:"id" doc:"The team connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	TeamFolderID   string `path:"team_folder_id" doc:"The team folder's ID." example:"1234567890"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Name string `json:"name" minLength:"1" doc:"The team folder's new name." example:"Projects 2026"`
	}
}

type teamFolderOutput struct {
	Body TeamFolder
}

// documentActors documents MemberHeader and AdminHeader on every operation
// of a connection's resources, those registered already and those to
// come: selectActor serves them all.
func (s *Server) documentActors() {
	oapi := s.api.OpenAPI()
	document := func(_ *huma.OpenAPI, op *huma.Operation) {
		if !strings.HasPrefix(op.Path, "/v1/connections/{id}/") {
			return
		}
		for _, p := range op.Parameters {
			if p.In == "header" && (p.Name == MemberHeader || p.Name == AdminHeader) {
				return
			}
		}
		op.Parameters = append(op.Parameters,
			&huma.Param{Name: MemberHeader, In: "header", Schema: &huma.Schema{Type: "string"}, Example: "dbmid:AAHhy7WsR0x-u4ZCqiDl5Fz5zvuL3kmspwU",
				Description: "Team connections: act as this team member (team_member_id, from the team's member list). See the Team tag."},
			&huma.Param{Name: AdminHeader, In: "header", Schema: &huma.Schema{Type: "string"},
				Description: "Team connections: act as this team admin, where Dropbox allows it. See the Team tag."})
	}
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Patch, item.Delete} {
			if op != nil {
				document(oapi, op)
			}
		}
	}
	oapi.OnAddOperation = append(oapi.OnAddOperation, document)
}

func (s *Server) registerTeam() {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, &huma.Tag{Name: "Team", Description: teamTagDescription})
	s.documentActors()
	tags := []string{"Team"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-team-members",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/team-members",
		Summary:     "List a team's members",
		Description: "Lists the members of a team connection's team a page at a time (Dropbox's team/members/list_v2).",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listTeamMembers)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-team-folders",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/team-folders",
		Summary:     "List a team's folders",
		Description: "Lists the team folders of a team connection's team a page at a time (Dropbox's team/team_folder/list).",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listTeamFolders)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-team-folder",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/team-folders/{team_folder_id}",
		Summary:     "Get a team folder",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.getTeamFolder)
	huma.Register(s.api, huma.Operation{
		OperationID:   "create-team-folder",
		Method:        http.MethodPost,
		Path:          "/v1/connections/{id}/team-folders",
		Summary:       "Create a team folder",
		Description:   "Creates an active team folder with no members (Dropbox's team/team_folder/create). In a team with a team space, it appears in every member's team space.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.createTeamFolder)
	huma.Register(s.api, huma.Operation{
		OperationID: "rename-team-folder",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/team-folders/{team_folder_id}/rename",
		Summary:     "Rename a team folder",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.renameTeamFolder)
	huma.Register(s.api, huma.Operation{
		OperationID: "archive-team-folder",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/team-folders/{team_folder_id}/archive",
		Summary:     "Archive a team folder",
		Description: "Archives an active team folder: it becomes read-only and leaves members' Dropboxes (Dropbox's team/team_folder/archive). " +
			"When Dropbox archives in the background, the service polls its job and answers once it is over, with the folder as it is then " +
			"(Dropbox may still show archive_in_progress for a moment). A request that gives up does not stop the archive.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.archiveTeamFolder)
	huma.Register(s.api, huma.Operation{
		OperationID: "activate-team-folder",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/team-folders/{team_folder_id}/activate",
		Summary:     "Activate an archived team folder",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.activateTeamFolder)
}

func (s *Server) listTeamMembers(ctx context.Context, in *listTeamMembersInput) (*listTeamMembersOutput, error) {
	var prev pageCursor
	if in.Cursor != "" {
		var err error
		if prev, err = decodePageCursor(in.Cursor, in.ID, cursorTeamMembers); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	var res *dropbox.MembersListV2Result
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if prev.Dropbox != "" {
			res, err = c.Team.MembersListContinueV2(ctx, &dropbox.MembersListContinueArg{Cursor: prev.Dropbox})
			return err
		}
		limit := uint32(in.Limit)
		res, err = c.Team.MembersListV2(ctx, &dropbox.MembersListArg{Limit: &limit, IncludeRemoved: in.IncludeRemoved})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listTeamMembersOutput{}
	out.Body.Data = make([]TeamMember, 0, len(res.Members))
	for i := range res.Members {
		out.Body.Data = append(out.Body.Data, teamMemberOut(&res.Members[i]))
	}
	if res.HasMore {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorTeamMembers, Dropbox: res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) listTeamFolders(ctx context.Context, in *listTeamFoldersInput) (*listTeamFoldersOutput, error) {
	var prev pageCursor
	if in.Cursor != "" {
		var err error
		if prev, err = decodePageCursor(in.Cursor, in.ID, cursorTeamFolders); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	var res *dropbox.TeamFolderListResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if prev.Dropbox != "" {
			res, err = c.Team.TeamFolderListContinue(ctx, &dropbox.TeamFolderListContinueArg{Cursor: prev.Dropbox})
			return err
		}
		limit := uint32(in.Limit)
		res, err = c.Team.TeamFolderList(ctx, &dropbox.TeamFolderListArg{Limit: &limit})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listTeamFoldersOutput{}
	out.Body.Data = make([]TeamFolder, 0, len(res.TeamFolders))
	for i := range res.TeamFolders {
		out.Body.Data = append(out.Body.Data, teamFolderOut(&res.TeamFolders[i]))
	}
	if res.HasMore {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorTeamFolders, Dropbox: res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) getTeamFolder(ctx context.Context, in *teamFolderInput) (*teamFolderOutput, error) {
	var items []dropbox.TeamFolderGetInfoItem
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		items, err = c.Team.TeamFolderGetInfo(ctx, &dropbox.TeamFolderIdListArg{TeamFolderIDs: []string{in.TeamFolderID}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(items) != 1 || items[0].TeamFolderMetadata == nil {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.ENOTFOUND, "The team has no team folder %q: list them with GET /v1/connections/%s/team-folders.", in.TeamFolderID, in.ID))
	}
	return &teamFolderOutput{Body: teamFolderOut(items[0].TeamFolderMetadata)}, nil
}

func (s *Server) createTeamFolder(ctx context.Context, in *createTeamFolderInput) (*teamFolderOutput, error) {
	arg := &dropbox.TeamFolderCreateArg{Name: in.Body.Name}
	if in.Body.SyncSetting != "" {
		arg.SyncSetting = &dropbox.SyncSettingArg{Tag: in.Body.SyncSetting}
	}
	return s.changeTeamFolder(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) (*dropbox.TeamFolderMetadata, error) {
		return c.Team.TeamFolderCreate(ctx, arg)
	})
}

func (s *Server) renameTeamFolder(ctx context.Context, in *renameTeamFolderInput) (*teamFolderOutput, error) {
	return s.changeTeamFolder(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) (*dropbox.TeamFolderMetadata, error) {
		return c.Team.TeamFolderRename(ctx, &dropbox.TeamFolderRenameArg{TeamFolderID: in.TeamFolderID, Name: in.Body.Name})
	})
}

func (s *Server) archiveTeamFolder(ctx context.Context, in *teamFolderChangeInput) (*teamFolderOutput, error) {
	return s.changeTeamFolder(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) (*dropbox.TeamFolderMetadata, error) {
		return archiveTeamFolder(ctx, c, in.TeamFolderID)
	})
}

func (s *Server) activateTeamFolder(ctx context.Context, in *teamFolderChangeInput) (*teamFolderOutput, error) {
	return s.changeTeamFolder(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) (*dropbox.TeamFolderMetadata, error) {
		return c.Team.TeamFolderActivate(ctx, &dropbox.TeamFolderIdArg{TeamFolderID: in.TeamFolderID})
	})
}

// changeTeamFolder makes a change to a team folder through connection id
// and answers with the folder after it.
func (s *Server) changeTeamFolder(ctx context.Context, id string,
	change func(ctx context.Context, c *dropbox.Client) (*dropbox.TeamFolderMetadata, error)) (*teamFolderOutput, error) {
	var md *dropbox.TeamFolderMetadata
	err := s.call(ctx, id, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		md, err = change(ctx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &teamFolderOutput{Body: teamFolderOut(md)}, nil
}

// Polling of Dropbox's archive jobs: the first check after
// firstArchivePoll, each next one twice as late, at most lastArchivePoll
// apart.
const (
	firstArchivePoll = 100 * time.Millisecond
	lastArchivePoll  = 5 * time.Second
)

// archiveTeamFolder archives a team folder with c, a team's client, and
// polls the job Dropbox may answer with until it is over or ctx ends. A
// job that fails is an *dropbox.APIError of team/team_folder/archive/check
// with the failure's tag.
func archiveTeamFolder(ctx context.Context, c *dropbox.Client, teamFolderID string) (*dropbox.TeamFolderMetadata, error) {
	launch, err := c.Team.TeamFolderArchive(ctx, &dropbox.TeamFolderArchiveArg{TeamFolderID: teamFolderID})
	if err != nil {
		return nil, err
	}
	if launch.Tag == dropbox.TeamFolderArchiveLaunchComplete && launch.Complete != nil {
		return launch.Complete, nil
	}
	wait := firstArchivePoll
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, lastArchivePoll)
		st, err := c.Team.TeamFolderArchiveCheck(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
		if err != nil {
			return nil, err
		}
		switch st.Tag {
		case dropbox.TeamFolderArchiveJobStatusComplete:
			if st.Complete == nil {
				return nil, fmt.Errorf("archive team folder %s: the finished job has no folder", teamFolderID)
			}
			return st.Complete, nil
		case dropbox.TeamFolderArchiveJobStatusFailed:
			e := &dropbox.APIError{Route: "team/team_folder/archive/check", Tags: []string{dropbox.TeamFolderArchiveJobStatusFailed}}
			if st.Failed != nil {
				e.Tags, e.Err = append(e.Tags, st.Failed.Tag), st.Failed
			}
			e.Summary = strings.Join(e.Tags, "/")
			return nil, e
		}
	}
}
