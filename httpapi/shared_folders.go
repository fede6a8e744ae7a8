package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// The shared folders of a connection
// (https://www.dropbox.com/developers/documentation/http/documentation#sharing-share_folder),
// named by Dropbox's shared_folder_id. Calls that Dropbox runs as async
// jobs are waited for within the request.

// cursorSharedFolders is the kind of the cursors of shared folder
// listings.
const cursorSharedFolders = "shared_folders"

// SharedFolder is a shared folder as the connected account sees it, with
// Dropbox's names for its fields; Dropbox's unions are given by their
// tags.
type SharedFolder struct {
	SharedFolderID       string       `json:"shared_folder_id" doc:"Dropbox's ID of the shared folder: the {shared_folder_id} of its resources." example:"84528192421"`
	Name                 string       `json:"name" doc:"The folder's name." example:"Project X"`
	AccessType           string       `json:"access_type" enum:"owner,editor,viewer,viewer_no_comment,traverse,no_access" doc:"The connected account's access to the folder."`
	PathLower            string       `json:"path_lower,omitempty" doc:"Where the folder is in the connected account's Dropbox; absent when it is not mounted there."`
	PathDisplay          string       `json:"path_display,omitempty" doc:"The same path, with its display casing."`
	FolderID             string       `json:"folder_id,omitempty" doc:"The folder's file ID, usable as a path (id:...)."`
	IsInsideTeamFolder   bool         `json:"is_inside_team_folder" doc:"Whether the folder is inside a team folder."`
	IsTeamFolder         bool         `json:"is_team_folder" doc:"Whether the folder is a team folder."`
	OwnerDisplayNames    []string     `json:"owner_display_names,omitempty" doc:"The display names of the folder's owners."`
	OwnerTeam            *AccountTeam `json:"owner_team,omitempty" doc:"The team that owns the folder, if one does."`
	ParentSharedFolderID string       `json:"parent_shared_folder_id,omitempty" doc:"The shared folder that holds this one, if one does."`
	Policy               FolderPolicy `json:"policy" doc:"The folder's sharing policies."`
	AccessInheritance    string       `json:"access_inheritance,omitempty" enum:"inherit,no_inherit" doc:"Whether the folder inherits the members of the folders above it."`
	PreviewURL           string       `json:"preview_url" doc:"The folder's page on dropbox.com, for its members."`
	TimeInvited          time.Time    `json:"time_invited" doc:"When the connected account was invited to the folder (for its owner: when it was shared)."`
	Permissions          []Permission `json:"permissions,omitempty" doc:"Whether the connected account may take the actions asked for with actions."`
}

// FolderPolicy are a shared folder's policies, with Dropbox's names.
type FolderPolicy struct {
	AclUpdatePolicy      string `json:"acl_update_policy" enum:"owner,editors" doc:"Who may add and remove members."`
	SharedLinkPolicy     string `json:"shared_link_policy" enum:"anyone,team,members" doc:"Who may use the shared links to the folder's content."`
	MemberPolicy         string `json:"member_policy,omitempty" enum:"team,anyone" doc:"Team folders only: who may become a member."`
	ResolvedMemberPolicy string `json:"resolved_member_policy,omitempty" enum:"team,anyone" doc:"The member policy after the team's own."`
	ViewerInfoPolicy     string `json:"viewer_info_policy,omitempty" enum:"enabled,disabled" doc:"Whether members see who viewed the folder's files."`
}

// Permission says whether the connected account may take an action.
type Permission struct {
	Action string `json:"action" doc:"The action, in Dropbox's words." example:"invite_editor"`
	Allow  bool   `json:"allow" doc:"Whether the connected account may take it."`
	Reason string `json:"reason,omitempty" doc:"Why not, when Dropbox says."`
}

// sharedFolderOut converts Dropbox's shared folder metadata.
func sharedFolderOut(m *dropbox.SharedFolderMetadata) SharedFolder {
	out := SharedFolder{SharedFolderID: m.SharedFolderID, Name: m.Name, AccessType: m.AccessType.Tag,
		PathLower: deref(m.PathLower), PathDisplay: deref(m.PathDisplay), FolderID: deref(m.FolderID),
		IsInsideTeamFolder: m.IsInsideTeamFolder, IsTeamFolder: m.IsTeamFolder, OwnerDisplayNames: m.OwnerDisplayNames,
		ParentSharedFolderID: deref(m.ParentSharedFolderID), AccessInheritance: m.AccessInheritance.Tag,
		PreviewURL: m.PreviewURL, TimeInvited: m.TimeInvited,
		Policy: FolderPolicy{AclUpdatePolicy: m.Policy.AclUpdatePolicy.Tag, SharedLinkPolicy: m.Policy.SharedLinkPolicy.Tag}}
	if t := m.OwnerTeam; t != nil {
		out.OwnerTeam = &AccountTeam{ID: t.ID, Name: t.Name}
	}
	if p := m.Policy.MemberPolicy; p != nil {
		out.Policy.MemberPolicy = p.Tag
	}
	if p := m.Policy.ResolvedMemberPolicy; p != nil {
		out.Policy.ResolvedMemberPolicy = p.Tag
	}
	if p := m.Policy.ViewerInfoPolicy; p != nil {
		out.Policy.ViewerInfoPolicy = p.Tag
	}
	for _, p := range m.Permissions {
		perm := Permission{Action: p.Action.Tag, Allow: p.Allow}
		if p.Reason != nil {
			perm.Reason = p.Reason.Tag
		}
		out.Permissions = append(out.Permissions, perm)
	}
	return out
}

// folderActions converts the actions asked about to Dropbox's.
func folderActions(names []string) []dropbox.FolderAction {
	var out []dropbox.FolderAction
	for _, a := range names {
		out = append(out, dropbox.FolderAction{Tag: a})
	}
	return out
}

type shareFolderInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Path              string `json:"path" minLength:"1" doc:"The folder to share: a path or an id:.... A folder is made there if there is none." example:"/Project X"`
		AclUpdatePolicy   string `json:"acl_update_policy,omitempty" enum:"owner,editors" doc:"Who may add and remove members; Dropbox's default is owner."`
		SharedLinkPolicy  string `json:"shared_link_policy,omitempty" enum:"anyone,team,members" doc:"Who may use shared links to the folder's content; members needs a team."`
		MemberPolicy      string `json:"member_policy,omitempty" enum:"team,anyone" doc:"Team accounts only: who may become a member."`
		ViewerInfoPolicy  string `json:"viewer_info_policy,omitempty" enum:"enabled,disabled" doc:"Whether members see who viewed the folder's files."`
		AccessInheritance string `json:"access_inheritance,omitempty" enum:"inherit,no_inherit" doc:"Whether the folder inherits the members of the folders above it."`
	}
}

type sharedFolderOutput struct {
	Body SharedFolder
}

type listSharedFoldersInput struct {
	ID      string   `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Limit   int      `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
	Actions []string `query:"actions" enum:"change_options,disable_viewer_info,edit_contents,enable_viewer_info,invite_editor,invite_viewer,invite_viewer_no_comment,relinquish_membership,unmount,unshare,leave_a_copy,create_link,create_view_link,create_edit_link,set_access_inheritance" doc:"Comma-separated: say in permissions whether the connected account may take these actions on each folder."`
	Cursor  string   `query:"cursor" doc:"Continue a listing: next_cursor of the previous page. The other parameters are those of the first page, and are ignored."`
}

type listSharedFoldersOutput struct {
	Body struct {
		Data       []SharedFolder `json:"data" doc:"A page of the shared folders the connected account is a member of, mounted or not."`
		NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type sharedFolderInput struct {
	ID             string   `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	SharedFolderID string   `path:"shared_folder_id" pattern:"^[-_0-9a-zA-Z:]+$" doc:"The shared folder's ID." example:"84528192421"`
	Actions        []string `query:"actions" enum:"change_options,disable_viewer_info,edit_contents,enable_viewer_info,invite_editor,invite_viewer,invite_viewer_no_comment,relinquish_membership,unmount,unshare,leave_a_copy,create_link,create_view_link,create_edit_link,set_access_inheritance" doc:"Comma-separated: say in permissions whether the connected account may take these actions."`
}

type sharedFolderChangeInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	SharedFolderID string `path:"shared_folder_id" pattern:"^[-_0-9a-zA-Z:]+$" doc:"The shared folder's ID." example:"84528192421"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
}

type unshareFolderInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	SharedFolderID string `path:"shared_folder_id" pattern:"^[-_0-9a-zA-Z:]+$" doc:"The shared folder's ID." example:"84528192421"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           *struct {
		LeaveACopy bool `json:"leave_a_copy,omitempty" doc:"Leave each member a copy of the folder's content in their own Dropbox."`
	}
}

func (s *Server) registerSharedFolders() {
	tags := []string{"Shared folders"}
	base := "/v1/connections/{id}/shared-folders"
	huma.Register(s.api, huma.Operation{
		OperationID: "share-folder",
		Method:      http.MethodPost,
		Path:        base,
		Summary:     "Share a folder",
		Description: "Shares a folder of the connected account, which becomes its owner (Dropbox's sharing/share_folder), and answers when Dropbox is done, " +
			"also when Dropbox shares it as an async job. Add members next. A folder already shared is 409 bad_path/already_shared.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.shareFolder)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-shared-folders",
		Method:      http.MethodGet,
		Path:        base,
		Summary:     "List shared folders",
		Description: "Lists the shared folders the connected account is a member of, mounted or not (Dropbox's sharing/list_folders).",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listSharedFolders)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-shared-folder",
		Method:      http.MethodGet,
		Path:        base + "/{shared_folder_id}",
		Summary:     "Get a shared folder",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.getSharedFolder)
	huma.Register(s.api, huma.Operation{
		OperationID: "unshare-folder",
		Method:      http.MethodPost,
		Path:        base + "/{shared_folder_id}/unshare",
		Summary:     "Unshare a folder",
		Description: "The owner ends the sharing: members lose the folder (or keep a copy, with leave_a_copy) and the owner keeps it as a plain folder. " +
			"Answers when Dropbox's job is done. Dropbox does not unshare a folder that holds or sits in another shared folder.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusNoContent,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.unshareFolder)
	huma.Register(s.api, huma.Operation{
		OperationID: "mount-shared-folder",
		Method:      http.MethodPost,
		Path:        base + "/{shared_folder_id}/mount",
		Summary:     "Mount a shared folder",
		Description: "Adds the shared folder to the connected account's Dropbox (Dropbox's sharing/mount_folder); " +
			"this also accepts an invitation sent to its email address.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.mountSharedFolder)
	huma.Register(s.api, huma.Operation{
		OperationID:   "unmount-shared-folder",
		Method:        http.MethodPost,
		Path:          base + "/{shared_folder_id}/unmount",
		Summary:       "Unmount a shared folder",
		Description:   "Takes the shared folder out of the connected account's Dropbox; the account stays a member and can mount it again.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusNoContent,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.unmountSharedFolder)
	s.registerSharedFolderMembers()
}

func (s *Server) shareFolder(ctx context.Context, in *shareFolderInput) (*sharedFolderOutput, error) {
	b := &in.Body
	arg := &dropbox.ShareFolderArg{Path: b.Path}
	if b.AclUpdatePolicy != "" {
		arg.AclUpdatePolicy = &dropbox.AclUpdatePolicy{Tag: b.AclUpdatePolicy}
	}
	if b.SharedLinkPolicy != "" {
		arg.SharedLinkPolicy = &dropbox.SharedLinkPolicy{Tag: b.SharedLinkPolicy}
	}
	if b.MemberPolicy != "" {
		arg.MemberPolicy = &dropbox.MemberPolicy{Tag: b.MemberPolicy}
	}
	if b.ViewerInfoPolicy != "" {
		arg.ViewerInfoPolicy = &dropbox.ViewerInfoPolicy{Tag: b.ViewerInfoPolicy}
	}
	if b.AccessInheritance != "" {
		arg.AccessInheritance = dropbox.AccessInheritance{Tag: b.AccessInheritance}
	}
	var md *dropbox.SharedFolderMetadata
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		md, err = shareAndWait(ctx, c, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sharedFolderOutput{Body: sharedFolderOut(md)}, nil
}

// shareAndWait shares a folder as arg says and waits for Dropbox's job, if
// it starts one.
func shareAndWait(ctx context.Context, c *dropbox.Client, arg *dropbox.ShareFolderArg) (*dropbox.SharedFolderMetadata, error) {
	launch, err := c.Sharing.ShareFolder(ctx, arg)
	if err != nil {
		return nil, err
	}
	md := launch.Complete
	if launch.Tag == dropbox.ShareFolderLaunchAsyncJobID {
		err = awaitJob(ctx, "list the shared folders to see it when it is done", func(ctx context.Context) (bool, error) {
			st, err := c.Sharing.CheckShareJobStatus(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
			switch {
			case err != nil:
				return false, err
			case st.Tag == dropbox.ShareFolderJobStatusFailed:
				return false, jobFailure("sharing/share_folder", st.Failed)
			}
			md = st.Complete
			return st.Tag == dropbox.ShareFolderJobStatusComplete, nil
		})
	}
	if err == nil && md == nil {
		err = dropbridge.Errorf(dropbridge.EUNAVAILABLE, "Dropbox shared the folder without describing it: find it in the shared folders list.")
	}
	return md, err
}

func (s *Server) listSharedFolders(ctx context.Context, in *listSharedFoldersInput) (*listSharedFoldersOutput, error) {
	var prev pageCursor
	if in.Cursor != "" {
		var err error
		if prev, err = decodePageCursor(in.Cursor, in.ID, cursorSharedFolders); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	var res *dropbox.ListFoldersResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if prev.Dropbox != "" {
			res, err = c.Sharing.ListFoldersContinue(ctx, &dropbox.ListFoldersContinueArg{Cursor: prev.Dropbox})
			return err
		}
		limit := uint32(in.Limit)
		res, err = c.Sharing.ListFolders(ctx, &dropbox.ListFoldersArgs{Limit: &limit, Actions: folderActions(in.Actions)})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listSharedFoldersOutput{}
	out.Body.Data = make([]SharedFolder, 0, len(res.Entries))
	for i := range res.Entries {
		out.Body.Data = append(out.Body.Data, sharedFolderOut(&res.Entries[i]))
	}
	if res.Cursor != nil && *res.Cursor != "" {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorSharedFolders, Dropbox: *res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) getSharedFolder(ctx context.Context, in *sharedFolderInput) (*sharedFolderOutput, error) {
	var md *dropbox.SharedFolderMetadata
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		md, err = c.Sharing.GetFolderMetadata(ctx, &dropbox.GetMetadataArgs{SharedFolderID: in.SharedFolderID, Actions: folderActions(in.Actions)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sharedFolderOutput{Body: sharedFolderOut(md)}, nil
}

func (s *Server) unshareFolder(ctx context.Context, in *unshareFolderInput) (*struct{}, error) {
	arg := &dropbox.UnshareFolderArg{SharedFolderID: in.SharedFolderID}
	if in.Body != nil {
		arg.LeaveACopy = in.Body.LeaveACopy
	}
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		return unshareAndWait(ctx, c, arg)
	})
	if err != nil {
		return nil, err
	}
	return nil, nil
}

// unshareAndWait unshares a folder as arg says and waits for Dropbox's job.
func unshareAndWait(ctx context.Context, c *dropbox.Client, arg *dropbox.UnshareFolderArg) error {
	launch, err := c.Sharing.UnshareFolder(ctx, arg)
	if err != nil || launch.Tag != dropbox.LaunchEmptyResultAsyncJobID {
		return err
	}
	return awaitJob(ctx, "get the shared folder to see whether it is still shared", func(ctx context.Context) (bool, error) {
		st, err := c.Sharing.CheckJobStatus(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
		switch {
		case err != nil:
			return false, err
		case st.Tag == dropbox.JobStatusFailed:
			return false, jobFailure("sharing/unshare_folder", st.Failed)
		}
		return st.Tag == dropbox.JobStatusComplete, nil
	})
}

func (s *Server) mountSharedFolder(ctx context.Context, in *sharedFolderChangeInput) (*sharedFolderOutput, error) {
	var md *dropbox.SharedFolderMetadata
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		md, err = c.Sharing.MountFolder(ctx, &dropbox.MountFolderArg{SharedFolderID: in.SharedFolderID})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sharedFolderOutput{Body: sharedFolderOut(md)}, nil
}

func (s *Server) unmountSharedFolder(ctx context.Context, in *sharedFolderChangeInput) (*struct{}, error) {
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		return c.Sharing.UnmountFolder(ctx, &dropbox.UnmountFolderArg{SharedFolderID: in.SharedFolderID})
	})
	if err != nil {
		return nil, err
	}
	return nil, nil
}
