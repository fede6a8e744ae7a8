package changes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Run keeps every connection's mirror current until ctx ends: it reads
// the list of connections (every ScanInterval, and when told of a change),
// syncs each connection it sees for the first time, runs the syncs that
// Notify asks for, the long-poll watchers with Config.LongPoll, and the
// reconciliation of every connection every ReconcileInterval. It returns
// when ctx ends and every sync and watcher it started has stopped, with
// nil; or at once with an error when it already runs.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.run != nil {
		s.mu.Unlock()
		return errors.New("changes: Run already runs")
	}
	s.run = ctx
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.run = nil
		for _, c := range s.conns {
			c.active = false // the next Run syncs it first thing
			if c.stop != nil {
				c.stop()
				c.stop = nil
			}
			if c.timer != nil {
				c.timer.Stop()
				c.timer = nil
			}
		}
		s.mu.Unlock()
		s.wg.Wait()
	}()

	s.scan(ctx)
	scan := time.NewTicker(s.cfg.ScanInterval)
	defer scan.Stop()
	var reconcile <-chan time.Time
	if s.cfg.ReconcileInterval > 0 {
		t := time.NewTicker(s.cfg.ReconcileInterval)
		defer t.Stop()
		reconcile = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-scan.C:
			s.scan(ctx)
		case <-s.scanNow:
			s.scan(ctx)
		case <-reconcile:
			s.mu.Lock()
			var all []*conn
			for _, c := range s.conns {
				if c.active {
					all = append(all, c)
				}
			}
			s.mu.Unlock()
			for _, c := range all {
				s.trigger(c, true)
			}
		}
	}
}

// Start runs Run in a goroutine until ctx ends or stop is called; stop
// waits for Run to return (every sync and watcher stopped). Call stop
// before closing the store.
func (s *Service) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx); err != nil {
			s.logger.Error("change tracking not started", "error", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// Notify asks for a sync of the connections of these Dropbox accounts, as
// a Dropbox webhook notification lists them. It does not wait: the syncs
// run under Run, and repeats for a connection whose sync is running or
// due make one more sync. An account that Run does not know yet is looked
// for in the next read of the connections, which Notify asks for. Without
// Run, Notify does nothing.
func (s *Service) Notify(accountIDs ...string) {
	var due []*conn
	unknown := false
	s.mu.Lock()
	if s.run == nil {
		s.mu.Unlock()
		return
	}
	for _, a := range accountIDs {
		cs := s.account[a]
		if len(cs) == 0 {
			s.waiting[a] = true
			unknown = true
		}
		due = append(due, cs...)
	}
	s.mu.Unlock()
	for _, c := range due {
		s.trigger(c, false)
	}
	if unknown {
		s.rescan()
	}
}

// ConnectionChanged tells the service that a connection was created or
// changed status: set it as connect.Service.OnConnection. It does not
// block; Run reads the connections again.
func (s *Service) ConnectionChanged(*dropbridge.Connection) { s.rescan() }

// rescan asks Run to read the connections again.
func (s *Service) rescan() {
	select {
	case s.scanNow <- struct{}{}:
	default:
	}
}

// scan reads every environment's connections, starts syncs and watchers
// of the active ones it sees for the first time, and stops the watchers of
// connections that are no longer active.
func (s *Service) scan(ctx context.Context) {
	seen, err := s.listConnections(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.logger.Warn("connections not read", "error", err)
		}
		return
	}
	var fresh, notified []*conn
	s.mu.Lock()
	s.account = map[string][]*conn{}
	present := map[string]bool{}
	for _, dc := range seen {
		key := connKey(dc.EnvironmentID, dc.ID)
		present[key] = true
		c := s.conns[key]
		if c == nil {
			c = &conn{env: dc.EnvironmentID, id: dc.ID, lock: make(chan struct{}, 1)}
			s.conns[key] = c
		}
		wasActive := c.active
		c.account, c.team = dc.AccountID, isTeam(dc)
		c.active = dc.Status == dropbridge.ConnectionActive
		if !c.active {
			s.unwatch(c)
			continue
		}
		s.account[c.account] = append(s.account[c.account], c)
		if !wasActive {
			fresh = append(fresh, c)
		}
		if s.waiting[c.account] {
			notified = append(notified, c)
		}
		if s.cfg.LongPoll && !c.team && c.stop == nil {
			wctx, cancel := context.WithCancel(ctx)
			c.stop = cancel
			s.wg.Add(1)
			go s.watch(wctx, c)
		}
	}
	for key, c := range s.conns {
		if !present[key] {
			c.active = false
			s.unwatch(c)
		}
	}
	clear(s.waiting)
	s.mu.Unlock()
	for _, c := range fresh {
		s.trigger(c, true)
	}
	for _, c := range notified {
		s.trigger(c, false)
	}
}

// unwatch stops c's watcher; the caller holds s.mu.
func (s *Service) unwatch(c *conn) {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
}

// listConnections returns the connections of every environment.
func (s *Service) listConnections(ctx context.Context) ([]*dropbridge.Connection, error) {
	envs, err := s.cfg.Store.ListEnvironments(ctx)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	var out []*dropbridge.Connection
	for _, env := range envs {
		f := dropbridge.ConnectionFilter{Limit: dropbridge.MaxPageSize}
		for {
			page, err := s.cfg.Store.ListConnections(ctx, env.ID, f)
			if err != nil {
				return nil, fmt.Errorf("list connections of %s: %w", env.ID, err)
			}
			out = append(out, page.Connections...)
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	return out, nil
}

// trigger runs a sync of c under Run (polling too with pollToo), or, when
// one runs, makes another follow it. Without Run it does nothing.
func (s *Service) trigger(c *conn, pollToo bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := s.run
	if ctx == nil || ctx.Err() != nil {
		return
	}
	c.poll = c.poll || pollToo
	if c.running {
		c.again = true
		return
	}
	c.running = true
	s.wg.Add(1)
	go s.work(ctx, c)
}

// work runs c's due syncs until none is due.
func (s *Service) work(ctx context.Context, c *conn) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		pollToo := c.poll
		c.poll, c.again = false, false
		s.mu.Unlock()
		select {
		case s.workers <- struct{}{}:
			_ = s.syncLocked(ctx, c, pollToo) // logged and reported there
			<-s.workers
		case <-ctx.Done():
		}
		s.mu.Lock()
		if !c.again || ctx.Err() != nil {
			c.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// syncLocked takes c's lock, syncs it and reports the outcome.
func (s *Service) syncLocked(ctx context.Context, c *conn, pollToo bool) error {
	if err := c.acquire(ctx); err != nil {
		return err
	}
	_, err := s.sync(ctx, c, pollToo)
	c.release()
	if err != nil && ctx.Err() == nil {
		s.logger.Warn("connection not synced", "connection", c.id, "error", err)
	}
	if s.cfg.OnSync != nil && ctx.Err() == nil {
		s.cfg.OnSync(c.env, c.id, err)
	}
	return err
}

// Bounds of the wait after a failed long-poll.
const (
	minRetry = time.Second
	maxRetry = time.Minute
)

// watch long-polls c's files cursor until ctx ends, and syncs c when
// Dropbox says it changed (or reset the cursor). It waits as long as
// Dropbox's backoff says before the next long-poll, and backs off
// exponentially after failures.
func (s *Service) watch(ctx context.Context, c *conn) {
	defer s.wg.Done()
	retry := minRetry
	timeout := uint64(s.cfg.LongpollTimeout / time.Second)
	for ctx.Err() == nil {
		cur, err := s.cfg.Store.FindMirrorCursor(ctx, c.env, c.id, dropbridge.MirrorFiles)
		if err == nil && (cur.Cursor == "" || strings.HasPrefix(cur.Cursor, initialPrefix)) {
			// No cursor to watch yet: the first listing makes one.
			err = s.syncLocked(ctx, c, false)
			if err == nil {
				continue
			}
		}
		var res *dropbox.ListFolderLongpollResult
		if err == nil {
			err = s.cfg.Connect.Do(background(ctx), c.env, c.id, func(ctx context.Context, dc *dropbox.Client) error {
				var err error
				res, err = dc.Files.ListFolderLongpoll(ctx, &dropbox.ListFolderLongpollArg{Cursor: cur.Cursor, Timeout: &timeout})
				return err
			})
			if errors.Is(err, dropbox.ErrReset) {
				res, err = &dropbox.ListFolderLongpollResult{Changes: true}, nil
			}
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.logger.Warn("long-poll failed", "connection", c.id, "error", err, "retry_in", retry)
			if !sleep(ctx, retry) {
				return
			}
			retry = min(2*retry, maxRetry)
			continue
		}
		retry = minRetry
		if res.Changes {
			_ = s.syncLocked(ctx, c, false)
		}
		if res.Backoff != nil && *res.Backoff > 0 {
			if !sleep(ctx, time.Duration(*res.Backoff)*time.Second) {
				return
			}
		}
	}
}

// sleep waits for d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
