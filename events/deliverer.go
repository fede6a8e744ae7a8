// Package events tells applications about the events in the outbox: it
// delivers them to webhook endpoints, signed per the Standard Webhooks
// scheme (package webhooks), and writes them as a server-sent event
// stream.
//
// A Deliverer claims due deliveries from the store, sends each as one
// POST, and records the attempt with its outcome: a 2xx answer ends the
// delivery; anything else is retried on the retry policy's schedule, and
// parked in the dead-letter list when it runs out. The store hands out
// only the oldest pending delivery of each endpoint and connection, so the
// events of one connection reach an endpoint in order, while different
// connections and endpoints go out at once. Any number of Deliverers, in
// any number of processes, may work one database.
package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/webhooks"
)

// Defaults of DelivererConfig.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultPollInterval = 200 * time.Millisecond
	DefaultBatchSize    = 50
)

// maxErrorBody is how much of an endpoint's error answer is kept in the
// attempt's log.
const maxErrorBody = 256

// DeliveryStore is what a Deliverer needs of the database:
// dropbridge.DeliveryStore's claims and attempts.
type DeliveryStore interface {
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*dropbridge.DeliveryClaim, error)
	RecordDeliveryAttempt(ctx context.Context, o *dropbridge.DeliveryOutcome) (*dropbridge.Delivery, error)
}

// DelivererConfig is what a Deliverer needs.
type DelivererConfig struct {
	// Store hands out the deliveries and records their attempts
	// (required). Its clock decides which deliveries are due: give it
	// the same clock as Now.
	Store DeliveryStore
	// Client sends the deliveries; nil means a client that follows no
	// redirects (a 3xx answer is a failure). Timeout applies either way.
	Client *http.Client
	// Timeout bounds one attempt, from connecting to the end of the
	// answer's status and first bytes; 0 means DefaultTimeout.
	Timeout time.Duration
	// Retry is the retry schedule; the zero value means
	// webhooks.DefaultRetryPolicy.
	Retry webhooks.RetryPolicy
	// Now returns the current time: the webhook-timestamp, the attempt's
	// time, the base of the retry time. nil means time.Now.
	Now func() time.Time
	// Random returns a number in [0, 1) that picks the jitter of a retry;
	// nil means math/rand/v2.Float64.
	Random func() float64
	// PollInterval is how often the Deliverer asks the store for due
	// deliveries when Notify does not wake it sooner; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
	// BatchSize is how many deliveries one claim takes, and so how many
	// go out at once; 0 means DefaultBatchSize.
	BatchSize int
	// Logger receives one line per failed attempt and store errors; nil
	// discards. No secret is ever logged.
	Logger *slog.Logger
	// OnAttempt, if set, is called after each recorded attempt with the
	// delivery as it now stands. It must not block for long.
	OnAttempt func(d *dropbridge.Delivery)
}

// Deliverer sends webhook deliveries in the background between Start and
// Stop. Its methods are safe for concurrent use.
type Deliverer struct {
	cfg  DelivererConfig
	wake chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc // stops the loop
	abort  context.CancelFunc // cuts the attempts in flight short
	done   chan struct{}
}

// NewDeliverer returns a Deliverer, or an error when cfg has no store.
func NewDeliverer(cfg DelivererConfig) (*Deliverer, error) {
	if cfg.Store == nil {
		return nil, errors.New("events: the deliverer needs a store")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Retry == (webhooks.RetryPolicy{}) {
		cfg.Retry = webhooks.DefaultRetryPolicy
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Float64
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	cfg.BatchSize = min(cfg.BatchSize, dropbridge.MaxPageSize)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Start starts delivering in the background until Stop or until ctx
// ends. Starting a started Deliverer is an error.
func (d *Deliverer) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		return errors.New("events: the deliverer is already started")
	}
	// Attempts in flight outlive ctx and Stop, up to Timeout, so that
	// what an endpoint received is recorded; abort cuts them short.
	work, abort := context.WithCancel(context.WithoutCancel(ctx))
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	d.cancel, d.abort, d.done = cancel, abort, done
	go func() {
		defer close(done)
		defer abort()
		d.loop(ctx, work)
	}()
	return nil
}

// Stop stops delivering and waits until the attempts in flight are
// recorded, or until ctx ends: then they are cut short and not recorded,
// their claims lapse, and they go out again later with the same
// webhook-id. Stopping a stopped Deliverer does nothing.
func (d *Deliverer) Stop(ctx context.Context) error {
	d.mu.Lock()
	cancel, abort, done := d.cancel, d.abort, d.done
	d.cancel, d.abort, d.done = nil, nil, nil
	d.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		abort()
		<-done
		return fmt.Errorf("events: stop the deliverer: %w", ctx.Err())
	}
}

// Notify wakes the Deliverer to look for due deliveries now, as after new
// events were stored. It never blocks.
func (d *Deliverer) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// loop claims and sends batches until ctx ends; the attempts run in work.
func (d *Deliverer) loop(ctx, work context.Context) {
	t := time.NewTicker(d.cfg.PollInterval)
	defer t.Stop()
	for {
		n, err := d.runOnce(ctx, work)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.ErrorContext(ctx, "deliver webhooks", "error", err)
		}
		if n > 0 && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// RunOnce claims one batch of due deliveries, sends them at once and
// records their attempts, and returns how many it claimed. It is what the
// background loop does each round, for callers that drive delivery
// themselves.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	return d.runOnce(ctx, ctx)
}

// runOnce claims with ctx and sends and records in work.
func (d *Deliverer) runOnce(ctx, work context.Context) (int, error) {
	// The claim outlives the attempt, so that no other worker sends the
	// delivery while this one still may.
	claims, err := d.cfg.Store.ClaimDeliveries(ctx, d.cfg.BatchSize, 2*d.cfg.Timeout+30*time.Second)
	if err != nil {
		return 0, fmt.Errorf("claim deliveries: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, c := range claims {
		wg.Go(func() {
			if err := d.deliver(work, c); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return len(claims), errors.Join(errs...)
}

// deliver sends one claimed delivery and records the attempt.
func (d *Deliverer) deliver(ctx context.Context, c *dropbridge.DeliveryClaim) error {
	at := d.cfg.Now()
	start := time.Now()
	status, failure := d.send(ctx, c, at)
	if ctx.Err() != nil {
		// Stopped mid-attempt: record nothing; the claim lapses and the
		// delivery goes out again, with the same webhook-id.
		return nil
	}
	o := &dropbridge.DeliveryOutcome{
		DeliveryID: c.Delivery.ID, Token: c.Token, At: at, StatusCode: status,
		Error: failure, Duration: time.Since(start), Succeeded: failure == "",
	}
	if !o.Succeeded {
		o.RetryAt = d.retryAt(c.Delivery, at)
		d.cfg.Logger.WarnContext(ctx, "webhook delivery failed", "delivery", c.Delivery.ID, "event", c.Delivery.EventID,
			"endpoint", c.Delivery.EndpointID, "status", status, "error", failure, "dead", o.RetryAt.IsZero())
	}
	got, err := d.cfg.Store.RecordDeliveryAttempt(ctx, o)
	if err != nil {
		if dropbridge.ErrorCode(err) == dropbridge.ECONFLICT {
			return nil // the claim lapsed and another worker has it
		}
		return fmt.Errorf("record attempt of delivery %s: %w", c.Delivery.ID, err)
	}
	if d.cfg.OnAttempt != nil {
		d.cfg.OnAttempt(got)
	}
	return nil
}

// retryAt returns when to try a delivery again after an attempt at time at
// failed, or zero when it is dead.
func (d *Deliverer) retryAt(dl *dropbridge.Delivery, at time.Time) time.Time {
	var elapsed time.Duration
	if !dl.FirstAttemptAt.IsZero() {
		elapsed = at.Sub(dl.FirstAttemptAt)
	}
	wait, ok := d.cfg.Retry.Next(dl.Failures+1, elapsed, d.cfg.Random())
	if !ok {
		return time.Time{}
	}
	return at.Add(wait)
}

// send POSTs the delivery's body, signed at time at, and returns the
// endpoint's status (0 when none came) and, for a failure, what went
// wrong, for the attempt's log.
func (d *Deliverer) send(ctx context.Context, c *dropbridge.DeliveryClaim, at time.Time) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint.URL, bytes.NewReader(c.Body))
	if err != nil {
		return 0, "The endpoint's URL cannot be requested: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dropbridge-webhooks")
	if err := webhooks.SetHeaders(req.Header, []dropbridge.Secret{c.Endpoint.Secret}, c.Delivery.EventID, at, c.Body); err != nil {
		return 0, "The endpoint's secret cannot sign: set a new one."
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Sprintf("The endpoint did not answer within %v.", d.cfg.Timeout)
		}
		return 0, "The endpoint could not be reached: " + requestError(err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	msg := "The endpoint answered " + resp.Status + "; a 2xx status acknowledges a delivery."
	if len(head) > 0 {
		msg += " It said: " + string(bytes.ToValidUTF8(head, []byte("?")))
	}
	return resp.StatusCode, msg
}

// requestError is the error of a failed request without the *url.Error
// wrapper, which repeats the URL (that may hold a token in its query).
func requestError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}
