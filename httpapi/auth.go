package httpapi

import (
	"context"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
)

// apiKeyContextKey holds the caller's *dropbridge.APIKey in a request's
// context.
type apiKeyContextKey struct{}

// authenticate is the middleware that checks the API key of every
// operation that declares the bearer security requirement, and hands the
// key to the handler in the context.
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	if len(ctx.Operation().Security) == 0 {
		next(ctx)
		return
	}
	scheme, secret, _ := strings.Cut(ctx.Header("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		p := newProblem(dropbridge.EUNAUTHORIZED, "Send an API key as \"Authorization: Bearer <key>\"; make one with \"dropbridge apikeys create\".")
		p.GetHeaders().Set("WWW-Authenticate", `Bearer realm="dropbridge"`)
		s.writeProblem(ctx, p)
		return
	}
	key, err := s.store.AuthenticateAPIKey(ctx.Context(), dropbridge.Secret(secret))
	if err != nil {
		p := problemFor(err)
		if p.Status == 401 {
			p.GetHeaders().Set("WWW-Authenticate", `Bearer realm="dropbridge", error="invalid_token"`)
		} else if p.Code == dropbridge.EINTERNAL {
			s.logger.ErrorContext(ctx.Context(), "authenticate api key", "error", err)
		}
		s.writeProblem(ctx, p)
		return
	}
	next(huma.WithValue(ctx, apiKeyContextKey{}, key))
}

// environmentID returns the environment of the request's API key. It
// panics for an operation registered without the bearer requirement: a
// programming error that no request can cause.
func environmentID(ctx context.Context) string {
	key, ok := ctx.Value(apiKeyContextKey{}).(*dropbridge.APIKey)
	if !ok {
		panic("httpapi: operation without API key authentication reads the environment")
	}
	return key.EnvironmentID
}
