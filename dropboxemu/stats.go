package dropboxemu

import (
	"strconv"
	"sync"
)

// stats counts requests per route and status for GET /_emulator/stats.
type stats struct {
	mu     sync.Mutex
	counts map[string]map[string]int
}

func newStats() *stats { return &stats{counts: map[string]map[string]int{}} }

func (s *stats) add(route string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.counts[route]
	if m == nil {
		m = map[string]int{}
		s.counts[route] = m
	}
	m[strconv.Itoa(status)]++
}

func (s *stats) snapshot() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string]int, len(s.counts))
	for r, m := range s.counts {
		c := make(map[string]int, len(m))
		for k, v := range m {
			c[k] = v
		}
		out[r] = c
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
