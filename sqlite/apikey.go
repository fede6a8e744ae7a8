package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dropbridge/dropbridge"
)

// CreateAPIKey implements dropbridge.APIKeyStore.
func (s *Store) CreateAPIKey(ctx context.Context, key *dropbridge.APIKey) error {
	if err := key.Validate(); err != nil {
		return err
	}
	id, err := dropbridge.NewID(dropbridge.APIKeyIDPrefix)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := environmentExists(ctx, tx, key.EnvironmentID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, environment_id, name, prefix, secret_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, key.EnvironmentID, key.Name, key.Prefix, key.SecretHash, formatTime(now))
		if isUnique(err) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "An API key with this secret already exists.")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create api key: %w", err)
	}
	key.ID, key.CreatedAt, key.LastUsedAt, key.RevokedAt = id, now, nil, nil
	return nil
}

// AuthenticateAPIKey implements dropbridge.APIKeyStore.
func (s *Store) AuthenticateAPIKey(ctx context.Context, secret dropbridge.Secret) (*dropbridge.APIKey, error) {
	unauthorized := dropbridge.Errorf(dropbridge.EUNAUTHORIZED, "The API key is not valid: it is unknown or was revoked.")
	keys, err := queryAPIKeys(ctx, s.read, `WHERE secret_hash = ?`, dropbridge.HashSecret(secret))
	if err != nil {
		return nil, fmt.Errorf("sqlite: authenticate api key: %w", err)
	}
	if len(keys) == 0 || keys[0].RevokedAt != nil {
		return nil, unauthorized
	}
	k := keys[0]
	now := s.now()
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < dropbridge.APIKeyUseInterval {
		return k, nil
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND revoked_at IS NULL`,
			formatTime(now), k.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return unauthorized // revoked meanwhile
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: authenticate api key: %w", err)
	}
	k.LastUsedAt = &now
	return k, nil
}

// FindAPIKeyByID implements dropbridge.APIKeyStore.
func (s *Store) FindAPIKeyByID(ctx context.Context, environmentID, id string) (*dropbridge.APIKey, error) {
	keys, err := queryAPIKeys(ctx, s.read, `WHERE environment_id = ? AND id = ?`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find api key: %w", err)
	}
	if len(keys) == 0 {
		return nil, dropbridge.NotFoundError("API key", id)
	}
	return keys[0], nil
}

// ListAPIKeys implements dropbridge.APIKeyStore.
func (s *Store) ListAPIKeys(ctx context.Context, environmentID string) ([]*dropbridge.APIKey, error) {
	keys, err := queryAPIKeys(ctx, s.read, `WHERE environment_id = ? ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey implements dropbridge.APIKeyStore.
func (s *Store) RevokeAPIKey(ctx context.Context, environmentID, id string) error {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?)
			WHERE environment_id = ? AND id = ?`, formatTime(now), environmentID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dropbridge.NotFoundError("API key", id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoke api key: %w", err)
	}
	return nil
}

func queryAPIKeys(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.APIKey, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, environment_id, name, prefix, secret_hash, created_at, last_used_at, revoked_at
		FROM api_keys `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*dropbridge.APIKey
	for rows.Next() {
		var k dropbridge.APIKey
		var created string
		var used, revoked sql.NullString
		if err := rows.Scan(&k.ID, &k.EnvironmentID, &k.Name, &k.Prefix, &k.SecretHash, &created, &used, &revoked); err != nil {
			return nil, err
		}
		if k.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if k.LastUsedAt, err = parseNullTime(used); err != nil {
			return nil, err
		}
		if k.RevokedAt, err = parseNullTime(revoked); err != nil {
			return nil, err
		}
		keys = append(keys, &k)
	}
	return keys, rows.Err()
}
