// Package dropboxemu is a local emulator of the Dropbox API v2: an
// http.Handler that answers the api, content and notify hosts, the OAuth
// endpoints and an admin API under /_emulator/, with Dropbox's wire format,
// errors, rate limits and quirks. It imports nothing else of dropbridge.
//
// Start one with New and serve it on any listener; dropboxtest.NewEmulator
// does that for tests. See README.md for what is emulated.
package dropboxemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value is a usable in-memory emulator.
type Options struct {
	// Backend stores the state; nil means a new MemoryBackend.
	Backend Backend
	// Now is the wall clock; nil means time.Now. The admin clock endpoint
	// moves the emulator's time forward from it.
	Now func() time.Time
	// Logger receives one line per request at debug level and problems at
	// warn level; nil discards.
	Logger *slog.Logger
	// BaseURL is the emulator's public URL, used in the links it hands out
	// (temporary links, OAuth redirects). Empty: derived from each request.
	BaseURL string
	// TokenLifetime is the life of an access token; 0 means 4 hours.
	TokenLifetime time.Duration
	// RequestsPerSecond limits each token's request rate; beyond it calls get
	// 429 too_many_requests. 0 means no limit.
	RequestsPerSecond float64
	// Burst is the token bucket size of RequestsPerSecond; 0 means 10.
	Burst int
	// NamespaceWriteLimit is how many write operations may run at once in one
	// namespace before further ones get 429 too_many_write_operations.
	// 0 means 8; a negative value means no limit.
	NamespaceWriteLimit int
	// ChangeLogLimit is how many changes each namespace remembers; cursors
	// older than that get reset. 0 means 1,000,000.
	ChangeLogLimit int
	// MaxUploadRequest is the largest body of one upload request; 0 means
	// 150 MiB, as on Dropbox.
	MaxUploadRequest int64
	// WebhookDelay batches file-change notifications per app; 0 means 100ms.
	WebhookDelay time.Duration
	// WebhookClient sends webhook notifications; nil means a client with a
	// 10 second timeout.
	WebhookClient *http.Client
	// LongpollBackoff, when > 0, is sent as the backoff (seconds) of every
	// list_folder/longpoll answer, as Dropbox does under load.
	LongpollBackoff int
	// WebhookRetry is the retry schedule of webhook notifications; the zero
	// value means Dropbox's: doubling from 1 s, at most 1 min apart, for 10 min.
	WebhookRetry WebhookRetry
	// JobPolls is how many checks of an async job answer in_progress before
	// it is complete. 0 means none.
	JobPolls int
	// Seed seeds the random choices of probabilistic faults; 0 picks one.
	Seed uint64
}

// Server is the emulator. It is safe for concurrent use.
type Server struct {
	opts    Options
	backend Backend
	clock   *clock
	log     *slog.Logger
	mux     *http.ServeMux

	mu          sync.RWMutex // guards the model below
	ctr         counters
	apps        map[string]*App
	accounts    map[string]*Account
	byEmail     map[string]*Account
	tokens      map[string]*Token
	codes       map[string]*AuthCode
	grants      map[string]map[string]bool // app key -> account ids that authorised it
	namespaces  map[string]*Namespace
	revs        map[string]*Entry   // rev -> file revision
	revsByID    map[string][]string // file id -> revs, oldest first
	sessions    map[string]*uploadSession
	jobs        map[string]*job
	tags        map[string][]string // nsKey(ns, file id) -> tags
	tempLinks   map[string]*tempLink
	sharedLinks map[string]*sharedLink // by link id (sharing_links.go)

	// fileRequests holds the file requests by id (file_requests.go).
	fileRequests map[string]*fileRequest
	// teams holds the teams by id (teams.go).
	teams map[string]*Team
	// sharing holds the shared folders and who last wrote each file in
	// them (sharing_folders.go).
	sharing *folderSharing

	faults   *faultSet
	stats    *stats
	limits   *limiter
	webhooks *webhookSender

	// changed is closed and replaced whenever a commit changes any
	// namespace (guarded by mu): long-polls over several namespaces wait on it.
	changed chan struct{}

	closeOnce sync.Once
	drainOnce sync.Once
	done      chan struct{}
}

// New returns an emulator with its state loaded from opts.Backend.
func New(opts Options) (*Server, error) {
	if opts.Backend == nil {
		opts.Backend = NewMemoryBackend()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = 4 * time.Hour
	}
	if opts.Burst == 0 {
		opts.Burst = 10
	}
	if opts.NamespaceWriteLimit == 0 {
		opts.NamespaceWriteLimit = 8
	}
	if opts.ChangeLogLimit == 0 {
		opts.ChangeLogLimit = 1_000_000
	}
	if opts.MaxUploadRequest == 0 {
		opts.MaxUploadRequest = 150 << 20
	}
	if opts.WebhookDelay == 0 {
		opts.WebhookDelay = 100 * time.Millisecond
	}
	if opts.WebhookClient == nil {
		opts.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Server{
		opts:    opts,
		backend: opts.Backend,
		clock:   newClock(opts.Now),
		log:     opts.Logger,
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	s.faults = newFaultSet(opts.Seed)
	s.stats = newStats()
	s.limits = newLimiter(opts.RequestsPerSecond, opts.Burst, opts.NamespaceWriteLimit)
	s.webhooks = newWebhookSender(s)
	if opts.WebhookRetry != (WebhookRetry{}) {
		s.SetWebhookRetry(opts.WebhookRetry)
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.collectGarbage(); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/2/{route...}", s.serveAPI)
	s.mux.HandleFunc("/oauth2/authorize", s.serveAuthorize)
	s.mux.HandleFunc("/oauth2/token", s.serveToken)
	s.mux.HandleFunc("/oauth2/authorize/decide", s.serveAuthorizeDecide)
	s.mux.HandleFunc("/_emulator/", s.serveAdmin)
	s.mux.HandleFunc("/temp/{link}", s.serveTempLink)
	s.mux.HandleFunc("/apitul/1/{link}", s.serveTempUpload)
	s.mux.HandleFunc("/scl/{kind}/{id}/{rest...}", s.serveSharedLink)
	s.mux.HandleFunc("/request/{id}", s.serveFileRequestPage)
	s.mux.HandleFunc("/", s.serveRoot)
	return s, nil
}

// Drain ends waiting long-polls and stops webhook retries, so that an
// http.Server serving the emulator can shut down quickly. Call Close after.
func (s *Server) Drain() {
	s.drainOnce.Do(func() { close(s.done) })
}

// Close drains the emulator, waits for webhook delivery to stop and closes
// the backend. Requests still being served after Close fail.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.Drain()
		s.webhooks.wait()
		err = s.backend.Close()
	})
	return err
}

// ServeHTTP implements http.Handler. Every Dropbox host is served by path,
// whatever the Host header says.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Dropbox-Request-Id", randomHex(16))
	s.mux.ServeHTTP(w, r)
}

func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "Dropbox API emulator (dropbridge). API under /2/, OAuth under /oauth2/, admin under /_emulator/.\n")
}

// baseURL is the URL that reaches this emulator from the caller of r.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return strings.TrimRight(s.opts.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// load rebuilds the model from the backend.
func (s *Server) load() error {
	s.apps = map[string]*App{}
	s.accounts = map[string]*Account{}
	s.byEmail = map[string]*Account{}
	s.tokens = map[string]*Token{}
	s.codes = map[string]*AuthCode{}
	s.grants = map[string]map[string]bool{}
	s.namespaces = map[string]*Namespace{}
	s.revs = map[string]*Entry{}
	s.revsByID = map[string][]string{}
	s.sessions = map[string]*uploadSession{}
	s.jobs = map[string]*job{}
	s.tags = map[string][]string{}
	s.tempLinks = map[string]*tempLink{}
	s.sharedLinks = map[string]*sharedLink{}
	s.fileRequests = map[string]*fileRequest{}
	s.teams = map[string]*Team{}
	s.sharing = newFolderSharing()
	s.ctr = counters{Rev: 0x10000000, UID: 1000, NS: 1000}

	rows := map[string]map[string][]byte{}
	err := s.backend.Load(func(table, key string, value []byte) error {
		t := rows[table]
		if t == nil {
			t = map[string][]byte{}
			rows[table] = t
		}
		t[key] = value
		return nil
	})
	if err != nil {
		return fmt.Errorf("dropboxemu: load state: %w", err)
	}
	dec := func(table, key string, v any) error {
		if err := json.Unmarshal(rows[table][key], v); err != nil {
			return fmt.Errorf("dropboxemu: load %s %q: %w", table, key, err)
		}
		return nil
	}
	if _, ok := rows[tblMeta]["counters"]; ok {
		if err := dec(tblMeta, "counters", &s.ctr); err != nil {
			return err
		}
	}
	if _, ok := rows[tblMeta]["clock"]; ok {
		var c struct {
			OffsetNS int64 `json:"offset_ns"`
		}
		if err := dec(tblMeta, "clock", &c); err != nil {
			return err
		}
		s.clock.setOffset(time.Duration(c.OffsetNS))
	}
	for k := range rows[tblApp] {
		a := new(App)
		if err := dec(tblApp, k, a); err != nil {
			return err
		}
		s.apps[a.Key] = a
	}
	for k := range rows[tblAccount] {
		a := new(Account)
		if err := dec(tblAccount, k, a); err != nil {
			return err
		}
		s.accounts[a.ID] = a
		s.byEmail[strings.ToLower(a.Email)] = a
	}
	for k := range rows[tblToken] {
		t := new(Token)
		if err := dec(tblToken, k, t); err != nil {
			return err
		}
		s.tokens[t.Token] = t
	}
	for k := range rows[tblCode] {
		c := new(AuthCode)
		if err := dec(tblCode, k, c); err != nil {
			return err
		}
		s.codes[c.Code] = c
	}
	for k := range rows[tblGrant] {
		app, acct, _ := strings.Cut(k, "\x00")
		s.grant(app, acct)
	}
	for k := range rows[tblNS] {
		ns := new(Namespace)
		if err := dec(tblNS, k, ns); err != nil {
			return err
		}
		ns.init()
		s.namespaces[ns.ID] = ns
	}
	nsOf := func(table, key string) (*Namespace, error) {
		id, _, _ := strings.Cut(key, "\x00")
		ns := s.namespaces[id]
		if ns == nil {
			return nil, fmt.Errorf("dropboxemu: load %s: unknown namespace %q", table, id)
		}
		return ns, nil
	}
	// Folders before files, parents before children, so the index builds in order.
	var entries []*Entry
	for k := range rows[tblEntry] {
		e := new(Entry)
		if err := dec(tblEntry, k, e); err != nil {
			return err
		}
		entries = append(entries, e)
	}
	sortByDepth(entries)
	for _, e := range entries {
		ns := s.namespaces[e.NS]
		if ns == nil {
			return fmt.Errorf("dropboxemu: load entry %s: unknown namespace %q", e.ID, e.NS)
		}
		ns.index(e)
	}
	for k := range rows[tblChange] {
		ns, err := nsOf(tblChange, k)
		if err != nil {
			return err
		}
		c := new(Change)
		if err := dec(tblChange, k, c); err != nil {
			return err
		}
		ns.log = append(ns.log, c)
	}
	for _, ns := range s.namespaces {
		sortChanges(ns.log)
	}
	for k := range rows[tblTombstone] {
		ns, err := nsOf(tblTombstone, k)
		if err != nil {
			return err
		}
		t := new(Tombstone)
		if err := dec(tblTombstone, k, t); err != nil {
			return err
		}
		ns.tombstones[t.PathLower] = t
	}
	var revs []*Entry
	for k := range rows[tblRev] {
		e := new(Entry)
		if err := dec(tblRev, k, e); err != nil {
			return err
		}
		revs = append(revs, e)
	}
	sortRevs(revs)
	for _, e := range revs {
		s.revs[e.Rev] = e
		s.revsByID[e.ID] = append(s.revsByID[e.ID], e.Rev)
	}
	for k := range rows[tblSession] {
		us := new(uploadSession)
		if err := dec(tblSession, k, us); err != nil {
			return err
		}
		s.sessions[us.ID] = us
	}
	for k := range rows[tblJob] {
		j := new(job)
		if err := dec(tblJob, k, j); err != nil {
			return err
		}
		s.jobs[j.ID] = j
	}
	for k := range rows[tblTags] {
		var tags []string
		if err := dec(tblTags, k, &tags); err != nil {
			return err
		}
		s.tags[k] = tags
	}
	for k := range rows[tblTempLink] {
		l := new(tempLink)
		if err := dec(tblTempLink, k, l); err != nil {
			return err
		}
		s.tempLinks[l.ID] = l
	}
	for k := range rows[tblSharedLink] {
		l := new(sharedLink)
		if err := dec(tblSharedLink, k, l); err != nil {
			return err
		}
		s.sharedLinks[l.ID] = l
	}
	for k := range rows[tblFileRequest] {
		fr := new(fileRequest)
		if err := dec(tblFileRequest, k, fr); err != nil {
			return err
		}
		s.fileRequests[fr.ID] = fr
	}
	for k := range rows[tblTeam] {
		tm := new(Team)
		if err := dec(tblTeam, k, tm); err != nil {
			return err
		}
		s.teams[tm.ID] = tm
	}
	for k := range rows[tblSharedFolder] {
		sf := new(sharedFolder)
		if err := dec(tblSharedFolder, k, sf); err != nil {
			return err
		}
		s.sharing.folders[sf.ID] = sf
	}
	for k := range rows[tblModifiedBy] {
		var acct string
		if err := dec(tblModifiedBy, k, &acct); err != nil {
			return err
		}
		s.sharing.modifiedBy.Store(k, acct)
	}
	return nil
}

// commit makes t durable. On failure the model is reloaded from the backend
// so that nothing of the failed call remains, and the caller answers 500.
func (s *Server) commit(t *tx) error {
	err := t.err
	if err == nil {
		err = s.backend.Commit(t.ops)
	}
	if err != nil {
		s.log.Error("dropboxemu: commit failed; reloading state", "err", err)
		// Long-polls look again, at the reloaded namespaces.
		s.wake()
		if lerr := s.load(); lerr != nil {
			s.log.Error("dropboxemu: reload failed", "err", lerr)
		}
		return fmt.Errorf("commit: %w", err)
	}
	if len(t.touched) > 0 {
		s.wake()
	}
	for ns := range t.touched {
		s.webhooks.namespaceChanged(ns)
	}
	return nil
}

// wake wakes every long-poll so that it looks again. The caller holds s.mu.
func (s *Server) wake() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) grant(appKey, accountID string) bool {
	m := s.grants[appKey]
	if m == nil {
		m = map[string]bool{}
		s.grants[appKey] = m
	}
	if m[accountID] {
		return false
	}
	m[accountID] = true
	return true
}

// handler answers one API route. It returns the result to encode, a
// *download for download-style routes, or an error (an *apiError, or any
// other error for a 500).
type handler func(s *Server, c *call) (any, error)

// handlers maps route names ("files/upload") to their handlers; each file
// registers its routes in init.
var handlers = map[string]handler{}

func register(route string, h handler) {
	if _, ok := specRoutes[route]; !ok {
		panic("dropboxemu: route not in the spec: " + route)
	}
	if _, dup := handlers[route]; dup {
		panic("dropboxemu: route registered twice: " + route)
	}
	handlers[route] = h
}

// Routes returns the names of the API routes the emulator serves
// ("files/delete_v2"), sorted.
func Routes() []string {
	return slices.Sorted(maps.Keys(handlers))
}

// call is one API request being served.
type call struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	route string
	spec  routeSpec
	arg   []byte
	tok   *Token
	acct  *Account
	app   *App
	fault *fault // an active truncate fault, for downloads
	v     *view  // the account's tree, built on first use (view)
}

// decode decodes the call's argument into v (see decodeStrict).
func (c *call) decode(v any, required ...string) error {
	if err := decodeStrict(c.arg, v, required...); err != nil {
		where := "request body"
		if c.spec.Style != "rpc" {
			where = `HTTP header "Dropbox-API-Arg"`
		}
		return badInput(c.route, "%s: %s", where, err.Error())
	}
	return nil
}

// badArg is a 400 for an argument value that fails the spec's constraints.
func (c *call) badArg(format string, args ...any) *apiError {
	where := "request body"
	if c.spec.Style != "rpc" {
		where = `HTTP header "Dropbox-API-Arg"`
	}
	return badInput(c.route, "%s: %s", where, fmt.Sprintf(format, args...))
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	route := r.PathValue("route")
	status := s.dispatch(w, r, route)
	s.stats.add(route, status)
	s.log.Debug("dropboxemu request", "route", route, "status", status)
}

// statusRecorder notes the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) dispatch(rw http.ResponseWriter, r *http.Request, route string) (status int) {
	w := &statusRecorder{ResponseWriter: rw}
	defer func() { status = w.status }()
	spec, known := specRoutes[route]
	h := handlers[route]
	if !known || h == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "Unknown API function: %q", route)
		return
	}
	if r.Method != http.MethodPost && !(spec.Style == "download" && r.Method == http.MethodGet) {
		w.Header().Set("Allow", "POST")
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Text: "Only POST requests are allowed"})
		return
	}
	c := &call{s: s, w: w, r: r, ctx: r.Context(), route: route, spec: spec}
	if f := s.faults.match(route); f != nil {
		if done := s.applyFault(c, f); done {
			return
		}
	}
	if e := s.readArg(c); e != nil {
		writeError(w, e)
		return
	}
	if e := s.authenticate(c); e != nil {
		writeError(w, e)
		return
	}
	if e := s.applyPathRoot(c); e != nil {
		writeError(w, e)
		return
	}
	// The account's tree, built now under the lock: handlers render paths
	// with it after they have let the lock go.
	s.mu.RLock()
	c.view()
	s.mu.RUnlock()
	if c.tok != nil {
		if e := s.limits.allowToken(c.tok.Token, s.clock.Now()); e != nil {
			writeError(w, e)
			return
		}
	}
	res, err := h(s, c)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			writeError(w, ae)
			return
		}
		if c.ctx.Err() != nil {
			return // the caller went away
		}
		s.log.Error("dropboxemu: internal error", "route", route, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "Internal Server Error")
		return
	}
	if d, ok := res.(*download); ok {
		s.writeDownload(c, d)
		return
	}
	if res == nil {
		res = json.RawMessage("null")
	}
	writeJSON(w, http.StatusOK, res)
	return
}

// readArg reads the argument of c from the body (rpc) or the
// Dropbox-API-Arg header or arg URL parameter (upload, download).
func (s *Server) readArg(c *call) *apiError {
	r := c.r
	if c.spec.Style == "rpc" {
		ct := r.Header.Get("Content-Type")
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return badInput(c.route, "could not read the request body")
		}
		voidArg := c.spec.Arg == "Void"
		empty := len(strings.TrimSpace(string(body))) == 0
		if voidArg && (empty || strings.TrimSpace(string(body)) == "null") {
			c.arg = []byte("null")
			return nil
		}
		if !jsonContentType(ct) {
			return badInput(c.route, `Bad HTTP "Content-Type" header: %q.  Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`, ct)
		}
		if empty {
			return badInput(c.route, "request body: could not decode input as JSON")
		}
		c.arg = body
		return nil
	}
	arg := r.Header.Get("Dropbox-API-Arg")
	if arg == "" {
		arg = r.URL.Query().Get("arg")
	}
	if arg == "" {
		if c.spec.Arg == "Void" {
			c.arg = []byte("null")
			return nil
		}
		return badInput(c.route, `Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".`)
	}
	c.arg = []byte(arg)
	if c.spec.Style == "upload" {
		ct := r.Header.Get("Content-Type")
		if ct != "" && ct != "application/octet-stream" && ct != "text/plain; charset=dropbox-cors-hack" {
			return badInput(c.route, `Bad HTTP "Content-Type" header: %q.  Expecting one of "application/octet-stream", "text/plain; charset=dropbox-cors-hack".`, ct)
		}
	}
	return nil
}

func jsonContentType(ct string) bool {
	switch strings.ToLower(strings.ReplaceAll(ct, " ", "")) {
	case "application/json", "application/json;charset=utf-8", "text/plain;charset=dropbox-cors-hack":
		return true
	}
	return false
}
