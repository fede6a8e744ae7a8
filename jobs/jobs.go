// Package jobs runs the connector's background work as River jobs
// (https://riverqueue.com) in the service's own database, SQLite or
// PostgreSQL: River's tables sit beside the store's, and River's
// migrations are applied when a Runner is made.
//
// The work so far is token refresh. A periodic job, run by the one
// elected leader among the processes on a database, lists the connections
// whose access token expires within Config.RefreshAhead and enqueues one
// refresh job per connection. Refresh jobs are unique per connection while
// they wait or run, so that a connection is refreshed by one worker at a
// time however many processes enqueue it; a job that finds the token
// already fresh does nothing. A refresh goes through
// connect.Service.RefreshToken: a refused refresh token (invalid_grant)
// makes the connection needs_reauth, and other failures are retried by
// River with backoff.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
)

// Defaults of Config.
const (
	DefaultRefreshAhead  = 30 * time.Minute
	DefaultCheckInterval = time.Minute
	DefaultMaxWorkers    = 10
)

// Store is what the jobs need of the database.
type Store interface {
	// ListExpiringConnections is dropbridge.ConnectionStore's.
	ListExpiringConnections(ctx context.Context, f dropbridge.ExpiringFilter) ([]*dropbridge.Connection, error)
}

// Config is what a Runner needs.
type Config struct {
	// Store lists the connections due for refresh (required).
	Store Store
	// Connect refreshes tokens (required).
	Connect *connect.Service
	// Logger receives River's logs and one line per refresh; nil
	// discards. No token is ever logged.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. It decides which
	// tokens are due; River keeps its own time for scheduling.
	Now func() time.Time
	// RefreshAhead is how long before its expiry a token is refreshed;
	// 0 means DefaultRefreshAhead. Keep it well above CheckInterval.
	RefreshAhead time.Duration
	// CheckInterval is how often the leader looks for tokens due; 0 means
	// DefaultCheckInterval. It also looks once at start.
	CheckInterval time.Duration
	// MaxWorkers is how many jobs a process runs at once; 0 means
	// DefaultMaxWorkers.
	MaxWorkers int
	// PollInterval is how often River looks for new jobs where no
	// notification tells it (SQLite across processes); 0 means River's
	// default, a second.
	PollInterval time.Duration
	// Metrics, if set, counts refresh outcomes.
	Metrics *Metrics
	// OnRefresh, if set, is called after each refresh attempt with its
	// outcome, or its error (then the outcome is empty). It must not
	// block for long: it runs in the job.
	OnRefresh func(environmentID, connectionID string, outcome connect.RefreshOutcome, err error)
}

func (c *Config) withDefaults() (Config, error) {
	d := *c
	if d.Store == nil || d.Connect == nil {
		return d, errors.New("jobs: the config needs a store and a connect service")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.RefreshAhead <= 0 {
		d.RefreshAhead = DefaultRefreshAhead
	}
	if d.CheckInterval <= 0 {
		d.CheckInterval = DefaultCheckInterval
	}
	if d.MaxWorkers <= 0 {
		d.MaxWorkers = DefaultMaxWorkers
	}
	return d, nil
}

// client is what a Runner uses of a *river.Client, whatever its driver.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Runner works the connector's jobs in one process: any number of
// processes may run one on the same database. Start it to work jobs,
// Stop it to finish the jobs in hand, Close it to release its database
// handle. It is safe for concurrent use.
type Runner struct {
	cfg     Config
	client  client
	closeDB func()
}

// Open opens the database named by databaseURL, "sqlite:PATH" or a
// postgres:// URL (the store's database: its tables must exist), applies
// River's migrations, and returns a Runner on it that Close closes.
func Open(ctx context.Context, databaseURL string, cfg Config) (*Runner, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, errors.New("jobs: open: sqlite: needs the path of a database file")
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// Immediate transactions queue for the write lock instead of
		// failing when they first read and then write.
		db, err := sql.Open("sqlite", path+"?"+q.Encode()+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("jobs: open %s: %w", path, err)
		}
		r, err := NewSQLite(ctx, db, cfg)
		if err != nil {
			db.Close()
			return nil, err
		}
		r.closeDB = func() { db.Close() }
		return r, nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		pc, err := pgxpool.ParseConfig(databaseURL)
		if err != nil {
			// The error may quote the URL, password and all.
			return nil, errors.New("jobs: open: the PostgreSQL URL does not parse")
		}
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, fmt.Errorf("jobs: open the PostgreSQL database: %w", err)
		}
		r, err := NewPostgres(ctx, pool, cfg)
		if err != nil {
			pool.Close()
			return nil, err
		}
		r.closeDB = pool.Close
		return r, nil
	}
	return nil, errors.New("jobs: open: the database must be sqlite:PATH or a postgres:// URL")
}

// NewSQLite returns a Runner on a SQLite database, after applying River's
// migrations. It limits db to one connection, as River's SQLite driver
// asks; db stays the caller's to close, after Stop.
func NewSQLite(ctx context.Context, db *sql.DB, cfg Config) (*Runner, error) {
	db.SetMaxOpenConns(1)
	return newRunner(ctx, riversqlite.New(db), cfg)
}

// NewPostgres returns a Runner on a PostgreSQL database, after applying
// River's migrations in the schema of the pool's search_path. pool stays
// the caller's to close, after Stop.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Runner, error) {
	return newRunner(ctx, riverpgxv5.New(pool), cfg)
}

func newRunner[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], c Config) (*Runner, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("jobs: migrate: %w", err)
	}
	r := &Runner{cfg: cfg}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &refreshDueWorker{r: r}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &refreshTokenWorker{r: r}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	var cooldown time.Duration // River's default, unless polling is faster
	if cfg.PollInterval > 0 && cfg.PollInterval < river.FetchCooldownDefault {
		cooldown = cfg.PollInterval
	}
	rc, err := river.NewClient(driver, &river.Config{
		Logger:            cfg.Logger,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		Workers:           workers,
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     cooldown,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.CheckInterval),
			func() (river.JobArgs, *river.InsertOpts) { return refreshDueArgs{}, nil },
			&river.PeriodicJobOpts{ID: refreshDueArgs{}.Kind(), RunOnStart: true})},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	r.client = rc
	return r, nil
}

// Start starts working jobs, until ctx is done or Stop is called.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for those in hand to finish, or for
// ctx to end.
func (r *Runner) Stop(ctx context.Context) error {
	if err := r.client.Stop(ctx); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// Close releases the database handle that Open opened; call it after
// Stop. It does nothing for Runners made by NewSQLite or NewPostgres.
func (r *Runner) Close() error {
	if r.closeDB != nil {
		r.closeDB()
	}
	return nil
}
