package dropboxemu

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// fault is one rule of POST /_emulator/faults.
type fault struct {
	ID          int     `json:"id"`
	Route       string  `json:"route"` // "files/upload", or "*" for every route
	Status      int     `json:"status,omitempty"`
	Reason      string  `json:"reason,omitempty"` // for 429: too_many_requests, too_many_write_operations
	RetryAfter  int     `json:"retry_after,omitempty"`
	Times       int     `json:"times,omitempty"`       // how many calls it hits; 0 with no probability: every call
	Probability float64 `json:"probability,omitempty"` // chance per call instead of Times
	Reset       bool    `json:"reset,omitempty"`       // drop the connection
	DelayMS     int     `json:"delay_ms,omitempty"`    // wait before answering
	Truncate    bool    `json:"truncate,omitempty"`    // cut a download body short
	Hits        int     `json:"hits"`                  // calls it has hit so far
}

// valid says what is wrong with f, or "" when it can be injected.
func (f *fault) valid() string {
	spec, known := specRoutes[f.Route]
	actions := 0
	for _, on := range []bool{f.Status != 0, f.Reset, f.Truncate} {
		if on {
			actions++
		}
	}
	switch {
	case f.Route == "":
		return "route is required: a route name such as \"files/upload\", or \"*\" for every route"
	case f.Route != "*" && !known:
		return "unknown route " + strconv.Quote(f.Route) + ": use a route name of the spec, such as \"files/upload\", or \"*\""
	case f.Status != 0 && f.Status != 429 && f.Status != 500 && f.Status != 503:
		return "status must be 429, 500 or 503"
	case f.Reason != "" && f.Status != 429:
		return "reason goes with status 429 only"
	case f.Reason != "" && f.Reason != "too_many_requests" && f.Reason != "too_many_write_operations":
		return "reason must be too_many_requests or too_many_write_operations"
	case f.Times < 0:
		return "times must be >= 0"
	case f.Probability < 0 || f.Probability > 1:
		return "probability must be within [0, 1]"
	case f.DelayMS < 0 || f.DelayMS > 600_000:
		return "delay_ms must be within [0, 600000]"
	case f.RetryAfter < 0:
		return "retry_after must be >= 0"
	case f.RetryAfter > 0 && f.Status == 500:
		return "retry_after goes with status 429 or 503"
	case actions == 0 && f.DelayMS == 0:
		return "a fault needs status, reset, truncate or delay_ms"
	case actions > 1:
		return "give only one of status, reset and truncate"
	case f.Truncate && f.Route != "*" && spec.Style != "download":
		return "truncate applies to download-style routes only; " + f.Route + " is " + spec.Style + "-style"
	}
	return ""
}

type faultSet struct {
	mu     sync.Mutex
	rng    *rand.Rand
	nextID int
	rules  []*fault
}

func newFaultSet(seed uint64) *faultSet {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &faultSet{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (fs *faultSet) add(f *fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID = fs.nextID
	fs.rules = append(fs.rules, f)
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.rules = nil
	fs.mu.Unlock()
}

func (fs *faultSet) list() []fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]fault, len(fs.rules))
	for i, f := range fs.rules {
		out[i] = *f
	}
	return out
}

// match returns a copy of the first rule that hits this call of route,
// counting the hit; nil when none does. A rule with probability hits each
// call with that chance; with times too, it is gone after that many hits.
func (fs *faultSet) match(route string) *fault {
	style := specRoutes[route].Style
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.rules {
		if f.Route != route && f.Route != "*" {
			continue
		}
		if f.Truncate && style != "download" {
			continue // a "*" truncate rule only concerns downloads
		}
		if f.Probability > 0 && fs.rng.Float64() >= f.Probability {
			continue
		}
		f.Hits++
		hit := *f
		if f.Times > 0 && f.Hits >= f.Times {
			fs.rules = append(fs.rules[:i:i], fs.rules[i+1:]...)
		}
		return &hit
	}
	return nil
}

// applyFault carries out f for call c. It reports whether the call has been
// answered (or dropped) and must not go on.
func (s *Server) applyFault(c *call, f *fault) bool {
	if f.DelayMS > 0 {
		t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return true
		}
	}
	switch {
	case f.Reset:
		// The ResponseController reaches the connection through the
		// status recorder's Unwrap.
		if conn, _, err := http.NewResponseController(c.w).Hijack(); err == nil {
			conn.Close()
			return true
		}
		panic(http.ErrAbortHandler)
	case f.Status == http.StatusTooManyRequests:
		reason := f.Reason
		if reason == "" {
			reason = "too_many_requests"
		}
		ra := f.RetryAfter
		if ra == 0 {
			ra = 1
		}
		writeError(c.w, rateLimited(reason, ra))
		return true
	case f.Status != 0:
		if f.RetryAfter > 0 {
			c.w.Header().Set("Retry-After", itoa(f.RetryAfter))
		}
		c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		c.w.WriteHeader(f.Status)
		return true
	case f.Truncate:
		c.fault = f
	}
	return false
}
