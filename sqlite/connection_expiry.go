package sqlite

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
	// Times are stored fixed width, so text order is time order.
	tail := `WHERE status = 'active' AND token_expiry IS NOT NULL AND token_expiry < ?`
	args := []any{formatTime(f.Before)}
	if f.AfterID != "" {
		after := formatTime(f.AfterExpiry)
		tail += ` AND (token_expiry > ? OR (token_expiry = ? AND id > ?))`
		args = append(args, after, after, f.AfterID)
	}
	cs, err := s.queryConnections(ctx, s.read, tail+` ORDER BY token_expiry, id LIMIT ?`, append(args, f.PageSize())...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list expiring connections: %w", err)
	}
	return cs, nil
}
