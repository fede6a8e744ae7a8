package dropbridge

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// App is a Dropbox app's credentials, registered by the application team so
// that their users connect to their own app (white-label). Connections and
// connect sessions belong to an app. The store keeps AppSecret sealed.
type App struct {
	ID            string `json:"id"`
	EnvironmentID string `json:"environment_id"`
	Name          string `json:"name"`
	// AppKey is the OAuth client ID of the Dropbox app, unique per environment.
	AppKey string `json:"app_key"`
	// AppSecret is the OAuth client secret of the Dropbox app.
	AppSecret Secret `json:"-"`
	// DefaultScopes are requested by connect sessions that name none.
	DefaultScopes []string `json:"default_scopes"`
	// IsDefault marks the environment's app used when a request names none;
	// at most one app per environment has it.
	IsDefault bool      `json:"is_default"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate returns an EINVALID error unless the app has an environment, a
// name, an app key and secret without spaces, and valid scopes.
func (a *App) Validate() error {
	switch {
	case a.EnvironmentID == "":
		return Errorf(EINVALID, "An app needs an environment.")
	case a.Name == "" || utf8.RuneCountInString(a.Name) > 100:
		return Errorf(EINVALID, "An app's name must be 1 to 100 characters long.")
	case !isToken(a.AppKey):
		return Errorf(EINVALID, "An app needs the Dropbox app key (the OAuth client ID), without spaces.")
	case !isToken(string(a.AppSecret)):
		return Errorf(EINVALID, "An app needs the Dropbox app secret, without spaces.")
	}
	return ValidateScopes(a.DefaultScopes)
}

// AppUpdate changes an app; nil fields stay as they are. The app key cannot
// change: connections hold tokens of that Dropbox app.
type AppUpdate struct {
	Name          *string
	AppSecret     *Secret
	DefaultScopes *[]string
	// IsDefault true makes the app the environment's default and clears the
	// flag on the previous one; false clears it.
	IsDefault *bool
}

// Apply returns a copy of app with the update applied, validated: what a
// store writes for UpdateApp. An invalid result is EINVALID.
func (upd AppUpdate) Apply(app *App) (*App, error) {
	a := *app
	if upd.Name != nil {
		a.Name = *upd.Name
	}
	if upd.AppSecret != nil {
		a.AppSecret = *upd.AppSecret
	}
	if upd.DefaultScopes != nil {
		a.DefaultScopes = append([]string(nil), (*upd.DefaultScopes)...)
	}
	if upd.IsDefault != nil {
		a.IsDefault = *upd.IsDefault
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

// ValidateScopes returns an EINVALID error unless every scope is a token
// (no spaces or control characters) and none repeats. Scopes are kept in
// the order given.
func ValidateScopes(scopes []string) error {
	seen := make(map[string]bool, len(scopes))
	for _, s := range scopes {
		if !isToken(s) {
			return Errorf(EINVALID, "Scope %q is not valid: a scope is a word such as files.content.read.", s)
		}
		if seen[s] {
			return Errorf(EINVALID, "Scope %q is listed twice.", s)
		}
		seen[s] = true
	}
	return nil
}

// isToken reports whether s is 1 to 1024 printable ASCII characters without
// spaces, the shape of OAuth client IDs, secrets and scopes.
func isToken(s string) bool {
	if s == "" || len(s) > 1024 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}

// AppStore keeps apps. Methods are safe for concurrent use.
type AppStore interface {
	// CreateApp validates app, gives it an ID and times and stores it. If
	// app.IsDefault, the environment's previous default app loses the flag.
	// An unknown environment is ENOTFOUND; an app key already registered in
	// the environment is ECONFLICT.
	CreateApp(ctx context.Context, app *App) error
	// FindAppByID returns the environment's app with id, or ENOTFOUND.
	FindAppByID(ctx context.Context, environmentID, id string) (*App, error)
	// FindDefaultApp returns the environment's default app, or ENOTFOUND.
	FindDefaultApp(ctx context.Context, environmentID string) (*App, error)
	// ListApps returns the environment's apps, oldest first.
	ListApps(ctx context.Context, environmentID string) ([]*App, error)
	// UpdateApp applies upd to the environment's app with id and returns the
	// result. An unknown app is ENOTFOUND; an invalid result is EINVALID and
	// changes nothing.
	UpdateApp(ctx context.Context, environmentID, id string, upd AppUpdate) (*App, error)
}
