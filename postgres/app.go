package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/jackc/pgx/v5"
)

// CreateApp implements dropbridge.AppStore.
func (s *Store) CreateApp(ctx context.Context, app *dropbridge.App) error {
	if err := app.Validate(); err != nil {
		return err
	}
	id, err := dropbridge.NewID(dropbridge.AppIDPrefix)
	if err != nil {
		return err
	}
	sealed, err := s.seal(app.AppSecret, "apps", "app_secret", id)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockEnvironment(ctx, tx, app.EnvironmentID, app.IsDefault); err != nil {
			return err
		}
		if app.IsDefault {
			if err := clearDefaultApp(ctx, tx, app.EnvironmentID, now); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO apps
			(id, environment_id, name, app_key, app_secret, default_scopes, is_default, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			id, app.EnvironmentID, app.Name, app.AppKey, sealed, scopes(app.DefaultScopes), app.IsDefault, now)
		if isCode(err, codeUniqueViolation) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "The app key %q is already registered in this environment.", app.AppKey)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create app: %w", err)
	}
	app.ID, app.CreatedAt, app.UpdatedAt = id, now, now
	return nil
}

func clearDefaultApp(ctx context.Context, tx pgx.Tx, environmentID string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE apps SET is_default = false, updated_at = $1 WHERE environment_id = $2 AND is_default`,
		now, environmentID)
	return err
}

// FindAppByID implements dropbridge.AppStore.
func (s *Store) FindAppByID(ctx context.Context, environmentID, id string) (*dropbridge.App, error) {
	app, err := s.findApp(ctx, s.pool, environmentID, id, "")
	if err != nil {
		return nil, fmt.Errorf("postgres: find app: %w", err)
	}
	return app, nil
}

// findApp returns the environment's app with id; lock is "" or a locking
// clause such as "FOR NO KEY UPDATE".
func (s *Store) findApp(ctx context.Context, q querier, environmentID, id, lock string) (*dropbridge.App, error) {
	apps, err := s.queryApps(ctx, q, `WHERE environment_id = $1 AND id = $2 `+lock, environmentID, id)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return nil, dropbridge.NotFoundError("app", id)
	}
	return apps[0], nil
}

// FindDefaultApp implements dropbridge.AppStore.
func (s *Store) FindDefaultApp(ctx context.Context, environmentID string) (*dropbridge.App, error) {
	apps, err := s.queryApps(ctx, s.pool, `WHERE environment_id = $1 AND is_default`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("postgres: find default app: %w", err)
	}
	if len(apps) == 0 {
		return nil, dropbridge.Errorf(dropbridge.ENOTFOUND, "This environment has no default app: name an app, or make one the default.")
	}
	return apps[0], nil
}

// ListApps implements dropbridge.AppStore.
func (s *Store) ListApps(ctx context.Context, environmentID string) ([]*dropbridge.App, error) {
	apps, err := s.queryApps(ctx, s.pool, `WHERE environment_id = $1 ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list apps: %w", err)
	}
	return apps, nil
}

// UpdateApp implements dropbridge.AppStore.
func (s *Store) UpdateApp(ctx context.Context, environmentID, id string, upd dropbridge.AppUpdate) (*dropbridge.App, error) {
	var app *dropbridge.App
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if upd.IsDefault != nil && *upd.IsDefault {
			if err := lockEnvironment(ctx, tx, environmentID, true); err != nil {
				if dropbridge.ErrorCode(err) == dropbridge.ENOTFOUND {
					return dropbridge.NotFoundError("app", id)
				}
				return err
			}
		}
		old, err := s.findApp(ctx, tx, environmentID, id, "FOR NO KEY UPDATE")
		if err != nil {
			return err
		}
		if app, err = upd.Apply(old); err != nil {
			return err
		}
		sealed, err := s.seal(app.AppSecret, "apps", "app_secret", id)
		if err != nil {
			return err
		}
		app.UpdatedAt = s.now()
		if app.IsDefault && !old.IsDefault {
			if err := clearDefaultApp(ctx, tx, environmentID, app.UpdatedAt); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE apps SET name = $1, app_secret = $2, default_scopes = $3, is_default = $4, updated_at = $5
			WHERE environment_id = $6 AND id = $7`,
			app.Name, sealed, scopes(app.DefaultScopes), app.IsDefault, app.UpdatedAt, environmentID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: update app: %w", err)
	}
	return app, nil
}

func (s *Store) queryApps(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.App, error) {
	rows, err := q.Query(ctx, `SELECT id, environment_id, name, app_key, app_secret, default_scopes, is_default, created_at, updated_at
		FROM apps `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var apps []*dropbridge.App
	for rows.Next() {
		var a dropbridge.App
		var sealed string
		if err := rows.Scan(&a.ID, &a.EnvironmentID, &a.Name, &a.AppKey, &sealed, &a.DefaultScopes, &a.IsDefault, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, err
		}
		if a.AppSecret, err = s.open(sealed, "apps", "app_secret", a.ID); err != nil {
			return nil, err
		}
		a.DefaultScopes = readScopes(a.DefaultScopes)
		a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
		apps = append(apps, &a)
	}
	return apps, rows.Err()
}
