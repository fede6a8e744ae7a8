package dropbridge

import "time"

// ExpiringFilter selects connections for ListExpiringConnections: the
// active connections, of every environment, whose access token expires
// before Before, in order of expiry, then ID.
type ExpiringFilter struct {
	// Before is the time the tokens expire before (required).
	Before time.Time
	// AfterExpiry and AfterID continue a listing after the connection with
	// that token expiry and ID: pass those of the last connection of the
	// previous call. An empty AfterID starts from the first.
	AfterExpiry time.Time
	AfterID     string
	// Limit is the page size: 0 means DefaultPageSize; at most MaxPageSize.
	Limit int
}

// Validate returns an EINVALID error for a filter without Before or with
// a limit out of range.
func (f ExpiringFilter) Validate() error {
	if f.Before.IsZero() {
		return Errorf(EINVALID, "Say before when the tokens expire.")
	}
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return Errorf(EINVALID, "The page size must be between 1 and %d.", MaxPageSize)
	}
	return nil
}

// PageSize returns the limit to use: Limit, or DefaultPageSize if zero.
func (f ExpiringFilter) PageSize() int {
	if f.Limit == 0 {
		return DefaultPageSize
	}
	return f.Limit
}
