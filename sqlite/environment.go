package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
)

// CreateEnvironment implements dropbridge.EnvironmentStore.
func (s *Store) CreateEnvironment(ctx context.Context, env *dropbridge.Environment) error {
	if err := env.Validate(); err != nil {
		return err
	}
	id, err := dropbridge.NewID(dropbridge.EnvironmentIDPrefix)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO environments (id, name, created_at) VALUES (?, ?, ?)`,
			id, env.Name, formatTime(now))
		return err
	})
	if isUnique(err) {
		return dropbridge.Errorf(dropbridge.ECONFLICT, "An environment named %q already exists.", env.Name)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create environment: %w", err)
	}
	env.ID, env.CreatedAt = id, now
	return nil
}

// FindEnvironmentByID implements dropbridge.EnvironmentStore.
func (s *Store) FindEnvironmentByID(ctx context.Context, id string) (*dropbridge.Environment, error) {
	return s.findEnvironment(ctx, s.read, `id = ?`, id)
}

// FindEnvironmentByName implements dropbridge.EnvironmentStore.
func (s *Store) FindEnvironmentByName(ctx context.Context, name string) (*dropbridge.Environment, error) {
	return s.findEnvironment(ctx, s.read, `name = ?`, name)
}

func (s *Store) findEnvironment(ctx context.Context, q querier, where, arg string) (*dropbridge.Environment, error) {
	envs, err := s.queryEnvironments(ctx, q, `WHERE `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find environment: %w", err)
	}
	if len(envs) == 0 {
		return nil, dropbridge.Errorf(dropbridge.ENOTFOUND, "No environment %q.", arg)
	}
	return envs[0], nil
}

// ListEnvironments implements dropbridge.EnvironmentStore.
func (s *Store) ListEnvironments(ctx context.Context) ([]*dropbridge.Environment, error) {
	envs, err := s.queryEnvironments(ctx, s.read, `ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list environments: %w", err)
	}
	return envs, nil
}

func (s *Store) queryEnvironments(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.Environment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, created_at FROM environments `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var envs []*dropbridge.Environment
	for rows.Next() {
		var e dropbridge.Environment
		var created string
		if err := rows.Scan(&e.ID, &e.Name, &created); err != nil {
			return nil, err
		}
		if e.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		envs = append(envs, &e)
	}
	return envs, rows.Err()
}

// environmentExists returns ENOTFOUND unless the environment exists.
func environmentExists(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM environments WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return dropbridge.Errorf(dropbridge.ENOTFOUND, "No environment %q.", id)
	}
	return err
}
