package dropbridge

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in a listing ordered by creation time, then ID. Its
// encoded form is opaque to clients.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// Encode returns the cursor as an opaque URL-safe string.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "|" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a string made by Cursor.Encode, or returns an EINVALID
// error.
func DecodeCursor(s string) (Cursor, error) {
	bad := Errorf(EINVALID, "The cursor is not valid: pass the cursor of a previous page unchanged.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return Cursor{}, bad
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Cursor{}, bad
	}
	return Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: id}, nil
}
