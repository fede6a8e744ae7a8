package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
)

// App is a Dropbox app registered with the service. Its secret is never
// shown.
type App struct {
	ID            string    `json:"id" doc:"The app's ID." example:"app_7fz3kq2m4x5y6a7b8c9d0e1f2g"`
	Name          string    `json:"name" doc:"A name for people." example:"Acme Docs"`
	AppKey        string    `json:"app_key" doc:"The Dropbox app key (OAuth client ID)." example:"x1y2z3a4b5c6d7e"`
	DefaultScopes []string  `json:"default_scopes" doc:"Scopes that connect sessions ask for when they name none; empty: every scope of the Dropbox app." example:"[\"account_info.read\",\"files.content.read\"]"`
	IsDefault     bool      `json:"is_default" doc:"Whether connect sessions that name no app use this one."`
	RedirectURI   string    `json:"redirect_uri" doc:"Register this redirect URI with the Dropbox app (App Console, OAuth 2, Redirect URIs)." example:"https://dropbridge.example.com/oauth/callback"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func (s *Server) appOut(a *dropbridge.App) App {
	return App{ID: a.ID, Name: a.Name, AppKey: a.AppKey, DefaultScopes: nonNil(a.DefaultScopes), IsDefault: a.IsDefault,
		RedirectURI: s.connect.RedirectURI(), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [].
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type createAppInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer."`
	Body           struct {
		Name          string   `json:"name" minLength:"1" maxLength:"100" doc:"A name for people." example:"Acme Docs"`
		AppKey        string   `json:"app_key" minLength:"1" doc:"The Dropbox app key (OAuth client ID), from the App Console." example:"x1y2z3a4b5c6d7e"`
		AppSecret     string   `json:"app_secret" minLength:"1" doc:"The Dropbox app secret. It is stored encrypted and never shown again."`
		DefaultScopes []string `json:"default_scopes,omitempty" doc:"Scopes that connect sessions ask for when they name none; omitted: every scope of the Dropbox app." example:"[\"account_info.read\",\"files.content.read\"]"`
		IsDefault     bool     `json:"is_default,omitempty" doc:"Make this the environment's default app (the previous default stops being one)."`
	}
}

type appOutput struct {
	Body App
}

type listAppsOutput struct {
	Body struct {
		Data []App `json:"data" doc:"The environment's apps, oldest first."`
	}
}

func (s *Server) registerApps() {
	huma.Register(s.api, huma.Operation{
		OperationID:   "create-app",
		Method:        http.MethodPost,
		Path:          "/v1/apps",
		Summary:       "Register a Dropbox app",
		Description:   "Registers the credentials of a Dropbox app of yours, through which your users connect. Register the answer's `redirect_uri` with the app in Dropbox's App Console.",
		Tags:          []string{"Apps"},
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.createApp)
	huma.Register(s.api, huma.Operation{
		OperationID: "list-apps",
		Method:      http.MethodGet,
		Path:        "/v1/apps",
		Summary:     "List Dropbox apps",
		Tags:        []string{"Apps"},
		Security:    bearer,
		Errors:      []int{http.StatusUnauthorized},
	}, s.listApps)
}

func (s *Server) createApp(ctx context.Context, in *createAppInput) (*appOutput, error) {
	app := &dropbridge.App{
		EnvironmentID: environmentID(ctx),
		Name:          in.Body.Name,
		AppKey:        in.Body.AppKey,
		AppSecret:     dropbridge.Secret(in.Body.AppSecret),
		DefaultScopes: in.Body.DefaultScopes,
		IsDefault:     in.Body.IsDefault,
	}
	if err := s.store.CreateApp(ctx, app); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &appOutput{Body: s.appOut(app)}, nil
}

func (s *Server) listApps(ctx context.Context, _ *struct{}) (*listAppsOutput, error) {
	apps, err := s.store.ListApps(ctx, environmentID(ctx))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &listAppsOutput{}
	out.Body.Data = make([]App, 0, len(apps))
	for _, a := range apps {
		out.Body.Data = append(out.Body.Data, s.appOut(a))
	}
	return out, nil
}
