package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dropbridge/dropbridge/httpapi"
)

func TestProblems(t *testing.T) {
	t.Parallel()
	s := newService(t)
	tests := []struct {
		name         string
		key          string
		method, path string
		body         any
		want         httpapi.Problem
		header       map[string]string
	}{
		{
			name: "no key", method: http.MethodGet, path: "/v1/connections",
			want:   httpapi.Problem{Type: "urn:dropbridge:problem:unauthorized", Title: "Unauthorized", Status: 401, Code: "unauthorized"},
			header: map[string]string{"WWW-Authenticate": `Bearer realm="dropbridge"`},
		},
		{
			name: "unknown key", key: "dbk_nosuchkey", method: http.MethodGet, path: "/v1/apps",
			want: httpapi.Problem{Type: "urn:dropbridge:problem:unauthorized", Title: "Unauthorized", Status: 401, Code: "unauthorized"},
		},
		{
			name: "unknown connection", key: s.key, method: http.MethodGet, path: "/v1/connections/conn_nope",
			want: httpapi.Problem{Type: "urn:dropbridge:problem:not_found", Title: "Not found", Status: 404, Code: "not_found"},
		},
		{
			name: "unknown path", key: s.key, method: http.MethodGet, path: "/v1/nothing-here",
			want: httpapi.Problem{Type: "urn:dropbridge:problem:not_found", Title: "Not found", Status: 404, Code: "not_found"},
		},
		{
			name: "missing field", key: s.key, method: http.MethodPost, path: "/v1/connect-sessions", body: map[string]any{},
			want: httpapi.Problem{Type: "urn:dropbridge:problem:invalid", Title: "Invalid request", Status: 422, Code: "invalid"},
		},
		{
			name: "no default app", key: s.key, method: http.MethodPost, path: "/v1/connect-sessions", body: map[string]any{"external_user_id": "u"},
			want: httpapi.Problem{Type: "urn:dropbridge:problem:not_found", Title: "Not found", Status: 404, Code: "not_found"},
		},
		{
			name: "invalid scope", key: s.key, method: http.MethodPost, path: "/v1/apps",
			body: map[string]any{"name": "x", "app_key": "k", "app_secret": "s", "default_scopes": []string{"two words"}},
			want: httpapi.Problem{Type: "urn:dropbridge:problem:invalid", Title: "Invalid request", Status: 422, Code: "invalid"},
		},
		{
			name: "bad cursor", key: s.key, method: http.MethodGet, path: "/v1/connections?cursor=%25%25",
			want: httpapi.Problem{Type: "urn:dropbridge:problem:invalid", Title: "Invalid request", Status: 422, Code: "invalid"},
		},
		{
			name: "bad status filter", key: s.key, method: http.MethodGet, path: "/v1/connections?status=sleeping",
			want: httpapi.Problem{Type: "urn:dropbridge:problem:invalid", Title: "Invalid request", Status: 422, Code: "invalid"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.do(tc.key, tc.method, tc.path, tc.body)
			if r.status != tc.want.Status {
				t.Errorf("status %d, want %d: %s", r.status, tc.want.Status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var got httpapi.Problem
			r.decode(t, &got)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(httpapi.Problem{}, "Detail", "Errors"), cmpopts.IgnoreUnexported(httpapi.Problem{})); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if len(got.Detail) < 10 || !strings.HasSuffix(got.Detail, ".") {
				t.Errorf("detail %q does not say what to do", got.Detail)
			}
			for k, v := range tc.header {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if strings.Contains(string(r.body), "testappsecret") {
				t.Errorf("the problem echoes a secret: %s", r.body)
			}
		})
	}
}

func TestApps(t *testing.T) {
	t.Parallel()
	s := newService(t)
	first := s.registerApp()
	s.clock.Advance(time.Millisecond)
	var second httpapi.App
	s.must(http.StatusCreated, http.MethodPost, "/v1/apps", map[string]any{
		"name": "Second", "app_key": "otherkey", "app_secret": "othersecret", "default_scopes": []string{"files.content.read"},
	}, &second)
	r := s.do(s.key, http.MethodPost, "/v1/apps", map[string]any{"name": "Dup", "app_key": testAppKey, "app_secret": "x"})
	if r.status != http.StatusConflict {
		t.Errorf("duplicate app key: %d, want 409: %s", r.status, r.body)
	}
	var list struct {
		Data []httpapi.App `json:"data"`
	}
	r = s.must(http.StatusOK, http.MethodGet, "/v1/apps", nil, &list)
	if diff := cmp.Diff([]httpapi.App{first, second}, list.Data); diff != "" {
		t.Errorf("apps (-want +got):\n%s", diff)
	}
	if !first.IsDefault || second.IsDefault || len(first.DefaultScopes) != 0 || second.DefaultScopes[0] != "files.content.read" {
		t.Errorf("apps = %+v", list.Data)
	}
	if strings.Contains(string(r.body), testAppSecret) || strings.Contains(string(r.body), "othersecret") {
		t.Errorf("app listing shows a secret: %s", r.body)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := newService(t)
	body := map[string]any{"name": "Test app", "app_key": testAppKey, "app_secret": testAppSecret}
	first := s.do(s.key, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "create-app-1")
	if first.status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	again := s.do(s.key, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "create-app-1")
	if again.status != http.StatusCreated || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat: %d %s (replayed %q), want the first answer again", again.status, again.body, again.header.Get("Idempotent-Replayed"))
	}
	var list struct {
		Data []httpapi.App `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/apps", nil, &list)
	if len(list.Data) != 1 {
		t.Errorf("%d apps after a repeated create, want 1", len(list.Data))
	}
	body["name"] = "Another"
	if r := s.do(s.key, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "create-app-1"); r.status != http.StatusConflict {
		t.Errorf("same key, other body: %d, want 409: %s", r.status, r.body)
	}
	// A refused request is remembered too; a key is per environment.
	_, otherKey := s.newEnvironment("other")
	if r := s.do(otherKey, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "create-app-1"); r.status != http.StatusCreated {
		t.Errorf("same key in another environment: %d, want 201: %s", r.status, r.body)
	}
}

func TestOpenAPIAndHealth(t *testing.T) {
	t.Parallel()
	s := newService(t)
	r := s.do("", http.MethodGet, "/v1/openapi.json", nil)
	if r.status != http.StatusOK {
		t.Fatalf("openapi.json: %d", r.status)
	}
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	r.decode(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	for _, p := range []string{"/v1/apps", "/v1/connect-sessions", "/v1/connections", "/v1/connections/{id}", "/v1/connections/{id}/account"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	if !strings.Contains(string(r.body), `"urn:dropbridge:problem:not_found"`) {
		t.Errorf("openapi.json does not document the problem types")
	}
	if r := s.do("", http.MethodGet, "/docs", nil); r.status != http.StatusOK || !strings.Contains(string(r.body), "/v1/openapi") {
		t.Errorf("/docs: %d", r.status)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := s.do("", http.MethodGet, p, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"ok"`) {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	s.store.Close()
	if r := s.do("", http.MethodGet, "/readyz", nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed: %d, want 503", r.status)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := newService(t)
	r := s.do(s.key, http.MethodPut, "/v1/apps", map[string]any{})
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, POST" {
		t.Errorf("PUT /v1/apps: %d Allow %q: %s", r.status, r.header.Get("Allow"), r.body)
	}
	r = s.do(s.key, http.MethodPost, "/v1/connections/conn_x", nil)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, DELETE" {
		t.Errorf("POST /v1/connections/conn_x: %d Allow %q: %s", r.status, r.header.Get("Allow"), r.body)
	}
}
