package connect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// translate turns an error of a Dropbox call into the domain's: a
// *dropbridge.Error joined with err, so that dropbridge.ErrorCode sees the
// code and errors.As still finds the *dropbox.APIError (its tags) or the
// *dropbox.RateLimitError (its wait). Errors that already carry a
// dropbridge.Error, and context errors, pass unchanged; anything else
// unknown becomes EINTERNAL through ErrorCode as it is. It is the one place
// where Dropbox's errors meet the domain's.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var de *dropbridge.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if d := domainError(err); d != nil {
		return fmt.Errorf("%w: %w", d, err)
	}
	return err
}

// domainError is the domain's reading of a Dropbox failure, or nil for an
// error that is not Dropbox's.
func domainError(err error) *dropbridge.Error {
	var (
		api      *dropbox.APIError
		auth     *dropbox.AuthError
		access   *dropbox.AccessError
		root     *dropbox.PathRootError
		rate     *dropbox.RateLimitError
		server   *dropbox.ServerError
		bad      *dropbox.BadInputError
		retrieve *oauth2.RetrieveError
		urlErr   *url.Error
		netErr   net.Error
	)
	switch {
	case errors.As(err, &api):
		if notFound(api.Tags) {
			return notFoundError(api.Tags)
		}
		if errors.Is(api, dropbox.ErrMalformedPath) {
			return dropbridge.Errorf(dropbridge.EINVALID, "Dropbox cannot read the path (%s): give a path such as \"/folder/file.txt\", with no empty component or trailing slash.", strings.Join(api.Tags, "/"))
		}
		return dropbridge.Errorf(dropbridge.ECONFLICT, "Dropbox refused the request (%s): see dropbox_error and Dropbox's documentation of %s.", strings.Join(api.Tags, "/"), api.Route)
	case errors.As(err, &auth):
		switch auth.Tag {
		case "missing_scope":
			return dropbridge.Errorf(dropbridge.EFORBIDDEN, "The connection lacks the Dropbox scope %s: add it to the app's scopes and connect the user again.", auth.RequiredScope)
		case "invalid_access_token", "expired_access_token", "user_suspended":
			return dropbridge.Errorf(dropbridge.ECONFLICT, "Dropbox no longer accepts this connection's token (%s): send the user through a new connect session.", auth.Tag)
		}
		return dropbridge.Errorf(dropbridge.EFORBIDDEN, "Dropbox refused the connection's credentials for this call (%s).", auth.Tag)
	case errors.As(err, &access):
		return dropbridge.Errorf(dropbridge.EFORBIDDEN, "Dropbox does not let this account do that (%s).", access.Tag)
	case errors.As(err, &root):
		return dropbridge.Errorf(dropbridge.EINVALID, "The path root is not one this account can use (%s).", root.Tag)
	case errors.As(err, &rate):
		return dropbridge.Errorf(dropbridge.ERATELIMITED, "Dropbox is rate limiting this account (%s): retry in %d seconds.", rate.Reason, seconds(rate.RetryAfter.Seconds()))
	case errors.As(err, &server) && server.Status == http.StatusNotFound:
		// An unknown route (through the proxy or Call): not an outage.
		return dropbridge.Errorf(dropbridge.ENOTFOUND, "Dropbox has no such route (HTTP 404): check the route's name and version.")
	case errors.As(err, &server) && server.Status < 500:
		return dropbridge.Errorf(dropbridge.EINVALID, "Dropbox refused the request (HTTP %d): check what was sent.", server.Status)
	case errors.As(err, &server):
		return dropbridge.Errorf(dropbridge.EUNAVAILABLE, "Dropbox answered with a server error (%d): retry later.", server.Status)
	case errors.As(err, &bad):
		return dropbridge.Errorf(dropbridge.EINVALID, "Dropbox refused the request as malformed: %s", bad.Message)
	case errors.As(err, &retrieve):
		return oauthError(retrieve)
	case errors.As(err, &urlErr), errors.As(err, &netErr):
		return dropbridge.Errorf(dropbridge.EUNAVAILABLE, "Dropbox could not be reached: retry later.")
	}
	return nil
}

// notFoundTags are the route error tags that say that what a call names
// does not exist, or is out of the account's sight, from the error unions
// of Dropbox's spec (sharing.stone, files.stone, ...). They count
// wherever they stand in the tag path.
var notFoundTags = map[string]bool{
	"not_found":              true, // files.LookupError (path/not_found, from_lookup/not_found, ...), file_requests.FileRequestError
	"shared_link_not_found":  true, // sharing.SharedLinkError
	"doc_not_found":          true, // paper.DocLookupError
	"folder_not_found":       true, // paper.PaperDocCreateError: the parent folder
	"invalid_id":             true, // sharing.SharedFolderAccessError: no such shared folder
	"not_a_member":           true, // sharing.SharedFolderAccessError (the account is not in the shared folder), SharedFolderMemberError (nor the member named)
	"invalid_team_folder_id": true, // team.TeamFolderAccessError
	"invalid_async_job_id":   true, // async.PollError
}

// notFoundUnder are the tags that mean not found only under one parent:
// the dropbox_id of the shared folder member a call names, which is not
// found, but the dropbox_id of a member to add (bad_member), which is a
// refusal of the request.
var notFoundUnder = map[[2]string]bool{
	{"member_error", "invalid_dropbox_id"}: true, // sharing.SharedFolderMemberError
}

// notFound reports whether a route error's tag path, outermost first,
// says that what the call names does not exist: one of notFoundTags or
// notFoundUnder, or another "..._not_found" tag (team.stone's
// member_not_found, group_not_found, ...), except mapping_not_found
// (team.TokenGetAuthenticatedAdminError: the token, not a thing named).
func notFound(tags []string) bool {
	for i, t := range tags {
		switch {
		case notFoundTags[t], i > 0 && notFoundUnder[[2]string{tags[i-1], t}]:
			return true
		case strings.HasSuffix(t, "_not_found") && t != "mapping_not_found":
			return true
		}
	}
	return false
}

// notFoundError is the ENOTFOUND of a route error with notFound tags,
// with a message that says what to check.
func notFoundError(tags []string) *dropbridge.Error {
	path := strings.Join(tags, "/")
	switch {
	case slices.Contains(tags, "member_error"):
		return dropbridge.Errorf(dropbridge.ENOTFOUND, "The member named is not a member of the shared folder (%s): check the member's email or dropbox_id.", path)
	case slices.Contains(tags, "not_a_member"):
		return dropbridge.Errorf(dropbridge.ENOTFOUND, "The connection's account is not a member of the shared folder (%s): check the shared folder ID.", path)
	}
	return dropbridge.Errorf(dropbridge.ENOTFOUND, "Dropbox found nothing there (%s): check the path or ID.", path)
}

// oauthError reads an error of Dropbox's token endpoint (RFC 6749 5.2).
func oauthError(e *oauth2.RetrieveError) *dropbridge.Error {
	switch e.ErrorCode {
	case "invalid_grant":
		return dropbridge.Errorf(dropbridge.ECONFLICT, "Dropbox no longer accepts this grant (invalid_grant): send the user through a new connect session.")
	case "invalid_client", "unauthorized_client":
		return dropbridge.Errorf(dropbridge.EFORBIDDEN, "Dropbox refused the app's credentials (%s): check the app key and app secret registered for the app.", e.ErrorCode)
	case "":
		if e.Response != nil && e.Response.StatusCode >= 500 {
			return dropbridge.Errorf(dropbridge.EUNAVAILABLE, "Dropbox's token endpoint answered with a server error (%d): retry later.", e.Response.StatusCode)
		}
	}
	return dropbridge.Errorf(dropbridge.EINVALID, "Dropbox's token endpoint refused the request (%s).", e.ErrorCode)
}

// refused reports whether err says that Dropbox no longer accepts the
// connection's tokens, so that only a new connect session can help: the
// refresh token was refused, or the access token was revoked.
func refused(err error) bool {
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) {
		return retrieve.ErrorCode == "invalid_grant"
	}
	var auth *dropbox.AuthError
	return errors.As(err, &auth) && (auth.Tag == "invalid_access_token" || auth.Tag == "user_suspended")
}

// seconds rounds a wait up to whole seconds, at least one.
func seconds(s float64) int {
	return max(1, int(math.Ceil(s)))
}
