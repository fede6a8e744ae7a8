package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge/connect"
)

// ConnectSession is a started connection of one end user.
type ConnectSession struct {
	ID             string    `json:"id" doc:"The session's ID." example:"cs_4q2m7x5y6a7b8c9d0e1f2g3h4i"`
	URL            string    `json:"url" doc:"Send the end user here: Dropbox's authorize page for this session. It holds a one-time secret, is shown only now, and works until expires_at."`
	ExpiresAt      time.Time `json:"expires_at" doc:"When url stops working."`
	AppID          string    `json:"app_id" doc:"The app the user connects through."`
	ExternalUserID string    `json:"external_user_id" doc:"Your ID of the end user." example:"user-42"`
	Scopes         []string  `json:"scopes" doc:"The scopes asked for; empty: every scope of the Dropbox app."`
	RedirectURL    string    `json:"redirect_url,omitempty" doc:"Where the user lands afterwards."`
	CreatedAt      time.Time `json:"created_at"`
}

type createConnectSessionInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to repeat: a repeat with the same key and body within 24 hours returns the first answer, the same session and url, rather than starting another."`
	Body           struct {
		ExternalUserID string   `json:"external_user_id" minLength:"1" maxLength:"255" doc:"Your application's ID of the end user. Connecting the same user and Dropbox account again updates their connection." example:"user-42"`
		App            string   `json:"app,omitempty" doc:"ID of the app to connect through; omitted: the environment's default app." example:"app_7fz3kq2m4x5y6a7b8c9d0e1f2g"`
		Scopes         []string `json:"scopes,omitempty" doc:"Scopes to ask for; omitted: the app's default scopes." example:"[\"account_info.read\",\"files.content.read\"]"`
		RedirectURL    string   `json:"redirect_url,omitempty" format:"uri" doc:"Where to send the user afterwards, with connection_id and connect_session_id in the query (or error, error_description and connect_session_id); omitted: a plain page of the service." example:"https://app.example.com/dropbox/connected"`
	}
}

type connectSessionOutput struct {
	Body ConnectSession
}

func (s *Server) registerConnectSessions() {
	huma.Register(s.api, huma.Operation{
		OperationID: "create-connect-session",
		Method:      http.MethodPost,
		Path:        "/v1/connect-sessions",
		Summary:     "Start connecting a user's Dropbox",
		Description: "Creates a connect session and returns the `url` to send the end user to. " +
			"The user allows access on Dropbox's page and comes back to the service, which stores the connection " +
			"and sends the user on to `redirect_url` with `connection_id`.\n\n" +
			"With an Idempotency-Key, a repeat gets the same session: the same `id`, `url` and `expires_at` " +
			"(the answer, whose `url` carries a one-time secret, is remembered encrypted). Without one, a repeat starts " +
			"a second session, which is harmless: unused sessions expire.",
		Tags:          []string{"Connections"},
		Security:      bearer,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
		Middlewares:   huma.Middlewares{s.idempotent},
	}, s.createConnectSession)
}

func (s *Server) createConnectSession(ctx context.Context, in *createConnectSessionInput) (*connectSessionOutput, error) {
	sess, err := s.connect.CreateSession(ctx, environmentID(ctx), connect.SessionRequest{
		ExternalUserID: in.Body.ExternalUserID,
		AppID:          in.Body.App,
		Scopes:         in.Body.Scopes,
		RedirectURL:    in.Body.RedirectURL,
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &connectSessionOutput{Body: ConnectSession{
		ID: sess.ID, URL: sess.URL, ExpiresAt: sess.ExpiresAt, AppID: sess.AppID, ExternalUserID: sess.ExternalUserID,
		Scopes: nonNil(sess.Scopes), RedirectURL: sess.RedirectURL, CreatedAt: sess.CreatedAt,
	}}, nil
}
