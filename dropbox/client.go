package dropbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Client talks to the Dropbox API v2. It is safe for concurrent use.
type Client struct {
	hc         *http.Client
	apiURL     string // "https://api.dropboxapi.com"
	contentURL string
	notifyURL  string
	token      string
	retry      RetryPolicy
	now        func() time.Time
	jitter     func() float64
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sends every request to one base URL, whatever its Dropbox
// host (api, content, notify): a local emulator, "http://127.0.0.1:8787".
func WithBaseURL(u string) Option {
	u = strings.TrimRight(u, "/")
	return func(c *Client) { c.apiURL, c.contentURL, c.notifyURL = u, u, u }
}

// WithHTTPClient sets the HTTP client; it must not add authentication of
// its own (long-poll calls must go without).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithToken authenticates every call with a fixed access token.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithRetryPolicy sets how failed calls are retried.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// New returns a Client for api.dropboxapi.com and its sister hosts.
func New(opts ...Option) *Client {
	c := &Client{
		hc:         http.DefaultClient,
		apiURL:     "https://api.dropboxapi.com",
		contentURL: "https://content.dropboxapi.com",
		notifyURL:  "https://notify.dropboxapi.com",
		now:        time.Now,
		jitter:     rand.Float64,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Call calls an RPC-style route ("files/get_metadata") with arg as its JSON
// argument (nil for none) and decodes the result into res (nil to discard
// it). Failed calls are retried by the client's RetryPolicy: rate limits
// always, server errors and broken connections because an RPC argument can
// be sent again (callers of non-idempotent routes use CallOnce). Errors are
// the types of errors.go.
func (c *Client) Call(ctx context.Context, route string, arg, res any) error {
	return c.call(ctx, route, arg, res, true)
}

// CallOnce is Call for routes whose repetition after a server error or a
// broken connection could do harm: only rate limits are retried.
func (c *Client) CallOnce(ctx context.Context, route string, arg, res any) error {
	return c.call(ctx, route, arg, res, false)
}

func (c *Client) call(ctx context.Context, route string, arg, res any, replayable bool) error {
	var body []byte
	if arg != nil {
		var err error
		if body, err = json.Marshal(arg); err != nil {
			return fmt.Errorf("dropbox: %s: encode argument: %w", route, err)
		}
	}
	start := c.now()
	for attempt := 1; ; attempt++ {
		err := c.rpcOnce(ctx, route, body, res)
		if err == nil {
			return nil
		}
		wait, again := c.retry.next(attempt, err, replayable, c.now().Sub(start), c.jitter())
		if !again {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// rpcOnce makes one attempt of an RPC call.
func (c *Client) rpcOnce(ctx context.Context, route string, body []byte, res any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL+"/2/"+route, rd)
	if err != nil {
		return fmt.Errorf("dropbox: %s: %w", route, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("dropbox: %s: %w", route, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("dropbox: %s: read answer: %w", route, err)
	}
	if resp.StatusCode != http.StatusOK {
		return decodeError(route, resp.StatusCode, resp.Header, out)
	}
	if res == nil {
		return nil
	}
	if err := json.Unmarshal(out, res); err != nil {
		return fmt.Errorf("dropbox: %s: decode result: %w", route, err)
	}
	return nil
}
