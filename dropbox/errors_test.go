package dropbox

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeError(t *testing.T) {
	t.Parallel()
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name   string
		status int
		h      http.Header
		body   string
		want   error
	}{
		{"not found", 409, nil, `{"error_summary":"path/not_found/..","error":{".tag":"path","path":{".tag":"not_found"}}}`,
			&APIError{Route: "r", Summary: "path/not_found/..", Tags: []string{"path", "not_found"}}},
		{"upload conflict", 409, nil, `{"error_summary":"path/conflict/file/...","error":{".tag":"path","reason":{".tag":"conflict","conflict":{".tag":"file"}},"upload_session_id":"s"}}`,
			&APIError{Route: "r", Summary: "path/conflict/file/...", Tags: []string{"path", "conflict", "file"}}},
		{"incorrect offset", 409, nil, `{"error_summary":"lookup_failed/incorrect_offset/..","error":{".tag":"lookup_failed","lookup_failed":{".tag":"incorrect_offset","correct_offset":8}}}`,
			&APIError{Route: "r", Summary: "lookup_failed/incorrect_offset/..", Tags: []string{"lookup_failed", "incorrect_offset"}}},
		{"expired token", 401, nil, `{"error_summary":"expired_access_token/..","error":{".tag":"expired_access_token"}}`,
			&AuthError{Tag: "expired_access_token"}},
		{"missing scope", 401, nil, `{"error_summary":"missing_scope/..","error":{".tag":"missing_scope","required_scope":"files.content.write"}}`,
			&AuthError{Tag: "missing_scope", RequiredScope: "files.content.write"}},
		{"access", 403, nil, `{"error_summary":"paper_access_denied/..","error":{".tag":"paper_access_denied"}}`,
			&AccessError{Tag: "paper_access_denied"}},
		{"path root", 422, nil, `{"error_summary":"invalid_root/..","error":{".tag":"invalid_root","invalid_root":{".tag":"team","root_namespace_id":"7","home_namespace_id":"8","home_path":"/Ada"}}}`,
			&PathRootError{Tag: "invalid_root", RootNamespaceID: "7", HomeNamespaceID: "8"}},
		{"write lock, header", 429, hdr("Retry-After", "2"), `{"error_summary":"too_many_write_operations/..","error":{"reason":{".tag":"too_many_write_operations"},"retry_after":5}}`,
			&RateLimitError{Reason: "too_many_write_operations", RetryAfter: 2 * time.Second}},
		{"rate, body only", 429, nil, `{"error_summary":"too_many_requests/..","error":{"reason":{".tag":"too_many_requests"},"retry_after":5}}`,
			&RateLimitError{Reason: "too_many_requests", RetryAfter: 5 * time.Second}},
		{"rate, plain text", 429, hdr("Retry-After", "1"), `Too many requests`,
			&RateLimitError{Reason: "too_many_requests", RetryAfter: time.Second}},
		{"bad input", 400, nil, `Error in call to API function "files/upload": HTTP header "Dropbox-API-Arg": could not decode input as JSON`,
			&BadInputError{Route: "r", Message: `Error in call to API function "files/upload": HTTP header "Dropbox-API-Arg": could not decode input as JSON`}},
		{"server", 503, hdr("Retry-After", "3"), ``, &ServerError{Status: 503, RetryAfter: 3 * time.Second}},
		{"server, empty 500", 500, nil, ``, &ServerError{Status: 500}},
	} {
		got := decodeError("r", tc.status, tc.h, []byte(tc.body))
		if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(APIError{}, "Body")); diff != "" {
			t.Errorf("%s:\n%s", tc.name, diff)
		}
	}
}

func TestErrorSentinels(t *testing.T) {
	t.Parallel()
	nf := decodeError("files/get_metadata", 409, nil, []byte(`{"error_summary":"path/not_found/","error":{".tag":"path","path":{".tag":"not_found"}}}`))
	if !errors.Is(nf, ErrNotFound) || errors.Is(nf, ErrConflict) {
		t.Errorf("not_found sentinels: %v", nf)
	}
	reset := decodeError("files/list_folder/continue", 409, nil, []byte(`{"error_summary":"reset/","error":{".tag":"reset"}}`))
	if !errors.Is(reset, ErrReset) {
		t.Errorf("reset: %v", reset)
	}
	lock := decodeError("files/upload", 429, nil, []byte(`{"error_summary":"too_many_write_operations/","error":{"reason":{".tag":"too_many_write_operations"},"retry_after":1}}`))
	var rl *RateLimitError
	if !errors.As(lock, &rl) || !errors.Is(lock, ErrTooManyWriteOps) || rl.RetryAfter != time.Second {
		t.Errorf("write lock: %v", lock)
	}
	var ae *APIError
	if !errors.As(nf, &ae) || string(ae.Body) != `{".tag":"path","path":{".tag":"not_found"}}` {
		t.Errorf("the error union is kept for decoding: %v", ae)
	}
}
