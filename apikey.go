package dropbridge

import (
	"context"
	"time"
	"unicode/utf8"
)

// APIKeySecretPrefix starts every API key secret, so leaked keys are easy to
// recognise and scan for.
const APIKeySecretPrefix = "dbk_"

// apiKeyDisplayLength is how much of a secret is kept to tell keys apart:
// the prefix and 8 random characters (40 bits, useless for guessing).
const apiKeyDisplayLength = len(APIKeySecretPrefix) + 8

// APIKey authenticates calls to the REST API for one environment. The store
// keeps only a SHA-256 hash of the secret; the secret itself is shown once,
// by NewAPIKey.
type APIKey struct {
	ID            string `json:"id"`
	EnvironmentID string `json:"environment_id"`
	Name          string `json:"name"`
	// Prefix is the start of the secret, to tell keys apart in listings.
	Prefix string `json:"prefix"`
	// SecretHash is HashSecret of the secret.
	SecretHash []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// NewAPIKey returns an API key named name for an environment, ready for
// CreateAPIKey, and its secret. The secret is not kept anywhere: hand it to
// the user now.
func NewAPIKey(environmentID, name string) (*APIKey, Secret, error) {
	secret, err := NewSecret(APIKeySecretPrefix)
	if err != nil {
		return nil, "", err
	}
	k := &APIKey{
		EnvironmentID: environmentID,
		Name:          name,
		Prefix:        string(secret)[:apiKeyDisplayLength],
		SecretHash:    HashSecret(secret),
	}
	return k, secret, nil
}

// Validate returns an EINVALID error unless the key has an environment, a
// name of 1 to 100 characters, a prefix and a 32-byte hash.
func (k *APIKey) Validate() error {
	switch {
	case k.EnvironmentID == "":
		return Errorf(EINVALID, "An API key needs an environment.")
	case k.Name == "" || utf8.RuneCountInString(k.Name) > 100:
		return Errorf(EINVALID, "An API key's name must be 1 to 100 characters long.")
	case k.Prefix == "":
		return Errorf(EINVALID, "An API key needs a display prefix; make keys with NewAPIKey.")
	case len(k.SecretHash) != 32:
		return Errorf(EINVALID, "An API key needs the SHA-256 hash of its secret; make keys with NewAPIKey.")
	}
	return nil
}

// APIKeyUseInterval is how stale an API key's LastUsedAt may get before
// AuthenticateAPIKey writes it again, so that busy keys do not cost a write
// per request.
const APIKeyUseInterval = time.Minute

// APIKeyStore keeps API keys. Methods are safe for concurrent use.
type APIKeyStore interface {
	// CreateAPIKey validates key, gives it an ID and creation time and stores
	// it. An unknown environment is ENOTFOUND.
	CreateAPIKey(ctx context.Context, key *APIKey) error
	// AuthenticateAPIKey returns the key whose secret is secret, and records
	// the use in LastUsedAt (at most once per APIKeyUseInterval). An unknown
	// or revoked secret is EUNAUTHORIZED. This is the one read that is not
	// scoped to an environment: the key decides the environment.
	AuthenticateAPIKey(ctx context.Context, secret Secret) (*APIKey, error)
	// FindAPIKeyByID returns the environment's key with id, or ENOTFOUND.
	FindAPIKeyByID(ctx context.Context, environmentID, id string) (*APIKey, error)
	// ListAPIKeys returns the environment's keys, revoked ones included,
	// oldest first.
	ListAPIKeys(ctx context.Context, environmentID string) ([]*APIKey, error)
	// RevokeAPIKey revokes the environment's key with id; it stops
	// authenticating at once. Revoking a revoked key changes nothing. An
	// unknown key is ENOTFOUND.
	RevokeAPIKey(ctx context.Context, environmentID, id string) error
}
