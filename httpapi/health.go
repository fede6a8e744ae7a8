package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
)

// readyTimeout bounds the database check of /readyz.
const readyTimeout = 5 * time.Second

type healthOutput struct {
	Body struct {
		Status string `json:"status" enum:"ok" doc:"ok"`
	}
}

func (s *Server) registerHealth() {
	huma.Register(s.api, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness: the process serves requests",
		Tags:        []string{"Health"},
	}, func(context.Context, *struct{}) (*healthOutput, error) {
		out := &healthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness: the database answers",
		Tags:        []string{"Health"},
		Errors:      []int{http.StatusServiceUnavailable},
	}, s.ready)
}

func (s *Server) ready(ctx context.Context, _ *struct{}) (*healthOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	// The cheapest read every store has; environments are few.
	if _, err := s.store.ListEnvironments(ctx); err != nil {
		s.logger.WarnContext(ctx, "readiness check failed", "error", err)
		return nil, newProblem(dropbridge.EUNAVAILABLE, fmt.Sprintf("The database does not answer within %s: check that it runs and is reachable.", readyTimeout))
	}
	out := &healthOutput{}
	out.Body.Status = "ok"
	return out, nil
}
