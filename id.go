package dropbridge

import (
	"crypto/rand"
	"fmt"
)

// ID prefixes say what an ID names, as in "conn_..." for a connection.
const (
	EnvironmentIDPrefix    = "env_"
	APIKeyIDPrefix         = "key_"
	AppIDPrefix            = "app_"
	ConnectSessionIDPrefix = "cs_"
	ConnectionIDPrefix     = "conn_"
)

// NewID returns a new random ID: prefix followed by 128 random bits in
// lowercase base32. IDs are opaque; stores order by creation time, not by ID.
func NewID(prefix string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return prefix + secretEncoding.EncodeToString(b), nil
}
