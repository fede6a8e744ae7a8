package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// The files and folders of a connection. Reads are GETs with the path in
// the query (paths hold any character, and GET has no body); changes are
// POSTs of a JSON body named after Dropbox's route (files/move,
// files/copy, files/delete), which keeps paths out of URLs, lets every
// change take an Idempotency-Key, and reads like Dropbox's own API. Paths
// are Dropbox's: "/folder/file.txt", "id:...", "ns:<id>/..." (and
// "rev:..." where Dropbox reads a revision), passed through unchanged;
// Dropbox's refusal of one comes back as a problem with dropbox_error.

// Entry is a file, a folder, or a deleted file or folder, with Dropbox's
// names for its fields
// (https://www.dropbox.com/developers/documentation/http/documentation#files-get_metadata).
type Entry struct {
	Tag            string     `json:".tag" enum:"file,folder,deleted" doc:"What the entry is."`
	Name           string     `json:"name" doc:"The last component of the path." example:"report.pdf"`
	ID             string     `json:"id,omitempty" doc:"Dropbox's ID of the file or folder, usable as a path (id:...); absent for deleted entries." example:"id:a4ayc_80_OEAAAAAAAAAXw"`
	PathLower      string     `json:"path_lower,omitempty" doc:"The lowercased full path; absent when the entry is not mounted." example:"/reports/report.pdf"`
	PathDisplay    string     `json:"path_display,omitempty" doc:"The full path with its display casing; absent when the entry is not mounted." example:"/Reports/report.pdf"`
	Rev            string     `json:"rev,omitempty" doc:"Files: the revision, which changes with every change of content. Send it as rev with mode=update to write only over this revision." example:"a1c10ce0dd78"`
	Size           *uint64    `json:"size,omitempty" doc:"Files: the size in bytes."`
	ContentHash    string     `json:"content_hash,omitempty" doc:"Files: Dropbox's content hash of the bytes (https://www.dropbox.com/developers/reference/content-hash)."`
	ClientModified *time.Time `json:"client_modified,omitempty" doc:"Files: the modification time the uploader gave."`
	ServerModified *time.Time `json:"server_modified,omitempty" doc:"Files: when the file last changed on Dropbox."`
	IsDownloadable *bool      `json:"is_downloadable,omitempty" doc:"Files: false for files that cannot be downloaded, only exported (Google Docs and the like)."`
	SharedFolderID string     `json:"shared_folder_id,omitempty" doc:"Folders: set when the folder is a shared folder's mount point."`
	// ParentSharedFolderID is the shared folder that holds the entry.
	ParentSharedFolderID string `json:"parent_shared_folder_id,omitempty" doc:"The shared folder that holds the entry, if one does."`
	IsRestorable         *bool  `json:"is_restorable,omitempty" doc:"Deleted entries and revisions: whether they can be restored, when Dropbox says."`
}

// entryOut converts Dropbox's metadata to an Entry.
func entryOut(m *dropbox.Metadata) Entry {
	switch m.Tag {
	case dropbox.MetadataFile:
		return fileEntry(m.File)
	case dropbox.MetadataFolder:
		return folderEntry(m.Folder)
	}
	d := m.GetDeleted()
	return Entry{Tag: dropbox.MetadataDeleted, Name: d.Name, PathLower: d.GetPathLower(), PathDisplay: d.GetPathDisplay(),
		IsRestorable: d.IsRestorable}
}

// fileEntry converts a file's metadata to an Entry.
func fileEntry(f *dropbox.FileMetadata) Entry {
	size := f.Size
	cm, sm := f.ClientModified, f.ServerModified
	e := Entry{Tag: dropbox.MetadataFile, Name: f.Name, ID: f.ID, PathLower: f.GetPathLower(), PathDisplay: f.GetPathDisplay(),
		Rev: f.Rev, Size: &size, ContentHash: f.GetContentHash(), ClientModified: &cm, ServerModified: &sm,
		IsDownloadable: f.IsDownloadable, IsRestorable: f.IsRestorable}
	if si := f.SharingInfo; si != nil {
		e.ParentSharedFolderID = si.ParentSharedFolderID
	}
	return e
}

// folderEntry converts a folder's metadata to an Entry.
func folderEntry(f *dropbox.FolderMetadata) Entry {
	e := Entry{Tag: dropbox.MetadataFolder, Name: f.Name, ID: f.ID, PathLower: f.GetPathLower(), PathDisplay: f.GetPathDisplay()}
	if si := f.SharingInfo; si != nil {
		if si.SharedFolderID != nil {
			e.SharedFolderID = *si.SharedFolderID
		}
		if si.ParentSharedFolderID != nil {
			e.ParentSharedFolderID = *si.ParentSharedFolderID
		}
	}
	return e
}

// entriesOut converts a page of Dropbox's metadata.
func entriesOut(ms []dropbox.Metadata) []Entry {
	out := make([]Entry, 0, len(ms))
	for i := range ms {
		out = append(out, entryOut(&ms[i]))
	}
	return out
}

// Kinds of page cursors.
const (
	cursorListFolder = "list_folder"
	cursorSearch     = "search"
	cursorRevisions  = "revisions"
)

// pageCursor is the opaque next_cursor of a listing that pages through
// Dropbox: Dropbox's cursor (or, for revisions, the path and the rev to
// go on before) wrapped with the connection and the kind of listing, so
// that it cannot be handed to another.
type pageCursor struct {
	Connection string `json:"c"`
	Kind       string `json:"k"`
	Dropbox    string `json:"d,omitempty"`
	Path       string `json:"p,omitempty"`
}

// encode returns the cursor as an opaque URL-safe string.
func (c pageCursor) encode() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic("httpapi: encode cursor: " + err.Error()) // strings always encode
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodePageCursor reads a cursor made by encode for a listing of kind on
// connection, or returns an EINVALID error.
func decodePageCursor(s, connection, kind string) (pageCursor, error) {
	var c pageCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Connection != connection || c.Kind != kind || (c.Dropbox == "" && c.Path == "") {
		return pageCursor{}, dropbridge.Errorf(dropbridge.EINVALID,
			"The cursor is not one of this listing: pass next_cursor of the previous page unchanged, on the same connection and path.")
	}
	return c, nil
}

// dropboxErrors are the statuses of operations that call Dropbox.
var dropboxErrors = []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict,
	http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable}

// call runs fn with the Dropbox client of the caller's connection id and
// returns the problem that answers its error, if any.
func (s *Server) call(ctx context.Context, id string, fn func(ctx context.Context, c *dropbox.Client) error) error {
	if err := s.connect.Do(ctx, environmentID(ctx), id, fn); err != nil {
		return s.fail(ctx, err)
	}
	return nil
}

type listFilesInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Path           string `query:"path" doc:"The folder to list: a path, an id:..., or empty (or /) for the root." example:"/Reports"`
	Recursive      bool   `query:"recursive" doc:"List the folder's subfolders too, all the way down."`
	IncludeDeleted bool   `query:"include_deleted" doc:"Include entries for files and folders that were deleted (source dropbox only)."`
	Limit          int    `query:"limit" minimum:"1" maximum:"2000" default:"100" doc:"About how many entries a page holds; Dropbox may send a few more, or fewer. From the mirror, exactly this many but on the last page."`
	Cursor         string `query:"cursor" doc:"Continue a listing: next_cursor of the previous page. The other parameters, source included, are those of the first page, and are ignored."`
	Source         string `query:"source" enum:"dropbox,mirror" default:"dropbox" doc:"Where the answer comes from: dropbox asks Dropbox; mirror answers from the mirror dropbridge keeps of the account, without calling Dropbox (see the X-Dropbridge-Mirror-* headers for how fresh it is)."`
}

// Headers of answers from the mirror.
const (
	// MirrorVersionHeader is the version of the connection's files mirror
	// that answered: it grows by one with every change applied to it.
	MirrorVersionHeader = "X-Dropbridge-Mirror-Version"
	// MirrorUpdatedHeader is when the last change was applied to the
	// connection's files mirror (RFC 3339).
	MirrorUpdatedHeader = "X-Dropbridge-Mirror-Updated-At"
)

type listFilesOutput struct {
	MirrorVersion string `header:"X-Dropbridge-Mirror-Version" doc:"Source mirror: the version of the mirror that answered; it grows by one with every change applied to it."`
	MirrorUpdated string `header:"X-Dropbridge-Mirror-Updated-At" doc:"Source mirror: when the last change was applied to the mirror (RFC 3339)."`
	Body          struct {
		Data       []Entry `json:"data" doc:"A page of the folder's entries: from Dropbox in no particular order, from the mirror by path_lower."`
		NextCursor string  `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type getMetadataInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Path           string `query:"path" required:"true" minLength:"1" doc:"A path, an id:..., or a rev:... of a file or folder (from the mirror: a path or an id:...)." example:"/Reports/report.pdf"`
	IncludeDeleted bool   `query:"include_deleted" doc:"Answer with a deleted entry, rather than 404, for a file or folder that was deleted (source dropbox only)."`
	Source         string `query:"source" enum:"dropbox,mirror" default:"dropbox" doc:"Where the answer comes from: dropbox asks Dropbox; mirror answers from the mirror dropbridge keeps of the account, without calling Dropbox (see the X-Dropbridge-Mirror-* headers for how fresh it is)."`
}

type metadataOutput struct {
	MirrorVersion string `header:"X-Dropbridge-Mirror-Version" doc:"Source mirror: the version of the mirror that answered; it grows by one with every change applied to it."`
	MirrorUpdated string `header:"X-Dropbridge-Mirror-Updated-At" doc:"Source mirror: when the last change was applied to the mirror (RFC 3339)."`
	Body          Entry
}

type entryOutput struct {
	Body Entry
}

type createFolderInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Path       string `json:"path" minLength:"1" doc:"The folder to create, with its parents as needed." example:"/Reports/2026"`
		Autorename bool   `json:"autorename,omitempty" doc:"When something is already there, pick a free name (\"2026 (1)\") rather than answer 409."`
	}
}

type relocationInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		FromPath               string `json:"from_path" minLength:"1" doc:"The file or folder: a path or an id:...." example:"/Reports/draft.pdf"`
		ToPath                 string `json:"to_path" minLength:"1" doc:"Its new path." example:"/Archive/draft.pdf"`
		Autorename             bool   `json:"autorename,omitempty" doc:"When something is already at to_path, pick a free name rather than answer 409."`
		AllowOwnershipTransfer bool   `json:"allow_ownership_transfer,omitempty" doc:"Moves only: allow a move that hands the content to another owner (out of a shared folder the user does not own)."`
	}
}

type deleteFileInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Path      string `json:"path" minLength:"1" doc:"The file or folder to delete: a path or an id:...." example:"/Reports/draft.pdf"`
		ParentRev string `json:"parent_rev,omitempty" doc:"Files only: delete only if the file is still at this revision (else 409)."`
	}
}

func (s *Server) registerFiles() {
	tags := []string{"Files"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-files",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/files",
		Summary:     "List a folder",
		Description: "Lists a folder's entries a page at a time (Dropbox's files/list_folder). " + mirrorDoc,
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listFiles)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-file-metadata",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/files/metadata",
		Summary:     "Get a file's or folder's metadata",
		Description: "Answers with a file's or folder's entry (Dropbox's files/get_metadata). " + mirrorDoc,
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.getFileMetadata)
	huma.Register(s.api, huma.Operation{
		OperationID:   "create-folder",
		Method:        http.MethodPost,
		Path:          "/v1/connections/{id}/folders",
		Summary:       "Create a folder",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.createFolder)
	huma.Register(s.api, huma.Operation{
		OperationID: "move-file",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/files/move",
		Summary:     "Move or rename a file or folder",
		Description: "Answers with the entry at its new path.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.moveFile)
	huma.Register(s.api, huma.Operation{
		OperationID:   "copy-file",
		Method:        http.MethodPost,
		Path:          "/v1/connections/{id}/files/copy",
		Summary:       "Copy a file or folder",
		Description:   "Answers with the new copy.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.copyFile)
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-file",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/files/delete",
		Summary:     "Delete a file or folder",
		Description: "Deletes a file, or a folder with everything in it, and answers with what was deleted. " +
			"Deleted files can be listed with include_deleted and restored from their revisions.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.deleteFile)
	s.registerFileContent()
	s.registerFileHistory()
}

func (s *Server) listFiles(ctx context.Context, in *listFilesInput) (*listFilesOutput, error) {
	if in.Cursor != "" && cursorKind(in.Cursor) == cursorMirror || in.Cursor == "" && in.Source == sourceMirror {
		return s.listMirrorFiles(ctx, in)
	}
	var prev pageCursor
	if in.Cursor != "" {
		var err error
		if prev, err = decodePageCursor(in.Cursor, in.ID, cursorListFolder); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	path := in.Path
	if path == "/" {
		path = "" // Dropbox's name of the root
	}
	var res *dropbox.ListFolderResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if prev.Dropbox != "" {
			res, err = c.Files.ListFolderContinue(ctx, &dropbox.ListFolderContinueArg{Cursor: prev.Dropbox})
			return err
		}
		limit := uint32(in.Limit)
		res, err = c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: path, Recursive: in.Recursive,
			IncludeDeleted: in.IncludeDeleted, Limit: &limit})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listFilesOutput{}
	out.Body.Data = entriesOut(res.Entries)
	if res.HasMore {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorListFolder, Dropbox: res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) getFileMetadata(ctx context.Context, in *getMetadataInput) (*metadataOutput, error) {
	if in.Source == sourceMirror {
		return s.mirrorMetadata(ctx, in)
	}
	var m *dropbox.Metadata
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		m, err = c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: in.Path, IncludeDeleted: in.IncludeDeleted})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &metadataOutput{Body: entryOut(m)}, nil
}

func (s *Server) createFolder(ctx context.Context, in *createFolderInput) (*entryOutput, error) {
	var res *dropbox.CreateFolderResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: in.Body.Path, Autorename: in.Body.Autorename})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &entryOutput{Body: folderEntry(&res.Metadata)}, nil
}

func (s *Server) moveFile(ctx context.Context, in *relocationInput) (*entryOutput, error) {
	return s.relocate(ctx, in, (*dropbox.FilesService).MoveV2)
}

func (s *Server) copyFile(ctx context.Context, in *relocationInput) (*entryOutput, error) {
	if in.Body.AllowOwnershipTransfer {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "allow_ownership_transfer applies to moves only: leave it out of a copy."))
	}
	return s.relocate(ctx, in, (*dropbox.FilesService).CopyV2)
}

// relocate moves or copies, as route does.
func (s *Server) relocate(ctx context.Context, in *relocationInput,
	route func(*dropbox.FilesService, context.Context, *dropbox.RelocationArg) (*dropbox.RelocationResult, error)) (*entryOutput, error) {
	var res *dropbox.RelocationResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = route(c.Files, ctx, &dropbox.RelocationArg{FromPath: in.Body.FromPath, ToPath: in.Body.ToPath,
			Autorename: in.Body.Autorename, AllowOwnershipTransfer: in.Body.AllowOwnershipTransfer})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &entryOutput{Body: entryOut(&res.Metadata)}, nil
}

func (s *Server) deleteFile(ctx context.Context, in *deleteFileInput) (*entryOutput, error) {
	arg := &dropbox.DeleteArg{Path: in.Body.Path}
	if in.Body.ParentRev != "" {
		arg.ParentRev = &in.Body.ParentRev
	}
	var res *dropbox.DeleteResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Files.DeleteV2(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &entryOutput{Body: entryOut(&res.Metadata)}, nil
}

// errRequired is the error of a missing parameter that the API needs only
// in some cases.
func errRequired(name, what string) error {
	return dropbridge.Errorf(dropbridge.EINVALID, "%s is required: give %s.", name, what)
}

// checkWritePath returns an EINVALID error unless path is one Dropbox can
// write to (WritePathOrId in Dropbox's spec): "/folder/file.txt",
// "id:..." or "ns:<id>/...", not the root.
func checkWritePath(path string) error {
	ns, isNS := strings.CutPrefix(path, "ns:")
	digits := len(ns) - len(strings.TrimLeft(ns, "0123456789"))
	switch {
	case path == "/":
	case strings.HasPrefix(path, "/"):
		return nil
	case strings.HasPrefix(path, "id:") && len(path) > len("id:") && !strings.Contains(path, "\n"):
		return nil
	case isNS && digits > 0 && (digits == len(ns) || ns[digits] == '/' && !strings.Contains(ns, "\n")):
		return nil
	}
	return dropbridge.Errorf(dropbridge.EINVALID, "path %q is not one Dropbox can write: give a path such as \"/folder/file.txt\", an id:... or ns:<id>/....", path)
}

// Listings answered from the mirror.
//
// With source=mirror, listings and metadata come from the mirror that
// change tracking keeps of each connection's account (the entries of
// Dropbox's list_folder, stored as Dropbox sent them), and Dropbox is not
// called. Paths compare as path_lower does: lowercased. A page holds the
// live entries in path_lower order after the last one of the previous
// page, so an entry that stays put while a listing pages through is
// listed once; one that changes meanwhile may be listed at its old place,
// its new one, both or neither, as the mirror stood at each page. The
// headers say how fresh the mirror is.

// mirrorDoc is the operations' description of source=mirror.
const mirrorDoc = "With `source=mirror`, dropbridge answers from the mirror it keeps of the account, without calling Dropbox: " +
	"the same entries, from the last list_folder page change tracking applied, with its version in " + MirrorVersionHeader +
	" and its time in " + MirrorUpdatedHeader + ". Paths compare lowercased; a page lists entries by path_lower. " +
	"Until the first listing of the account has finished, the mirror answers 409 (retry after Retry-After, or use `source=dropbox`). " +
	"Deleted entries, ns:... and rev:... paths are Dropbox's only. Errors carry the dropbox_error Dropbox would give " +
	"(path/not_found, path/not_folder)."

// Sources of listings and metadata.
const (
	sourceMirror = "mirror"
	// cursorMirror is the kind of a cursor of a listing of the mirror.
	cursorMirror = "mirror"
	// mirrorRetryAfter is the Retry-After, in seconds, of an answer that
	// the mirror is not ready.
	mirrorRetryAfter = "5"
)

// mirrorCursor is the opaque next_cursor of a listing of the mirror: the
// folder's path_lower ("" for the root), whether the listing is
// recursive, its page size, and the path_lower of the last entry listed,
// with the connection, so that it cannot be handed to another.
type mirrorCursor struct {
	Connection string `json:"c"`
	Kind       string `json:"k"`
	Folder     string `json:"f,omitempty"`
	Recursive  bool   `json:"r,omitempty"`
	Limit      int    `json:"l"`
	After      string `json:"a"`
}

// encode returns the cursor as an opaque URL-safe string.
func (c mirrorCursor) encode() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic("httpapi: encode cursor: " + err.Error()) // strings always encode
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// cursorKind returns the kind of a listing's cursor, or "" for one that
// is not dropbridge's.
func cursorKind(s string) string {
	var c struct {
		Kind string `json:"k"`
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Kind
}

// decodeMirrorCursor reads a cursor made by encode for a listing of the
// connection's mirror, or returns an EINVALID error.
func decodeMirrorCursor(s, connection string) (mirrorCursor, error) {
	var c mirrorCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Connection != connection || c.Kind != cursorMirror ||
		c.After == "" || c.Limit < 1 || c.Limit > maxListLimit || c.Folder != "" && !strings.HasPrefix(c.Folder, "/") {
		return mirrorCursor{}, dropbridge.Errorf(dropbridge.EINVALID,
			"The cursor is not one of this listing: pass next_cursor of the previous page unchanged, on the same connection.")
	}
	return c, nil
}

// maxListLimit is the largest page size of a listing.
const maxListLimit = 2000

// mirrorPath returns what the mirror keys path by: "" for the root, its
// lowercase for a path, an id:... as is; or an EINVALID error for a path
// the mirror cannot answer.
func mirrorPath(path string) (string, error) {
	switch {
	case path == "" || path == "/":
		return "", nil
	case strings.HasPrefix(path, "/"):
		return strings.ToLower(path), nil
	case strings.HasPrefix(path, "id:") && len(path) > len("id:"):
		return path, nil
	}
	return "", dropbridge.Errorf(dropbridge.EINVALID,
		"The mirror answers for paths (\"/folder/file.txt\") and ids (\"id:...\"), not %q: leave source=mirror out to ask Dropbox.", path)
}

// mirrorProblem returns the problem of code with msg that carries
// Dropbox's error tag for the same case.
func mirrorProblem(code, tag, msg string) *Problem {
	p := newProblem(code, msg)
	p.DropboxError = tag
	return p
}

// readMirror reads q from the files mirror of the caller's connection id,
// or returns the problem that answers why it cannot: the connection is
// unknown, not active, a team's (which has no files mirror), or its
// mirror's first listing has not finished (409 with Retry-After). When
// nothing is at q.Path and the path the caller gave, given, holds
// characters beyond ASCII, Dropbox may have lowercased them otherwise
// than Go: the path is then looked up a component at a time (see
// foldMirrorPath).
func (s *Server) readMirror(ctx context.Context, id string, q dropbridge.MirrorFilesQuery, given string) (*dropbridge.MirrorFilesPage, error) {
	env := environmentID(ctx)
	conn, err := s.store.FindConnectionByID(ctx, env, id)
	if err != nil {
		return nil, s.fail(ctx, fmt.Errorf("httpapi: read mirror: %w", err))
	}
	switch {
	case conn.Status != dropbridge.ConnectionActive:
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.ECONFLICT,
			"Connection %q is %s: its mirror is kept only while it is active. Send the user through a new connect session.", id, conn.Status))
	case conn.TeamID != "" && conn.AccountID == conn.TeamID:
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID,
			"Connection %q is a team's: its mirror holds team members and team folders, not files. Leave source=mirror out to ask Dropbox as a member.", id))
	}
	page, err := s.store.ReadMirrorFiles(ctx, env, id, q)
	if err != nil {
		return nil, s.fail(ctx, fmt.Errorf("httpapi: read mirror: %w", err))
	}
	if page.Entry == nil && !page.Cursor.Initial() && strings.HasPrefix(q.Path, "/") && !isASCII(given) {
		folded, err := s.foldMirrorPath(ctx, env, id, given)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if folded != "" && folded != q.Path {
			q.Path = folded
			if page, err = s.store.ReadMirrorFiles(ctx, env, id, q); err != nil {
				return nil, s.fail(ctx, fmt.Errorf("httpapi: read mirror: %w", err))
			}
		}
	}
	if page.Cursor.Initial() {
		p := newProblem(dropbridge.ECONFLICT, fmt.Sprintf("The mirror of connection %q is not ready: dropbridge has not finished "+
			"its first listing of the account. Try again shortly, or leave source=mirror out to ask Dropbox.", id))
		p.GetHeaders().Set("Retry-After", mirrorRetryAfter)
		return nil, p
	}
	return page, nil
}

// isASCII reports whether s holds only ASCII characters.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// foldMirrorPath returns the path_lower of the mirror's entry at path,
// found a component at a time among each folder's children by Unicode
// case folding, or "" when there is none. It answers for the characters
// that Dropbox lowercases otherwise than Go's strings.ToLower.
func (s *Server) foldMirrorPath(ctx context.Context, env, id, path string) (string, error) {
	folder := ""
	for comp := range strings.SplitSeq(strings.TrimPrefix(path, "/"), "/") {
		found, after := "", ""
		for found == "" {
			page, err := s.store.ReadMirrorFiles(ctx, env, id, dropbridge.MirrorFilesQuery{Path: folder, List: true,
				After: after, Limit: dropbridge.MaxMirrorPage})
			if err != nil {
				return "", fmt.Errorf("httpapi: find %q in the mirror: %w", path, err)
			}
			for _, e := range page.Entries {
				if strings.EqualFold(e.PathLower[strings.LastIndexByte(e.PathLower, '/')+1:], comp) {
					found = e.PathLower
					break
				}
			}
			if len(page.Entries) < dropbridge.MaxMirrorPage {
				break
			}
			after = page.Entries[len(page.Entries)-1].PathLower
		}
		if found == "" {
			return "", nil
		}
		folder = found
	}
	return folder, nil
}

// mirrorFreshness returns the values of the mirror headers for page.
func mirrorFreshness(page *dropbridge.MirrorFilesPage) (version, updated string) {
	return strconv.FormatInt(page.Cursor.Version, 10), page.UpdatedAt.UTC().Format(time.RFC3339Nano)
}

// mirrorEntryOut converts a mirror entry, which holds Dropbox's metadata.
func mirrorEntryOut(e *dropbridge.Entry) (Entry, error) {
	var m dropbox.Metadata
	if err := json.Unmarshal(e.Object, &m); err != nil {
		return Entry{}, fmt.Errorf("httpapi: mirror entry %s: %w", e.ID, err)
	}
	return entryOut(&m), nil
}

// listMirrorFiles answers a listing from the mirror.
func (s *Server) listMirrorFiles(ctx context.Context, in *listFilesInput) (*listFilesOutput, error) {
	var c mirrorCursor
	if in.Cursor != "" {
		var err error
		if c, err = decodeMirrorCursor(in.Cursor, in.ID); err != nil {
			return nil, s.fail(ctx, err)
		}
	} else {
		if in.IncludeDeleted {
			return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID,
				"The mirror holds what exists, not what was deleted: leave source=mirror out to list deleted entries."))
		}
		folder, err := mirrorPath(in.Path)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		c = mirrorCursor{Connection: in.ID, Kind: cursorMirror, Folder: folder, Recursive: in.Recursive, Limit: in.Limit}
	}
	given := ""
	if in.Cursor == "" {
		given = in.Path
	}
	page, err := s.readMirror(ctx, in.ID, dropbridge.MirrorFilesQuery{Path: c.Folder, List: true, Recursive: c.Recursive,
		After: c.After, Limit: c.Limit + 1}, given)
	if err != nil {
		return nil, err
	}
	switch e := page.Entry; {
	case c.Folder == "":
	case e == nil && in.Cursor != "":
		return nil, s.fail(ctx, mirrorProblem(dropbridge.ECONFLICT, "path/not_found",
			"The folder moved or was deleted since the listing began: list it again from its first page."))
	case e == nil:
		return nil, s.fail(ctx, mirrorProblem(dropbridge.ENOTFOUND, "path/not_found",
			fmt.Sprintf("Nothing is at %q in the mirror of the account: check the path.", in.Path)))
	case e.Kind != dropbridge.EntryFolder:
		return nil, s.fail(ctx, mirrorProblem(dropbridge.ECONFLICT, "path/not_folder",
			fmt.Sprintf("%q is a file, not a folder: get its metadata instead, or list the folder it is in.", in.Path)))
	}
	out := &listFilesOutput{}
	out.MirrorVersion, out.MirrorUpdated = mirrorFreshness(page)
	entries := page.Entries
	if len(entries) > c.Limit {
		entries = entries[:c.Limit]
		next := c
		if page.Entry != nil {
			next.Folder = page.Entry.PathLower // the next pages page by path, after an id:... or a folded path too
		}
		next.After = entries[len(entries)-1].PathLower
		out.Body.NextCursor = next.encode()
	}
	out.Body.Data = make([]Entry, 0, len(entries))
	for _, e := range entries {
		o, err := mirrorEntryOut(e)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		out.Body.Data = append(out.Body.Data, o)
	}
	return out, nil
}

// mirrorMetadata answers a file's or folder's metadata from the mirror.
func (s *Server) mirrorMetadata(ctx context.Context, in *getMetadataInput) (*metadataOutput, error) {
	if in.IncludeDeleted {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID,
			"The mirror holds what exists, not what was deleted: leave source=mirror out to get a deleted entry."))
	}
	path, err := mirrorPath(in.Path)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if path == "" {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "The root has no metadata: list it instead."))
	}
	page, err := s.readMirror(ctx, in.ID, dropbridge.MirrorFilesQuery{Path: path}, in.Path)
	if err != nil {
		return nil, err
	}
	if page.Entry == nil {
		return nil, s.fail(ctx, mirrorProblem(dropbridge.ENOTFOUND, "path/not_found",
			fmt.Sprintf("Nothing is at %q in the mirror of the account: check the path.", in.Path)))
	}
	e, err := mirrorEntryOut(page.Entry)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &metadataOutput{Body: e}
	out.MirrorVersion, out.MirrorUpdated = mirrorFreshness(page)
	return out, nil
}
