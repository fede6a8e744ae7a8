package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
)

// waitingStates are the states in which a job blocks another like it:
// waiting or running, not finished. A refresh job that completed does not
// block the connection's next refresh hours later.
var waitingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// refreshDueArgs is the periodic job that enqueues a refresh for every
// connection due.
type refreshDueArgs struct{}

// Kind implements river.JobArgs.
func (refreshDueArgs) Kind() string { return "dropbridge_refresh_due_tokens" }

// InsertOpts makes the job unique while it waits or runs.
func (refreshDueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: waitingStates}}
}

// refreshTokenArgs is the refresh of one connection's token.
type refreshTokenArgs struct {
	EnvironmentID string `json:"environment_id" river:"unique"`
	ConnectionID  string `json:"connection_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (refreshTokenArgs) Kind() string { return "dropbridge_refresh_token" }

// InsertOpts makes the job unique per connection while it waits or runs:
// one refresh at a time per connection.
func (refreshTokenArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waitingStates}}
}

// dueBefore is the expiry before which a token is due for refresh.
func (r *Runner) dueBefore() time.Time { return r.cfg.Now().Add(r.cfg.RefreshAhead) }

// EnqueueDueRefreshes enqueues a refresh job for every active connection
// whose access token expires within RefreshAhead and can be refreshed,
// and returns how many it enqueued; a connection whose refresh already
// waits or runs is not enqueued twice. The leader does this every
// CheckInterval; calling it is safe at any time, from any process, also
// before Start.
func (r *Runner) EnqueueDueRefreshes(ctx context.Context) (int, error) {
	f := dropbridge.ExpiringFilter{Before: r.dueBefore()}
	enqueued := 0
	for {
		cs, err := r.cfg.Store.ListExpiringConnections(ctx, f)
		if err != nil {
			return enqueued, fmt.Errorf("jobs: list connections due for refresh: %w", err)
		}
		var params []river.InsertManyParams
		for _, c := range cs {
			if c.Token.RefreshToken != "" {
				params = append(params, river.InsertManyParams{Args: refreshTokenArgs{EnvironmentID: c.EnvironmentID, ConnectionID: c.ID}})
			}
		}
		if len(params) > 0 {
			res, err := r.client.InsertMany(ctx, params)
			if err != nil {
				return enqueued, fmt.Errorf("jobs: enqueue refreshes: %w", err)
			}
			for _, x := range res {
				if !x.UniqueSkippedAsDuplicate {
					enqueued++
				}
			}
		}
		if len(cs) < f.PageSize() {
			return enqueued, nil
		}
		last := cs[len(cs)-1]
		f.AfterExpiry, f.AfterID = last.Token.Expiry, last.ID
	}
}

// refreshDueWorker works the periodic job.
type refreshDueWorker struct {
	river.WorkerDefaults[refreshDueArgs]
	r *Runner
}

// Work implements river.Worker.
func (w *refreshDueWorker) Work(ctx context.Context, _ *river.Job[refreshDueArgs]) error {
	n, err := w.r.EnqueueDueRefreshes(ctx)
	if n > 0 {
		w.r.cfg.Logger.DebugContext(ctx, "token refreshes enqueued", "count", n)
	}
	return err
}

// refreshTimeout bounds one refresh: a call to Dropbox's token endpoint
// and two reads and a write of the database.
const refreshTimeout = time.Minute

// refreshTokenWorker refreshes one connection's token.
type refreshTokenWorker struct {
	river.WorkerDefaults[refreshTokenArgs]
	r *Runner
}

// Timeout implements river.Worker.
func (w *refreshTokenWorker) Timeout(*river.Job[refreshTokenArgs]) time.Duration {
	return refreshTimeout
}

// Work implements river.Worker. Errors make River retry the job with
// backoff; a connection that no longer exists ends it.
func (w *refreshTokenWorker) Work(ctx context.Context, job *river.Job[refreshTokenArgs]) error {
	a := job.Args
	outcome, err := w.r.cfg.Connect.RefreshToken(dropbox.WithBackground(ctx), a.EnvironmentID, a.ConnectionID, w.r.dueBefore())
	w.r.observe(ctx, a, outcome, err, job.Attempt)
	if dropbridge.ErrorCode(err) == dropbridge.ENOTFOUND {
		return river.JobCancel(err)
	}
	return err
}

// observe logs, counts and reports one refresh attempt.
func (r *Runner) observe(ctx context.Context, a refreshTokenArgs, outcome connect.RefreshOutcome, err error, attempt int) {
	log := r.cfg.Logger.With("connection", a.ConnectionID, "environment", a.EnvironmentID)
	switch {
	case err != nil:
		log.WarnContext(ctx, "token refresh failed; it will be retried", "attempt", attempt, "error", err)
	case outcome == connect.Refreshed, outcome == connect.RefreshNeedsReauth:
		log.InfoContext(ctx, "token refresh", "outcome", string(outcome))
	default:
		log.DebugContext(ctx, "token refresh", "outcome", string(outcome))
	}
	r.cfg.Metrics.count(outcome, err)
	if r.cfg.OnRefresh != nil {
		r.cfg.OnRefresh(a.EnvironmentID, a.ConnectionID, outcome, err)
	}
}
