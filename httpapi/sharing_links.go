package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// The shared links of a connection
// (https://www.dropbox.com/developers/documentation/http/documentation#sharing-create_shared_link_with_settings).
// A link is named by its URL, which goes in a JSON body (or, for reads,
// the query), never in the path. Dropbox keeps one link per file or
// folder and account: creating it again answers the link there is.

// cursorSharedLinks is the kind of the cursors of shared link listings.
const cursorSharedLinks = "shared_links"

// SharedLink is a shared link to a file or a folder, with Dropbox's names
// for its fields
// (https://www.dropbox.com/developers/documentation/http/documentation#sharing-get_shared_link_metadata).
type SharedLink struct {
	Tag             string          `json:".tag" enum:"file,folder" doc:"What the link points at."`
	URL             string          `json:"url" doc:"The link. Whoever it is open to (link_permissions) can use it." example:"https://www.dropbox.com/scl/fi/abc123/report.pdf?rlkey=xyz&dl=0"`
	ID              string          `json:"id,omitempty" doc:"The ID of the linked file or folder." example:"id:a4ayc_80_OEAAAAAAAAAXw"`
	Name            string          `json:"name" doc:"The linked file's or folder's name." example:"report.pdf"`
	PathLower       string          `json:"path_lower,omitempty" doc:"The lowercased path in the connected account; only when it owns the link and sees the target."`
	Expires         *time.Time      `json:"expires,omitempty" doc:"When the link stops working; absent when it does not expire."`
	LinkPermissions LinkPermissions `json:"link_permissions" doc:"Who the link is open to, and what the connected account may change about it."`
	Rev             string          `json:"rev,omitempty" doc:"Files: the revision the link shows."`
	Size            *uint64         `json:"size,omitempty" doc:"Files: the size in bytes."`
	ClientModified  *time.Time      `json:"client_modified,omitempty" doc:"Files: the modification time the uploader gave."`
	ServerModified  *time.Time      `json:"server_modified,omitempty" doc:"Files: when the file last changed on Dropbox."`
}

// LinkPermissions says who a shared link is open to and what the
// connected account may change, with Dropbox's names; Dropbox's unions are
// given by their tags.
type LinkPermissions struct {
	ResolvedVisibility  string `json:"resolved_visibility,omitempty" doc:"Who can use the link after team and shared folder policies: public, team_only, password, team_and_password, shared_folder_only, no_one or only_you." example:"public"`
	RequestedVisibility string `json:"requested_visibility,omitempty" doc:"The visibility asked for (public, team_only or password); the owner only."`
	EffectiveAudience   string `json:"effective_audience,omitempty" doc:"Who the link's access level applies to, where Dropbox says: public, team, no_one, password or members."`
	LinkAccessLevel     string `json:"link_access_level,omitempty" doc:"What the link lets its users do: viewer or editor."`
	RequirePassword     bool   `json:"require_password" doc:"Whether the link asks for a password."`
	AllowDownload       bool   `json:"allow_download" doc:"Whether the link's users may download the content."`
	CanRevoke           bool   `json:"can_revoke" doc:"Whether the connected account may revoke the link."`
	CanSetExpiry        bool   `json:"can_set_expiry" doc:"Whether the connected account may set an expiry (Basic accounts may not)."`
	CanRemoveExpiry     bool   `json:"can_remove_expiry" doc:"Whether the connected account may remove the expiry."`
	CanSetPassword      bool   `json:"can_set_password" doc:"Whether the connected account may set a password (Basic accounts may not)."`
	CanRemovePassword   bool   `json:"can_remove_password" doc:"Whether the connected account may remove the password."`
	CanAllowDownload    bool   `json:"can_allow_download" doc:"Whether the connected account may allow downloads."`
	CanDisallowDownload bool   `json:"can_disallow_download" doc:"Whether the connected account may forbid downloads (Basic accounts may not)."`
}

// sharedLinkOut converts Dropbox's link metadata to a SharedLink.
func sharedLinkOut(m *dropbox.SharedLinkMetadata) SharedLink {
	if f := m.File; m.Tag == dropbox.SharedLinkMetadataFile && f != nil {
		size, cm, sm := f.Size, f.ClientModified, f.ServerModified
		return SharedLink{Tag: m.Tag, URL: f.URL, ID: deref(f.ID), Name: f.Name, PathLower: deref(f.PathLower), Expires: f.Expires,
			LinkPermissions: linkPermissionsOut(&f.LinkPermissions), Rev: f.Rev, Size: &size, ClientModified: &cm, ServerModified: &sm}
	}
	f := m.Folder
	if f == nil {
		f = &dropbox.FolderLinkMetadata{}
	}
	return SharedLink{Tag: dropbox.SharedLinkMetadataFolder, URL: f.URL, ID: deref(f.ID), Name: f.Name, PathLower: deref(f.PathLower),
		Expires: f.Expires, LinkPermissions: linkPermissionsOut(&f.LinkPermissions)}
}

// linkPermissionsOut converts Dropbox's link permissions.
func linkPermissionsOut(p *dropbox.LinkPermissions) LinkPermissions {
	out := LinkPermissions{CanRevoke: p.CanRevoke, CanSetExpiry: p.CanSetExpiry, CanRemoveExpiry: p.CanRemoveExpiry,
		AllowDownload: p.AllowDownload, CanAllowDownload: p.CanAllowDownload, CanDisallowDownload: p.CanDisallowDownload,
		RequirePassword: deref(p.RequirePassword), CanSetPassword: deref(p.CanSetPassword), CanRemovePassword: deref(p.CanRemovePassword)}
	if v := p.ResolvedVisibility; v != nil {
		out.ResolvedVisibility = v.Tag
	}
	if v := p.RequestedVisibility; v != nil {
		out.RequestedVisibility = v.Tag
	}
	if v := p.EffectiveAudience; v != nil {
		out.EffectiveAudience = v.Tag
	}
	if v := p.LinkAccessLevel; v != nil {
		out.LinkAccessLevel = v.Tag
	}
	return out
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// SharedLinkSettings are the settings of a shared link that can be set
// when it is made and changed later: Dropbox's SharedLinkSettings, with a
// password given as link_password alone.
type SharedLinkSettings struct {
	Audience      string     `json:"audience,omitempty" enum:"public,team,no_one" doc:"Who can use the link: anyone with it (public), members of the account's team (team), or no one but those who already have access (no_one). Dropbox's default is public."`
	Access        string     `json:"access,omitempty" enum:"viewer,editor" doc:"What the link lets its users do. Dropbox's default is viewer; it cannot change once the link exists."`
	Expires       *time.Time `json:"expires,omitempty" doc:"When the link stops working, in the future. Paid accounts only: Dropbox refuses an expiry from a Basic account (settings_error/not_authorized)." example:"2030-01-01T00:00:00Z"`
	LinkPassword  string     `json:"link_password,omitempty" maxLength:"1000" doc:"A password the link asks for. Paid accounts only. It is sent to Dropbox and never stored or shown."`
	AllowDownload *bool      `json:"allow_download,omitempty" doc:"Whether the link's users may download the content; false needs a paid account."`
}

// settings returns Dropbox's SharedLinkSettings for b.
func (b *SharedLinkSettings) settings() dropbox.SharedLinkSettings {
	st := dropbox.SharedLinkSettings{Expires: b.Expires, AllowDownload: b.AllowDownload}
	if b.Audience != "" {
		st.Audience = &dropbox.LinkAudience{Tag: b.Audience}
	}
	if b.Access != "" {
		st.Access = &dropbox.RequestedLinkAccessLevel{Tag: b.Access}
	}
	if b.LinkPassword != "" {
		yes, pw := true, b.LinkPassword
		st.RequirePassword, st.LinkPassword = &yes, &pw
	}
	return st
}

type createSharedLinkInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Path string `json:"path" minLength:"1" doc:"The file or folder to share: a path, an id:... or a rev:...." example:"/Reports/report.pdf"`
		SharedLinkSettings
	}
}

type sharedLinkOutput struct {
	Status int
	Body   SharedLink
}

type listSharedLinksInput struct {
	ID         string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Path       string `query:"path" doc:"Only the links that give access to this file or folder: its own and, unless direct_only, those of the folders above it. Without path, every link of the account, a page at a time." example:"/Reports/report.pdf"`
	DirectOnly bool   `query:"direct_only" doc:"With path: only the path's own links."`
	Cursor     string `query:"cursor" doc:"Continue a listing: next_cursor of the previous page."`
}

type listSharedLinksOutput struct {
	Body struct {
		Data       []SharedLink `json:"data" doc:"A page of links, oldest first."`
		NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type modifySharedLinkInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		URL string `json:"url" minLength:"1" doc:"The link to change." example:"https://www.dropbox.com/scl/fi/abc123/report.pdf?rlkey=xyz&dl=0"`
		SharedLinkSettings
		RemoveExpiration bool `json:"remove_expiration,omitempty" doc:"Remove the link's expiry."`
		RemovePassword   bool `json:"remove_password,omitempty" doc:"Remove the link's password."`
	}
}

type revokeSharedLinkInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		URL string `json:"url" minLength:"1" doc:"The link to revoke." example:"https://www.dropbox.com/scl/fi/abc123/report.pdf?rlkey=xyz&dl=0"`
	}
}

type getSharedLinkMetadataInput struct {
	ID           string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	URL          string `query:"url" required:"true" minLength:"1" doc:"A shared link, the connected account's or anyone's." example:"https://www.dropbox.com/scl/fo/abc123/AAB?rlkey=xyz&dl=0"`
	Path         string `query:"path" doc:"For a folder link: a file or folder below it, relative to it." example:"/sub/report.pdf"`
	LinkPassword string `header:"Link-Password" doc:"The link's password, when it has one and the connected account does not own it. Sent as a header to keep it out of URLs and logs."`
}

// registerSharing registers the sharing resources: shared links, shared
// folders and their members, and file requests.
func (s *Server) registerSharing() {
	s.registerSharedLinks()
	s.registerSharedFolders()
	s.registerFileRequests()
}

func (s *Server) registerSharedLinks() {
	tags := []string{"Shared links"}
	huma.Register(s.api, huma.Operation{
		OperationID: "create-shared-link",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/shared-links",
		Summary:     "Create a shared link",
		Description: "Makes a shared link to a file or folder with the settings given (Dropbox's sharing/create_shared_link_with_settings) and answers 201. " +
			"Dropbox keeps one link per file or folder: when there is one already with the same settings (or none were given) it is answered with 200, " +
			"so a repeat is safe even without an Idempotency-Key (with one, a repeat gets the first answer, 201 included); with other settings the answer is 409 shared_link_already_exists: " +
			"change the link instead. Expiry, password and allow_download=false need a paid Dropbox account, a team audience a team: " +
			"otherwise the answer is settings_error/not_authorized and no link is made.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.createSharedLink)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-shared-links",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/shared-links",
		Summary:     "List shared links",
		Description: "Lists the connected account's shared links (Dropbox's sharing/list_shared_links).",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listSharedLinks)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-shared-link-metadata",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/shared-links/metadata",
		Summary:     "Get a shared link's metadata",
		Description: "Describes what a shared link points at (Dropbox's sharing/get_shared_link_metadata), as the connected account sees it.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.getSharedLinkMetadata)
	huma.Register(s.api, huma.Operation{
		OperationID: "modify-shared-link",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/shared-links/modify",
		Summary:     "Change a shared link's settings",
		Description: "Changes the settings given and keeps the others (Dropbox's sharing/modify_shared_link_settings). " +
			"Setting the same values again changes nothing, so a repeat is safe; with an Idempotency-Key it gets the first answer.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.modifySharedLink)
	huma.Register(s.api, huma.Operation{
		OperationID:   "revoke-shared-link",
		Method:        http.MethodPost,
		Path:          "/v1/connections/{id}/shared-links/revoke",
		Summary:       "Revoke a shared link",
		Description:   "The link stops working for good. Links to folders above the target may still give access to it: list them with path.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusNoContent,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.revokeSharedLink)
}

// callExplained runs fn as s.call does and answers its error; when
// Dropbox refused the call and explain has something to say about the
// refusal, that is the message. The code stays the one the connect
// boundary chose for Dropbox's error: only the words say more.
func (s *Server) callExplained(ctx context.Context, id string, explain func(api *dropbox.APIError) string,
	fn func(ctx context.Context, c *dropbox.Client) error) error {
	err := s.connect.Do(ctx, environmentID(ctx), id, fn)
	if err == nil {
		return nil
	}
	var api *dropbox.APIError
	if errors.As(err, &api) {
		if msg := explain(api); msg != "" {
			err = errors.Join(dropbridge.Errorf(dropbridge.ErrorCode(err), "%s", msg), err)
		}
	}
	return s.fail(ctx, err)
}

// explainLinkSettings says what to do when Dropbox refused link settings
// that the account's plan does not allow.
func explainLinkSettings(api *dropbox.APIError) string {
	if !strings.HasSuffix(strings.Join(api.Tags, "/"), "settings_error/not_authorized") {
		return ""
	}
	return "Dropbox does not let this account use these link settings (settings_error/not_authorized): " +
		"an expiry, a password or allow_download=false needs a paid Dropbox plan (this may be a Basic account), " +
		"and a team audience needs a team. Leave those settings out, or use a connection to an account whose plan has them."
}

func (s *Server) createSharedLink(ctx context.Context, in *createSharedLinkInput) (*sharedLinkOutput, error) {
	arg := &dropbox.CreateSharedLinkWithSettingsArg{Path: in.Body.Path}
	if st := in.Body.settings(); st != (dropbox.SharedLinkSettings{}) {
		arg.Settings = &st
	}
	out := &sharedLinkOutput{Status: http.StatusCreated}
	err := s.callExplained(ctx, in.ID, explainLinkSettings, func(ctx context.Context, c *dropbox.Client) error {
		m, err := c.Sharing.CreateSharedLinkWithSettings(ctx, arg)
		var ce *dropbox.CreateSharedLinkWithSettingsError
		if errors.As(err, &ce) && ce.Tag == dropbox.CreateSharedLinkWithSettingsErrorSharedLinkAlreadyExists &&
			ce.SharedLinkAlreadyExists != nil && ce.SharedLinkAlreadyExists.Metadata != nil {
			// Dropbox answers the link there is when it matches what was
			// asked: the repeat of a create.
			m, err, out.Status = ce.SharedLinkAlreadyExists.Metadata, nil, http.StatusOK
		}
		if err != nil {
			return err
		}
		out.Body = sharedLinkOut(m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) listSharedLinks(ctx context.Context, in *listSharedLinksInput) (*listSharedLinksOutput, error) {
	arg := &dropbox.ListSharedLinksArg{}
	if in.Cursor != "" {
		prev, err := decodePageCursor(in.Cursor, in.ID, cursorSharedLinks)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		arg.Cursor = &prev.Dropbox
	} else if in.Path != "" {
		arg.Path = &in.Path
		if in.DirectOnly {
			arg.DirectOnly = &in.DirectOnly
		}
	} else if in.DirectOnly {
		return nil, s.fail(ctx, errRequired("path", "the file or folder whose own links to list, with direct_only"))
	}
	var res *dropbox.ListSharedLinksResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Sharing.ListSharedLinks(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listSharedLinksOutput{}
	out.Body.Data = make([]SharedLink, 0, len(res.Links))
	for i := range res.Links {
		out.Body.Data = append(out.Body.Data, sharedLinkOut(&res.Links[i]))
	}
	if res.HasMore && res.Cursor != nil {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorSharedLinks, Dropbox: *res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) getSharedLinkMetadata(ctx context.Context, in *getSharedLinkMetadataInput) (*sharedLinkOutput, error) {
	arg := &dropbox.GetSharedLinkMetadataArg{URL: in.URL}
	if in.Path != "" && in.Path != "/" {
		arg.Path = &in.Path
	}
	if in.LinkPassword != "" {
		arg.LinkPassword = &in.LinkPassword
	}
	var m *dropbox.SharedLinkMetadata
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		m, err = c.Sharing.GetSharedLinkMetadata(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sharedLinkOutput{Status: http.StatusOK, Body: sharedLinkOut(m)}, nil
}

func (s *Server) modifySharedLink(ctx context.Context, in *modifySharedLinkInput) (*sharedLinkOutput, error) {
	b := &in.Body
	switch {
	case b.RemoveExpiration && b.Expires != nil:
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "expires and remove_expiration contradict each other: give one."))
	case b.RemovePassword && b.LinkPassword != "":
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "link_password and remove_password contradict each other: give one."))
	}
	arg := &dropbox.ModifySharedLinkSettingsArgs{URL: b.URL, Settings: b.settings(), RemoveExpiration: b.RemoveExpiration}
	if b.RemovePassword {
		no := false
		arg.Settings.RequirePassword = &no
	}
	if arg.Settings == (dropbox.SharedLinkSettings{}) && !arg.RemoveExpiration {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID,
			"Nothing to change: give at least one of audience, access, expires, link_password, allow_download, remove_expiration or remove_password."))
	}
	var m *dropbox.SharedLinkMetadata
	err := s.callExplained(ctx, in.ID, explainLinkSettings, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		m, err = c.Sharing.ModifySharedLinkSettings(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sharedLinkOutput{Status: http.StatusOK, Body: sharedLinkOut(m)}, nil
}

func (s *Server) revokeSharedLink(ctx context.Context, in *revokeSharedLinkInput) (*struct{}, error) {
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		return c.Sharing.RevokeSharedLink(ctx, &dropbox.RevokeSharedLinkArg{URL: in.Body.URL})
	})
	if err != nil {
		return nil, err
	}
	return nil, nil
}
