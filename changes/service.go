// Package changes keeps each connection's mirror current and turns what
// changed into events: the files mirror from list_folder cursors, and the
// polled kinds (shared links, shared folders and their members, file
// requests, team members, team folders) by listing and diffing them.
//
// The rules are package tracker's; this package does the I/O around them.
// For one list_folder page it loads the page's working set of the mirror,
// diffs the page, gives each change its origin from the write log, adds
// file_request.file_received for files that landed in an open request's
// folder, and stores the entries, the new cursor, the events and the
// consumed writes in one transaction (dropbridge.MirrorStore's
// ApplyMirrorChange), conditional on the mirror's version. So a page is
// applied once: a process stopped between pages resumes from the last
// stored cursor, and two processes syncing one connection never apply a
// page twice.
//
// What starts a sync:
//
//   - Notify, with the accounts of a Dropbox webhook notification
//     (httpapi's /webhooks/dropbox): a sync of each of their connections,
//     repeats coalesced into one more sync;
//   - with Config.LongPoll, a watcher per active connection on
//     files/list_folder/longpoll with the stored cursor, honouring
//     Dropbox's backoff: the mode without a public URL;
//   - a reconciliation of every connection every ReconcileInterval, and of
//     each connection when Run first sees it: the safety net, and the
//     initial mirror of a new connection.
//
// After file changes, and in every reconciliation, the polled kinds are
// listed again, at most once per PollGap per connection.
//
// # Decisions
//
//   - The first listing of a connection (its initial mirror), and the
//     first poll of each polled kind, make no events: they are the state
//     the application starts from, not changes. A connection's mirror is
//     in its initial listing while its stored cursor carries the prefix
//     "initial:", so that a restart in the middle of it stays silent too.
//   - A reset cursor (list_folder/continue answers reset) is followed by a
//     full listing whose first page is diffed against the whole mirror
//     (tracker.Files.Reset): what is listed again unchanged makes no event,
//     the rest is created, updated, moved or deleted.
//   - A team's connection (a team token) has no files of its own: it is
//     polled for team members and team folders only. A user's connection
//     is polled for shared links, shared folders and members, and file
//     requests. A kind the token has no scope for is skipped.
//   - Every Dropbox call is background work (dropbox.WithBackground), so
//     that requests of the REST API go first.
package changes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/tracker"
)

// Store is what the service needs of the database.
type Store interface {
	dropbridge.EnvironmentStore
	dropbridge.ConnectionStore
	dropbridge.MirrorStore
	dropbridge.WriteLogStore
}

// Defaults of Config.
const (
	DefaultReconcileInterval = 5 * time.Minute
	DefaultScanInterval      = time.Minute
	DefaultPollGap           = 30 * time.Second
	DefaultLongpollTimeout   = 90 * time.Second
	DefaultWorkers           = 16
)

// Config is what a Service needs.
type Config struct {
	// Store keeps connections, the mirror, events and the write log
	// (required).
	Store Store
	// Connect calls Dropbox for connections (required). Set its WriteLog
	// to the same store so that dropbridge's own writes get origin "api",
	// and its OnConnection to the service's ConnectionChanged.
	Connect *connect.Service
	// LongPoll runs a long-poll watcher per active connection: for
	// services that Dropbox's webhooks cannot reach.
	LongPoll bool
	// ReconcileInterval is how often every connection is synced in full;
	// 0 means DefaultReconcileInterval, a negative value never.
	ReconcileInterval time.Duration
	// ScanInterval is how often Run reads the list of connections again
	// (it also does when Notify names an unknown account, and on
	// ConnectionChanged); 0 means DefaultScanInterval.
	ScanInterval time.Duration
	// PollGap is the least time between two polls of one connection's
	// polled kinds after file changes; 0 means DefaultPollGap, a negative
	// value no gap. A poll due within the gap runs when it ends.
	PollGap time.Duration
	// LongpollTimeout is the timeout of each long-poll, 30s to 480s; 0
	// means DefaultLongpollTimeout.
	LongpollTimeout time.Duration
	// Workers is how many connections Run syncs at once (long-poll
	// watchers wait for a connection's changes apart from them); 0 means
	// DefaultWorkers.
	Workers int
	// PageLimit is list_folder's page size hint; 0 leaves it to Dropbox.
	PageLimit uint32
	// OriginWindow is how long after a write of dropbridge's a change may
	// be matched to it; 0 means tracker.DefaultOriginWindow.
	OriginWindow time.Duration
	// Logger receives failed syncs and refused pages; nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// OnSync, when set, is called after each sync that Run started (by
	// Notify, a watcher, reconciliation), with its error. It must not
	// block.
	OnSync func(environmentID, connectionID string, err error)
}

// Service keeps the mirrors of all connections current. Make it with New;
// its methods are safe for concurrent use.
type Service struct {
	cfg    Config
	logger *slog.Logger
	ids    dropbridge.EventIDs

	mu      sync.Mutex
	conns   map[string]*conn   // by connection key (environment and ID)
	account map[string][]*conn // by Dropbox account ID
	run     context.Context    // Run's context while Run runs
	scanNow chan struct{}
	workers chan struct{}   // one token per sync that Run runs
	waiting map[string]bool // accounts notified before a scan found them
	wg      sync.WaitGroup
}

// conn is the service's state of one connection.
type conn struct {
	env, id, account string
	team             bool

	lock chan struct{} // held while syncing

	// Guarded by Service.mu.
	active   bool
	running  bool // a triggered sync runs
	again    bool // another is due when it ends
	poll     bool // the sync due polls too
	stop     context.CancelFunc
	lastPoll time.Time
	timer    *time.Timer // a poll due at the end of the gap
}

// New returns a Service, or an error when cfg lacks its store or
// connect service, or a long-poll timeout is out of range.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("changes: no store")
	case cfg.Connect == nil:
		return nil, errors.New("changes: no connect service")
	case cfg.LongpollTimeout != 0 && (cfg.LongpollTimeout < 30*time.Second || cfg.LongpollTimeout > 480*time.Second):
		return nil, fmt.Errorf("changes: long-poll timeout %v is not between 30s and 480s", cfg.LongpollTimeout)
	}
	if cfg.ReconcileInterval == 0 {
		cfg.ReconcileInterval = DefaultReconcileInterval
	}
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = DefaultScanInterval
	}
	if cfg.PollGap == 0 {
		cfg.PollGap = DefaultPollGap
	}
	if cfg.LongpollTimeout == 0 {
		cfg.LongpollTimeout = DefaultLongpollTimeout
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.OriginWindow <= 0 {
		cfg.OriginWindow = tracker.DefaultOriginWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, logger: cfg.Logger, conns: map[string]*conn{}, account: map[string][]*conn{},
		scanNow: make(chan struct{}, 1), workers: make(chan struct{}, cfg.Workers), waiting: map[string]bool{}}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func connKey(env, id string) string { return env + "/" + id }

// connOf returns the state of a connection, made on first use.
func (s *Service) connOf(env, id string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[connKey(env, id)]
	if c == nil {
		c = &conn{env: env, id: id, lock: make(chan struct{}, 1)}
		s.conns[connKey(env, id)] = c
	}
	return c
}

// acquire takes c's sync lock, or returns ctx's error.
func (c *conn) acquire(ctx context.Context) error {
	select {
	case c.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *conn) release() { <-c.lock }

// Sync brings the environment's connection's mirror up to date: the files
// mirror to the end of its listing, then the polled kinds. It waits for a
// sync of the connection in progress to end first. A connection that is
// not active is ECONFLICT (connect.Service.Do's error); an unknown one
// ENOTFOUND.
func (s *Service) Sync(ctx context.Context, environmentID, connectionID string) error {
	c := s.connOf(environmentID, connectionID)
	if err := c.acquire(ctx); err != nil {
		return err
	}
	defer c.release()
	_, err := s.sync(ctx, c, true)
	return err
}

// SyncFiles brings the connection's files mirror to the end of its
// listing and returns how many events it made. Errors as Sync's.
func (s *Service) SyncFiles(ctx context.Context, environmentID, connectionID string) (int, error) {
	c := s.connOf(environmentID, connectionID)
	if err := c.acquire(ctx); err != nil {
		return 0, err
	}
	defer c.release()
	return s.syncFiles(ctx, c)
}

// SyncFilesPage applies one list_folder page to the connection's files
// mirror, and reports whether the listing has more. Errors as Sync's.
func (s *Service) SyncFilesPage(ctx context.Context, environmentID, connectionID string) (more bool, err error) {
	c := s.connOf(environmentID, connectionID)
	if err := c.acquire(ctx); err != nil {
		return false, err
	}
	defer c.release()
	conn, err := s.connection(ctx, c)
	if err != nil {
		return false, err
	}
	more, _, err = s.filesPage(ctx, conn)
	return more, err
}

// Poll lists the connection's polled kinds and stores what changed, with
// its events. Errors as Sync's.
func (s *Service) Poll(ctx context.Context, environmentID, connectionID string) error {
	c := s.connOf(environmentID, connectionID)
	if err := c.acquire(ctx); err != nil {
		return err
	}
	defer c.release()
	conn, err := s.connection(ctx, c)
	if err != nil {
		return err
	}
	s.notePoll(c)
	return s.poll(ctx, conn)
}

// connection reads c's connection, and notes whether it is a team's.
func (s *Service) connection(ctx context.Context, c *conn) (*dropbridge.Connection, error) {
	conn, err := s.cfg.Store.FindConnectionByID(ctx, c.env, c.id)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	if conn.Status != dropbridge.ConnectionActive {
		return nil, dropbridge.Errorf(dropbridge.ECONFLICT, "Connection %q is %s: its mirror is kept only while it is active.", conn.ID, conn.Status)
	}
	s.mu.Lock()
	c.team = isTeam(conn)
	c.account = conn.AccountID
	s.mu.Unlock()
	return conn, nil
}

// isTeam reports whether conn holds a team's token: its account is the
// team (see connect's identifyTeam).
func isTeam(conn *dropbridge.Connection) bool {
	return conn.TeamID != "" && conn.AccountID == conn.TeamID
}

// sync syncs c's files, then, if pollToo or files changed, its polled
// kinds (at most once per PollGap when only files changed). The caller
// holds c's lock. It returns the number of file events.
func (s *Service) sync(ctx context.Context, c *conn, pollToo bool) (int, error) {
	conn, err := s.connection(ctx, c)
	if err != nil {
		return 0, err
	}
	var n int
	var errs []error
	if !isTeam(conn) {
		if n, err = s.syncFiles(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	if pollToo || n > 0 {
		if pollToo || s.pollDue(c) {
			s.notePoll(c)
			if err := s.poll(ctx, conn); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return n, errors.Join(errs...)
}

// notePoll records that c's polled kinds are polled now.
func (s *Service) notePoll(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.lastPoll = s.cfg.Now()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// pollDue reports whether c's polled kinds may be polled now; if not, it
// makes sure a poll runs when the gap ends (under Run).
func (s *Service) pollDue(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.PollGap < 0 {
		return true
	}
	wait := c.lastPoll.Add(s.cfg.PollGap).Sub(s.cfg.Now())
	if wait <= 0 {
		return true
	}
	if c.timer == nil && s.run != nil {
		c.timer = time.AfterFunc(wait, func() {
			s.mu.Lock()
			c.timer = nil
			s.mu.Unlock()
			s.trigger(c, true)
		})
	}
	return false
}

// syncFiles applies pages until the listing has no more; the caller holds
// c's lock.
func (s *Service) syncFiles(ctx context.Context, c *conn) (int, error) {
	conn, err := s.connection(ctx, c)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		more, n, err := s.filesPage(ctx, conn)
		total += n
		if err != nil {
			return total, err
		}
		if !more {
			return total, nil
		}
	}
}
