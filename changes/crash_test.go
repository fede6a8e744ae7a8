package changes_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/events"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
	"github.com/dropbridge/dropbridge/webhooks"
)

// Environment of a crash child: the test binary, run with
// crashChildEnv set, is the service instead of running tests (TestMain).
const (
	crashChildEnv   = "CHANGES_CRASH_CHILD"  // set: be the service
	crashDBEnv      = "CHANGES_CRASH_DB"     // the SQLite database file
	crashKeysEnv    = "CHANGES_CRASH_KEYS"   // the keyring
	crashEmuEnv     = "CHANGES_CRASH_EMU"    // the emulator's URL
	crashPointEnv   = "CHANGES_CRASH_AT"     // where to die (crashPoints), or empty
	crashArmEnv     = "CHANGES_CRASH_ARM"    // the crash point counts once this file exists
	crashOffsetEnv  = "CHANGES_CRASH_OFFSET" // how far the child's clock is ahead, a time.Duration
	crashPageLimit  = 2                      // list_folder's page size in the child
	crashScanPeriod = 100 * time.Millisecond // how often the child reads the connections
	crashTimeout    = 5 * time.Second        // the child's delivery timeout
	crashRestartGap = time.Hour              // the clock moves this far at each restart
	crashWait       = 60 * time.Second       // the longest the test waits for anything
)

// crashPoints are the moments a child dies at, by SIGKILL to itself:
//
//   - intake: the Dropbox webhook intake answered 200, before any sync ran
//     (the notification is acknowledged and lost with the process);
//   - listing: one list_folder page is applied and the next is asked for;
//   - stored: events are stored, and the first delivery is about to go out;
//   - delivery: the subscriber answered 2xx to the second delivery, before
//     the attempt is recorded (so it goes out again: the wire retry).
var crashPoints = []string{"intake", "listing", "stored", "delivery"}

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

// TestCrash kills the service (a child process on a SQLite database)
// between Dropbox's notification of changes and the delivery of their
// events, at each of crashPoints, restarts it on the same database, and
// checks that the subscriber gets every event, each with one ID, in order
// by ID, with repeats only of an ID it already had (the wire retry).
func TestCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			testCrashAt(t, point)
		})
	}
}

func testCrashAt(t *testing.T, point string) {
	ctx := t.Context()
	dir := t.TempDir()
	keyring, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(keyring)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "dropbridge.db")
	store, err := sqlite.Open(ctx, dbPath, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	emu := dropboxtest.NewEmulator(t)

	env := &dropbridge.Environment{Name: "test"}
	if err := store.CreateEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}
	app := &dropbridge.App{EnvironmentID: env.ID, Name: "Test app", AppKey: testAppKey, AppSecret: testAppSecret, IsDefault: true}
	if err := store.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	sub := newCrashSubscriber(t)
	ep := &dropbridge.WebhookEndpoint{EnvironmentID: env.ID, URL: sub.srv.URL, Secret: sub.secret, Enabled: true}
	if err := store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}

	// Dropbox notifies a URL that stays while the service behind it dies
	// and comes back on another port.
	var target atomic.Pointer[url.URL]
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		if u := target.Load(); u != nil {
			r.SetURL(u)
		}
	}, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
		ErrorLog: log.New(io.Discard, "", 0)}) // a notification cut short by a crash is expected
	t.Cleanup(proxy.Close)

	arm := filepath.Join(dir, "armed")
	childEnv := []string{crashDBEnv + "=" + dbPath, crashKeysEnv + "=" + keyring, crashEmuEnv + "=" + emu.URL, crashArmEnv + "=" + arm}
	child := startServiceChild(t, append(childEnv, crashPointEnv+"="+point, crashOffsetEnv+"=0s"))
	target.Store(child.url)

	emu.CreateApp(t, dropboxtest.AppArg{AppKey: testAppKey, AppSecret: testAppSecret, RedirectURIs: []string{"http://dropbridge.test/oauth/callback"},
		WebhookURI: proxy.URL + httpapi.DropboxWebhookPath})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "crash@example.com", AccountType: "pro", AppKey: testAppKey})
	user := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken))
	upload := func(path, content string) {
		t.Helper()
		if _, err := user.Files.Upload(ctx, &dropbox.UploadArg{Path: path, Mode: dropbox.WriteMode{Tag: dropbox.WriteModeOverwrite}},
			strings.NewReader(content)); err != nil {
			t.Fatalf("upload %s: %v", path, err)
		}
	}
	for _, p := range []string{"/keep.txt", "/gone.txt", "/changed.txt"} {
		upload(p, p)
	}
	conn := &dropbridge.Connection{EnvironmentID: env.ID, AppID: app.ID, ExternalUserID: "user-1", AccountID: acct.AccountID,
		Email: acct.Email, AccountType: "pro", Status: dropbridge.ConnectionActive,
		Token: dropbridge.Token{AccessToken: dropbridge.Secret(acct.AccessToken)}}
	if err := store.UpsertConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	until(t, "the first listing", func() bool {
		cur, err := store.FindMirrorCursor(ctx, env.ID, conn.ID, dropbridge.MirrorFiles)
		return err == nil && cur.Cursor != "" && !strings.HasPrefix(cur.Cursor, "initial:")
	})

	// The changes, each of its own object, so that however the syncs
	// split them each makes one event.
	if err := os.WriteFile(arm, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	want := []seenEvent{}
	for i := range 6 {
		p := fmt.Sprintf("/new %d.txt", i)
		upload(p, p)
		want = append(want, seenEvent{dropbridge.EventFileCreated, p, dropbridge.OriginDropbox})
	}
	upload("/changed.txt", "changed")
	if _, err := user.Files.MoveV2(ctx, &dropbox.RelocationArg{FromPath: "/keep.txt", ToPath: "/kept.txt"}); err != nil {
		t.Fatal(err)
	}
	if _, err := user.Files.DeleteV2(ctx, &dropbox.DeleteArg{Path: "/gone.txt"}); err != nil {
		t.Fatal(err)
	}
	want = append(want,
		seenEvent{dropbridge.EventFileUpdated, "/changed.txt", dropbridge.OriginDropbox},
		seenEvent{dropbridge.EventFileMoved, "/kept.txt", dropbridge.OriginDropbox},
		seenEvent{dropbridge.EventFileDeleted, "/gone.txt", dropbridge.OriginDropbox})

	select {
	case <-child.done:
	case <-time.After(crashWait):
		t.Fatalf("the service did not reach crash point %s in %v", point, crashWait)
	}
	if !child.killed() {
		t.Fatalf("the service ended without being killed: %v", child.err)
	}
	target.Store(nil)
	// The child died where it was meant to. (After the intake, events
	// may be stored already: by a sync that a notification from before
	// the arming started.)
	stored, err := store.ListEvents(ctx, env.ID, dropbridge.EventFilter{ConnectionID: conn.ID, Limit: dropbridge.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	arrived := len(sub.received())
	t.Logf("crashed at %s: %d events stored, %d deliveries arrived", point, len(stored), arrived)
	switch {
	case point == "listing" && len(stored) >= len(want):
		t.Errorf("crash mid-listing: %d events stored, want fewer than %d", len(stored), len(want))
	case point == "stored" && (len(stored) == 0 || arrived != 0):
		t.Errorf("crash before the first delivery: %d events stored, %d delivered; want some, none", len(stored), arrived)
	case point == "delivery" && arrived != 2:
		t.Errorf("crash after the second delivery: %d delivered", arrived)
	}

	// The same database, a clock an hour on: the claims of the dead
	// process have lapsed.
	child = startServiceChild(t, append(childEnv, crashOffsetEnv+"="+crashRestartGap.String()))
	target.Store(child.url)

	// Every event of the connection, stored once.
	var feed []*dropbridge.Event
	until(t, "the events in the feed and at the subscriber", func() bool {
		evs, err := store.ListEvents(ctx, env.ID, dropbridge.EventFilter{ConnectionID: conn.ID, Limit: dropbridge.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		feed = evs
		if len(evs) < len(want) {
			return false
		}
		have := map[string]bool{}
		for _, d := range sub.received() {
			have[d.id] = true
		}
		for _, e := range evs {
			if !have[e.ID] {
				return false
			}
		}
		return true
	})
	var got []seenEvent
	var feedIDs []string
	for _, e := range feed {
		got = append(got, seenEvent{e.Type, eventPath(e), e.Origin})
		feedIDs = append(feedIDs, e.ID)
	}
	if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
		t.Errorf("events stored (-want +got):\n%s", diff)
	}

	// At the subscriber: each event, first in the feed's order; a repeat
	// only of an ID already received, with the same body.
	deliveries := sub.received()
	var first []string
	bodies := map[string]string{}
	repeats := 0
	for _, d := range deliveries {
		if d.bad != "" {
			t.Errorf("delivery %s: %s", d.id, d.bad)
		}
		if b, ok := bodies[d.id]; ok {
			repeats++
			if b != d.body {
				t.Errorf("event %s came again with another body:\n%s\n%s", d.id, b, d.body)
			}
			continue
		}
		bodies[d.id] = d.body
		first = append(first, d.id)
	}
	if diff := cmp.Diff(feedIDs, first); diff != "" {
		t.Errorf("events at the subscriber, first deliveries (-feed +received):\n%s", diff)
	}
	if !slices.IsSorted(feedIDs) {
		t.Errorf("the feed is not in ID order: %v", feedIDs)
	}
	if point == "delivery" && repeats == 0 {
		t.Errorf("the delivery cut short by the crash did not go out again")
	}
	t.Logf("%d events, %d deliveries, %d wire retries", len(feedIDs), len(deliveries), repeats)
}

// until checks cond until it holds, for at most crashWait. Each check
// reads the state another process changes, which it cannot be told of.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(crashWait)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no %s in %v", what, crashWait)
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		}
	}
}

// crashSubscriber is an application's webhook endpoint that keeps what it
// receives.
type crashSubscriber struct {
	srv    *httptest.Server
	secret dropbridge.Secret

	mu  sync.Mutex
	got []arrival
}

// arrival is one request the subscriber received.
type arrival struct {
	id   string // webhook-id
	body string
	bad  string // why the request is not a well-signed event, or empty
}

func newCrashSubscriber(t *testing.T) *crashSubscriber {
	t.Helper()
	secret, err := webhooks.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	s := &crashSubscriber{secret: secret}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		d := arrival{id: r.Header.Get(webhooks.HeaderID), body: string(body)}
		var e struct {
			ID string `json:"id"`
		}
		switch {
		case err != nil:
			d.bad = err.Error()
		case webhooks.Verify(r.Header, body, []dropbridge.Secret{secret}, time.Now(), 2*crashRestartGap) != nil:
			d.bad = "bad signature"
		case json.Unmarshal(body, &e) != nil || e.ID != d.id:
			d.bad = "the body is not the event of the webhook-id"
		}
		s.mu.Lock()
		s.got = append(s.got, d)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// received returns the deliveries so far, in the order they came.
func (s *crashSubscriber) received() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// serviceChild is the service in a child process.
type serviceChild struct {
	cmd  *exec.Cmd
	url  *url.URL
	done chan struct{}
	err  error // Wait's, once done is closed
}

// killed reports whether the child died of SIGKILL; call it after done.
func (c *serviceChild) killed() bool {
	var exit *exec.ExitError
	if !errors.As(c.err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// startServiceChild runs the test binary as the service with env, and
// returns once it serves.
func startServiceChild(t *testing.T, env []string) *serviceChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), crashChildEnv+"=1"), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // closed when the test ends: the child exits
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the service process: %v", err)
	}
	c := &serviceChild{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		<-c.done
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	raw, found := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	if err != nil || !found {
		t.Fatalf("the service process did not print its URL: %q, %v", line, err)
	}
	if c.url, err = url.Parse(raw); err != nil {
		t.Fatal(err)
	}
	return c
}

// crashChild serves the change tracking service, its Dropbox webhook
// intake and its webhook delivery on the database crashDBEnv names, until
// killed or until its stdin closes. It dies at crashPointEnv's point once
// crashArmEnv's file exists.
func crashChild() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	offset, err := time.ParseDuration(os.Getenv(crashOffsetEnv))
	if err != nil {
		return fail(err)
	}
	now := func() time.Time { return time.Now().Add(offset) }
	keys, err := secrets.ParseKeyring(os.Getenv(crashKeysEnv))
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := sqlite.Open(ctx, os.Getenv(crashDBEnv), keys)
	if err != nil {
		return fail(err)
	}
	store.Now = now
	defer store.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	die := &crashSwitch{point: os.Getenv(crashPointEnv), arm: os.Getenv(crashArmEnv)}

	svc := connect.New(store, "http://dropbridge.test")
	svc.Dropbox = connect.SingleHost(os.Getenv(crashEmuEnv))
	svc.HTTPClient = &http.Client{Transport: dropboxTransport{die}}
	svc.WriteLog, svc.Events, svc.Now = store, store, now
	deliverer, err := events.NewDeliverer(events.DelivererConfig{Store: store, Now: now, Timeout: crashTimeout,
		PollInterval: 50 * time.Millisecond, Logger: logger,
		Client: &http.Client{Transport: deliveryTransport{die}}})
	if err != nil {
		return fail(err)
	}
	tracking, err := changes.New(changes.Config{Store: store, Connect: svc, PageLimit: crashPageLimit, ScanInterval: crashScanPeriod,
		ReconcileInterval: -1, PollGap: -1, Logger: logger, Now: now,
		OnSync: func(string, string, error) { deliverer.Notify() }})
	if err != nil {
		return fail(err)
	}
	var notifier httpapi.DropboxNotifier = tracking
	if die.point == "intake" {
		notifier = dropNotifier{die, tracking}
	}
	api := httpapi.New(httpapi.Config{Store: store, Connect: svc, Logger: logger, Now: now, DropboxNotifier: notifier})
	if err := deliverer.Start(ctx); err != nil {
		return fail(err)
	}
	defer deliverer.Stop(context.Background())
	stop := tracking.Start(ctx)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	go http.Serve(ln, intakeHandler{die, api})
	fmt.Printf("URL http://%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// crashSwitch kills the process at its point, once armed.
type crashSwitch struct {
	point, arm string

	mu       sync.Mutex
	more     bool // the last list_folder page said has_more
	sent     int  // deliveries sent
	notified bool // the intake took a notification
}

// armed reports whether the crash point is p and the test armed it.
func (c *crashSwitch) armed(p string) bool {
	if c.point != p {
		return false
	}
	_, err := os.Stat(c.arm)
	return err == nil
}

// kill ends the process at once: no deferred code, no flushing.
func (c *crashSwitch) kill() {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}

// dropboxTransport calls Dropbox, and dies when a list_folder page is
// asked for while the listing has more (a page applied, the next not).
type dropboxTransport struct{ c *crashSwitch }

func (t dropboxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	listing := strings.HasSuffix(r.URL.Path, "/files/list_folder/continue") || strings.HasSuffix(r.URL.Path, "/files/list_folder")
	if !listing || !t.c.armed("listing") {
		return http.DefaultTransport.RoundTrip(r)
	}
	t.c.mu.Lock()
	mid := t.c.more
	t.c.mu.Unlock()
	if mid && strings.HasSuffix(r.URL.Path, "/continue") {
		t.c.kill()
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var page struct {
		HasMore bool `json:"has_more"`
	}
	_ = json.Unmarshal(body, &page)
	t.c.mu.Lock()
	t.c.more = page.HasMore
	t.c.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// deliveryTransport sends webhook deliveries; it dies before the first
// ("stored") or after the answer to the second ("delivery").
type deliveryTransport struct{ c *crashSwitch }

func (t deliveryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.c.armed("stored") {
		t.c.kill()
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if t.c.armed("delivery") && err == nil && resp.StatusCode/100 == 2 {
		t.c.mu.Lock()
		t.c.sent++
		n := t.c.sent
		t.c.mu.Unlock()
		if n == 2 {
			t.c.kill()
		}
	}
	return resp, err
}

// dropNotifier takes the intake's notifications and, once armed, drops
// them: the process dies when the intake has answered (intakeHandler).
type dropNotifier struct {
	c    *crashSwitch
	next httpapi.DropboxNotifier
}

func (n dropNotifier) Notify(accountIDs ...string) {
	if n.c.armed("intake") {
		n.c.mu.Lock()
		n.c.notified = true
		n.c.mu.Unlock()
		return
	}
	n.next.Notify(accountIDs...)
}

// intakeHandler serves the API, and dies right after the intake answered
// a notification that dropNotifier dropped.
type intakeHandler struct {
	c    *crashSwitch
	next http.Handler
}

func (h intakeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, r)
	h.c.mu.Lock()
	die := h.c.notified
	h.c.mu.Unlock()
	if die {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		h.c.kill()
	}
}
