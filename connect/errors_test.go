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
		{"unknown route", &dropbox.ServerError{Status: 404, Body: "Unknown API function: \"files/nope\""}, dropbridge.ENOTFOUND, false},
		{"other client error", &dropbox.ServerError{Status: 413}, dropbridge.EINVALID, false},
		{"shared link not found", &dropbox.APIError{Route: "sharing/revoke_shared_link", Tags: []string{"shared_link_not_found"}}, dropbridge.ENOTFOUND, false},
		{"unknown shared folder", &dropbox.APIError{Route: "sharing/get_folder_metadata", Tags: []string{"invalid_id"}}, dropbridge.ENOTFOUND, false},
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
	if msg := dropbridge.ErrorMessage(translate(&dropbox.APIError{Tags: []string{"member_error", "not_a_member"}})); msg != "The member named is not a member of the shared folder (member_error/not_a_member): check the member's email or dropbox_id." {
		t.Errorf("member not found message %q", msg)
	}
	if msg := dropbridge.ErrorMessage(translate(&dropbox.APIError{Tags: []string{"access_error", "not_a_member"}})); msg != "The connection's account is not a member of the shared folder (access_error/not_a_member): check the shared folder ID." {
		t.Errorf("account not a member message %q", msg)
	}
	if msg := dropbridge.ErrorMessage(translate(&dropbox.RateLimitError{Reason: "too_many_requests", RetryAfter: 1500 * time.Millisecond})); msg != "Dropbox is rate limiting this account (too_many_requests): retry in 2 seconds." {
		t.Errorf("rate limit message %q", msg)
	}
}

// TestNotFound: the not-found tags of the error unions of the routes the
// service calls, wherever they stand in the tag path, and tags that only
// look alike.
func TestNotFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tags []string
		want bool
	}{
		{[]string{"path", "not_found"}, true},                                  // files.GetMetadataError, sharing.ListSharedLinksError
		{[]string{"from_lookup", "not_found"}, true},                           // files.RelocationError
		{[]string{"path_lookup", "not_found"}, true},                           // files.DeleteError, RestoreError
		{[]string{"not_found"}, true},                                          // file_requests.FileRequestError
		{[]string{"shared_link_not_found"}, true},                              // sharing.SharedLinkError
		{[]string{"invalid_id"}, true},                                         // sharing.SharedFolderAccessError
		{[]string{"access_error", "invalid_id"}, true},                         // sharing.AddFolderMemberError, UnshareFolderError, ...
		{[]string{"unshare_folder_error", "access_error", "invalid_id"}, true}, // sharing.JobError
		{[]string{"access_error", "not_a_member"}, true},                       // the account is not in the shared folder
		{[]string{"member_error", "not_a_member"}, true},                       // sharing.SharedFolderMemberError
		{[]string{"member_error", "invalid_dropbox_id"}, true},                 // the member named does not exist
		{[]string{"doc_not_found"}, true},                                      // paper.DocLookupError
		{[]string{"folder_not_found"}, true},                                   // paper.PaperDocCreateError
		{[]string{"access_error", "invalid_team_folder_id"}, true},             // team.BaseTeamFolderError
		{[]string{"invalid_async_job_id"}, true},                               // async.PollError
		{[]string{"member_not_found"}, true},                                   // team.stone
		{[]string{"bad_member", "invalid_dropbox_id"}, false},                  // a member to add: a refused request
		{[]string{"access_error", "unmounted"}, false},                         // the folder is there
		{[]string{"access_error", "invalid_member"}, false},                    // the account is disabled
		{[]string{"mapping_not_found"}, false},                                 // team.TokenGetAuthenticatedAdminError
		{[]string{"invalid_revision"}, false},                                  // files.RestoreError
		{[]string{"path", "conflict", "file"}, false},                          // files.WriteError
		{[]string{"path", "malformed_path"}, false},                            // files.LookupError
		{[]string{"invalid_dropbox_id"}, false},                                // without a parent
		{nil, false},
	}
	for _, tc := range tests {
		if got := notFound(tc.tags); got != tc.want {
			t.Errorf("notFound(%q) = %v, want %v", tc.tags, got, tc.want)
		}
	}
}
