package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
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
	_, err = s.pool.Exec(ctx, `INSERT INTO environments (id, name, created_at) VALUES ($1, $2, $3)`, id, env.Name, now)
	if isCode(err, codeUniqueViolation) {
		return dropbridge.Errorf(dropbridge.ECONFLICT, "An environment named %q already exists.", env.Name)
	}
	if err != nil {
		return fmt.Errorf("postgres: create environment: %w", err)
	}
	env.ID, env.CreatedAt = id, now
	return nil
}

// FindEnvironmentByID implements dropbridge.EnvironmentStore.
func (s *Store) FindEnvironmentByID(ctx context.Context, id string) (*dropbridge.Environment, error) {
	return s.findEnvironment(ctx, `id = $1`, id)
}

// FindEnvironmentByName implements dropbridge.EnvironmentStore.
func (s *Store) FindEnvironmentByName(ctx context.Context, name string) (*dropbridge.Environment, error) {
	return s.findEnvironment(ctx, `name = $1`, name)
}

func (s *Store) findEnvironment(ctx context.Context, where, arg string) (*dropbridge.Environment, error) {
	envs, err := queryEnvironments(ctx, s.pool, `WHERE `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("postgres: find environment: %w", err)
	}
	if len(envs) == 0 {
		return nil, dropbridge.Errorf(dropbridge.ENOTFOUND, "No environment %q.", arg)
	}
	return envs[0], nil
}

// ListEnvironments implements dropbridge.EnvironmentStore.
func (s *Store) ListEnvironments(ctx context.Context) ([]*dropbridge.Environment, error) {
	envs, err := queryEnvironments(ctx, s.pool, `ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list environments: %w", err)
	}
	return envs, nil
}

func queryEnvironments(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.Environment, error) {
	rows, err := q.Query(ctx, `SELECT id, name, created_at FROM environments `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var envs []*dropbridge.Environment
	for rows.Next() {
		var e dropbridge.Environment
		if err := rows.Scan(&e.ID, &e.Name, &e.CreatedAt); err != nil {
			return nil, err
		}
		e.CreatedAt = e.CreatedAt.UTC()
		envs = append(envs, &e)
	}
	return envs, rows.Err()
}

// lockEnvironment returns ENOTFOUND unless the environment exists. With
// forUpdate it also locks the environment's row until the transaction
// ends, to serialise changes of its default app.
func lockEnvironment(ctx context.Context, tx pgx.Tx, id string, forUpdate bool) error {
	q := `SELECT 1 FROM environments WHERE id = $1 FOR KEY SHARE`
	if forUpdate {
		q = `SELECT 1 FROM environments WHERE id = $1 FOR NO KEY UPDATE`
	}
	var one int
	err := tx.QueryRow(ctx, q, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return dropbridge.Errorf(dropbridge.ENOTFOUND, "No environment %q.", id)
	}
	return err
}
