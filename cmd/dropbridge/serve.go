package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/jobs"
)

type serveFlags struct {
	db                databaseFlags
	listen            string
	publicURL         string
	env               string
	appKey            string
	dropboxURL        string
	dropboxAPIURL     string
	dropboxContentURL string
	dropboxNotifyURL  string
	dropboxWWWURL     string
	verbose           bool
	rateLimit         float64
	rateBurst         int
	refreshAhead      time.Duration
	longPoll          bool
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the connector service (REST API and OAuth connect flow)",
		Long: `Run the connector: the REST API under /v1 (OpenAPI at /v1/openapi.json, docs at
/docs) and the OAuth redirect URI /oauth/callback, on SQLite or PostgreSQL.

Configuration comes from flags or the environment:

  DROPBRIDGE_SECRET_KEY   required: the key ring that encrypts tokens and app secrets,
                          "k1:<base64 of 32 random bytes>"; make one with
                          k1:$(openssl rand -base64 32)
  DROPBRIDGE_DATABASE     sqlite:PATH (default: DATA/dropbridge.db) or a postgres:// URL
  DROPBRIDGE_PUBLIC_URL   the service's URL as browsers reach it (default: http://LISTEN);
                          register PUBLIC_URL/oauth/callback with your Dropbox apps
  DROPBOX_APP_KEY, DROPBOX_APP_SECRET
                          a Dropbox app to register as the default app of --env
  DROPBRIDGE_DROPBOX_URL  one base URL for every Dropbox host, such as an emulator

Tokens are refreshed ahead of expiry by background jobs in the same database; any
number of instances may serve one database. Prometheus metrics are at /metrics.

Changes in connected accounts become events. Register PUBLIC_URL/webhooks/dropbox as
your Dropbox apps' webhook URI to hear of them at once; without it (behind NAT, say),
--longpoll watches each connection, and every connection is reconciled on a schedule.

API keys are made with "dropbridge apikeys create".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), cmd, f) },
	}
	fl := cmd.Flags()
	f.db.register(fl, "dropbridge-data")
	fl.StringVar(&f.listen, "listen", envOr("DROPBRIDGE_LISTEN", "127.0.0.1:8080"), "address to listen on ($DROPBRIDGE_LISTEN)")
	fl.StringVar(&f.publicURL, "public-url", os.Getenv("DROPBRIDGE_PUBLIC_URL"), "the service's URL as browsers reach it ($DROPBRIDGE_PUBLIC_URL; default http://LISTEN)")
	fl.StringVar(&f.env, "env", envOr("DROPBRIDGE_ENVIRONMENT", "production"), "environment of the default app from $DROPBOX_APP_KEY ($DROPBRIDGE_ENVIRONMENT)")
	fl.StringVar(&f.appKey, "dropbox-app-key", os.Getenv("DROPBOX_APP_KEY"), "register this Dropbox app as the default app; its secret comes from $DROPBOX_APP_SECRET ($DROPBOX_APP_KEY)")
	fl.StringVar(&f.dropboxURL, "dropbox-url", os.Getenv("DROPBRIDGE_DROPBOX_URL"), "one base URL for every Dropbox host, such as an emulator's ($DROPBRIDGE_DROPBOX_URL)")
	fl.StringVar(&f.dropboxAPIURL, "dropbox-api-url", "", "base URL of api.dropboxapi.com (overrides --dropbox-url)")
	fl.StringVar(&f.dropboxContentURL, "dropbox-content-url", "", "base URL of content.dropboxapi.com (overrides --dropbox-url)")
	fl.StringVar(&f.dropboxNotifyURL, "dropbox-notify-url", "", "base URL of notify.dropboxapi.com (overrides --dropbox-url)")
	fl.StringVar(&f.dropboxWWWURL, "dropbox-www-url", "", "base URL of www.dropbox.com, the OAuth authorize page (overrides --dropbox-url)")
	fl.BoolVar(&f.verbose, "verbose", false, "log at debug level")
	fl.Float64Var(&f.rateLimit, "rate-limit", envFloat("DROPBRIDGE_RATE_LIMIT", httpapi.DefaultRate),
		"requests a second each API key may make, sustained; 0 for no limit ($DROPBRIDGE_RATE_LIMIT)")
	fl.IntVar(&f.rateBurst, "rate-burst", httpapi.DefaultBurst, "requests each API key may make at once")
	fl.DurationVar(&f.refreshAhead, "refresh-ahead", jobs.DefaultRefreshAhead, "refresh access tokens this long before they expire")
	fl.BoolVar(&f.longPoll, "longpoll", envOr("DROPBRIDGE_LONGPOLL", "true") == "true",
		"watch every connection with list_folder/longpoll; turn off once Dropbox's webhooks reach PUBLIC_URL/webhooks/dropbox ($DROPBRIDGE_LONGPOLL)")
	return cmd
}

// envFloat returns the environment variable name as a number, or def
// when it is unset or not a number.
func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// endpoints are the Dropbox URLs of the flags.
func (f *serveFlags) endpoints() (connect.Endpoints, error) {
	e := connect.SingleHost(f.dropboxURL)
	for _, o := range []struct {
		field *string
		v     string
	}{
		{&e.API, f.dropboxAPIURL}, {&e.Content, f.dropboxContentURL}, {&e.Notify, f.dropboxNotifyURL}, {&e.WWW, f.dropboxWWWURL},
	} {
		if o.v != "" {
			*o.field = o.v
		}
	}
	if err := e.Validate(); err != nil {
		return e, errors.New(dropbridge.ErrorMessage(err))
	}
	return e, nil
}

func runServe(ctx context.Context, cmd *cobra.Command, f serveFlags) error {
	endpoints, err := f.endpoints()
	if err != nil {
		return err
	}
	appSecret := os.Getenv("DROPBOX_APP_SECRET")
	if (f.appKey == "") != (appSecret == "") {
		return errors.New("DROPBOX_APP_KEY and DROPBOX_APP_SECRET go together: set both to register a default app, or neither")
	}
	keys, err := f.db.keyring(false)
	if err != nil {
		return err
	}
	logger := newLogger(cmd.ErrOrStderr(), f.verbose)
	store, err := openStore(ctx, f.db.databaseURL(), keys)
	if err != nil {
		return err
	}
	defer store.Close()

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.listen, err)
	}
	defer ln.Close()
	publicURL := strings.TrimRight(f.publicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + dialAddr(ln.Addr())
	} else if u, err := url.Parse(publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--public-url %q must be an absolute http or https URL", f.publicURL)
	}
	svc := connect.New(store, publicURL)
	svc.Dropbox = endpoints
	svc.Logger = logger
	reg := newRegistry()
	svc.HTTPClient = dropboxHTTPClient(reg)
	out := cmd.OutOrStdout()
	if f.appKey != "" {
		app, err := ensureDefaultApp(ctx, store, f.env, "Default app", f.appKey, dropbridge.Secret(appSecret))
		if err != nil {
			return fmt.Errorf("register the default app: %w", err)
		}
		fmt.Fprintf(out, "Default app %s (%s) in environment %s: register %s as its redirect URI\n", app.ID, app.AppKey, f.env, svc.RedirectURI())
	}
	stopJobs, err := startJobs(ctx, f.db.databaseURL(), store, svc, reg, f.refreshAhead, logger)
	if err != nil {
		return err
	}
	defer stopJobs()
	tracking, stopTracking, err := startTracking(ctx, store, svc, logger, f.longPoll)
	if err != nil {
		return err
	}
	defer stopTracking()
	api := httpapi.New(httpapi.Config{Store: store, Connect: svc, Logger: logger, DropboxNotifier: tracking})
	handler := httpapi.NewMetrics(reg).Handler(httpapi.NewRateLimiter(httpapi.RateLimit{Rate: f.rateLimit, Burst: f.rateBurst}).Handler(api))
	fmt.Fprintf(out, "dropbridge listening on %s\n", publicURL)
	fmt.Fprintf(out, "API base URL: %s/v1 (docs: %s/docs)\n", publicURL, publicURL)
	fmt.Fprintf(out, "Metrics: %s%s\n", publicURL, httpapi.MetricsPath)
	return serveUntilDone(ctx, ln, handler, logger)
}

// newRegistry returns a Prometheus registry with the Go runtime's and the
// process's metrics.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// dropboxHTTPClient returns the HTTP client for calls to Dropbox, counted
// in reg. It keeps up to 32 idle connections per host, as the Dropbox
// client's default does, for parallel upload parts.
func dropboxHTTPClient(reg prometheus.Registerer) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: connect.NewMetrics(reg).Transport(t)}
}

// startJobs starts the background jobs (token refresh) on the database,
// with their metrics in reg, and returns the function that stops them,
// waiting a while for the jobs in hand.
func startJobs(ctx context.Context, databaseURL string, store dropbridge.Store, svc *connect.Service,
	reg prometheus.Registerer, refreshAhead time.Duration, logger *slog.Logger) (stop func(), err error) {
	r, err := jobs.Open(ctx, databaseURL, jobs.Config{Store: store, Connect: svc, Logger: logger,
		RefreshAhead: refreshAhead, Metrics: jobs.NewMetrics(reg)})
	if err != nil {
		return nil, fmt.Errorf("set up background jobs: %w", err)
	}
	if err := r.Start(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("start background jobs: %w", err)
	}
	return func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := r.Stop(stopCtx); err != nil {
			logger.Warn("background jobs did not stop in time", "error", err)
		}
		r.Close()
	}, nil
}

// ensureDefaultApp registers the app with appKey in the environment named
// envName (made if missing) as its default app, or updates its secret and
// makes it the default if it is registered already.
func ensureDefaultApp(ctx context.Context, store dropbridge.Store, envName, name, appKey string, secret dropbridge.Secret) (*dropbridge.App, error) {
	env, _, err := findOrCreateEnvironment(ctx, store, envName)
	if err != nil {
		return nil, err
	}
	apps, err := store.ListApps(ctx, env.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.AppKey != appKey {
			continue
		}
		if a.AppSecret == secret && a.IsDefault {
			return a, nil
		}
		yes := true
		return store.UpdateApp(ctx, env.ID, a.ID, dropbridge.AppUpdate{AppSecret: &secret, IsDefault: &yes})
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: name, AppKey: appKey, AppSecret: secret, IsDefault: true}
	if err := store.CreateApp(ctx, app); err != nil {
		return nil, err
	}
	return app, nil
}

// newLogger logs text lines to w.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// shutdownTimeout is how long requests in flight get to finish when the
// service stops.
const shutdownTimeout = 10 * time.Second

// serveUntilDone serves h on ln until ctx is done, then shuts down
// gracefully.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
