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
	"sync"
	"time"
)

// Client talks to the Dropbox API v2 for one account (or one team). Its
// services (c.Files, c.Sharing, ...) hold a method per route. It is safe for
// concurrent use; AsMember, AsAdmin and the path-root methods return
// copies that share its transport, token and limits.
type Client struct {
	Files        *FilesService
	Paper        *PaperService
	Sharing      *SharingService
	FileRequests *FileRequestsService
	Users        *UsersService
	Team         *TeamService
	Auth         *AuthService
	Check        *CheckService

	hc         *http.Client
	apiURL     string // "https://api.dropboxapi.com"
	contentURL string
	notifyURL  string
	token      string
	tokens     *tokenKeeper // WithOAuth2
	appKey     string       // WithAppAuth
	appSecret  string
	retry      RetryPolicy
	limits     *Limits
	now        func() time.Time
	jitter     func() float64

	selectUser  string // Dropbox-API-Select-User
	selectAdmin string // Dropbox-API-Select-Admin
	pathRoot    string // Dropbox-API-Path-Root, as JSON
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
// its own (long-poll calls must go without). The default keeps up to 32
// idle connections per host, for parallel upload parts.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithToken authenticates every call with a fixed access token.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithAppAuth sets the app key and secret, sent as HTTP Basic
// authentication to the routes that take app authentication (check/app,
// and sharing/get_shared_link_file when there is no user token).
func WithAppAuth(key, secret string) Option {
	return func(c *Client) { c.appKey, c.appSecret = key, secret }
}

// WithRetryPolicy sets how failed calls are retried.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithLimits makes the client pace its calls and serialise its writes with
// l, which other Clients of the same account may share (see Limits). By
// default each Client has its own.
func WithLimits(l *Limits) Option { return func(c *Client) { c.limits = l } }

// New returns a Client for api.dropboxapi.com and its sister hosts.
func New(opts ...Option) *Client {
	c := &Client{
		hc:         defaultHTTPClient,
		apiURL:     "https://api.dropboxapi.com",
		contentURL: "https://content.dropboxapi.com",
		notifyURL:  "https://notify.dropboxapi.com",
		now:        time.Now,
		jitter:     rand.Float64,
	}
	for _, o := range opts {
		o(c)
	}
	if c.limits == nil {
		c.limits = NewLimits()
	}
	c.initServices()
	return c
}

// defaultHTTPClient is http.DefaultClient's transport keeping more idle
// connections per host: uploads send parts in parallel, and without them
// every part beyond the second would open a new TLS connection.
var defaultHTTPClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: t}
}()

// Ptr returns a pointer to v, for the optional fields of arguments:
// &dropbox.ListFolderArg{IncludeMountedFolders: dropbox.Ptr(false)}.
func Ptr[T any](v T) *T { return &v }

// clone returns a copy of c with its own services, sharing everything else.
func (c *Client) clone() *Client {
	d := *c
	d.initServices()
	return &d
}

// AsMember returns a copy of c, a client with a team token, that acts as
// the team member with this team_member_id ("dbmid:...") through
// Dropbox-API-Select-User.
func (c *Client) AsMember(teamMemberID string) *Client {
	d := c.clone()
	d.selectUser, d.selectAdmin = teamMemberID, ""
	return d
}

// AsAdmin returns a copy of c, a client with a team token, that acts as
// the team admin with this team_member_id through Dropbox-API-Select-Admin
// (on the routes whose spec allows it).
func (c *Client) AsAdmin(teamMemberID string) *Client {
	d := c.clone()
	d.selectUser, d.selectAdmin = "", teamMemberID
	return d
}

// WithRoot returns a copy of c whose paths are relative to the namespace
// nsid, checked to be the user's root (Dropbox-API-Path-Root {".tag":
// "root"}): for a team-space user, the team space. See InTeamSpace.
func (c *Client) WithRoot(nsid string) *Client {
	return c.withPathRoot(map[string]string{".tag": "root", "root": nsid})
}

// WithNamespace returns a copy of c whose paths are relative to the
// namespace nsid, any the user can reach (a shared or team folder).
func (c *Client) WithNamespace(nsid string) *Client {
	return c.withPathRoot(map[string]string{".tag": "namespace_id", "namespace_id": nsid})
}

// WithHome returns a copy of c whose paths are relative to the user's home
// namespace, as without a path root.
func (c *Client) WithHome() *Client {
	return c.withPathRoot(map[string]string{".tag": "home"})
}

func (c *Client) withPathRoot(v map[string]string) *Client {
	d := c.clone()
	b, _ := json.Marshal(v) // a map of strings always encodes
	d.pathRoot = string(b)
	return d
}

// nowFunc reads the client's clock (options are applied before it may change).
func (c *Client) nowFunc() time.Time { return c.now() }

// route says how to call one route of the API. The generated route
// methods have one each.
type route struct {
	name       string // "files/list_folder"
	host       string // "api", "content" or "notify"
	style      string // "rpc", "upload" or "download"
	auth       string // the spec's auth attribute: "user", "team", "app", "noauth", "app, user", ...
	write      bool   // commits a change to the namespace: serialised per namespace
	idempotent bool   // repeating it after a lost answer cannot do harm
}

// Call calls an RPC-style route ("files/get_metadata") with arg as its JSON
// argument (nil for none) and decodes the result into res (nil to discard
// it): the way to reach a route without going through its typed method.
// For a route the client knows (see Routes) it follows the spec: the
// route's host and authentication, one write at a time per account, and
// repeats after a server error or a broken connection only when a repeat
// cannot do harm. Other routes go to the api host with the user's token
// and are repeated like reads; use CallOnce for those whose repetition
// could do harm. Errors are the types of errors.go.
func (c *Client) Call(ctx context.Context, routeName string, arg, res any) error {
	return c.rpc(ctx, lookupRoute(routeName, "rpc", "api", "user"), arg, res, nil)
}

// CallOnce is Call that never repeats the call after a server error or a
// broken connection, since the first try may have taken effect; rate
// limits, which Dropbox answers before doing anything, are still retried.
func (c *Client) CallOnce(ctx context.Context, routeName string, arg, res any) error {
	rt := *lookupRoute(routeName, "rpc", "api", "user")
	rt.idempotent = false
	return c.rpc(ctx, &rt, arg, res, nil)
}

// CallNoAuth calls an RPC route that takes no authentication, on the
// notify host (files/list_folder/longpoll): Dropbox refuses an
// Authorization header there.
func (c *Client) CallNoAuth(ctx context.Context, routeName string, arg, res any) error {
	return c.rpc(ctx, lookupRoute(routeName, "rpc", "notify", "noauth"), arg, res, nil)
}

// CallUpload calls an upload-style route ("files/upload") with arg in the
// Dropbox-API-Arg header and content as the body. A failed attempt is
// repeated only when the route allows it (as for Call) and content can be
// sent again: it is an io.Seeker (a *bytes.Reader, an *os.File, an
// *io.SectionReader), or the attempt read none of it.
func (c *Client) CallUpload(ctx context.Context, routeName string, arg any, content io.Reader, res any) error {
	return c.upload(ctx, lookupRoute(routeName, "upload", "content", "user"), arg, content, res, nil)
}

// CallDownload calls a download-style route ("files/download"): the result
// (from the Dropbox-API-Result header) is decoded into res and the body is
// returned for the caller to read and close. rangeHeader, when not empty,
// is sent as the Range header ("bytes=100-"). Failures before the body
// arrives are retried.
func (c *Client) CallDownload(ctx context.Context, routeName string, arg, res any, rangeHeader string) (io.ReadCloser, error) {
	return c.downloadRange(ctx, lookupRoute(routeName, "download", "content", "user"), arg, res, nil, rangeHeader)
}

// lookupRoute returns the spec's description of the route with this name
// and style, or for a route the client does not know one on host with
// auth that may be repeated.
func lookupRoute(name, style, host, auth string) *route {
	if rt, ok := routesByName[name]; ok && rt.style == style {
		return rt
	}
	return &route{name: name, host: host, style: style, auth: auth, idempotent: true}
}

// rpc calls an RPC-style route; routeErr, when not nil, receives the
// route's error union of a 409 answer (see APIError.Unwrap).
func (c *Client) rpc(ctx context.Context, rt *route, arg, res any, routeErr error) error {
	return c.run(ctx, &request{rt: rt, arg: arg, routeErr: routeErr}, res)
}

// upload calls an upload-style route with content as the body.
func (c *Client) upload(ctx context.Context, rt *route, arg any, content io.Reader, res any, routeErr error) error {
	if content == nil {
		content = bytes.NewReader(nil)
	}
	return c.run(ctx, &request{rt: rt, arg: arg, content: content, routeErr: routeErr}, res)
}

// download calls a download-style route and returns its body.
func (c *Client) download(ctx context.Context, rt *route, arg, res any, routeErr error) (io.ReadCloser, error) {
	return c.downloadRange(ctx, rt, arg, res, routeErr, "")
}

func (c *Client) downloadRange(ctx context.Context, rt *route, arg, res any, routeErr error, rangeHeader string) (io.ReadCloser, error) {
	r := &request{rt: rt, arg: arg, routeErr: routeErr, rangeHeader: rangeHeader}
	if err := c.run(ctx, r, res); err != nil {
		return nil, err
	}
	return r.stream, nil
}

// request is one call being made.
type request struct {
	rt          *route
	arg         any
	content     io.Reader // upload body
	routeErr    error     // receives a 409's error union
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

// errNotReplayable ends retries of an upload whose body was partly sent
// and cannot be read again.
var errNotReplayable = errors.New("the upload body was partly sent and cannot be sent again")

// run makes r, retrying as the policy says, and decodes the result into res.
func (c *Client) run(ctx context.Context, r *request, res any) error {
	var argJSON []byte
	if r.arg != nil {
		var err error
		if argJSON, err = json.Marshal(r.arg); err != nil {
			return fmt.Errorf("dropbox: %s: encode argument: %w", r.rt.name, err)
		}
	}
	body, err := newReplayBody(r.content)
	if err != nil {
		return fmt.Errorf("dropbox: %s: %w", r.rt.name, err)
	}
	lane := c.limits.account(c.selectUser + "|" + c.selectAdmin)
	start := c.now()
	refreshed := false
	lost := false // an attempt went unanswered: it may have taken effect
	for attempt := 1; ; attempt++ {
		auth, err := c.authorization(ctx, r.rt)
		if err != nil {
			return err
		}
		release, err := lane.begin(ctx, r.rt.write)
		if err != nil {
			return fmt.Errorf("dropbox: %s: %w", r.rt.name, err)
		}
		err = c.once(ctx, r, argJSON, auth, body, res)
		release()
		lane.observe(err)
		if err == nil || lost && appendLanded(r, err, body.length()) {
			return nil
		}
		var se *ServerError
		lost = lost || errors.As(err, &se) || !isDropboxAnswer(err) && !isRateLimit(err)
		var au *AuthError
		if c.tokens != nil && !refreshed && errors.As(err, &au) && au.Tag == "expired_access_token" {
			// Dropbox's clock says the token is over: refresh once, now.
			refreshed = true
			if _, rerr := c.tokens.expired(ctx, strings.TrimPrefix(auth, "Bearer ")); rerr != nil {
				return errors.Join(err, rerr)
			}
			if body.rewind() != nil {
				return err
			}
			attempt--
			continue
		}
		wait, again := c.retry.next(attempt, err, r.rt.idempotent, c.now().Sub(start), c.jitter())
		if !again {
			return err
		}
		if rerr := body.rewind(); rerr != nil {
			return errors.Join(err, fmt.Errorf("dropbox: %s: %w", r.rt.name, rerr))
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

// authorization is the Authorization header for a call of rt: the user or
// team token, app Basic auth, or none.
func (c *Client) authorization(ctx context.Context, rt *route) (string, error) {
	switch {
	case rt.auth == "noauth":
		return "", nil
	case rt.auth == "app" || strings.HasPrefix(rt.auth, "app") && c.token == "" && c.tokens == nil:
		if c.appKey == "" {
			return "", fmt.Errorf("dropbox: %s takes app authentication: configure the client WithAppAuth(key, secret)", rt.name)
		}
		req := http.Request{Header: http.Header{}}
		req.SetBasicAuth(c.appKey, c.appSecret)
		return req.Header.Get("Authorization"), nil
	case c.tokens != nil:
		tok, err := c.tokens.access(ctx)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	case c.token != "":
		return "Bearer " + c.token, nil
	}
	return "", nil
}

// once makes one attempt of r.
func (c *Client) once(ctx context.Context, r *request, argJSON []byte, auth string, body *replayBody, res any) error {
	rt := r.rt
	var reader io.Reader
	header := http.Header{}
	switch rt.style {
	case "upload", "download":
		if argJSON != nil {
			header.Set("Dropbox-API-Arg", headerSafe(argJSON))
		}
		if rt.style == "upload" {
			header.Set("Content-Type", "application/octet-stream")
			reader = body.attempt()
		}
		if r.rangeHeader != "" {
			header.Set("Range", r.rangeHeader)
		}
	default:
		if argJSON != nil {
			reader = bytes.NewReader(argJSON)
			header.Set("Content-Type", "application/json")
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseFor(rt.host)+"/2/"+rt.name, reader)
	if err != nil {
		return fmt.Errorf("dropbox: %s: %w", rt.name, err)
	}
	if rt.style == "upload" {
		req.ContentLength = body.length()
		if req.ContentLength == 0 {
			req.Body = http.NoBody
		}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
		if strings.HasPrefix(auth, "Bearer ") {
			if c.selectUser != "" {
				req.Header.Set("Dropbox-API-Select-User", c.selectUser)
			}
			if c.selectAdmin != "" {
				req.Header.Set("Dropbox-API-Select-Admin", c.selectAdmin)
			}
			if c.pathRoot != "" && strings.Contains(rt.auth, "user") {
				req.Header.Set("Dropbox-API-Path-Root", c.pathRoot)
			}
		}
	}
	resp, err := c.hc.Do(req)
	body.end()
	if err != nil {
		return fmt.Errorf("dropbox: %s: %w", rt.name, err)
	}
	ok := resp.StatusCode == http.StatusOK || rt.style == "download" && resp.StatusCode == http.StatusPartialContent
	if ok && r.rangeHeader != "" && !rangeAnswered(r.rangeHeader, resp) {
		resp.Body.Close()
		return fmt.Errorf("dropbox: %s: the answer to Range %q starts elsewhere (status %d, Content-Range %q)",
			rt.name, r.rangeHeader, resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	if rt.style == "download" && ok {
		if res != nil {
			if err := json.Unmarshal([]byte(resp.Header.Get("Dropbox-API-Result")), res); err != nil {
				resp.Body.Close()
				return fmt.Errorf("dropbox: %s: decode result: %w", rt.name, err)
			}
		}
		r.stream = resp.Body
		return nil
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("dropbox: %s: read answer: %w", rt.name, err)
	}
	if !ok {
		err := decodeError(rt.name, resp.StatusCode, resp.Header, out)
		var ae *APIError
		if r.routeErr != nil && errors.As(err, &ae) && json.Unmarshal(ae.Body, r.routeErr) == nil {
			ae.Err = r.routeErr
		}
		return err
	}
	if res == nil {
		return nil
	}
	if err := json.Unmarshal(out, res); err != nil {
		return fmt.Errorf("dropbox: %s: decode result: %w", rt.name, err)
	}
	return nil
}

// replayBody is an upload body that can be sent again after a failed
// attempt when its source can seek, or when the attempt read none of it.
// Each attempt reads through a gate that end closes, so that a transport
// still reading an abandoned attempt's body cannot race the next one.
type replayBody struct {
	src    io.Reader
	seeker io.Seeker
	start  int64 // offset of the body in seeker
	size   int64 // bytes from start, -1 when unknown
	gate   *gate
	sent   int64 // bytes read by the attempts so far
}

func newReplayBody(src io.Reader) (*replayBody, error) {
	b := &replayBody{src: src, size: -1}
	if src == nil {
		return b, nil
	}
	if s, ok := src.(io.Seeker); ok {
		start, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("find the upload body's offset: %w", err)
		}
		b.seeker, b.start = s, start
		if end, err := s.Seek(0, io.SeekEnd); err == nil {
			b.size = end - start
		}
		if _, err := s.Seek(start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("seek the upload body: %w", err)
		}
	} else if l, ok := src.(interface{ Len() int }); ok {
		b.size = int64(l.Len())
	}
	return b, nil
}

// length is the body's size for Content-Length, -1 when unknown.
func (b *replayBody) length() int64 { return b.size }

// attempt returns the reader for one attempt.
func (b *replayBody) attempt() io.Reader {
	b.gate = &gate{src: b.src}
	return b.gate
}

// end closes the current attempt's gate.
func (b *replayBody) end() {
	if b.gate != nil {
		b.sent += b.gate.close()
		b.gate = nil
	}
}

// rewind makes the body ready to be sent again from its start.
func (b *replayBody) rewind() error {
	switch {
	case b.src == nil || b.sent == 0:
		return nil
	case b.seeker != nil:
		if _, err := b.seeker.Seek(b.start, io.SeekStart); err != nil {
			return fmt.Errorf("rewind the upload body: %w", err)
		}
		b.sent = 0
		return nil
	}
	return errNotReplayable
}

// gate passes reads to src until it is closed.
type gate struct {
	mu     sync.Mutex
	src    io.Reader
	n      int64
	closed bool
}

var errAttemptOver = errors.New("dropbox: upload attempt over")

func (g *gate) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, errAttemptOver
	}
	n, err := g.src.Read(p)
	g.n += int64(n)
	return n, err
}

// close stops further reads and returns how many bytes were read.
func (g *gate) close() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return g.n
}

// rangeAnswered reports whether resp answers a request for the byte range
// rangeHeader ("bytes=100-", "bytes=100-199", "bytes=-50"): a 206 whose
// Content-Range starts where asked, or a whole body (200) when the range
// starts at 0, as for an empty file.
func rangeAnswered(rangeHeader string, resp *http.Response) bool {
	spec, ok := strings.CutPrefix(rangeHeader, "bytes=")
	first, _, _ := strings.Cut(spec, "-")
	if !ok || first == "" { // a suffix range: any start is right
		return true
	}
	if resp.StatusCode == http.StatusOK {
		return first == "0"
	}
	got, ok := strings.CutPrefix(resp.Header.Get("Content-Range"), "bytes ")
	gotFirst, _, _ := strings.Cut(got, "-")
	return ok && gotFirst == first
}

// appendLanded reports whether err, the answer to a repeated upload session
// append whose earlier attempt went unanswered, says that the earlier
// attempt's size bytes arrived after all: incorrect_offset with the
// correct offset just past them. The append is then done, once.
func appendLanded(r *request, err error, size int64) bool {
	var off uint64
	switch a := r.arg.(type) {
	case *UploadSessionAppendArg:
		off = a.Cursor.Offset
	case *UploadSessionCursor:
		off = a.Offset
	default:
		return false
	}
	var ae *APIError
	if size < 0 || !errors.As(err, &ae) {
		return false
	}
	var e struct {
		Tag           string  `json:".tag"`
		CorrectOffset *uint64 `json:"correct_offset"`
	}
	return json.Unmarshal(ae.Body, &e) == nil && e.Tag == "incorrect_offset" &&
		e.CorrectOffset != nil && *e.CorrectOffset == off+uint64(size)
}

// isRateLimit reports whether err is a 429.
func isRateLimit(err error) bool {
	var rl *RateLimitError
	return errors.As(err, &rl)
}
