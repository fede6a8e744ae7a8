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
	tokens     *tokenKeeper // WithOAuth2
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

// nowFunc reads the client's clock (options are applied before it may change).
func (c *Client) nowFunc() time.Time { return c.now() }

// Call calls an RPC-style route ("files/get_metadata") with arg as its JSON
// argument (nil for none) and decodes the result into res (nil to discard
// it). Failed calls are retried by the client's RetryPolicy: rate limits
// always, server errors and broken connections because an RPC argument can
// be sent again (callers of routes whose repetition could do harm use
// CallOnce). Errors are the types of errors.go.
func (c *Client) Call(ctx context.Context, route string, arg, res any) error {
	return c.run(ctx, &request{route: route, host: "api", arg: arg, replayable: true}, res)
}

// CallOnce is Call for routes whose repetition after a server error or a
// broken connection could do harm: only rate limits are retried.
func (c *Client) CallOnce(ctx context.Context, route string, arg, res any) error {
	return c.run(ctx, &request{route: route, host: "api", arg: arg}, res)
}

// CallNoAuth calls an RPC route of the notify host that takes no
// authentication (files/list_folder/longpoll): Dropbox refuses an
// Authorization header there.
func (c *Client) CallNoAuth(ctx context.Context, route string, arg, res any) error {
	return c.run(ctx, &request{route: route, host: "notify", arg: arg, noAuth: true, replayable: true}, res)
}

// Upload calls an upload-style route ("files/upload") with arg in the
// Dropbox-API-Arg header and data as the body. The bytes are in memory, so
// every failure the policy allows is retried.
func (c *Client) Upload(ctx context.Context, route string, arg any, data []byte, res any) error {
	return c.run(ctx, &request{route: route, host: "content", style: "upload", arg: arg, body: data, replayable: true}, res)
}

// Download calls a download-style route ("files/download"): the result
// (from the Dropbox-API-Result header) is decoded into res and the body is
// returned for the caller to read and close. rangeHeader, when not empty,
// is sent as the Range header ("bytes=100-"). Failures before the body
// arrives are retried.
func (c *Client) Download(ctx context.Context, route string, arg, res any, rangeHeader string) (io.ReadCloser, error) {
	r := &request{route: route, host: "content", style: "download", arg: arg, replayable: true, rangeHeader: rangeHeader}
	err := c.run(ctx, r, res)
	if err != nil {
		return nil, err
	}
	return r.stream, nil
}

// request is one call being made.
type request struct {
	route       string
	host        string // api, content, notify
	style       string // "" (rpc), upload, download
	arg         any
	body        []byte
	noAuth      bool
	replayable  bool
	rangeHeader string
	stream      io.ReadCloser // download: the body, set on success
}

func (c *Client) baseFor(host string) string {
	switch host {
	case "content":
		return c.contentURL
	case "notify":
		return c.notifyURL
	}
	return c.apiURL
}

// run makes r, retrying as the policy says, and decodes the result into res.
func (c *Client) run(ctx context.Context, r *request, res any) error {
	var argJSON []byte
	if r.arg != nil {
		var err error
		if argJSON, err = json.Marshal(r.arg); err != nil {
			return fmt.Errorf("dropbox: %s: encode argument: %w", r.route, err)
		}
	}
	start := c.now()
	refreshed := false
	for attempt := 1; ; attempt++ {
		token := c.token
		if c.tokens != nil && !r.noAuth {
			var err error
			if token, err = c.tokens.access(ctx); err != nil {
				return err
			}
		}
		err := c.once(ctx, r, argJSON, token, res)
		if err == nil {
			return nil
		}
		var au *AuthError
		if c.tokens != nil && !refreshed && errors.As(err, &au) && au.Tag == "expired_access_token" {
			// Dropbox's clock says the token is over: refresh once, now.
			refreshed = true
			if _, rerr := c.tokens.expired(ctx, token); rerr != nil {
				return errors.Join(err, rerr)
			}
			attempt--
			continue
		}
		wait, again := c.retry.next(attempt, err, r.replayable, c.now().Sub(start), c.jitter())
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

// once makes one attempt of r.
func (c *Client) once(ctx context.Context, r *request, argJSON []byte, token string, res any) error {
	var body io.Reader
	header := http.Header{}
	switch r.style {
	case "":
		if argJSON != nil {
			body = bytes.NewReader(argJSON)
			header.Set("Content-Type", "application/json")
		}
	default:
		if argJSON != nil {
			header.Set("Dropbox-API-Arg", headerSafe(argJSON))
		}
		if r.style == "upload" {
			body = bytes.NewReader(r.body)
			header.Set("Content-Type", "application/octet-stream")
		}
		if r.rangeHeader != "" {
			header.Set("Range", r.rangeHeader)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseFor(r.host)+"/2/"+r.route, body)
	if err != nil {
		return fmt.Errorf("dropbox: %s: %w", r.route, err)
	}
	req.Header = header
	if token != "" && !r.noAuth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("dropbox: %s: %w", r.route, err)
	}
	ok := resp.StatusCode == http.StatusOK || r.style == "download" && resp.StatusCode == http.StatusPartialContent
	if r.style == "download" && ok {
		if res != nil {
			if err := json.Unmarshal([]byte(resp.Header.Get("Dropbox-API-Result")), res); err != nil {
				resp.Body.Close()
				return fmt.Errorf("dropbox: %s: decode result: %w", r.route, err)
			}
		}
		r.stream = resp.Body
		return nil
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("dropbox: %s: read answer: %w", r.route, err)
	}
	if !ok {
		return decodeError(r.route, resp.StatusCode, resp.Header, out)
	}
	if res == nil {
		return nil
	}
	if err := json.Unmarshal(out, res); err != nil {
		return fmt.Errorf("dropbox: %s: decode result: %w", r.route, err)
	}
	return nil
}
