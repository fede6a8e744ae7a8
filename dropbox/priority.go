package dropbox

import (
	"context"
	"slices"
	"sync"
)

// backgroundKey is the context key that WithBackground sets.
type backgroundKey struct{}

// WithBackground returns a copy of ctx that marks the Dropbox calls made
// with it as background work: token refreshes, polling, sync and other
// work that no user waits for. When calls of one account wait in its
// Limits (for the pace after a 429, or for the account's one write at a
// time), interactive calls go first; background calls still get one turn
// in four while interactive ones wait, so that they never starve. Calls
// with an unmarked context are interactive.
func WithBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx marks its Dropbox calls as background
// work (see WithBackground).
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// class is the priority class of a call.
type class int

// Classes, in order of priority.
const (
	interactive class = iota
	background
	classes // the number of classes
)

// classOf returns the class of the calls made with ctx.
func classOf(ctx context.Context) class {
	if IsBackground(ctx) {
		return background
	}
	return interactive
}

// backgroundShare is the share of turns background work gets while
// interactive calls wait too: one turn in backgroundShare.
const backgroundShare = 4

// turns is the scheduling state of a turnstile: how many turns in a row
// went to an interactive call while background work waited. Its method is
// pure.
type turns struct {
	passedOver int
}

// next picks the class whose first waiter goes next, given how many calls
// of each class wait (at least one in all), and returns the state after.
// Interactive calls go first, except that background work gets every
// backgroundShare-th turn while both wait.
func (t turns) next(waiting [classes]int) (class, turns) {
	switch {
	case waiting[background] == 0:
		return interactive, turns{}
	case waiting[interactive] == 0 || t.passedOver >= backgroundShare-1:
		return background, turns{}
	}
	return interactive, turns{passedOver: t.passedOver + 1}
}

// turnstile is a slot that one call holds at a time. A freed turnstile
// goes to the call that turns picks among those waiting, first come first
// served within a class; it is handed over directly, so a newcomer never
// takes it from one that waits. It is safe for concurrent use.
type turnstile struct {
	mu      sync.Mutex
	held    bool
	waiting [classes][]chan struct{} // closed when the turnstile is handed over
	turns   turns
}

// acquire waits until the call, of class c, holds the turnstile, or until ctx
// ends, and then returns ctx's error without holding it.
func (g *turnstile) acquire(ctx context.Context, c class) error {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	g.waiting[c] = append(g.waiting[c], ready)
	g.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	select {
	case <-ready:
		// Handed over as ctx ended: pass it on.
		g.mu.Unlock()
		g.release()
	default:
		g.waiting[c] = slices.DeleteFunc(g.waiting[c], func(w chan struct{}) bool { return w == ready })
		g.mu.Unlock()
	}
	return ctx.Err()
}

// release frees the turnstile, handing it to the waiter whose turn it is.
func (g *turnstile) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	var n [classes]int
	for c := range classes {
		n[c] = len(g.waiting[c])
	}
	if n[interactive]+n[background] == 0 {
		g.held = false
		return
	}
	var c class
	c, g.turns = g.turns.next(n)
	ready := g.waiting[c][0]
	g.waiting[c][0] = nil
	g.waiting[c] = g.waiting[c][1:]
	close(ready)
}
