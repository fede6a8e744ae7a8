package dropboxtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
)

// Plans of the accounts Target.NewAccount makes: Dropbox Basic (free),
// a paid personal plan, and Dropbox Business outside a team.
const (
	PlanBasic    = "basic"
	PlanPro      = "pro"
	PlanBusiness = "business"
)

// Target is what the conformance suite (RunConformance) runs against: the
// emulator (EmulatorTarget) or, one day, Dropbox itself. It hands out
// accounts; the suite makes its own clients of them, so that it can count
// the routes it calls and keep retry waits short.
//
// The functions are called from parallel subtests and must be safe for
// concurrent use. Each returns something no other subtest uses: the suite
// expects fresh accounts with nothing in them (a Target on Dropbox would
// hand out dedicated test accounts and empty them in t.Cleanup).
type Target struct {
	// Name names the target in failure messages: "emulator".
	Name string
	// Options are the client options that reach the target, such as
	// dropbox.WithBaseURL for the emulator; none for Dropbox itself. The
	// suite adds a token or app key, its own HTTP client (which counts the
	// routes called) and a retry policy with short waits.
	Options []dropbox.Option
	// NewAccount returns a fresh account of plan (PlanBasic, PlanPro or
	// PlanBusiness) outside any team, with a token that has every scope.
	NewAccount func(t *testing.T, plan string) Account
	// NewTeam returns a fresh team with a team space and the given number
	// of members (at least one), the first of them the team admin who
	// authorised its team token, which has every team scope.
	NewTeam func(t *testing.T, members int) TeamAccounts
	// NewApp returns the key and secret of a registered app, for the routes
	// that take app authentication.
	NewApp func(t *testing.T) App
	// Faulty, when not nil, returns a target of its own (whose routes no
	// other subtest calls) and a function that injects a fault into its
	// answers: the fault subtests run there. nil skips them, as on
	// Dropbox, which takes no orders to fail.
	Faulty func(t *testing.T) (Target, func(Fault))
}

// TeamAccounts is a team made for the conformance suite.
type TeamAccounts struct {
	// Team holds the team's id, its team space's root namespace and a
	// team token.
	Team Team
	// Members are the team's members; Members[0] is the admin of the team
	// token. Their AccessToken may be empty: the suite acts as them
	// through the team token (Client.AsMember).
	Members []Account
}

// App is the credentials of an app, for app authentication.
type App struct {
	Key    string // the app key
	Secret string // the app secret
}

// RunConformance runs the client conformance suite against target: every
// route family of the package dropbox, called through its typed methods
// with results checked field by field, then (when target.Faulty is set) the
// same operations through injected faults, and last a check that every
// route of dropbox.Routes was called with success at least once (when
// -run selects every route family). Subtests run in parallel, each with
// accounts of its own.
func RunConformance(t *testing.T, target Target) {
	rec := newRecorder(nil)
	t.Cleanup(rec.closeIdle)
	s := &suite{rec: rec}
	var ran atomic.Int64 // route families run
	t.Run("routes", func(t *testing.T) {
		for _, f := range families {
			t.Run(f.name, func(t *testing.T) {
				t.Parallel()
				ran.Add(1)
				f.run(t, s.env(t, target))
			})
		}
		t.Run("faults", func(t *testing.T) {
			t.Parallel()
			if target.Faulty == nil {
				t.Skipf("%s takes no injected faults", target.Name)
			}
			// The fault subtests spend their time waiting out Retry-After:
			// they all run at once, each from a goroutine of its own (t.Run
			// may be called from several), rather than as parallel
			// subtests, which -parallel (GOMAXPROCS by default) would queue.
			var wg sync.WaitGroup
			for _, f := range faultFamilies {
				wg.Go(func() {
					t.Run(f.name, func(t *testing.T) {
						ft, inject := target.Faulty(t)
						e := s.env(t, ft)
						e.inject = inject
						f.run(t, e)
					})
				})
			}
			wg.Wait()
		})
	})
	t.Run("coverage", func(t *testing.T) {
		if n := ran.Load(); n < int64(len(families)) {
			t.Skipf("-run selected %d of the %d route families", n, len(families))
		}
		never, failed := rec.uncovered(dropbox.Routes())
		if len(never) > 0 {
			t.Errorf("%s: the suite never called %d routes of dropbox.Routes():\n\t%s", target.Name, len(never), strings.Join(never, "\n\t"))
		}
		if len(failed) > 0 {
			t.Errorf("%s: the suite called %d routes that never succeeded:\n\t%s", target.Name, len(failed), strings.Join(failed, "\n\t"))
		}
	})
}

// family is a group of subtests, for one route family.
type family struct {
	name string
	run  func(t *testing.T, e *env)
}

// suite is one run of RunConformance.
type suite struct {
	rec *recorder // counts the calls of every subtest
}

// env returns the environment of one subtest on target.
func (s *suite) env(t *testing.T, target Target) *env {
	return &env{t: t, ctx: t.Context(), target: target, rec: s.rec.child()}
}

// env is what one subtest works with: its target, and a recorder of the
// calls its clients make.
type env struct {
	t      *testing.T
	ctx    context.Context
	target Target
	rec    *recorder
	inject func(Fault) // fault subtests only
}

// testRetries keeps the clients' retry waits short (Retry-After still
// sets the floor).
var testRetries = dropbox.RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, Budget: 30 * time.Second}

// client returns a client of the target that records its calls; opts
// come after the suite's own.
func (e *env) client(opts ...dropbox.Option) *dropbox.Client {
	all := slices.Concat(e.target.Options, []dropbox.Option{
		dropbox.WithHTTPClient(&http.Client{Transport: e.rec}),
		dropbox.WithRetryPolicy(testRetries),
	}, opts)
	return dropbox.New(all...)
}

// user returns a fresh account of plan and a client of it.
func (e *env) user(plan string) (*dropbox.Client, Account) {
	e.t.Helper()
	a := e.target.NewAccount(e.t, plan)
	return e.client(dropbox.WithToken(a.AccessToken)), a
}

// must returns a function that returns v, or fails the test with err: a
// call and its check in one line,
//
//	md := must(c.Files.GetMetadata(ctx, arg))(t, "get_metadata")
func must[T any](v T, err error) func(t testing.TB, what string) T {
	return func(t testing.TB, what string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// check fails the test with err.
func check(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// poll calls status until done says the job is over and returns the last
// status. It asks again at once, then at growing intervals (an async job
// of Dropbox takes a while), until ctx ends.
func poll[S any](ctx context.Context, t testing.TB, what string, status func() (S, error), done func(S) bool) S {
	t.Helper()
	wait := time.Duration(0)
	for {
		s, err := status()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if done(s) {
			return s
		}
		if wait > 0 {
			tm := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				tm.Stop()
				t.Fatalf("%s: the job did not end: %v", what, ctx.Err())
			case <-tm.C:
			}
		}
		wait = min(max(2*wait, 10*time.Millisecond), time.Second)
	}
}

// recorder is an http.RoundTripper that counts the API calls going
// through it, by route, and passes them to its parent.
type recorder struct {
	base   http.RoundTripper
	parent *recorder

	mu     sync.Mutex
	calls  map[string]*routeCalls
	losses map[string]int // answers to throw away, by route
}

// routeCalls counts the calls of one route.
type routeCalls struct {
	sent int // requests sent
	ok   int // answered 200 or 206
}

// newRecorder returns a recorder that sends through a transport of its
// own, or through parent's.
func newRecorder(parent *recorder) *recorder {
	r := &recorder{parent: parent, calls: map[string]*routeCalls{}, losses: map[string]int{}}
	if parent != nil {
		r.base = parent.base
	} else {
		r.base = http.DefaultTransport.(*http.Transport).Clone()
	}
	return r
}

// child returns a recorder whose counts go to r too.
func (r *recorder) child() *recorder { return newRecorder(r) }

// errAnswerLost is the error of a call whose answer the recorder threw
// away (see recorder.lose).
var errAnswerLost = errors.New("dropboxtest: injected fault: the answer was lost after the server acted")

// RoundTrip sends req and counts it when it calls an API route.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	route, ok := strings.CutPrefix(req.URL.Path, "/2/")
	if !ok {
		return resp, err
	}
	success := err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent)
	for x := r; x != nil; x = x.parent {
		x.count(route, success)
	}
	if err == nil && r.takeLoss(route) {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errAnswerLost
	}
	return resp, err
}

// lose makes r throw away the next n answers of route, once the server
// has sent them: the client sees errAnswerLost, as if the connection had
// dropped after the server acted.
func (r *recorder) lose(route string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.losses[route] += n
}

// takeLoss reports whether the answer of a call of route is to be lost.
func (r *recorder) takeLoss(route string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.losses[route] == 0 {
		return false
	}
	r.losses[route]--
	return true
}

func (r *recorder) count(route string, success bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls[route]
	if c == nil {
		c = &routeCalls{}
		r.calls[route] = c
	}
	c.sent++
	if success {
		c.ok++
	}
}

// sent returns how many requests of route went through r.
func (r *recorder) sent(route string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.calls[route]; c != nil {
		return c.sent
	}
	return 0
}

// uncovered returns the routes of want never called, and those called but
// never with success.
func (r *recorder) uncovered(want []string) (never, failed []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, route := range want {
		switch c := r.calls[route]; {
		case c == nil:
			never = append(never, route)
		case c.ok == 0:
			failed = append(failed, fmt.Sprintf("%s (%d calls)", route, c.sent))
		}
	}
	return never, failed
}

// closeIdle closes the idle connections of the transport.
func (r *recorder) closeIdle() {
	if t, ok := r.base.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// families are the route families of the suite, each a subtest.
var families = []family{
	{"files/upload", testUpload},
	{"files/download", testDownload},
	{"files/listing", testListing},
	{"files/folders", testFolders},
	{"files/relocation", testRelocation},
	{"files/revisions", testRevisions},
	{"files/search", testSearch},
	{"files/tags", testTags},
	{"files/paper", testPaper},
	{"files/permanently_delete", testPermanentlyDelete},
	{"sharing/links", testSharedLinks},
	{"sharing/folders", testSharedFolders},
	{"file_requests", testFileRequests},
	{"users", testUsers},
	{"check_and_auth", testCheckAndAuth},
	{"team", testTeam},
}
