// Package httpapi is the connector's REST API: JSON over HTTP, described
// by OpenAPI 3.1 at /v1/openapi.json (generated from the Go types by huma)
// with a docs page at /docs, authenticated by API keys
// (Authorization: Bearer dbk_...), errors as RFC 9457 problem details. It
// also serves the OAuth redirect URI of the connect flow and the health
// probes.
//
// Every read and write is scoped to the environment of the caller's API
// key: another environment's things do not exist for it (404).
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
)

// Config is what a Server needs.
type Config struct {
	// Store is the database.
	Store dropbridge.Store
	// Connect runs the connect flow and calls Dropbox for connections
	// (required); its PublicURL is the API's base URL in the OpenAPI
	// description.
	Connect *connect.Service
	// Logger receives one line per request (method, path, status; never
	// a query string or a header) and the details of internal errors. nil
	// discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Version is the service's version, shown in the OpenAPI description.
	Version string
	// DropboxNotifier takes the accounts of Dropbox's verified webhook
	// notifications (see DropboxWebhookPath); nil drops them.
	DropboxNotifier DropboxNotifier
}

// Server is the REST API as an http.Handler. It is safe for concurrent
// use.
type Server struct {
	store   dropbridge.Store
	connect *connect.Service
	logger  *slog.Logger
	now     func() time.Time
	api     huma.API
	handler http.Handler
}

// securityScheme names the API key authentication in the OpenAPI
// description.
const securityScheme = "apiKey"

// bearer is the security requirement of every operation that needs an API
// key.
var bearer = []map[string][]string{{securityScheme: {}}}

// New returns a Server.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, connect: cfg.Connect, logger: cfg.Logger, now: cfg.Now}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	version := cfg.Version
	if version == "" {
		version = "dev"
	}
	mux := http.NewServeMux()
	s.api = humago.New(mux, s.humaConfig(version))
	s.api.UseMiddleware(s.authenticate)
	s.api.UseMiddleware(s.selectActor) // X-Dropbridge-Member: before every operation it applies to
	s.registerHealth()
	s.registerApps()
	s.registerConnectSessions()
	s.registerConnections()
	s.registerFiles()
	s.registerPaper()
	s.registerTeam()
	s.registerProxy()
	s.registerSharing()
	s.registerWebhookEndpoints()
	s.registerEvents()
	s.registerDropboxWebhook(mux, cfg.DropboxNotifier)
	mux.HandleFunc("GET "+connect.CallbackPath, s.serveCallback)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs", http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { serveNoRoute(mux, w, r) })
	s.handler = s.logRequests(mux)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// OpenAPI returns the API's OpenAPI description.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

func (s *Server) humaConfig(version string) huma.Config {
	oapi := &huma.OpenAPI{
		OpenAPI: "3.1.0",
		Info: &huma.Info{
			Title:   "dropbridge",
			Version: version,
			Description: "A self-hosted Dropbox connector: connect your users' Dropbox accounts with your own " +
				"Dropbox app and reach them through one API.\n\n" +
				"Authenticate with an API key (`dropbridge apikeys create`) as `Authorization: Bearer <key>`. " +
				"Each key belongs to one environment and sees nothing of another. " +
				"Errors are RFC 9457 problem details whose `type` (and `code`) is stable.",
		},
		Components: &huma.Components{
			Schemas: huma.NewMapRegistry("#/components/schemas/", huma.DefaultSchemaNamer),
			SecuritySchemes: map[string]*huma.SecurityScheme{
				securityScheme: {
					Type:         "http",
					Scheme:       "bearer",
					BearerFormat: "dbk_...",
					Description:  "An API key, made with `dropbridge apikeys create`.",
				},
			},
		},
	}
	if s.connect != nil && s.connect.PublicURL != "" {
		oapi.Servers = []*huma.Server{{URL: strings.TrimRight(s.connect.PublicURL, "/")}}
	}
	return huma.Config{
		OpenAPI:       oapi,
		OpenAPIPath:   "/v1/openapi",
		DocsPath:      "/docs",
		Formats:       map[string]huma.Format{"application/json": huma.DefaultJSONFormat, "json": huma.DefaultJSONFormat},
		DefaultFormat: "application/json",
	}
}

// fail returns the problem that answers err, and logs internal errors
// (their text may say more than users should see).
func (s *Server) fail(ctx context.Context, err error) error {
	p := problemFor(err)
	if p.Status >= 500 && p.Code == dropbridge.EINTERNAL {
		s.logger.ErrorContext(ctx, "internal error", "error", err)
	}
	return p
}

// writeProblem answers with p outside of an operation's handler.
func (s *Server) writeProblem(ctx huma.Context, p *Problem) {
	for k, vs := range p.headers {
		for _, v := range vs {
			ctx.AppendHeader(k, v)
		}
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(p.Status)
	if err := s.api.Marshal(ctx.BodyWriter(), "application/json", p); err != nil {
		s.logger.WarnContext(ctx.Context(), "write problem", "error", err)
	}
}

// serveNoRoute answers requests that no route serves: 405 with Allow when
// the path has routes for other methods, else 404.
func serveNoRoute(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); m != r.Method && pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeProblemHTTP(w, newProblem(dropbridge.ENOTFOUND, "Nothing is served at "+r.URL.Path+": see /docs for the API's paths."))
		return
	}
	p := newProblem(dropbridge.EINVALID, fmt.Sprintf("%s does not take %s: use %s.", r.URL.Path, r.Method, strings.Join(allow, " or ")))
	p.Status = http.StatusMethodNotAllowed
	p.GetHeaders().Set("Allow", strings.Join(allow, ", "))
	writeProblemHTTP(w, p)
}

// writeProblemHTTP answers with p through a plain http.ResponseWriter.
func writeProblemHTTP(w http.ResponseWriter, p *Problem) {
	for k, vs := range p.headers {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	huma.DefaultJSONFormat.Marshal(w, p)
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status.
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records 200 when nothing was recorded yet.
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushes,
// deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs each request: method, path (never the query, which
// carries OAuth codes and states on the callback), status and duration.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.logger.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", s.now().Sub(start).Round(time.Microsecond))
	})
}
