package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	notFound := &dropbox.APIError{Route: "files/get_metadata", Tags: []string{"path", "not_found"}}
	conflict := &dropbox.APIError{Route: "files/upload", Tags: []string{"path", "conflict", "file"}}
	domain := dropbridge.Errorf(dropbridge.ENOTFOUND, "No connection.")
	tests := []struct {
		name    string
		err     error
		code    string
		refused bool
	}{
		{"route not found", notFound, dropbridge.ENOTFOUND, false},
		{"route error", fmt.Errorf("upload: %w", conflict), dropbridge.ECONFLICT, false},
		{"malformed path", &dropbox.APIError{Route: "files/get_metadata", Tags: []string{"path", "malformed_path"}}, dropbridge.EINVALID, false},
		{"missing scope", &dropbox.AuthError{Tag: "missing_scope", RequiredScope: "files.content.write"}, dropbridge.EFORBIDDEN, false},
		{"revoked token", &dropbox.AuthError{Tag: "invalid_access_token"}, dropbridge.ECONFLICT, true},
		{"expired token", &dropbox.AuthError{Tag: "expired_access_token"}, dropbridge.ECONFLICT, false},
		{"other auth", &dropbox.AuthError{Tag: "invalid_select_user"}, dropbridge.EFORBIDDEN, false},
		{"access", &dropbox.AccessError{Tag: "paper_access_denied"}, dropbridge.EFORBIDDEN, false},
		{"path root", &dropbox.PathRootError{Tag: "invalid_root"}, dropbridge.EINVALID, false},
		{"rate limit", &dropbox.RateLimitError{Reason: "too_many_requests", RetryAfter: 1500 * time.Millisecond}, dropbridge.ERATELIMITED, false},
		{"server", &dropbox.ServerError{Status: 503}, dropbridge.EUNAVAILABLE, false},
		{"bad input", &dropbox.BadInputError{Route: "files/upload", Message: "path: did not match pattern"}, dropbridge.EINVALID, false},
		{"invalid grant", fmt.Errorf("dropbox: refresh the access token: %w", &oauth2.RetrieveError{ErrorCode: "invalid_grant"}), dropbridge.ECONFLICT, true},
		{"invalid client", &oauth2.RetrieveError{ErrorCode: "invalid_client"}, dropbridge.EFORBIDDEN, false},
		{"token endpoint down", &oauth2.RetrieveError{Response: &http.Response{StatusCode: 502}}, dropbridge.EUNAVAILABLE, false},
		{"unreachable", &url.Error{Op: "Post", URL: "https://api.dropboxapi.com/2/x", Err: errors.New("connection refused")}, dropbridge.EUNAVAILABLE, false},
		{"domain error passes", fmt.Errorf("find: %w", domain), dropbridge.ENOTFOUND, false},
		{"cancelled passes", fmt.Errorf("call: %w", context.Canceled), dropbridge.EINTERNAL, false},
		{"unknown stays internal", errors.New("boom"), dropbridge.EINTERNAL, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := translate(tc.err)
			if c := dropbridge.ErrorCode(got); c != tc.code {
				t.Errorf("code %q, want %q (%v)", c, tc.code, got)
			}
			if !errors.Is(got, tc.err) && got != tc.err {
				t.Errorf("%v lost the original error", got)
			}
			if tc.code != dropbridge.EINTERNAL && dropbridge.ErrorMessage(got) == "" {
				t.Errorf("no message for users")
			}
			if r := refused(tc.err); r != tc.refused {
				t.Errorf("refused = %v, want %v", r, tc.refused)
			}
		})
	}
	var api *dropbox.APIError
	if !errors.As(translate(conflict), &api) || api != conflict {
		t.Errorf("the translated error does not reach the Dropbox error")
	}
	if msg := dropbridge.ErrorMessage(translate(&dropbox.RateLimitError{Reason: "too_many_requests", RetryAfter: 1500 * time.Millisecond})); msg != "Dropbox is rate limiting this account (too_many_requests): retry in 2 seconds." {
		t.Errorf("rate limit message %q", msg)
	}
}
