package dropboxemu

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// randomString returns n random bytes as unpadded URL-safe base64.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newFileID() string      { return "id:" + randomString(16) }
func newAccountID() string   { return ("dbid:AA" + randomString(25))[:40] }
func newTeamID() string      { return ("dbtid:AA" + randomString(25))[:41] }
func newAccessToken() string { return "sl.emu." + randomString(48) }
func newRefreshToken() string {
	return "emu-rt." + randomString(48)
}
func newSessionID() string { return "pid_upload_session:" + randomString(24) }
func newJobID() string     { return "dbjid:" + randomString(32) }
func newBlobID() string    { return randomHex(16) }
