package dropbridge

import (
	"errors"
	"fmt"
)

// Error codes. Each layer maps them once to its own vocabulary (an HTTP
// status, a CLI exit code); only EINTERNAL hides its message from users.
const (
	ECONFLICT     = "conflict"     // the request clashes with the current state: a duplicate, a stale version, a used session
	EINTERNAL     = "internal"     // a fault of the service; details go to the log, not to users
	EINVALID      = "invalid"      // bad input; nothing was changed
	ENOTFOUND     = "not_found"    // no such thing in this environment
	EUNAUTHORIZED = "unauthorized" // missing, unknown or revoked credentials
	EFORBIDDEN    = "forbidden"    // credentials are fine but do not allow this
	ERATELIMITED  = "rate_limited" // too many requests; retry later
	EUNAVAILABLE  = "unavailable"  // a dependency (Dropbox, the database) is down; retry later
	EEXPIRED      = "expired"      // the thing existed but its time is up (a connect session)
)

// Error is the domain's error: a code from the list above and a message for
// the user that says what went wrong and what to do. Messages never hold
// secrets. Stores and services return *Error for every failure a user can
// act on, and wrap anything else with %w.
type Error struct {
	// Code is one of the E* constants.
	Code string
	// Message is a sentence for users; empty means the code speaks for itself.
	Message string
}

// Error returns the message, prefixed by the code.
func (e *Error) Error() string {
	return fmt.Sprintf("dropbridge: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, a
// generic message for any other non-nil error (its text may hold details not
// meant for users), and "" for nil.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// NotFoundError is the ENOTFOUND error for a thing (what) of an
// environment with this id.
func NotFoundError(what, id string) error {
	return Errorf(ENOTFOUND, "No %s %q in this environment.", what, id)
}
