package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge/dropbox"
)

type listRevisionsInput struct {
	ID     string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Path   string `query:"path" doc:"The file: a path or an id:.... Required on the first page." example:"/Reports/report.pdf"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"10" doc:"Page size."`
	Cursor string `query:"cursor" doc:"Continue a listing: next_cursor of the previous page. path is that of the first page, and is ignored."`
}

type listRevisionsOutput struct {
	Body struct {
		Data          []Entry    `json:"data" doc:"A page of the file's revisions, newest first; deleted revisions are not listed."`
		IsDeleted     bool       `json:"is_deleted" doc:"Whether the file's latest revision was deleted (or moved away)."`
		ServerDeleted *time.Time `json:"server_deleted,omitempty" doc:"When it was deleted."`
		NextCursor    string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type restoreInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Path string `json:"path" minLength:"1" doc:"Where to restore the revision to: usually the file's path." example:"/Reports/report.pdf"`
		Rev  string `json:"rev" minLength:"9" pattern:"^[0-9a-f]+$" doc:"The revision to restore, from the file's revisions." example:"a1c10ce0dd78"`
	}
}

type searchInput struct {
	ID             string   `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Query          string   `query:"query" required:"true" minLength:"1" maxLength:"1000" doc:"What to look for, in names (and content, where Dropbox indexes it)." example:"report"`
	Path           string   `query:"path" doc:"Search only under this folder." example:"/Reports"`
	FilenameOnly   bool     `query:"filename_only" doc:"Match names only."`
	FileExtensions []string `query:"file_extensions" doc:"Only files with these extensions, without the dot." example:"pdf,docx"`
	FileStatus     string   `query:"file_status" enum:"active,deleted" default:"active" doc:"Search the files that exist, or the deleted ones."`
	OrderBy        string   `query:"order_by" enum:"relevance,last_modified_time" default:"relevance" doc:"The order of the matches."`
	Limit          int      `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
	Cursor         string   `query:"cursor" doc:"Continue a search: next_cursor of the previous page. The other parameters are those of the first page, and are ignored."`
}

type searchOutput struct {
	Body struct {
		Data       []Entry `json:"data" doc:"A page of matches, in the order asked for. Dropbox finds at most 10,000, and may repeat one across pages."`
		NextCursor string  `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type temporaryLinkInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer, the same link, rather than making another."`
	Body           struct {
		Path string `json:"path" minLength:"1" doc:"The file: a path, an id:... or a rev:...." example:"/Reports/report.pdf"`
	}
}

// TemporaryLink is a link that streams a file's bytes without
// credentials for four hours.
type TemporaryLink struct {
	Link     string `json:"link" doc:"The link: whoever has it can download the file for four hours, so hand it only to whom it is meant for." example:"https://dl.dropboxusercontent.com/apitl/1/..."`
	Metadata Entry  `json:"metadata" doc:"The file."`
}

type temporaryLinkOutput struct {
	Body TemporaryLink
}

func (s *Server) registerFileHistory() {
	tags := []string{"Files"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-file-revisions",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/files/revisions",
		Summary:     "List a file's revisions",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listRevisions)
	huma.Register(s.api, huma.Operation{
		OperationID: "restore-file",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/files/restore",
		Summary:     "Restore a revision of a file",
		Description: "Writes the revision back as the file's newest one (also for a deleted file) and answers with the file.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.restoreFile)
	huma.Register(s.api, huma.Operation{
		OperationID: "search-files",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/search",
		Summary:     "Search files and folders",
		Description: "Dropbox's files/search_v2. Recent changes may take a moment to be found.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.searchFiles)
	huma.Register(s.api, huma.Operation{
		OperationID: "create-temporary-link",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/files/temporary-link",
		Summary:     "Get a temporary download link",
		Description: "Makes a link that downloads the file without credentials for four hours. " +
			"With an Idempotency-Key, a repeat gets the same link (stored encrypted, like every remembered answer).",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.createTemporaryLink)
}

func (s *Server) listRevisions(ctx context.Context, in *listRevisionsInput) (*listRevisionsOutput, error) {
	limit := uint64(in.Limit)
	arg := &dropbox.ListRevisionsArg{Path: in.Path, Limit: &limit}
	if in.Cursor != "" {
		prev, err := decodePageCursor(in.Cursor, in.ID, cursorRevisions)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		arg.Path, arg.BeforeRev = prev.Path, &prev.Dropbox
	} else if in.Path == "" {
		return nil, s.fail(ctx, errRequired("path", "the file whose revisions to list"))
	}
	var res *dropbox.ListRevisionsResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Files.ListRevisions(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listRevisionsOutput{}
	out.Body.Data = make([]Entry, 0, len(res.Entries))
	for i := range res.Entries {
		out.Body.Data = append(out.Body.Data, fileEntry(&res.Entries[i]))
	}
	out.Body.IsDeleted, out.Body.ServerDeleted = res.IsDeleted, res.ServerDeleted
	if n := len(res.Entries); res.HasMore && n > 0 {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorRevisions, Path: arg.Path, Dropbox: res.Entries[n-1].Rev}.encode()
	}
	return out, nil
}

func (s *Server) restoreFile(ctx context.Context, in *restoreInput) (*entryOutput, error) {
	var meta *dropbox.FileMetadata
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		meta, err = c.Files.Restore(ctx, &dropbox.RestoreArg{Path: in.Body.Path, Rev: in.Body.Rev})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &entryOutput{Body: fileEntry(meta)}, nil
}

func (s *Server) searchFiles(ctx context.Context, in *searchInput) (*searchOutput, error) {
	var prev pageCursor
	if in.Cursor != "" {
		var err error
		if prev, err = decodePageCursor(in.Cursor, in.ID, cursorSearch); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	var res *dropbox.SearchV2Result
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if prev.Dropbox != "" {
			res, err = c.Files.SearchContinueV2(ctx, &dropbox.SearchV2ContinueArg{Cursor: prev.Dropbox})
			return err
		}
		limit := uint64(in.Limit)
		opts := &dropbox.SearchOptions{MaxResults: &limit, FileStatus: dropbox.FileStatus{Tag: in.FileStatus},
			OrderBy: &dropbox.SearchOrderBy{Tag: in.OrderBy}, FilenameOnly: in.FilenameOnly, FileExtensions: in.FileExtensions}
		if in.Path != "" && in.Path != "/" {
			opts.Path = &in.Path
		}
		res, err = c.Files.SearchV2(ctx, &dropbox.SearchV2Arg{Query: in.Query, Options: opts})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &searchOutput{}
	out.Body.Data = make([]Entry, 0, len(res.Matches))
	for _, m := range res.Matches {
		if m.Metadata.Metadata != nil {
			out.Body.Data = append(out.Body.Data, entryOut(m.Metadata.Metadata))
		}
	}
	if res.HasMore && res.Cursor != nil {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorSearch, Dropbox: *res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) createTemporaryLink(ctx context.Context, in *temporaryLinkInput) (*temporaryLinkOutput, error) {
	var res *dropbox.GetTemporaryLinkResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Files.GetTemporaryLink(ctx, &dropbox.GetTemporaryLinkArg{Path: in.Body.Path})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &temporaryLinkOutput{Body: TemporaryLink{Link: res.Link, Metadata: fileEntry(&res.Metadata)}}, nil
}
