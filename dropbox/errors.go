package dropbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors: every answer other than success becomes one of the error types
// below, in one place (decodeError). Match them with errors.As, and the
// common route error tags with errors.Is and the sentinels:
//
//	var rl *dropbox.RateLimitError
//	if errors.As(err, &rl) { ... rl.RetryAfter ... }
//	if errors.Is(err, dropbox.ErrNotFound) { ... }
//
// Dropbox's error_summary text varies; match on structure, never on it.

// APIError is a 409: the route's own error union, such as
// {".tag":"path","path":{".tag":"not_found"}}.
type APIError struct {
	Route   string          // "files/get_metadata"
	Summary string          // error_summary, for people
	Tags    []string        // the tag path, outermost first: ["path", "not_found"]
	Body    json.RawMessage // the "error" value, to decode into the route's error type
	// Err is the route's error union decoded from Body (a *ListFolderError
	// for files/list_folder) when the call came through a typed method;
	// errors.As reaches it through Unwrap.
	Err error
}

// Unwrap returns the route's typed error union, if decoded.
func (e *APIError) Unwrap() error { return e.Err }

func (e *APIError) Error() string {
	return fmt.Sprintf("dropbox: %s: %s", e.Route, strings.Join(e.Tags, "/"))
}

// Is reports whether target is the sentinel of one of e's tags.
func (e *APIError) Is(target error) bool {
	s, ok := target.(*tagError)
	if !ok {
		return false
	}
	for _, t := range e.Tags {
		if t == s.tag {
			return true
		}
	}
	return false
}

// tagError is a sentinel for an error union member.
type tagError struct{ tag string }

func (e *tagError) Error() string { return "dropbox: " + e.tag }

// Sentinels for the route error tags callers act on, matched by errors.Is
// against an *APIError anywhere in its tag path.
var (
	ErrNotFound              error = &tagError{"not_found"}
	ErrNotFile               error = &tagError{"not_file"}
	ErrNotFolder             error = &tagError{"not_folder"}
	ErrMalformedPath         error = &tagError{"malformed_path"}
	ErrConflict              error = &tagError{"conflict"}
	ErrInsufficientSpace     error = &tagError{"insufficient_space"}
	ErrNoWritePermission     error = &tagError{"no_write_permission"}
	ErrDisallowedName        error = &tagError{"disallowed_name"}
	ErrReset                 error = &tagError{"reset"}
	ErrIncorrectOffset       error = &tagError{"incorrect_offset"}
	ErrContentHashMismatch   error = &tagError{"content_hash_mismatch"}
	ErrPayloadTooLarge       error = &tagError{"payload_too_large"}
	ErrSharedLinkExists      error = &tagError{"shared_link_already_exists"}
	ErrSharedLinkNotFound    error = &tagError{"shared_link_not_found"}
	ErrTooManyWriteOps       error = &tagError{"too_many_write_operations"}
	ErrInvalidAsyncJobID     error = &tagError{"invalid_async_job_id"}
	ErrSettingsNotAuthorized error = &tagError{"not_authorized"}
)

// AuthError is a 401: the token is invalid, expired, lacks a scope, or
// selects a user or admin it may not.
type AuthError struct {
	Tag           string // invalid_access_token, expired_access_token, missing_scope, ...
	RequiredScope string // for missing_scope
}

func (e *AuthError) Error() string {
	if e.RequiredScope != "" {
		return fmt.Sprintf("dropbox: %s (needs scope %s)", e.Tag, e.RequiredScope)
	}
	return "dropbox: " + e.Tag
}

// AccessError is a 403: the account may not use the route
// (invalid_account_type, paper_access_denied, team_access_denied, no_permission).
type AccessError struct {
	Tag string
}

func (e *AccessError) Error() string { return "dropbox: access denied: " + e.Tag }

// PathRootError is a 422: Dropbox-API-Path-Root names a root the user
// cannot use. For invalid_root, RootNamespaceID is the user's root now.
type PathRootError struct {
	Tag             string // invalid_root, no_permission
	RootNamespaceID string
	HomeNamespaceID string
}

func (e *PathRootError) Error() string { return "dropbox: path root: " + e.Tag }

// RateLimitError is a 429. Reason is too_many_requests (the token's rate)
// or too_many_write_operations (lock contention in one namespace).
type RateLimitError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("dropbox: rate limited (%s), retry after %s", e.Reason, e.RetryAfter)
}

// Is makes errors.Is(err, ErrTooManyWriteOps) true for lock contention.
func (e *RateLimitError) Is(target error) bool {
	s, ok := target.(*tagError)
	return ok && s.tag == e.Reason
}

// ServerError is a 5xx (or another status Dropbox does not document).
type ServerError struct {
	Status     int
	Body       string
	RetryAfter time.Duration // from Retry-After, if any
}

func (e *ServerError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("dropbox: server error %d", e.Status)
	}
	return fmt.Sprintf("dropbox: server error %d: %s", e.Status, e.Body)
}

// BadInputError is a 400: Dropbox refused the request itself, with a text
// that says why.
type BadInputError struct {
	Route   string
	Message string
}

func (e *BadInputError) Error() string {
	return fmt.Sprintf("dropbox: %s: bad input: %s", e.Route, e.Message)
}

// decodeError turns an answer other than 200 into an error: the one place
// where Dropbox's statuses and bodies are read.
func decodeError(route string, status int, h http.Header, body []byte) error {
	text := strings.TrimSpace(string(body))
	var env struct {
		Summary string          `json:"error_summary"`
		Error   json.RawMessage `json:"error"`
	}
	isJSON := json.Unmarshal(body, &env) == nil && len(env.Error) > 0
	switch {
	case status == http.StatusBadRequest:
		return &BadInputError{Route: route, Message: text}
	case status == http.StatusUnauthorized && isJSON:
		var a struct {
			Tag           string `json:".tag"`
			RequiredScope string `json:"required_scope"`
		}
		json.Unmarshal(env.Error, &a)
		return &AuthError{Tag: a.Tag, RequiredScope: a.RequiredScope}
	case status == http.StatusForbidden && isJSON:
		return &AccessError{Tag: firstTag(env.Error)}
	case status == http.StatusConflict && isJSON:
		return &APIError{Route: route, Summary: env.Summary, Tags: tagPath(env.Error), Body: env.Error}
	case status == http.StatusUnprocessableEntity && isJSON:
		var p struct {
			Tag         string `json:".tag"`
			InvalidRoot struct {
				Root string `json:"root_namespace_id"`
				Home string `json:"home_namespace_id"`
			} `json:"invalid_root"`
		}
		json.Unmarshal(env.Error, &p)
		return &PathRootError{Tag: p.Tag, RootNamespaceID: p.InvalidRoot.Root, HomeNamespaceID: p.InvalidRoot.Home}
	case status == http.StatusTooManyRequests:
		e := &RateLimitError{Reason: "too_many_requests", RetryAfter: retryAfter(h)}
		if isJSON {
			var r struct {
				Reason struct {
					Tag string `json:".tag"`
				} `json:"reason"`
				RetryAfter *float64 `json:"retry_after"`
			}
			json.Unmarshal(env.Error, &r)
			if r.Reason.Tag != "" {
				e.Reason = r.Reason.Tag
			}
			if e.RetryAfter == 0 && r.RetryAfter != nil && *r.RetryAfter > 0 {
				e.RetryAfter = time.Duration(*r.RetryAfter * float64(time.Second))
			}
		}
		return e
	}
	return &ServerError{Status: status, Body: text, RetryAfter: retryAfter(h)}
}

// retryAfter reads a Retry-After header of seconds (or an HTTP date).
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// firstTag is the ".tag" of a union value.
func firstTag(raw json.RawMessage) string {
	var u struct {
		Tag string `json:".tag"`
	}
	json.Unmarshal(raw, &u)
	return u.Tag
}

// tagPath follows a union value's tags: the member named by ".tag" when it
// holds a union, else a struct member's "reason" (UploadWriteFailed), as
// far as it goes.
func tagPath(raw json.RawMessage) []string {
	var out []string
	for len(out) < 16 {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			break
		}
		var tag string
		if json.Unmarshal(m[".tag"], &tag) != nil || tag == "" {
			break
		}
		out = append(out, tag)
		next, ok := m[tag]
		if !ok {
			next, ok = m["reason"]
		}
		if !ok {
			break
		}
		raw = next
	}
	return out
}
