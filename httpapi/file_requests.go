package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// The file requests of a connection
// (https://www.dropbox.com/developers/documentation/http/documentation#file_requests-create):
// pages where anyone with the link can upload files into a folder of the
// connected account.

// cursorFileRequests is the kind of the cursors of file request listings.
const cursorFileRequests = "file_requests"

// FileRequest is a file request, with Dropbox's names for its fields.
type FileRequest struct {
	ID          string               `json:"id" doc:"Dropbox's ID of the file request." example:"oaCAVmEyrqYnkZX9955Y"`
	URL         string               `json:"url" doc:"The upload page: whoever has it can upload files while the request is open." example:"https://www.dropbox.com/request/oaCAVmEyrqYnkZX9955Y"`
	Title       string               `json:"title" doc:"The request's title, shown on its page." example:"Homework submission"`
	Destination string               `json:"destination,omitempty" doc:"The folder uploads go to; absent when the connected account cannot see it." example:"/File Requests/Homework"`
	Created     time.Time            `json:"created" doc:"When the request was made."`
	Deadline    *FileRequestDeadline `json:"deadline,omitempty" doc:"When uploads stop; absent without a deadline."`
	IsOpen      bool                 `json:"is_open" doc:"Whether the request takes uploads."`
	FileCount   int64                `json:"file_count" doc:"How many files were uploaded through the request."`
	Description string               `json:"description,omitempty" doc:"The request's description, shown on its page."`
}

// FileRequestDeadline is when a file request stops taking uploads.
type FileRequestDeadline struct {
	Deadline         time.Time `json:"deadline" doc:"When uploads stop. Deadlines need a paid Dropbox account." example:"2030-01-01T00:00:00Z"`
	AllowLateUploads string    `json:"allow_late_uploads,omitempty" enum:"one_day,two_days,seven_days,thirty_days,always" doc:"How long after the deadline uploads are still taken (marked late)."`
}

// arg returns Dropbox's FileRequestDeadline for d.
func (d *FileRequestDeadline) arg() *dropbox.FileRequestDeadline {
	out := &dropbox.FileRequestDeadline{Deadline: d.Deadline}
	if d.AllowLateUploads != "" {
		out.AllowLateUploads = &dropbox.GracePeriod{Tag: d.AllowLateUploads}
	}
	return out
}

// explainDeadline says what to do when Dropbox refused a file request's
// deadline with no_permission, as it does for Basic accounts.
func explainDeadline(api *dropbox.APIError) string {
	if len(api.Tags) != 1 || api.Tags[0] != "no_permission" {
		return ""
	}
	return "Dropbox refused the file request (no_permission): deadlines need a paid Dropbox plan (this may be a Basic account). " +
		"Leave the deadline out, or use a connection to an account whose plan has them."
}

// fileRequestOut converts Dropbox's file request.
func fileRequestOut(fr *dropbox.FileRequest) FileRequest {
	out := FileRequest{ID: fr.ID, URL: fr.URL, Title: fr.Title, Destination: deref(fr.Destination), Created: fr.Created,
		IsOpen: fr.IsOpen, FileCount: fr.FileCount, Description: deref(fr.Description)}
	if d := fr.Deadline; d != nil {
		out.Deadline = &FileRequestDeadline{Deadline: d.Deadline}
		if d.AllowLateUploads != nil {
			out.Deadline.AllowLateUploads = d.AllowLateUploads.Tag
		}
	}
	return out
}

type createFileRequestInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer, rather than making a second file request."`
	Body           struct {
		Title       string               `json:"title" minLength:"1" maxLength:"140" doc:"The request's title, shown on its page." example:"Homework submission"`
		Destination string               `json:"destination" minLength:"1" doc:"The folder uploads go to, made if missing: a path." example:"/File Requests/Homework"`
		Deadline    *FileRequestDeadline `json:"deadline,omitempty" doc:"When uploads stop. Paid accounts only: Dropbox refuses a deadline from a Basic account (no_permission)."`
		Open        *bool                `json:"open,omitempty" doc:"Whether the request takes uploads at once; Dropbox's default is true."`
		Description string               `json:"description,omitempty" maxLength:"1000" doc:"A description, shown on the request's page."`
	}
}

type fileRequestOutput struct {
	Body FileRequest
}

type fileRequestInput struct {
	ID        string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	RequestID string `path:"request_id" pattern:"^[-_0-9a-zA-Z]+$" doc:"The file request's ID." example:"oaCAVmEyrqYnkZX9955Y"`
}

type fileRequestChangeInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	RequestID      string `path:"request_id" pattern:"^[-_0-9a-zA-Z]+$" doc:"The file request's ID." example:"oaCAVmEyrqYnkZX9955Y"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
}

type listFileRequestsInput struct {
	ID     string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
	Cursor string `query:"cursor" doc:"Continue a listing: next_cursor of the previous page. limit is that of the first page, and is ignored."`
}

type listFileRequestsOutput struct {
	Body struct {
		Data       []FileRequest `json:"data" doc:"A page of the connected account's file requests, open and closed."`
		NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type updateFileRequestInput struct {
	ID        string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	RequestID string `path:"request_id" pattern:"^[-_0-9a-zA-Z]+$" doc:"The file request's ID." example:"oaCAVmEyrqYnkZX9955Y"`
	Body      struct {
		Title          *string              `json:"title,omitempty" minLength:"1" maxLength:"140" doc:"A new title."`
		Destination    *string              `json:"destination,omitempty" minLength:"1" doc:"A new folder for uploads, made if missing."`
		Deadline       *FileRequestDeadline `json:"deadline,omitempty" doc:"A new deadline (paid accounts only)."`
		RemoveDeadline bool                 `json:"remove_deadline,omitempty" doc:"Remove the deadline."`
		Open           *bool                `json:"open,omitempty" doc:"Open (true) or close (false) the request."`
		Description    *string              `json:"description,omitempty" maxLength:"1000" doc:"A new description."`
	}
}

func (s *Server) registerFileRequests() {
	tags := []string{"File requests"}
	base := "/v1/connections/{id}/file-requests"
	huma.Register(s.api, huma.Operation{
		OperationID:   "create-file-request",
		Method:        http.MethodPost,
		Path:          base,
		Summary:       "Create a file request",
		Description:   "Makes a file request (Dropbox's file_requests/create): hand its url to whoever should upload files into destination.",
		Tags:          tags,
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        dropboxErrors,
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.createFileRequest)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-file-requests",
		Method:      http.MethodGet,
		Path:        base,
		Summary:     "List file requests",
		Description: "Lists the connected account's file requests (Dropbox's file_requests/list_v2).",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.listFileRequests)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-file-request",
		Method:      http.MethodGet,
		Path:        base + "/{request_id}",
		Summary:     "Get a file request",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
	}, s.getFileRequest)
	huma.Register(s.api, huma.Operation{
		OperationID: "update-file-request",
		Method:      http.MethodPatch,
		Path:        base + "/{request_id}",
		Summary:     "Update a file request",
		Description: "Changes the fields given and keeps the others (Dropbox's file_requests/update). " +
			"Setting the same values again changes nothing, so a repeat is safe.",
		Tags:     tags,
		Security: bearer,
		Errors:   dropboxErrors,
	}, s.updateFileRequest)
	huma.Register(s.api, huma.Operation{
		OperationID: "close-file-request",
		Method:      http.MethodPost,
		Path:        base + "/{request_id}/close",
		Summary:     "Close a file request",
		Description: "The request stops taking uploads; it can be opened again with an update. Closing a closed request changes nothing.",
		Tags:        tags,
		Security:    bearer,
		Errors:      dropboxErrors,
		Middlewares: huma.Middlewares{s.idempotent},
	}, s.closeFileRequest)
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-file-request",
		Method:      http.MethodDelete,
		Path:        base + "/{request_id}",
		Summary:     "Delete a file request",
		Description: "Deletes a closed file request and answers with it as it was; files uploaded through it stay. " +
			"Dropbox refuses to delete an open request (409 file_request_open): close it first.",
		Tags:     tags,
		Security: bearer,
		Errors:   dropboxErrors,
	}, s.deleteFileRequest)
}

func (s *Server) createFileRequest(ctx context.Context, in *createFileRequestInput) (*fileRequestOutput, error) {
	b := &in.Body
	arg := &dropbox.CreateFileRequestArgs{Title: b.Title, Destination: b.Destination, Open: b.Open}
	if b.Deadline != nil {
		arg.Deadline = b.Deadline.arg()
	}
	if b.Description != "" {
		arg.Description = &b.Description
	}
	explain := func(*dropbox.APIError) string { return "" }
	if arg.Deadline != nil {
		explain = explainDeadline
	}
	var fr *dropbox.FileRequest
	err := s.callExplained(ctx, in.ID, explain, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		fr, err = c.FileRequests.Create(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &fileRequestOutput{Body: fileRequestOut(fr)}, nil
}

func (s *Server) listFileRequests(ctx context.Context, in *listFileRequestsInput) (*listFileRequestsOutput, error) {
	var prev pageCursor
	if in.Cursor != "" {
		var err error
		if prev, err = decodePageCursor(in.Cursor, in.ID, cursorFileRequests); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	var res *dropbox.ListFileRequestsV2Result
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		if prev.Dropbox != "" {
			res, err = c.FileRequests.ListContinue(ctx, &dropbox.ListFileRequestsContinueArg{Cursor: prev.Dropbox})
			return err
		}
		limit := uint64(in.Limit)
		res, err = c.FileRequests.ListV2(ctx, &dropbox.ListFileRequestsArg{Limit: &limit})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listFileRequestsOutput{}
	out.Body.Data = make([]FileRequest, 0, len(res.FileRequests))
	for i := range res.FileRequests {
		out.Body.Data = append(out.Body.Data, fileRequestOut(&res.FileRequests[i]))
	}
	if res.HasMore && res.Cursor != "" {
		out.Body.NextCursor = pageCursor{Connection: in.ID, Kind: cursorFileRequests, Dropbox: res.Cursor}.encode()
	}
	return out, nil
}

func (s *Server) getFileRequest(ctx context.Context, in *fileRequestInput) (*fileRequestOutput, error) {
	var fr *dropbox.FileRequest
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		fr, err = c.FileRequests.Get(ctx, &dropbox.GetFileRequestArgs{ID: in.RequestID})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &fileRequestOutput{Body: fileRequestOut(fr)}, nil
}

func (s *Server) updateFileRequest(ctx context.Context, in *updateFileRequestInput) (*fileRequestOutput, error) {
	b := &in.Body
	if b.Deadline != nil && b.RemoveDeadline {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "deadline and remove_deadline contradict each other: give one."))
	}
	arg := &dropbox.UpdateFileRequestArgs{ID: in.RequestID, Title: b.Title, Destination: b.Destination, Open: b.Open, Description: b.Description}
	switch {
	case b.Deadline != nil:
		arg.Deadline = dropbox.UpdateFileRequestDeadline{Tag: dropbox.UpdateFileRequestDeadlineUpdate, Update: b.Deadline.arg()}
	case b.RemoveDeadline:
		arg.Deadline = dropbox.UpdateFileRequestDeadline{Tag: dropbox.UpdateFileRequestDeadlineUpdate}
	}
	if b.Title == nil && b.Destination == nil && b.Open == nil && b.Description == nil && arg.Deadline.Tag == "" {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID,
			"Nothing to change: give at least one of title, destination, deadline, remove_deadline, open or description."))
	}
	return s.changeFileRequest(ctx, in.ID, arg)
}

func (s *Server) closeFileRequest(ctx context.Context, in *fileRequestChangeInput) (*fileRequestOutput, error) {
	closed := false
	return s.changeFileRequest(ctx, in.ID, &dropbox.UpdateFileRequestArgs{ID: in.RequestID, Open: &closed})
}

// changeFileRequest calls file_requests/update with arg.
func (s *Server) changeFileRequest(ctx context.Context, id string, arg *dropbox.UpdateFileRequestArgs) (*fileRequestOutput, error) {
	explain := func(*dropbox.APIError) string { return "" }
	if arg.Deadline.Update != nil {
		explain = explainDeadline
	}
	var fr *dropbox.FileRequest
	err := s.callExplained(ctx, id, explain, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		fr, err = c.FileRequests.Update(ctx, arg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &fileRequestOutput{Body: fileRequestOut(fr)}, nil
}

func (s *Server) deleteFileRequest(ctx context.Context, in *fileRequestInput) (*fileRequestOutput, error) {
	var res *dropbox.DeleteFileRequestsResult
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		res, err = c.FileRequests.Delete(ctx, &dropbox.DeleteFileRequestArgs{IDs: []string{in.RequestID}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(res.FileRequests) == 0 {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.ENOTFOUND, "No file request %q: it may be deleted already.", in.RequestID))
	}
	return &fileRequestOutput{Body: fileRequestOut(&res.FileRequests[0])}, nil
}
