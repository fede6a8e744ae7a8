package dropbridge

import (
	"context"
	"time"
)

// Environment is a walled-off space of apps, connections and API keys, such
// as "production" or "development". Nothing of one environment is visible
// through another's API key: every store read takes the environment ID, and a
// row of another environment is reported as ENOTFOUND.
type Environment struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate returns an EINVALID error if the environment's name is not a
// slug: 1 to 64 lowercase letters, digits and '-', starting with a letter.
func (e *Environment) Validate() error {
	return validateSlug("environment name", e.Name)
}

// EnvironmentStore keeps environments. Methods are safe for concurrent use.
type EnvironmentStore interface {
	// CreateEnvironment validates env, gives it an ID and creation time and
	// stores it. A name already taken is ECONFLICT.
	CreateEnvironment(ctx context.Context, env *Environment) error
	// FindEnvironmentByID returns the environment with id, or ENOTFOUND.
	FindEnvironmentByID(ctx context.Context, id string) (*Environment, error)
	// FindEnvironmentByName returns the environment named name, or ENOTFOUND.
	FindEnvironmentByName(ctx context.Context, name string) (*Environment, error)
	// ListEnvironments returns every environment, by name.
	ListEnvironments(ctx context.Context) ([]*Environment, error)
}

func validateSlug(what, s string) error {
	if s == "" || len(s) > 64 {
		return Errorf(EINVALID, "The %s must be 1 to 64 characters long.", what)
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case (r >= '0' && r <= '9' || r == '-') && i > 0:
		default:
			return Errorf(EINVALID, "The %s %q must start with a lowercase letter and hold only lowercase letters, digits and '-'.", what, s)
		}
	}
	return nil
}
