package postgres

import (
	"context"
	"fmt"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockEnvironment(ctx, tx, key.EnvironmentID, false); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, environment_id, name, prefix, secret_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, key.EnvironmentID, key.Name, key.Prefix, key.SecretHash, now)
		if isCode(err, codeUniqueViolation) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "An API key with this secret already exists.")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create api key: %w", err)
	}
	key.ID, key.CreatedAt, key.LastUsedAt, key.RevokedAt = id, now, nil, nil
	return nil
}

// AuthenticateAPIKey implements dropbridge.APIKeyStore.
func (s *Store) AuthenticateAPIKey(ctx context.Context, secret dropbridge.Secret) (*dropbridge.APIKey, error) {
	unauthorized := dropbridge.Errorf(dropbridge.EUNAUTHORIZED, "The API key is not valid: it is unknown or was revoked.")
	keys, err := queryAPIKeys(ctx, s.pool, `WHERE secret_hash = $1`, dropbridge.HashSecret(secret))
	if err != nil {
		return nil, fmt.Errorf("postgres: authenticate api key: %w", err)
	}
	if len(keys) == 0 || keys[0].RevokedAt != nil {
		return nil, unauthorized
	}
	k := keys[0]
	now := s.now()
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < dropbridge.APIKeyUseInterval {
		return k, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now, k.ID)
	if err != nil {
		return nil, fmt.Errorf("postgres: authenticate api key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, unauthorized // revoked meanwhile
	}
	k.LastUsedAt = &now
	return k, nil
}

// FindAPIKeyByID implements dropbridge.APIKeyStore.
func (s *Store) FindAPIKeyByID(ctx context.Context, environmentID, id string) (*dropbridge.APIKey, error) {
	keys, err := queryAPIKeys(ctx, s.pool, `WHERE environment_id = $1 AND id = $2`, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: find api key: %w", err)
	}
	if len(keys) == 0 {
		return nil, dropbridge.NotFoundError("API key", id)
	}
	return keys[0], nil
}

// ListAPIKeys implements dropbridge.APIKeyStore.
func (s *Store) ListAPIKeys(ctx context.Context, environmentID string) ([]*dropbridge.APIKey, error) {
	keys, err := queryAPIKeys(ctx, s.pool, `WHERE environment_id = $1 ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey implements dropbridge.APIKeyStore.
func (s *Store) RevokeAPIKey(ctx context.Context, environmentID, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1)
		WHERE environment_id = $2 AND id = $3`, s.now(), environmentID, id)
	if err != nil {
		return fmt.Errorf("postgres: revoke api key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return dropbridge.NotFoundError("API key", id)
	}
	return nil
}

func queryAPIKeys(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.APIKey, error) {
	rows, err := q.Query(ctx, `SELECT id, environment_id, name, prefix, secret_hash, created_at, last_used_at, revoked_at
		FROM api_keys `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*dropbridge.APIKey
	for rows.Next() {
		var k dropbridge.APIKey
		if err := rows.Scan(&k.ID, &k.EnvironmentID, &k.Name, &k.Prefix, &k.SecretHash, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
			return nil, err
		}
		k.CreatedAt, k.LastUsedAt, k.RevokedAt = k.CreatedAt.UTC(), utc(k.LastUsedAt), utc(k.RevokedAt)
		keys = append(keys, &k)
	}
	return keys, rows.Err()
}
