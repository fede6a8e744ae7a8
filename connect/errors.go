package connect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
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
		if errors.Is(api, dropbox.ErrNotFound) {
			return dropbridge.Errorf(dropbridge.ENOTFOUND, "Dropbox found nothing there (%s): check the path or ID.", strings.Join(api.Tags, "/"))
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
