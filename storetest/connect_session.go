package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

func testConnectSessions(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	cs, state := f.session(app, "user-1")
	if !strings.HasPrefix(cs.ID, dropbridge.ConnectSessionIDPrefix) || !cs.CreatedAt.Equal(start) || cs.ConsumedAt != nil {
		t.Fatalf("created %+v", cs)
	}
	got, err := f.s.FindConnectSessionByID(f.ctx, env.ID, cs.ID)
	noErr(t, err, "FindConnectSessionByID")
	diff(t, "session", cs, got)

	f.clock.Advance(time.Minute)
	consumed, err := f.s.ConsumeConnectSession(f.ctx, state)
	noErr(t, err, "ConsumeConnectSession")
	at := f.clock.Now()
	want := *cs
	want.ConsumedAt = &at
	diff(t, "consumed", &want, consumed)
	if consumed.PKCEVerifier != verifier {
		t.Fatal("the PKCE verifier did not round-trip")
	}
	got, err = f.s.FindConnectSessionByID(f.ctx, env.ID, cs.ID)
	noErr(t, err, "FindConnectSessionByID")
	diff(t, "consumed, read back", &want, got)

	// A replayed state fails, and so do unknown and tampered ones.
	_, err = f.s.ConsumeConnectSession(f.ctx, state)
	wantCode(t, err, dropbridge.ECONFLICT)
	_, err = f.s.ConsumeConnectSession(f.ctx, state+"x")
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.ConsumeConnectSession(f.ctx, "")
	wantCode(t, err, dropbridge.ENOTFOUND)

	// An expired session cannot be consumed, up to the very moment it
	// expires.
	late, lateState := f.session(app, "user-2")
	f.clock.Advance(late.ExpiresAt.Sub(f.clock.Now()))
	_, err = f.s.ConsumeConnectSession(f.ctx, lateState)
	wantCode(t, err, dropbridge.EEXPIRED)
	got, err = f.s.FindConnectSessionByID(f.ctx, env.ID, late.ID)
	noErr(t, err, "FindConnectSessionByID")
	if got.ConsumedAt != nil {
		t.Fatal("a refused consume marked the session consumed")
	}

	// Creation checks its input.
	past, _ := newSession(t, app, "user-3", f.clock.Now())
	wantCode(t, f.s.CreateConnectSession(f.ctx, past), dropbridge.EINVALID)
	foreign, _ := newSession(t, app, "user-3", f.clock.Now().Add(time.Hour))
	foreign.AppID = "app_missing"
	wantCode(t, f.s.CreateConnectSession(f.ctx, foreign), dropbridge.ENOTFOUND)
	for _, mutate := range []func(*dropbridge.ConnectSession){
		func(s *dropbridge.ConnectSession) { s.ExternalUserID = "" },
		func(s *dropbridge.ConnectSession) { s.StateHash = nil },
		func(s *dropbridge.ConnectSession) { s.PKCEVerifier = "short" },
		func(s *dropbridge.ConnectSession) { s.RedirectURL = "javascript:alert(1)" },
		func(s *dropbridge.ConnectSession) { s.RedirectURL = "/relative" },
		func(s *dropbridge.ConnectSession) { s.Scopes = []string{"bad scope"} },
		func(s *dropbridge.ConnectSession) { s.ExpiresAt = time.Time{} },
	} {
		bad, _ := newSession(t, app, "user-4", f.clock.Now().Add(time.Hour))
		mutate(bad)
		wantCode(t, f.s.CreateConnectSession(f.ctx, bad), dropbridge.EINVALID)
	}
	twin, _ := newSession(t, app, "user-5", f.clock.Now().Add(time.Hour))
	twin.StateHash = cs.StateHash
	wantCode(t, f.s.CreateConnectSession(f.ctx, twin), dropbridge.ECONFLICT)
	_, err = f.s.FindConnectSessionByID(f.ctx, env.ID, "cs_missing")
	wantCode(t, err, dropbridge.ENOTFOUND)
}

// testConnectSessionSingleUse races many callbacks with the same state:
// exactly one consumes the session.
func testConnectSessionSingleUse(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	_, state := f.session(app, "user-1")
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.s.ConsumeConnectSession(f.ctx, state)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch dropbridge.ErrorCode(err) {
		case "":
			wins++
		case dropbridge.ECONFLICT:
		default:
			t.Fatalf("ConsumeConnectSession: %v, want success or ECONFLICT", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent consumes succeeded, want exactly 1", wins, n)
	}
}

func testCompleteConnectSession(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	cs, state := f.session(app, "user-1")

	// Not before the user came back.
	c := newConnection(app, "", "dbid:1")
	c.EnvironmentID, c.AppID = "", ""
	wantCode(t, f.s.CompleteConnectSession(f.ctx, env.ID, cs.ID, c), dropbridge.ECONFLICT)

	_, err := f.s.ConsumeConnectSession(f.ctx, state)
	noErr(t, err, "ConsumeConnectSession")

	// Fields that contradict the session are refused.
	other := newConnection(app, "user-2", "dbid:1")
	wantCode(t, f.s.CompleteConnectSession(f.ctx, env.ID, cs.ID, other), dropbridge.EINVALID)
	wantCode(t, f.s.CompleteConnectSession(f.ctx, env.ID, "cs_missing", c), dropbridge.ENOTFOUND)

	f.clock.Advance(time.Second)
	noErr(t, f.s.CompleteConnectSession(f.ctx, env.ID, cs.ID, c), "CompleteConnectSession")
	if c.ID == "" || c.EnvironmentID != env.ID || c.AppID != app.ID || c.ExternalUserID != "user-1" || c.TokenVersion != 1 {
		t.Fatalf("completed connection %+v", c)
	}
	got, err := f.s.FindConnectionByID(f.ctx, env.ID, c.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "connection", c, got)
	sess, err := f.s.FindConnectSessionByID(f.ctx, env.ID, cs.ID)
	noErr(t, err, "FindConnectSessionByID")
	if sess.ConnectionID != c.ID {
		t.Fatalf("session's connection is %q, want %q", sess.ConnectionID, c.ID)
	}
	again := newConnection(app, "user-1", "dbid:1")
	wantCode(t, f.s.CompleteConnectSession(f.ctx, env.ID, cs.ID, again), dropbridge.ECONFLICT)

	// Reconnecting the same user and account through a new session updates
	// the connection instead of adding a twin.
	cs2, state2 := f.session(app, "user-1")
	_, err = f.s.ConsumeConnectSession(f.ctx, state2)
	noErr(t, err, "ConsumeConnectSession")
	f.clock.Advance(time.Second)
	re := newConnection(app, "user-1", "dbid:1")
	re.Token.AccessToken = "access-after-reconnect"
	noErr(t, f.s.CompleteConnectSession(f.ctx, env.ID, cs2.ID, re), "CompleteConnectSession")
	if re.ID != c.ID || re.TokenVersion != 2 || !re.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("reconnected %+v, want the connection %s at version 2", re, c.ID)
	}
	page, err := f.s.ListConnections(f.ctx, env.ID, dropbridge.ConnectionFilter{})
	noErr(t, err, "ListConnections")
	diff(t, "connections after reconnecting", []*dropbridge.Connection{re}, page.Connections)
}
