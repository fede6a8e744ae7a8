package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Paper documents of a connection: created and updated from Markdown,
// HTML or plain text, and exported to Markdown or HTML (Dropbox's
// files/paper/create, files/paper/update and files/export). A Paper
// document is a ".paper" file: the files resources list, move, copy and
// delete it like any other. Contents travel as JSON strings, which keeps
// them beside their path and format, and lets a create or update take an
// Idempotency-Key.

// maxPaperBody is the largest request body of a Paper create or update:
// Dropbox's limit of a document, with room for the JSON around it.
const maxPaperBody = 16 << 20

// maxPaperExport is the most bytes of an export that the service reads.
const maxPaperExport = 64 << 20

// PaperDoc is a created Paper document, with Dropbox's names for its
// fields
// (https://www.dropbox.com/developers/documentation/http/documentation#files-paper-create).
type PaperDoc struct {
	URL           string `json:"url" doc:"Where to open the document in Dropbox Paper." example:"https://www.dropbox.com/scl/fi/.../Plan.paper"`
	ResultPath    string `json:"result_path" doc:"The path the document was created at: the name is numbered when a file of the path's name exists." example:"/Notes/Plan.paper"`
	FileID        string `json:"file_id" doc:"The document's file ID, usable as a path." example:"id:a4ayc_80_OEAAAAAAAAAXw"`
	PaperRevision int64  `json:"paper_revision" doc:"The document's revision; an update with doc_update_policy=update must name it." example:"1"`
}

// PaperExport is a document exported from Dropbox: its content in the
// format asked for, and what Dropbox says of it
// (https://www.dropbox.com/developers/documentation/http/documentation#files-export).
type PaperExport struct {
	Name          string `json:"name" doc:"The exported document's file name, with the format's extension." example:"Plan.md"`
	ExportFormat  string `json:"export_format" doc:"The format of content." example:"markdown"`
	Size          uint64 `json:"size" doc:"The exported content's size in bytes."`
	ExportHash    string `json:"export_hash,omitempty" doc:"Dropbox's content hash of the exported content."`
	PaperRevision *int64 `json:"paper_revision,omitempty" doc:"For a Paper document, its revision: name it in an update with doc_update_policy=update." example:"3"`
	Content       string `json:"content" doc:"The exported document." example:"# Plan\n\nShip it.\n"`
	File          Entry  `json:"file" doc:"The exported file."`
}

type createPaperDocInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer (for bodies up to 1 MiB)."`
	Body           struct {
		Path         string `json:"path" minLength:"1" doc:"Where to create the document: a path ending in .paper. A file there already makes Dropbox number the new document's name." example:"/Notes/Plan.paper"`
		ImportFormat string `json:"import_format" enum:"markdown,html,plain_text" doc:"The format of content." example:"markdown"`
		Content      string `json:"content" doc:"The document, in import_format." example:"# Plan\n\nShip it.\n"`
	}
}

type paperDocOutput struct {
	Body PaperDoc
}

type updatePaperDocInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer (for bodies up to 1 MiB)."`
	Body           struct {
		Path            string `json:"path" minLength:"1" doc:"The document: a path or an id:...." example:"/Notes/Plan.paper"`
		ImportFormat    string `json:"import_format" enum:"markdown,html,plain_text" doc:"The format of content." example:"markdown"`
		DocUpdatePolicy string `json:"doc_update_policy" enum:"update,overwrite,prepend,append" doc:"What content does to the document. update: replaces it, only if it is still at paper_revision (else 409 revision_mismatch). overwrite: replaces it whatever its revision. prepend, append: adds content before or after it." example:"update"`
		PaperRevision   *int64 `json:"paper_revision,omitempty" doc:"With doc_update_policy=update (only): the revision the document must still have, from its creation, last update or export." example:"1"`
		Content         string `json:"content" doc:"The new content, in import_format." example:"# Plan\n\nShipped.\n"`
	}
}

type paperRevisionOutput struct {
	Body struct {
		PaperRevision int64 `json:"paper_revision" doc:"The document's revision after the update." example:"2"`
	}
}

type exportPaperDocInput struct {
	ID           string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Path         string `query:"path" required:"true" minLength:"1" doc:"The document: a path, an id:... or a rev:...." example:"/Notes/Plan.paper"`
	ExportFormat string `query:"export_format" enum:"markdown,html" default:"markdown" doc:"The format to export to."`
}

type paperExportOutput struct {
	Body PaperExport
}

func (s *Server) registerPaper() {
	tags := []string{"Paper"}
	huma.Register(s.api, huma.Operation{
		OperationID:   "create-paper-doc",
		Method:        http.MethodPost,
		Path:          "/v1/connections/{id}/paper-docs",
		Summary:       "Create a Paper document",
		Description:   "Creates a Paper document from Markdown, HTML or plain text (Dropbox's files/paper/create).",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  maxPaperBody,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.createPaperDoc)
	huma.Register(s.api, huma.Operation{
		OperationID:  "update-paper-doc",
		Method:       http.MethodPost,
		Path:         "/v1/connections/{id}/paper-docs/update",
		Summary:      "Update a Paper document",
		Description:  "Replaces, or adds to, a Paper document's content (Dropbox's files/paper/update).",
		Tags:         tags,
		Security:     bearer,
		MaxBodyBytes: maxPaperBody,
		Errors:       dropboxErrors,
		Middlewares:  huma.Middlewares{s.idempotent},
	}, s.updatePaperDoc)
	huma.Register(s.api, huma.Operation{
		OperationID: "export-paper-doc",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/paper-docs/export",
		Summary:     "Export a Paper document",
		Description: "Exports a Paper document (or another file that Dropbox exports) to Markdown or HTML (Dropbox's files/export), " +
			"with its paper_revision for a later update.",
		Tags:     tags,
		Security: bearer,
		Errors:   dropboxErrors,
	}, s.exportPaperDoc)
}

// checkPaperContent returns an EINVALID error unless content can be a
// document: Dropbox reads it as UTF-8.
func checkPaperContent(content string) error {
	if !utf8.ValidString(content) {
		return dropbridge.Errorf(dropbridge.EINVALID, "content must be UTF-8 text.")
	}
	return nil
}

func (s *Server) createPaperDoc(ctx context.Context, in *createPaperDocInput) (*paperDocOutput, error) {
	if err := checkWritePath(in.Body.Path); err != nil {
		return nil, s.fail(ctx, err)
	}
	if !strings.HasSuffix(strings.ToLower(in.Body.Path), ".paper") {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "path %q does not end in .paper: Paper documents are .paper files, such as \"/Notes/Plan.paper\".", in.Body.Path))
	}
	if err := checkPaperContent(in.Body.Content); err != nil {
		return nil, s.fail(ctx, err)
	}
	var res *dropbox.PaperCreateResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Paper.Create(ctx, &dropbox.PaperCreateArg{Path: in.Body.Path,
			ImportFormat: dropbox.ImportFormat{Tag: in.Body.ImportFormat}}, strings.NewReader(in.Body.Content))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &paperDocOutput{Body: PaperDoc{URL: res.URL, ResultPath: res.ResultPath, FileID: res.FileID, PaperRevision: res.PaperRevision}}, nil
}

func (s *Server) updatePaperDoc(ctx context.Context, in *updatePaperDocInput) (*paperRevisionOutput, error) {
	b := &in.Body
	switch {
	case b.DocUpdatePolicy == "update" && b.PaperRevision == nil:
		return nil, s.fail(ctx, errRequired("paper_revision", "the revision the document must still have (from its creation, last update or export), or use doc_update_policy=overwrite"))
	case b.DocUpdatePolicy != "update" && b.PaperRevision != nil:
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "paper_revision goes with doc_update_policy=update only: leave it out, or use update."))
	}
	if err := checkPaperContent(b.Content); err != nil {
		return nil, s.fail(ctx, err)
	}
	var res *dropbox.PaperUpdateResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.Paper.Update(ctx, &dropbox.PaperUpdateArg{Path: b.Path, ImportFormat: dropbox.ImportFormat{Tag: b.ImportFormat},
			DocUpdatePolicy: dropbox.PaperDocUpdatePolicy{Tag: b.DocUpdatePolicy}, PaperRevision: b.PaperRevision},
			strings.NewReader(b.Content))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &paperRevisionOutput{}
	out.Body.PaperRevision = res.PaperRevision
	return out, nil
}

func (s *Server) exportPaperDoc(ctx context.Context, in *exportPaperDocInput) (*paperExportOutput, error) {
	var (
		res     *dropbox.ExportResult
		content bytes.Buffer
	)
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		content.Reset()
		format := in.ExportFormat
		var body io.ReadCloser
		var err error
		res, body, err = c.Files.Export(ctx, &dropbox.ExportArg{Path: in.Path, ExportFormat: &format})
		if err != nil {
			return err
		}
		defer body.Close()
		n, err := io.Copy(&content, io.LimitReader(body, maxPaperExport+1))
		switch {
		case err != nil:
			return fmt.Errorf("export %s: read: %w", in.Path, err)
		case n > maxPaperExport:
			return dropbridge.Errorf(dropbridge.EINVALID, "The export of %s is larger than %d MiB: download the file instead.", in.Path, maxPaperExport>>20)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(content.Bytes()) {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "The export of %s is not text: download it with GET /v1/connections/%s/files/content.", in.Path, in.ID))
	}
	m := &res.ExportMetadata
	out := &paperExportOutput{Body: PaperExport{Name: m.Name, ExportFormat: in.ExportFormat, Size: m.Size,
		PaperRevision: m.PaperRevision, Content: content.String(), File: fileEntry(&res.FileMetadata)}}
	if m.ExportHash != nil {
		out.Body.ExportHash = *m.ExportHash
	}
	return out, nil
}
