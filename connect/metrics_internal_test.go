package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestCallOutcome(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status int
		err    error
		want   string
	}{
		{200, nil, "ok"},
		{206, nil, "ok"},
		{400, nil, "bad_input"},
		{401, nil, "auth"},
		{403, nil, "access"},
		{404, nil, "other_status"},
		{409, nil, "route_error"},
		{429, nil, "rate_limited"},
		{500, nil, "server_error"},
		{503, nil, "server_error"},
		{0, errors.New("connection refused"), "network_error"},
		{0, fmt.Errorf("post: %w", context.Canceled), "canceled"},
		{0, context.DeadlineExceeded, "canceled"},
	} {
		var resp *http.Response
		if c.err == nil {
			resp = &http.Response{StatusCode: c.status}
		}
		if got := callOutcome(resp, c.err); got != c.want {
			t.Errorf("callOutcome(%d, %v) = %q, want %q", c.status, c.err, got, c.want)
		}
	}
}

func TestMetricsRoute(t *testing.T) {
	t.Parallel()
	m := &Metrics{routes: map[string]bool{"files/upload": true, "oauth2/token": true}}
	for path, want := range map[string]string{
		"/2/files/upload":   "files/upload",
		"/oauth2/token":     "oauth2/token",
		"/2/files/nope":     "other",
		"/2/../oauth2/x":    "other",
		"/":                 "other",
		"/2/files/upload/x": "other",
	} {
		if got := m.route(path); got != want {
			t.Errorf("route(%q) = %q, want %q", path, got, want)
		}
	}
}
