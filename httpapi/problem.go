package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// ProblemTypePrefix starts the type of every problem the API answers
// with; the rest is the problem's code, as in
// "urn:dropbridge:problem:not_found". Types are stable: clients may
// branch on them (or on code, the same word).
const ProblemTypePrefix = "urn:dropbridge:problem:"

// Problem is an error answer, RFC 9457 problem details
// (application/problem+json) with the domain's error code and, when
// Dropbox refused a call, Dropbox's error tag.
type Problem struct {
	Type   string `json:"type" doc:"Stable identifier of the kind of problem: urn:dropbridge:problem: followed by code." example:"urn:dropbridge:problem:not_found"`
	Title  string `json:"title" doc:"Short summary of the kind of problem; the same for every occurrence." example:"Not found"`
	Status int    `json:"status" doc:"The HTTP status code." example:"404"`
	Detail string `json:"detail" doc:"What went wrong this time, and what to do about it." example:"No connection \"conn_x\" in this environment."`
	Code   string `json:"code" enum:"invalid,unauthorized,forbidden,not_found,conflict,expired,rate_limited,unavailable,internal" doc:"The problem's code, the last part of type."`
	// DropboxError is the tag path of Dropbox's error.
	DropboxError string `json:"dropbox_error,omitempty" doc:"When Dropbox refused the call: Dropbox's error tag path, outermost first." example:"path/not_found"`
	// Errors are the individual faults of an invalid request.
	Errors []ProblemDetail `json:"errors,omitempty" doc:"The individual faults of an invalid request."`

	headers http.Header
}

// ProblemDetail is one fault of an invalid request.
type ProblemDetail struct {
	Message  string `json:"message" doc:"What is wrong." example:"expected required property external_user_id to be present"`
	Location string `json:"location,omitempty" doc:"Where: body.field, query.name, header.name or path.name." example:"body"`
}

// Error returns the detail.
func (p *Problem) Error() string { return p.Detail }

// GetStatus returns the HTTP status, for huma.
func (p *Problem) GetStatus() int { return p.Status }

// GetHeaders returns headers to send with the problem (Retry-After,
// WWW-Authenticate), for huma.
func (p *Problem) GetHeaders() http.Header {
	if p.headers == nil {
		p.headers = http.Header{}
	}
	return p.headers
}

// ContentType makes huma send application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// statuses maps each domain error code to its HTTP status: the one place
// where they meet.
var statuses = map[string]int{
	dropbridge.EINVALID:      http.StatusUnprocessableEntity,
	dropbridge.EUNAUTHORIZED: http.StatusUnauthorized,
	dropbridge.EFORBIDDEN:    http.StatusForbidden,
	dropbridge.ENOTFOUND:     http.StatusNotFound,
	dropbridge.ECONFLICT:     http.StatusConflict,
	dropbridge.EEXPIRED:      http.StatusGone,
	dropbridge.ERATELIMITED:  http.StatusTooManyRequests,
	dropbridge.EUNAVAILABLE:  http.StatusServiceUnavailable,
	dropbridge.EINTERNAL:     http.StatusInternalServerError,
}

// titles are the problems' fixed summaries.
var titles = map[string]string{
	dropbridge.EINVALID:      "Invalid request",
	dropbridge.EUNAUTHORIZED: "Unauthorized",
	dropbridge.EFORBIDDEN:    "Forbidden",
	dropbridge.ENOTFOUND:     "Not found",
	dropbridge.ECONFLICT:     "Conflict",
	dropbridge.EEXPIRED:      "Expired",
	dropbridge.ERATELIMITED:  "Too many requests",
	dropbridge.EUNAVAILABLE:  "Service unavailable",
	dropbridge.EINTERNAL:     "Internal error",
}

// newProblem returns the problem of code with detail.
func newProblem(code, detail string) *Problem {
	status, ok := statuses[code]
	if !ok {
		code, status = dropbridge.EINTERNAL, http.StatusInternalServerError
	}
	if detail == "" {
		detail = titles[code] + "."
	}
	return &Problem{Type: ProblemTypePrefix + code, Title: titles[code], Status: status, Detail: detail, Code: code}
}

// problemFor returns the problem that answers err: its domain code and
// message (a generic one for internal errors, whose text stays in the
// log), Dropbox's error tag when Dropbox refused the call, and
// Retry-After when Dropbox said when to come back.
func problemFor(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	p = newProblem(dropbridge.ErrorCode(err), dropbridge.ErrorMessage(err))
	var apiErr *dropbox.APIError
	var authErr *dropbox.AuthError
	var accessErr *dropbox.AccessError
	switch {
	case errors.As(err, &apiErr):
		p.DropboxError = strings.Join(apiErr.Tags, "/")
	case errors.As(err, &authErr):
		p.DropboxError = authErr.Tag
	case errors.As(err, &accessErr):
		p.DropboxError = accessErr.Tag
	}
	var wait time.Duration
	var rate *dropbox.RateLimitError
	var server *dropbox.ServerError
	switch {
	case errors.As(err, &rate):
		wait = rate.RetryAfter
	case errors.As(err, &server):
		wait = server.RetryAfter
	}
	if wait > 0 && (p.Status == http.StatusTooManyRequests || p.Status == http.StatusServiceUnavailable) {
		p.GetHeaders().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	}
	return p
}

// codeForStatus is the code of a problem huma raises itself, by status.
func codeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return dropbridge.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return dropbridge.EFORBIDDEN
	case status == http.StatusNotFound:
		return dropbridge.ENOTFOUND
	case status == http.StatusConflict:
		return dropbridge.ECONFLICT
	case status == http.StatusGone:
		return dropbridge.EEXPIRED
	case status == http.StatusTooManyRequests:
		return dropbridge.ERATELIMITED
	case status == http.StatusServiceUnavailable:
		return dropbridge.EUNAVAILABLE
	case status >= 400 && status < 500:
		return dropbridge.EINVALID
	}
	return dropbridge.EINTERNAL
}

// humaError is huma.NewError for this API: huma's own errors (validation,
// unreadable bodies) become Problems too, with the status huma chose.
// Values of invalid fields are not echoed: they may be secrets.
func humaError(status int, msg string, errs ...error) huma.StatusError {
	p := newProblem(codeForStatus(status), "")
	p.Status = status
	var parts []string
	for _, err := range errs {
		if err == nil {
			continue
		}
		d := ProblemDetail{Message: err.Error()}
		var hd huma.ErrorDetailer
		if errors.As(err, &hd) {
			e := hd.ErrorDetail()
			d = ProblemDetail{Message: e.Message, Location: e.Location}
		}
		p.Errors = append(p.Errors, d)
		if d.Location != "" {
			parts = append(parts, fmt.Sprintf("%s (%s)", d.Message, d.Location))
		} else {
			parts = append(parts, d.Message)
		}
	}
	p.Detail = sentence(msg)
	if len(parts) > 0 {
		p.Detail = sentence(msg) + " " + sentence(strings.Join(parts, "; "))
	}
	if status == http.StatusUnprocessableEntity || status == http.StatusBadRequest {
		p.Detail += " Fix the request as the errors say and send it again."
	}
	return p
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func init() {
	// huma makes its own errors (validation, unreadable bodies, 406)
	// through this hook; it is global in huma, and this package is the
	// binary's one huma API.
	huma.NewError = humaError
}
