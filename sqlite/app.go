package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dropbridge/dropbridge"
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
	scopes, err := encodeScopes(app.DefaultScopes)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := environmentExists(ctx, tx, app.EnvironmentID); err != nil {
			return err
		}
		if app.IsDefault {
			if err := clearDefaultApp(ctx, tx, app.EnvironmentID, now); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO apps
			(id, environment_id, name, app_key, app_secret, default_scopes, is_default, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, app.EnvironmentID, app.Name, app.AppKey, sealed, scopes, app.IsDefault, formatTime(now), formatTime(now))
		if isUnique(err) {
			return dropbridge.Errorf(dropbridge.ECONFLICT, "The app key %q is already registered in this environment.", app.AppKey)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create app: %w", err)
	}
	app.ID, app.CreatedAt, app.UpdatedAt = id, now, now
	return nil
}

func clearDefaultApp(ctx context.Context, tx *sql.Tx, environmentID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE apps SET is_default = 0, updated_at = ? WHERE environment_id = ? AND is_default = 1`,
		formatTime(now), environmentID)
	return err
}

// FindAppByID implements dropbridge.AppStore.
func (s *Store) FindAppByID(ctx context.Context, environmentID, id string) (*dropbridge.App, error) {
	app, err := s.findApp(ctx, s.read, environmentID, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find app: %w", err)
	}
	return app, nil
}

func (s *Store) findApp(ctx context.Context, q querier, environmentID, id string) (*dropbridge.App, error) {
	apps, err := s.queryApps(ctx, q, `WHERE environment_id = ? AND id = ?`, environmentID, id)
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
	apps, err := s.queryApps(ctx, s.read, `WHERE environment_id = ? AND is_default = 1`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find default app: %w", err)
	}
	if len(apps) == 0 {
		return nil, dropbridge.Errorf(dropbridge.ENOTFOUND, "This environment has no default app: name an app, or make one the default.")
	}
	return apps[0], nil
}

// ListApps implements dropbridge.AppStore.
func (s *Store) ListApps(ctx context.Context, environmentID string) ([]*dropbridge.App, error) {
	apps, err := s.queryApps(ctx, s.read, `WHERE environment_id = ? ORDER BY created_at, id`, environmentID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list apps: %w", err)
	}
	return apps, nil
}

// UpdateApp implements dropbridge.AppStore.
func (s *Store) UpdateApp(ctx context.Context, environmentID, id string, upd dropbridge.AppUpdate) (*dropbridge.App, error) {
	var app *dropbridge.App
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := s.findApp(ctx, tx, environmentID, id)
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
		scopes, err := encodeScopes(app.DefaultScopes)
		if err != nil {
			return err
		}
		app.UpdatedAt = s.now()
		if app.IsDefault && !old.IsDefault {
			if err := clearDefaultApp(ctx, tx, environmentID, app.UpdatedAt); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE apps SET name = ?, app_secret = ?, default_scopes = ?, is_default = ?, updated_at = ?
			WHERE environment_id = ? AND id = ?`,
			app.Name, sealed, scopes, app.IsDefault, formatTime(app.UpdatedAt), environmentID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: update app: %w", err)
	}
	return app, nil
}

func (s *Store) queryApps(ctx context.Context, q querier, tail string, args ...any) ([]*dropbridge.App, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, environment_id, name, app_key, app_secret, default_scopes, is_default, created_at, updated_at
		FROM apps `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var apps []*dropbridge.App
	for rows.Next() {
		var a dropbridge.App
		var sealed, scopes, created, updated string
		if err := rows.Scan(&a.ID, &a.EnvironmentID, &a.Name, &a.AppKey, &sealed, &scopes, &a.IsDefault, &created, &updated); err != nil {
			return nil, err
		}
		if a.AppSecret, err = s.open(sealed, "apps", "app_secret", a.ID); err != nil {
			return nil, err
		}
		if a.DefaultScopes, err = decodeScopes(scopes); err != nil {
			return nil, err
		}
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if a.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		apps = append(apps, &a)
	}
	return apps, rows.Err()
}
