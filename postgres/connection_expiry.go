package postgres

import (
	"context"
	"fmt"

	"github.com/dropbridge/dropbridge"
)

// ListExpiringConnections implements dropbridge.ConnectionStore.
func (s *Store) ListExpiringConnections(ctx context.Context, f dropbridge.ExpiringFilter) ([]*dropbridge.Connection, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	tail := `WHERE status = 'active' AND token_expiry IS NOT NULL AND token_expiry < $1`
	args := []any{f.Before}
	if f.AfterID != "" {
		tail += ` AND (token_expiry, id) > ($2, $3)`
		args = append(args, f.AfterExpiry, f.AfterID)
	}
	args = append(args, f.PageSize())
	cs, err := s.queryConnections(ctx, s.pool, tail+fmt.Sprintf(` ORDER BY token_expiry, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list expiring connections: %w", err)
	}
	return cs, nil
}
