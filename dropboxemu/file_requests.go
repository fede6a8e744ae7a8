package dropboxemu

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// File requests (file_requests.stone): a public page where anyone may
// upload files into a folder of the owner's Dropbox. The routes here
// manage them; file_requests_page.go serves the page.

func init() {
	register("file_requests/create", (*Server).createFileRequest)
	register("file_requests/get", (*Server).getFileRequest)
	register("file_requests/update", (*Server).updateFileRequest)
	register("file_requests/list_v2", (*Server).listFileRequestsV2)
	register("file_requests/list/continue", (*Server).listFileRequestsContinue)
	register("file_requests/list", (*Server).listFileRequestsV1)
	register("file_requests/delete", (*Server).deleteFileRequests)
	register("file_requests/delete_all_closed", (*Server).deleteAllClosedFileRequests)
	register("file_requests/count", (*Server).countFileRequests)
}

// tblFileRequest holds file requests by id.
const tblFileRequest = "filerequest"

// fileRequest is a stored file request. Stored values are never changed:
// a change stores a new *fileRequest.
type fileRequest struct {
	ID        string      `json:"id"`
	AccountID string      `json:"account_id"`
	URL       string      `json:"url"`
	Title     string      `json:"title"`
	NS        string      `json:"ns"`
	DestID    string      `json:"dest_id"` // the destination folder's id: the request follows it when it moves
	Created   time.Time   `json:"created"` // full precision: it orders listings
	Deadline  *frDeadline `json:"deadline,omitempty"`
	Open      bool        `json:"open"`
	FileCount int64       `json:"file_count"`
	// Description is nil when none was given ("" is kept as given).
	Description    *string `json:"description,omitempty"`
	VideoProjectID string  `json:"video_project_id,omitempty"`
}

// frDeadline is a FileRequestDeadline: when uploads stop, and the
// GracePeriod member ("" for none) during which late uploads still land.
type frDeadline struct {
	At    time.Time `json:"at"`
	Grace string    `json:"grace,omitempty"`
}

// gracePeriods are the members of GracePeriod and how long each lets late
// uploads in; always is forever (-1).
var gracePeriods = map[string]time.Duration{
	"one_day":     24 * time.Hour,
	"two_days":    48 * time.Hour,
	"seven_days":  7 * 24 * time.Hour,
	"thirty_days": 30 * 24 * time.Hour,
	"always":      -1,
}

const gracePeriodUnion = "one_day two_days seven_days thirty_days always"

// closesAt is when uploads stop being accepted; ok is false when they never
// stop (no deadline, or late uploads always allowed).
func (d *frDeadline) closesAt() (t time.Time, ok bool) {
	if d == nil {
		return time.Time{}, false
	}
	g := gracePeriods[d.Grace]
	if g < 0 {
		return time.Time{}, false
	}
	return d.At.Add(g), true
}

// fileRequestWire is the spec's FileRequest, in its field order.
type fileRequestWire struct {
	ID             string        `json:"id"`
	URL            string        `json:"url"`
	Title          string        `json:"title"`
	Destination    string        `json:"destination,omitempty"`
	Created        string        `json:"created"`
	Deadline       *deadlineWire `json:"deadline,omitempty"`
	IsOpen         bool          `json:"is_open"`
	FileCount      int64         `json:"file_count"`
	Description    *string       `json:"description,omitempty"`
	VideoProjectID string        `json:"video_project_id,omitempty"`
}

// deadlineWire is the spec's FileRequestDeadline, in its field order.
type deadlineWire struct {
	Deadline         string         `json:"deadline"`
	AllowLateUploads map[string]any `json:"allow_late_uploads,omitempty"`
}

// destination returns the folder fr sends files to, or nil when it was
// deleted (FileRequest.destination is then null). The caller holds s.mu.
func (s *Server) frDestination(fr *fileRequest) *Entry {
	ns := s.namespaces[fr.NS]
	if ns == nil {
		return nil
	}
	if e := ns.byID[fr.DestID]; e != nil && e.Folder {
		return e
	}
	return nil
}

// fileRequestOut renders fr as FileRequest. The caller holds s.mu.
func (s *Server) fileRequestOut(fr *fileRequest) fileRequestWire {
	w := fileRequestWire{ID: fr.ID, URL: fr.URL, Title: fr.Title, Created: dropboxTime(fr.Created),
		IsOpen: fr.Open, FileCount: fr.FileCount, Description: fr.Description, VideoProjectID: fr.VideoProjectID}
	if d := s.frDestination(fr); d != nil {
		w.Destination = d.PathDisplay
		if owner := s.accounts[fr.AccountID]; owner != nil {
			w.Destination = s.viewFrom(owner, owner.HomeNS).place(d).PathDisplay
		}
	}
	if fr.Deadline != nil {
		w.Deadline = &deadlineWire{Deadline: dropboxTime(fr.Deadline.At)}
		if fr.Deadline.Grace != "" {
			w.Deadline.AllowLateUploads = u(fr.Deadline.Grace)
		}
	}
	return w
}

// newFileRequestID makes an id like Dropbox's: 20 letters and digits.
func newFileRequestID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

const (
	// maxFileRequests is how many file requests an account may have
	// (CreateFileRequestError.rate_limit: "currently 4000 file requests total").
	maxFileRequests = 4000
	// maxFileRequestTitle is the longest title Dropbox takes; longer ones
	// are a validation_error.
	maxFileRequestTitle = 140
)

// reFileRequestID is the whole-string form of FileRequestId's pattern.
var reFileRequestID = regexp.MustCompile(`\A(?:[-_0-9a-zA-Z]+)\z`)

// checkFileRequestID checks a FileRequestId argument.
func (c *call) checkFileRequestID(field, v string) error {
	return c.checkString(field, v, 1, 0, "[-_0-9a-zA-Z]+", reFileRequestID)
}

// deadlineArg is a FileRequestDeadline argument.
type deadlineArg struct {
	Deadline         string `json:"deadline"`
	AllowLateUploads *Tag   `json:"allow_late_uploads,omitempty" union:"one_day two_days seven_days thirty_days always"`
}

// parseDeadline checks a FileRequestDeadline whose fields are at path.
func (c *call) parseDeadline(path string, d *deadlineArg) (*frDeadline, error) {
	at, err := c.checkTimestamp(joinPath(path, "deadline"), d.Deadline)
	if err != nil {
		return nil, err
	}
	out := &frDeadline{At: at}
	if d.AllowLateUploads != nil {
		out.Grace = d.AllowLateUploads.Name
	}
	return out, nil
}

// frError is a route error of a file request route: the member tag of
// FileRequestError (or of the route's own union).
func frError(tag string) error { return routeError(u(tag)) }

// titleProblem checks a title that passed the spec's min_length: Dropbox
// refuses blank and overlong titles with validation_error.
func titleProblem(title string) error {
	if strings.TrimSpace(title) == "" || utf8.RuneCountInString(title) > maxFileRequestTitle {
		return frError("validation_error")
	}
	return nil
}

// frDestinationArg checks a destination argument (files.Path): a 400 when
// it does not fit the spec's pattern, else the path parsed and, when it is
// still malformed, the route error for that (the spec's "disallowed
// characters in the destination path"), for the caller to return after
// the other 400s.
func (c *call) frDestinationArg(v string) (p parsedPath, malformed error, err error) {
	p, bad, err := c.pathArg("destination", v, "Path")
	if err == nil && bad != nil {
		malformed = frError("validation_error")
	}
	return p, malformed, err
}

// frFolder finds the folder at p for a file request, creating it (and its
// parents) when missing, as Dropbox does. A file there or above it is
// not_a_folder. The caller holds s.mu and commits t.
func (s *Server) frFolder(t *tx, acct *Account, p parsedPath) (*Entry, error) {
	tgt, lerr := s.resolve(acct, p)
	switch {
	case lerr != nil && lerr[".tag"] == "not_folder":
		return nil, frError("not_a_folder")
	case lerr != nil:
		return nil, frError("not_found")
	case tgt.entry != nil && !tgt.entry.Folder:
		return nil, frError("not_a_folder")
	case tgt.entry != nil && s.readOnlyFor(acct, s.inside(tgt).ns):
		return nil, frError("no_write_permission") // a viewer of a shared folder
	case tgt.entry != nil:
		return tgt.entry, nil
	}
	e, wf := s.createFolder(t, acct, p, false)
	if wf != nil {
		switch wf.reason[".tag"] {
		case "no_write_permission":
			return nil, frError("no_write_permission")
		case "conflict":
			return nil, frError("not_a_folder") // a file on the way
		}
		return nil, frError("validation_error") // a disallowed or malformed name
	}
	return e, nil
}

// checkDeadline refuses deadlines Dropbox does not take: any deadline on
// a Basic account (no_permission: "Deadlines can only be set by
// Professional and Business accounts"), and one already past.
func (s *Server) checkDeadline(acct *Account, d *frDeadline) error {
	if d == nil {
		return nil
	}
	if acct.AccountType == "basic" {
		return frError("no_permission")
	}
	if !d.At.After(s.clock.Now()) {
		return frError("validation_error")
	}
	return nil
}

// createFileRequestArgs is the spec's CreateFileRequestArgs.
type createFileRequestArgs struct {
	Title          string       `json:"title"`
	Destination    string       `json:"destination"`
	Deadline       *deadlineArg `json:"deadline,omitempty"`
	Open           *bool        `json:"open,omitempty"`
	Description    *string      `json:"description,omitempty"`
	VideoProjectID *string      `json:"video_project_id,omitempty"`
}

func (s *Server) createFileRequest(c *call) (any, error) {
	var arg createFileRequestArgs
	if err := c.decode(&arg, "title", "destination", "deadline.deadline"); err != nil {
		return nil, err
	}
	if err := c.checkString("title", arg.Title, 1, 0, "", nil); err != nil {
		return nil, err
	}
	p, perr, err := c.frDestinationArg(arg.Destination)
	if err != nil {
		return nil, err
	}
	var deadline *frDeadline
	if arg.Deadline != nil {
		if deadline, err = c.parseDeadline("deadline", arg.Deadline); err != nil {
			return nil, err
		}
	}
	if perr != nil {
		return nil, perr
	}
	if err := titleProblem(arg.Title); err != nil {
		return nil, err
	}
	return writeTx(s, c, func(t *tx) (any, error) {
		if err := s.checkDeadline(c.acct, deadline); err != nil {
			return nil, err
		}
		if len(s.accountFileRequests(c.acct.ID)) >= maxFileRequests {
			return nil, frError("rate_limit")
		}
		dest, err := s.frFolder(t, c.acct, p)
		if err != nil {
			return nil, err
		}
		id := newFileRequestID()
		for s.fileRequests[id] != nil {
			id = newFileRequestID()
		}
		fr := &fileRequest{ID: id, AccountID: c.acct.ID, URL: s.baseURL(c.r) + "/request/" + id,
			Title: arg.Title, NS: dest.NS, DestID: dest.ID, Created: s.clock.Now(), Deadline: deadline,
			Open: arg.Open == nil || *arg.Open, Description: arg.Description}
		if arg.VideoProjectID != nil {
			fr.VideoProjectID = *arg.VideoProjectID
		}
		s.putFileRequest(t, fr)
		return s.fileRequestOut(fr), nil
	})
}

// putFileRequest stores fr (new, or replacing the one with its id). The
// caller holds s.mu and commits t.
func (s *Server) putFileRequest(t *tx, fr *fileRequest) {
	s.fileRequests[fr.ID] = fr
	t.put(tblFileRequest, fr.ID, fr)
}

// accountFileRequests returns the file requests of an account, oldest
// first (ties by id), the order of every listing. The caller holds s.mu.
func (s *Server) accountFileRequests(accountID string) []*fileRequest {
	var out []*fileRequest
	for _, fr := range s.fileRequests {
		if fr.AccountID == accountID {
			out = append(out, fr)
		}
	}
	slices.SortFunc(out, func(a, b *fileRequest) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// ownFileRequest returns the file request id of c's account, or not_found.
// The caller holds s.mu.
func (s *Server) ownFileRequest(c *call, id string) (*fileRequest, error) {
	fr := s.fileRequests[id]
	if fr == nil || fr.AccountID != c.acct.ID {
		return nil, frError("not_found")
	}
	return fr, nil
}

func (s *Server) getFileRequest(c *call) (any, error) {
	var arg struct {
		ID string `json:"id"`
	}
	if err := c.decode(&arg, "id"); err != nil {
		return nil, err
	}
	if err := c.checkFileRequestID("id", arg.ID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	fr, err := s.ownFileRequest(c, arg.ID)
	if err != nil {
		return nil, err
	}
	return s.fileRequestOut(fr), nil
}

// updateFileRequestArgs is the spec's UpdateFileRequestArgs. Its deadline
// is an UpdateFileRequestDeadline, read by parseDeadlineUpdate.
type updateFileRequestArgs struct {
	ID          string          `json:"id"`
	Title       *string         `json:"title,omitempty"`
	Destination *string         `json:"destination,omitempty"`
	Deadline    json.RawMessage `json:"deadline,omitempty"`
	Open        *bool           `json:"open,omitempty"`
	Description *string         `json:"description,omitempty"`
}

// updateDeadlineUnion declares UpdateFileRequestDeadline for checkUnion.
const updateDeadlineUnion = "no_update update{deadline,allow_late_uploads}"

// parseDeadlineUpdate reads an UpdateFileRequestDeadline as Stone's
// decoder does. Its update member holds a nullable FileRequestDeadline:
// the struct's fields sit beside ".tag" ({".tag":"update","deadline":...}),
// and "update" or {".tag":"update"} alone is null, which clears the
// deadline. It reports whether the deadline changes, and to what.
func (c *call) parseDeadlineUpdate(raw json.RawMessage) (set bool, d *frDeadline, err error) {
	const path = "deadline"
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `"update"` {
		return string(raw) == `"update"`, nil, nil
	}
	if err := checkUnion(raw, updateDeadlineUnion, path); err != nil {
		return false, nil, c.badArg("%s", err.Error())
	}
	var tag Tag
	if err := json.Unmarshal(raw, &tag); err != nil {
		return false, nil, c.badArg("%s: expected string or object, got %s", path, stoneValueType(raw))
	}
	if tag.Name != "update" {
		return false, nil, nil
	}
	if len(tag.Fields) == 0 {
		return true, nil, nil
	}
	const sub = path + ".update"
	dl, ok := tag.Fields["deadline"]
	if !ok {
		return false, nil, c.badArg("%s: missing required field 'deadline'", sub)
	}
	var da deadlineArg
	if err := json.Unmarshal(dl, &da.Deadline); err != nil {
		return false, nil, c.badArg("%s.deadline: expected string, got %s", sub, stoneValueType(bytes.TrimSpace(dl)))
	}
	if g, ok := tag.Fields["allow_late_uploads"]; ok && string(bytes.TrimSpace(g)) != "null" {
		if err := checkUnion(bytes.TrimSpace(g), gracePeriodUnion, sub+".allow_late_uploads"); err != nil {
			return false, nil, c.badArg("%s", err.Error())
		}
		da.AllowLateUploads = new(Tag)
		if err := json.Unmarshal(g, da.AllowLateUploads); err != nil {
			return false, nil, c.badArg("%s.allow_late_uploads: expected string or object, got %s", sub, stoneValueType(bytes.TrimSpace(g)))
		}
	}
	d, err = c.parseDeadline(sub, &da)
	return err == nil, d, err
}

func (s *Server) updateFileRequest(c *call) (any, error) {
	var arg updateFileRequestArgs
	if err := c.decode(&arg, "id"); err != nil {
		return nil, err
	}
	if err := c.checkFileRequestID("id", arg.ID); err != nil {
		return nil, err
	}
	if arg.Title != nil {
		if err := c.checkString("title", *arg.Title, 1, 0, "", nil); err != nil {
			return nil, err
		}
	}
	var p parsedPath
	var perr error
	if arg.Destination != nil {
		var err error
		if p, perr, err = c.frDestinationArg(*arg.Destination); err != nil {
			return nil, err
		}
	}
	setDeadline, deadline, err := c.parseDeadlineUpdate(arg.Deadline)
	if err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, perr
	}
	if arg.Title != nil {
		if err := titleProblem(*arg.Title); err != nil {
			return nil, err
		}
	}
	return writeTx(s, c, func(t *tx) (any, error) {
		old, err := s.ownFileRequest(c, arg.ID)
		if err != nil {
			return nil, err
		}
		fr := *old
		if setDeadline {
			if err := s.checkDeadline(c.acct, deadline); err != nil {
				return nil, err
			}
			fr.Deadline = deadline
		}
		if arg.Title != nil {
			fr.Title = *arg.Title
		}
		if arg.Open != nil {
			fr.Open = *arg.Open
		}
		if arg.Description != nil {
			fr.Description = arg.Description
		}
		if arg.Destination != nil {
			dest, err := s.frFolder(t, c.acct, p)
			if err != nil {
				return nil, err
			}
			fr.NS, fr.DestID = dest.NS, dest.ID
		}
		s.putFileRequest(t, &fr)
		return s.fileRequestOut(&fr), nil
	})
}

// listFileRequestsV2Result is the spec's ListFileRequestsV2Result.
type listFileRequestsV2Result struct {
	FileRequests []fileRequestWire `json:"file_requests"`
	Cursor       string            `json:"cursor"`
	HasMore      bool              `json:"has_more"`
}

// frCursor is what a file_requests/list cursor holds: the account, the
// page size and the last request returned (its created time and id, the
// listing's order), so that it needs no state and survives restarts.
type frCursor struct {
	V       int    `json:"v"`
	Account string `json:"a"`
	Limit   int    `json:"l"`
	Created int64  `json:"c,omitempty"` // unix nanoseconds
	ID      string `json:"i,omitempty"`
}

const frCursorPrefix = "FRQ"

// defaultFileRequestsLimit is ListFileRequestsArg's default limit.
const defaultFileRequestsLimit = 1000

func (s *Server) listFileRequestsV2(c *call) (any, error) {
	var arg struct {
		Limit *int64 `json:"limit,omitempty"`
	}
	if err := c.decode(&arg); err != nil {
		return nil, err
	}
	limit := defaultFileRequestsLimit
	if arg.Limit != nil {
		if *arg.Limit < 0 {
			return nil, c.badArg("limit: %d is not within range [0, 18446744073709551615]", *arg.Limit)
		}
		// UInt64 with no bounds: 0 means the default, and a page is never
		// larger than the default.
		if *arg.Limit > 0 && *arg.Limit < defaultFileRequestsLimit {
			limit = int(*arg.Limit)
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fileRequestsPage(c, &frCursor{V: 1, Account: c.acct.ID, Limit: limit}), nil
}

func (s *Server) listFileRequestsContinue(c *call) (any, error) {
	var arg struct {
		Cursor string `json:"cursor"`
	}
	if err := c.decode(&arg, "cursor"); err != nil {
		return nil, err
	}
	var cur frCursor
	if !decodeCursorToken(frCursorPrefix, arg.Cursor, &cur) || cur.V != 1 || cur.Account != c.acct.ID || cur.Limit <= 0 {
		return nil, frError("invalid_cursor")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fileRequestsPage(c, &cur), nil
}

// fileRequestsPage answers list_v2 and list/continue: the requests after
// cur, at most cur.Limit of them. The caller holds s.mu.
func (s *Server) fileRequestsPage(c *call, cur *frCursor) listFileRequestsV2Result {
	res := listFileRequestsV2Result{FileRequests: []fileRequestWire{}}
	for _, fr := range s.accountFileRequests(c.acct.ID) {
		if cur.ID != "" {
			n := fr.Created.UnixNano()
			if n < cur.Created || n == cur.Created && fr.ID <= cur.ID {
				continue
			}
		}
		if len(res.FileRequests) == cur.Limit {
			res.HasMore = true
			break
		}
		res.FileRequests = append(res.FileRequests, s.fileRequestOut(fr))
		cur.Created, cur.ID = fr.Created.UnixNano(), fr.ID
	}
	res.Cursor = encodeCursorToken(frCursorPrefix, cur)
	return res
}

func (s *Server) listFileRequestsV1(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []fileRequestWire{}
	for _, fr := range s.accountFileRequests(c.acct.ID) {
		out = append(out, s.fileRequestOut(fr))
	}
	return map[string]any{"file_requests": out}, nil
}

func (s *Server) countFileRequests(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return map[string]uint64{"file_request_count": uint64(len(s.accountFileRequests(c.acct.ID)))}, nil
}

func (s *Server) deleteFileRequests(c *call) (any, error) {
	var arg struct {
		IDs []string `json:"ids"`
	}
	if err := c.decode(&arg, "ids"); err != nil {
		return nil, err
	}
	for _, id := range arg.IDs {
		if err := c.checkFileRequestID("ids", id); err != nil {
			return nil, err
		}
	}
	return lockedTx(s, func(t *tx) (any, error) {
		var gone []*fileRequest
		for _, id := range arg.IDs {
			fr, err := s.ownFileRequest(c, id)
			if err != nil {
				return nil, err
			}
			if fr.Open {
				return nil, frError("file_request_open")
			}
			if !slices.Contains(gone, fr) {
				gone = append(gone, fr)
			}
		}
		return s.dropFileRequests(t, gone), nil
	})
}

func (s *Server) deleteAllClosedFileRequests(c *call) (any, error) {
	return lockedTx(s, func(t *tx) (any, error) {
		var gone []*fileRequest
		for _, fr := range s.accountFileRequests(c.acct.ID) {
			if !fr.Open {
				gone = append(gone, fr)
			}
		}
		return s.dropFileRequests(t, gone), nil
	})
}

// dropFileRequests deletes frs and returns the result of the delete
// routes: the requests as they were. The caller holds s.mu and commits t.
func (s *Server) dropFileRequests(t *tx, frs []*fileRequest) map[string]any {
	out := []fileRequestWire{}
	for _, fr := range frs {
		out = append(out, s.fileRequestOut(fr))
		delete(s.fileRequests, fr.ID)
		t.del(tblFileRequest, fr.ID)
	}
	return map[string]any{"file_requests": out}
}

// fileRequestRefusal says why fr takes no upload at now, with the HTTP
// status of its page (404 or 410); status 0 when it takes them. The
// caller holds s.mu.
func (s *Server) fileRequestRefusal(fr *fileRequest, now time.Time) (status int, why string) {
	acct := s.accounts[fr.AccountID]
	switch {
	case acct == nil || acct.Disabled:
		return http.StatusNotFound, "This file request does not exist."
	case !fr.Open:
		return http.StatusGone, "This file request is closed: it does not take files any more."
	case s.frDestination(fr) == nil:
		return http.StatusGone, "The folder of this file request was deleted: it does not take files any more."
	}
	if end, ok := fr.Deadline.closesAt(); ok && !now.Before(end) {
		return http.StatusGone, fmt.Sprintf("The deadline of this file request (%s) has passed: it does not take files any more.", dropboxTime(fr.Deadline.At))
	}
	return 0, ""
}
