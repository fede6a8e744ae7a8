package dropboxemu

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// webhookDelivery is one notification sent to an app, for GET /_emulator/webhooks.
type webhookDelivery struct {
	ID        int             `json:"id"`
	AppKey    string          `json:"app_key"`
	URI       string          `json:"uri"`
	Accounts  []string        `json:"accounts"`
	Body      json.RawMessage `json:"body"`
	Signature string          `json:"signature"`
	Attempts  int             `json:"attempts"`
	Status    int             `json:"status"` // of the last attempt; 0 when it failed to connect
	Error     string          `json:"error,omitempty"`
	Delivered bool            `json:"delivered"`
	GaveUp    bool            `json:"gave_up"`
	First     time.Time       `json:"first_attempt"`
	Last      time.Time       `json:"last_attempt"`
}

// webhookSender batches file-change notifications per app and sends them
// signed, retrying with backoff for about ten minutes as Dropbox does.
type webhookSender struct {
	s *Server

	mu         sync.Mutex
	pending    map[string]map[string]bool // app key -> account ids
	timers     map[string]*time.Timer
	deliveries []*webhookDelivery
	wg         sync.WaitGroup
	retry      WebhookRetry // guarded by mu
}

// WebhookRetry is the schedule of webhook retries: the first wait after a
// failed attempt, the longest wait (each wait doubles up to it), and how
// long after the first attempt a notification is dropped.
type WebhookRetry struct {
	FirstBackoff time.Duration
	MaxBackoff   time.Duration
	GiveUpAfter  time.Duration
}

// defaultWebhookRetry retries for about ten minutes, as Dropbox does.
var defaultWebhookRetry = WebhookRetry{FirstBackoff: time.Second, MaxBackoff: time.Minute, GiveUpAfter: 10 * time.Minute}

// SetWebhookRetry changes the retry schedule of webhook notifications, for
// tests that cannot wait ten minutes. Zero fields keep their current value.
// It applies to notifications sent after the call; it is safe to call at any
// time.
func (s *Server) SetWebhookRetry(r WebhookRetry) {
	w := s.webhooks
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.FirstBackoff > 0 {
		w.retry.FirstBackoff = r.FirstBackoff
	}
	if r.MaxBackoff > 0 {
		w.retry.MaxBackoff = r.MaxBackoff
	}
	if r.GiveUpAfter > 0 {
		w.retry.GiveUpAfter = r.GiveUpAfter
	}
}

func newWebhookSender(s *Server) *webhookSender {
	return &webhookSender{s: s, pending: map[string]map[string]bool{}, timers: map[string]*time.Timer{},
		retry: defaultWebhookRetry}
}

// namespaceChanged queues a notification for every app with a webhook that
// an account seeing ns has authorised. The caller holds s.mu.
func (w *webhookSender) namespaceChanged(ns *Namespace) {
	hooked := false
	for _, app := range w.s.apps {
		hooked = hooked || app.WebhookURI != ""
	}
	if !hooked {
		return // the common case: finding who sees ns is not free
	}
	accounts := w.s.accountsSeeing(ns)
	for appKey, app := range w.s.apps {
		if app.WebhookURI == "" {
			continue
		}
		for _, acct := range accounts {
			if w.s.grants[appKey][acct] {
				w.queue(appKey, acct)
			}
		}
	}
}

func (w *webhookSender) queue(appKey, accountID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.s.done:
		return
	default:
	}
	p := w.pending[appKey]
	if p == nil {
		p = map[string]bool{}
		w.pending[appKey] = p
	}
	p[accountID] = true
	if w.timers[appKey] == nil {
		w.wg.Add(1)
		w.timers[appKey] = time.AfterFunc(w.s.opts.WebhookDelay, func() {
			defer w.wg.Done()
			w.flush(appKey)
		})
	}
}

func (w *webhookSender) flush(appKey string) {
	w.mu.Lock()
	accounts := make([]string, 0, len(w.pending[appKey]))
	for a := range w.pending[appKey] {
		accounts = append(accounts, a)
	}
	delete(w.pending, appKey)
	delete(w.timers, appKey)
	w.mu.Unlock()
	slices.Sort(accounts)

	w.s.mu.RLock()
	app := w.s.apps[appKey]
	var uids []uint64
	for _, a := range accounts {
		if acct := w.s.accounts[a]; acct != nil {
			uids = append(uids, acct.UID)
		}
	}
	w.s.mu.RUnlock()
	if app == nil || app.WebhookURI == "" || len(accounts) == 0 {
		return
	}
	body, _ := json.Marshal(map[string]any{
		"list_folder": map[string]any{"accounts": accounts},
		"delta":       map[string]any{"users": uids},
	})
	d := &webhookDelivery{AppKey: appKey, URI: app.WebhookURI, Accounts: accounts, Body: body,
		Signature: signWebhook(app.Secret, body)}
	w.mu.Lock()
	d.ID = len(w.deliveries) + 1
	w.deliveries = append(w.deliveries, d)
	retry := w.retry
	w.mu.Unlock()
	w.send(d, retry)
}

func signWebhook(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// send posts d until it is answered 200 or the retry time runs out.
func (w *webhookSender) send(d *webhookDelivery, retry WebhookRetry) {
	backoff := retry.FirstBackoff
	start := time.Now()
	for {
		status, err := w.attempt(d)
		w.mu.Lock()
		d.Attempts++
		d.Status = status
		d.Last = time.Now()
		if d.First.IsZero() {
			d.First = d.Last
		}
		d.Error = ""
		if err != nil {
			d.Error = err.Error()
		}
		ok := err == nil && status == http.StatusOK
		d.Delivered = ok
		if !ok && time.Since(start)+backoff > retry.GiveUpAfter {
			d.GaveUp = true
		}
		gaveUp := d.GaveUp
		w.mu.Unlock()
		if ok || gaveUp {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-w.s.done:
			t.Stop()
			return
		}
		backoff = min(backoff*2, retry.MaxBackoff)
	}
}

func (w *webhookSender) attempt(d *webhookDelivery) (int, error) {
	// Drain ends an attempt in flight, so that Close need not wait for the
	// client's timeout.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-w.s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URI, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Dropbox-Signature", d.Signature)
	req.Header.Set("User-Agent", "DropboxWebhooks/1.0")
	resp, err := w.s.opts.WebhookClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// list returns a copy of every delivery so far.
func (w *webhookSender) list() []webhookDelivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]webhookDelivery, len(w.deliveries))
	for i, d := range w.deliveries {
		out[i] = *d
	}
	return out
}

func (w *webhookSender) wait() {
	w.mu.Lock()
	for k, t := range w.timers {
		if t.Stop() {
			w.wg.Done()
		}
		delete(w.timers, k)
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// verifyWebhookURI runs Dropbox's registration challenge against uri: a GET
// with ?challenge=X that must be answered 200 with the body X. Dropbox does
// not retry it, and neither does the emulator.
func (s *Server) verifyWebhookURI(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook_uri %q must be an absolute http or https URL", uri)
	}
	challenge := randomString(24)
	q := u.Query()
	q.Set("challenge", challenge)
	u.RawQuery = q.Encode()
	client := *s.opts.WebhookClient
	client.Timeout = 10 * time.Second
	resp, err := client.Get(u.String())
	if err != nil {
		return fmt.Errorf("webhook_uri %q failed verification: the challenge request failed: %v", uri, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	const how = "answer GET ?challenge=X with status 200 and the body X"
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("webhook_uri %q failed verification: the challenge request was answered with status %d; %s", uri, resp.StatusCode, how)
	case string(b) != challenge:
		return fmt.Errorf("webhook_uri %q failed verification: the challenge was not echoed (got %d bytes that are not the challenge); %s", uri, len(b), how)
	}
	return nil
}

// accountsSeeing returns the accounts whose files include namespace ns.
// The caller holds s.mu.
func (s *Server) accountsSeeing(ns *Namespace) []string {
	var out []string
	mounted := s.mountedAnywhere()[ns.ID]
	for _, a := range s.accounts {
		if a.RootNS == ns.ID || a.HomeNS == ns.ID {
			out = append(out, a.ID)
			continue
		}
		if !mounted {
			continue
		}
		for _, base := range []string{a.HomeNS, a.RootNS} {
			if _, ok := s.viewFrom(a, base).at[ns.ID]; ok {
				out = append(out, a.ID)
				break
			}
		}
	}
	return out
}
