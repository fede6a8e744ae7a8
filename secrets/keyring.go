// Package secrets seals values at rest with AES-256-GCM under named keys, so
// that keys can be rotated: the newest key seals, every key in the keyring
// opens.
//
// A keyring is written as a comma-separated list of id:key pairs, newest
// first, each key 32 random bytes in base64 (standard or URL alphabet,
// padded or not), the format of DROPBRIDGE_SECRET_KEY:
//
//	k2:<base64 of 32 random bytes>,k1:<base64 of 32 random bytes>
//
// Rotating a key takes three steps: put a new key in front of the list and
// restart everything that opens the store; re-seal every stored value with the
// newest key (the store's ResealSecrets); then drop the old key from the list.
//
// A sealed value is a string "v1:<key id>:<base64url(nonce || ciphertext)>".
// It is bound to associated data given by the caller (Field names a column of
// a row), so a sealed value copied to another row or column does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size in bytes of every key: AES-256.
const KeySize = 32

// version is the first field of every sealed value.
const version = "v1"

// Errors returned by Open and ParseKeyring. Their messages never contain key
// material or plaintext.
var (
	// ErrUnknownKey means the sealed value names a key that is not in the
	// keyring, typically because an old key was removed before every value
	// was re-sealed.
	ErrUnknownKey = errors.New("secrets: sealed with a key that is not in the keyring")
	// ErrCannotOpen means the sealed value is malformed, was tampered with,
	// or belongs to other associated data (another row or column).
	ErrCannotOpen = errors.New("secrets: cannot open sealed value")
)

// Keyring holds the keys that seal and open values. The first key is the
// newest: it seals. A Keyring is immutable and safe for concurrent use.
type Keyring struct {
	ids  []string               // newest first
	aead map[string]cipher.AEAD // by key id
}

// ParseKeyring parses a keyring in the package's format: "id:base64key"
// pairs separated by commas, newest first. Ids are 1 to 32 characters of
// letters, digits, '-' and '_', unique within the keyring. Errors name the
// offending entry by position and id, never by key material.
func ParseKeyring(s string) (*Keyring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("secrets: empty keyring: give at least one key as id:base64key (generate one with GenerateKey)")
	}
	var keys []Key
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		id, enc, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("secrets: keyring entry %d: want id:base64key", i+1)
		}
		key, err := decodeKey(strings.TrimSpace(enc))
		if err != nil {
			return nil, fmt.Errorf("secrets: keyring entry %d (%q): %w", i+1, id, err)
		}
		keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: key})
	}
	return NewKeyring(keys...)
}

// Key is one named key of a keyring.
type Key struct {
	// ID names the key inside sealed values; see ParseKeyring for its syntax.
	ID string
	// Secret is the key itself, KeySize bytes.
	Secret []byte
}

// NewKeyring returns a keyring of keys, newest first. It fails on no keys,
// an invalid or repeated id, or a key that is not KeySize bytes long.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("secrets: a keyring needs at least one key")
	}
	k := &Keyring{aead: make(map[string]cipher.AEAD, len(keys))}
	for _, key := range keys {
		if err := checkID(key.ID); err != nil {
			return nil, err
		}
		if _, dup := k.aead[key.ID]; dup {
			return nil, fmt.Errorf("secrets: key id %q appears twice in the keyring", key.ID)
		}
		if len(key.Secret) != KeySize {
			return nil, fmt.Errorf("secrets: key %q is %d bytes, want %d", key.ID, len(key.Secret), KeySize)
		}
		block, err := aes.NewCipher(key.Secret)
		if err != nil {
			return nil, fmt.Errorf("secrets: key %q: %w", key.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secrets: key %q: %w", key.ID, err)
		}
		k.ids = append(k.ids, key.ID)
		k.aead[key.ID] = aead
	}
	return k, nil
}

// GenerateKey returns a new random key in the keyring format, "id:base64key",
// ready to be put in front of DROPBRIDGE_SECRET_KEY.
func GenerateKey(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("secrets: generate key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// IDs returns the key ids, newest first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// Newest returns the id of the key that seals.
func (k *Keyring) Newest() string { return k.ids[0] }

// Seal encrypts plaintext with the newest key, bound to associatedData, and
// returns the self-describing sealed string. Each call uses a fresh random
// nonce, so sealing the same plaintext twice gives different strings.
func (k *Keyring) Seal(plaintext, associatedData []byte) (string, error) {
	id := k.ids[0]
	aead := k.aead[id]
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("secrets: nonce: %w", err)
	}
	buf = aead.Seal(buf, buf, plaintext, additional(id, associatedData))
	return header(id) + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open decrypts a value made by Seal with the same associated data. It
// returns ErrUnknownKey when the value's key is not in the keyring and
// ErrCannotOpen when the value is malformed, tampered with, or bound to other
// associated data.
func (k *Keyring) Open(sealed string, associatedData []byte) ([]byte, error) {
	id, payload, err := split(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aead[id]
	if !ok {
		return nil, fmt.Errorf("%w (key id %q)", ErrUnknownKey, id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrCannotOpen
	}
	nonce, ciphertext := raw[:aead.NonceSize()], raw[aead.NonceSize():]
	plaintext, err := aead.Open(nil, nonce, ciphertext, additional(id, associatedData))
	if err != nil {
		return nil, ErrCannotOpen
	}
	return plaintext, nil
}

// Reseal opens sealed and seals it again with the newest key. When sealed
// already uses the newest key it is returned unchanged with changed false, so
// re-sealing a whole store twice does no work the second time. Errors are
// those of Open and Seal.
func (k *Keyring) Reseal(sealed string, associatedData []byte) (resealed string, changed bool, err error) {
	id, _, err := split(sealed)
	if err != nil {
		return "", false, err
	}
	if id == k.ids[0] {
		if _, err := k.Open(sealed, associatedData); err != nil {
			return "", false, err
		}
		return sealed, false, nil
	}
	plaintext, err := k.Open(sealed, associatedData)
	if err != nil {
		return "", false, err
	}
	resealed, err = k.Seal(plaintext, associatedData)
	if err != nil {
		return "", false, err
	}
	return resealed, true, nil
}

// KeyID returns the id of the key that sealed a value, or ErrCannotOpen if
// sealed is not a sealed value.
func KeyID(sealed string) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

// Field returns the associated data that binds a sealed value to one column
// of one row: a value sealed for ("connections", "access_token", "conn_1")
// does not open for another row, column or table. Table and column names must
// not contain '/'.
func Field(table, column, rowID string) []byte {
	return []byte(table + "/" + column + "/" + rowID)
}

// additional is the associated data given to GCM: the sealed value's header
// (so the header cannot be edited) followed by the caller's data. Key ids
// contain no ':', so the concatenation is unambiguous.
func additional(id string, associatedData []byte) []byte {
	h := header(id)
	ad := make([]byte, 0, len(h)+len(associatedData))
	return append(append(ad, h...), associatedData...)
}

func header(id string) string { return version + ":" + id + ":" }

func split(sealed string) (id, payload string, err error) {
	v, rest, ok := strings.Cut(sealed, ":")
	if !ok || v != version {
		return "", "", ErrCannotOpen
	}
	id, payload, ok = strings.Cut(rest, ":")
	if !ok || checkID(id) != nil {
		return "", "", ErrCannotOpen
	}
	return id, payload, nil
}

func checkID(id string) error {
	if id == "" || len(id) > 32 {
		return fmt.Errorf("secrets: key id %q must be 1 to 32 characters", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("secrets: key id %q may hold only letters, digits, '-' and '_'", id)
		}
	}
	return nil
}

// decodeKey accepts standard or URL base64, padded or not.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("key is %d bytes, want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("key is not base64")
}
