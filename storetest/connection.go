package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

func testUpsertConnection(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	c := f.connection(app, "user-1", "dbid:1")
	if !strings.HasPrefix(c.ID, dropbridge.ConnectionIDPrefix) || c.TokenVersion != 1 || !c.CreatedAt.Equal(start) || !c.UpdatedAt.Equal(start) {
		t.Fatalf("created %+v", c)
	}
	got, err := f.s.FindConnectionByID(f.ctx, env.ID, c.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "connection", c, got)

	// Connecting the same user and account again updates the connection,
	// through another app too, and revives one that needed reauth.
	_, err = f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionNeedsReauth)})
	noErr(t, err, "UpdateConnection")
	f.clock.Advance(time.Hour)
	app2 := f.app(env, "appkey2", false)
	re := newConnection(app2, "user-1", "dbid:1")
	re.Email, re.DisplayName, re.TeamID, re.AccountType = "new@example.com", "New Name", "dbtid:1", "business"
	re.Scopes = []string{"files.content.read", "files.content.write"}
	re.Token = dropbridge.Token{AccessToken: "access-2", RefreshToken: "refresh-2", Expiry: f.clock.Now().Add(4*time.Hour + 123456789)}
	noErr(t, f.s.UpsertConnection(f.ctx, re), "UpsertConnection again")
	want := *re
	want.ID, want.TokenVersion, want.CreatedAt, want.UpdatedAt = c.ID, 2, c.CreatedAt, f.clock.Now()
	want.Token.Expiry = want.Token.Expiry.Truncate(time.Microsecond) // what databases keep
	diff(t, "upserted", &want, re)
	got, err = f.s.FindConnectionByID(f.ctx, env.ID, c.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "upserted, read back", &want, got)

	// Another account of the same user, or the same account for another
	// user of the application, is another connection.
	c2 := f.connection(app, "user-1", "dbid:2")
	c3 := f.connection(app, "user-2", "dbid:1")
	if c2.ID == c.ID || c3.ID == c.ID || c2.ID == c3.ID {
		t.Fatalf("connections share IDs: %s %s %s", c.ID, c2.ID, c3.ID)
	}
	page, err := f.s.ListConnections(f.ctx, env.ID, dropbridge.ConnectionFilter{})
	noErr(t, err, "ListConnections")
	if len(page.Connections) != 3 {
		t.Fatalf("%d connections, want 3", len(page.Connections))
	}

	// A token without expiry stays without; an empty refresh token stays empty.
	short := newConnection(app, "user-3", "dbid:3")
	short.Token = dropbridge.Token{AccessToken: "long-lived"}
	noErr(t, f.s.UpsertConnection(f.ctx, short), "UpsertConnection")
	got, err = f.s.FindConnectionByID(f.ctx, env.ID, short.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "token", dropbridge.Token{AccessToken: "long-lived"}, got.Token)

	foreign := newConnection(app, "user-9", "dbid:9")
	foreign.AppID = "app_missing"
	wantCode(t, f.s.UpsertConnection(f.ctx, foreign), dropbridge.ENOTFOUND)
	for _, mutate := range []func(*dropbridge.Connection){
		func(c *dropbridge.Connection) { c.ExternalUserID = "" },
		func(c *dropbridge.Connection) { c.AccountID = "" },
		func(c *dropbridge.Connection) { c.Status = "" },
		func(c *dropbridge.Connection) { c.Status = "paused" },
		func(c *dropbridge.Connection) { c.Token.AccessToken = "" },
		func(c *dropbridge.Connection) { c.Scopes = []string{""} },
		func(c *dropbridge.Connection) { c.EnvironmentID = "" },
	} {
		bad := newConnection(app, "user-9", "dbid:9")
		mutate(bad)
		wantCode(t, f.s.UpsertConnection(f.ctx, bad), dropbridge.EINVALID)
	}
	_, err = f.s.FindConnectionByID(f.ctx, env.ID, "conn_missing")
	wantCode(t, err, dropbridge.ENOTFOUND)
}

func ptr[T any](v T) *T { return &v }

func testUpdateConnection(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	c := f.connection(app, "user-1", "dbid:1")

	// A refresh that read version 1 replaces the token.
	f.clock.Advance(time.Minute)
	tok := dropbridge.Token{AccessToken: "access-2", RefreshToken: "refresh-2", Expiry: f.clock.Now().Add(4 * time.Hour)}
	got, err := f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{IfTokenVersion: 1, Token: &tok})
	noErr(t, err, "UpdateConnection")
	want := *c
	want.Token, want.TokenVersion, want.UpdatedAt = tok, 2, f.clock.Now()
	diff(t, "refreshed", &want, got)

	// A second refresh that also read version 1 loses and changes nothing.
	stale := dropbridge.Token{AccessToken: "access-stale"}
	_, err = f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{IfTokenVersion: 1, Token: &stale})
	wantCode(t, err, dropbridge.ECONFLICT)
	_, err = f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{IfTokenVersion: 1, Status: ptr(dropbridge.ConnectionNeedsReauth)})
	wantCode(t, err, dropbridge.ECONFLICT)
	got, err = f.s.FindConnectionByID(f.ctx, env.ID, c.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "after a stale update", &want, got)

	// Scopes and status change without touching the token.
	f.clock.Advance(time.Minute)
	scopes := []string{"files.metadata.read"}
	got, err = f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{
		IfTokenVersion: 2, Scopes: &scopes, Status: ptr(dropbridge.ConnectionNeedsReauth),
	})
	noErr(t, err, "UpdateConnection")
	want.Scopes, want.Status, want.UpdatedAt = scopes, dropbridge.ConnectionNeedsReauth, f.clock.Now()
	diff(t, "needs reauth", &want, got)

	// Revoking wipes the tokens and moves the version on, so that a refresh
	// in flight cannot bring them back.
	f.clock.Advance(time.Minute)
	got, err = f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionRevoked)})
	noErr(t, err, "UpdateConnection")
	want.Status, want.Token, want.TokenVersion, want.UpdatedAt = dropbridge.ConnectionRevoked, dropbridge.Token{}, 3, f.clock.Now()
	diff(t, "revoked", &want, got)
	got, err = f.s.FindConnectionByID(f.ctx, env.ID, c.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "revoked, read back", &want, got)
	_, err = f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{IfTokenVersion: 2, Token: &tok})
	wantCode(t, err, dropbridge.ECONFLICT)

	// Bad updates.
	for _, upd := range []dropbridge.ConnectionUpdate{
		{Token: &tok}, // no version
		{IfTokenVersion: 3, Token: &dropbridge.Token{}},
		{Status: ptr(dropbridge.ConnectionStatus("paused"))},
		{Scopes: &[]string{"a b"}},
	} {
		_, err = f.s.UpdateConnection(f.ctx, env.ID, c.ID, upd)
		wantCode(t, err, dropbridge.EINVALID)
	}
	_, err = f.s.UpdateConnection(f.ctx, env.ID, "conn_missing", dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionActive)})
	wantCode(t, err, dropbridge.ENOTFOUND)
}

// testUpdateConnectionRace races refreshes that all read the same version:
// exactly one writes its token.
func testUpdateConnectionRace(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	c := f.connection(app, "user-1", "dbid:1")
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok := dropbridge.Token{AccessToken: dropbridge.Secret(fmt.Sprintf("access-%d", i))}
			_, errs[i] = f.s.UpdateConnection(f.ctx, env.ID, c.ID, dropbridge.ConnectionUpdate{IfTokenVersion: c.TokenVersion, Token: &tok})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch dropbridge.ErrorCode(err) {
		case "":
			if winner >= 0 {
				t.Fatalf("refreshes %d and %d both won", winner, i)
			}
			winner = i
		case dropbridge.ECONFLICT:
		default:
			t.Fatalf("UpdateConnection: %v, want success or ECONFLICT", err)
		}
	}
	if winner < 0 {
		t.Fatal("no refresh won")
	}
	got, err := f.s.FindConnectionByID(f.ctx, env.ID, c.ID)
	noErr(t, err, "FindConnectionByID")
	if want := dropbridge.Secret(fmt.Sprintf("access-%d", winner)); got.Token.AccessToken != want || got.TokenVersion != 2 {
		t.Fatalf("stored token version %d is not the winner's (%d)", got.TokenVersion, winner)
	}
}

func testListConnections(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	a1 := f.connection(app, "alice", "dbid:1")
	f.clock.Advance(time.Second)
	b1 := f.connection(app, "bob", "dbid:2")
	f.clock.Advance(time.Second)
	a2 := f.connection(app, "alice", "dbid:3")
	f.clock.Advance(time.Second)
	got, err := f.s.UpdateConnection(f.ctx, env.ID, a2.ID, dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionNeedsReauth)})
	noErr(t, err, "UpdateConnection")
	a2 = got

	for _, tt := range []struct {
		name   string
		filter dropbridge.ConnectionFilter
		want   []*dropbridge.Connection
	}{
		{"all", dropbridge.ConnectionFilter{}, []*dropbridge.Connection{a1, b1, a2}},
		{"user", dropbridge.ConnectionFilter{ExternalUserID: "alice"}, []*dropbridge.Connection{a1, a2}},
		{"status", dropbridge.ConnectionFilter{Status: dropbridge.ConnectionActive}, []*dropbridge.Connection{a1, b1}},
		{"user and status", dropbridge.ConnectionFilter{ExternalUserID: "alice", Status: dropbridge.ConnectionNeedsReauth}, []*dropbridge.Connection{a2}},
		{"no match", dropbridge.ConnectionFilter{ExternalUserID: "carol"}, nil},
	} {
		page, err := f.s.ListConnections(f.ctx, env.ID, tt.filter)
		noErr(t, err, "ListConnections "+tt.name)
		diff(t, tt.name, tt.want, page.Connections)
		if page.NextCursor != "" {
			t.Fatalf("%s: a single page has a next cursor", tt.name)
		}
	}
	for _, bad := range []dropbridge.ConnectionFilter{
		{Status: "paused"},
		{Limit: -1},
		{Limit: dropbridge.MaxPageSize + 1},
		{Cursor: "not a cursor"},
		{Cursor: "bm9waXBl"}, // base64 without the separator
	} {
		_, err := f.s.ListConnections(f.ctx, env.ID, bad)
		wantCode(t, err, dropbridge.EINVALID)
	}
}

// testListConnectionsPaging pages through connections created in bursts
// (many share a creation time) while more are being added: every connection
// that existed throughout is seen exactly once, in order.
func testListConnectionsPaging(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	var want []*dropbridge.Connection
	for i := range 23 {
		if i%4 == 0 {
			f.clock.Advance(time.Millisecond)
		}
		want = append(want, f.connection(app, fmt.Sprintf("user-%02d", i), "dbid:1"))
	}
	var got []*dropbridge.Connection
	filter := dropbridge.ConnectionFilter{Limit: 5}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, err := f.s.ListConnections(f.ctx, env.ID, filter)
		noErr(t, err, "ListConnections")
		got = append(got, page.Connections...)
		if page.NextCursor == "" {
			break
		}
		if len(page.Connections) != filter.Limit {
			t.Fatalf("page of %d before the end, want %d", len(page.Connections), filter.Limit)
		}
		// Connections added while paging come after everything listed.
		f.clock.Advance(time.Millisecond)
		want = append(want, f.connection(app, fmt.Sprintf("late-%02d", pages), "dbid:1"))
		filter.Cursor = page.NextCursor
	}
	// Connections created at the same time are ordered by ID.
	slices.SortStableFunc(want, func(a, b *dropbridge.Connection) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	diff(t, "all pages", want, got)

	// A last page that is full may carry a cursor; the page after it is
	// empty and ends the listing.
	page, err := f.s.ListConnections(f.ctx, env.ID, dropbridge.ConnectionFilter{ExternalUserID: "user-00", Limit: 1})
	noErr(t, err, "ListConnections")
	if len(page.Connections) != 1 {
		t.Fatalf("%d connections, want 1", len(page.Connections))
	}
	if page.NextCursor != "" {
		next, err := f.s.ListConnections(f.ctx, env.ID, dropbridge.ConnectionFilter{ExternalUserID: "user-00", Limit: 1, Cursor: page.NextCursor})
		noErr(t, err, "ListConnections")
		if len(next.Connections) != 0 || next.NextCursor != "" {
			t.Fatalf("page after the last: %+v", next)
		}
	}
	page, err = f.s.ListConnections(f.ctx, env.ID, dropbridge.ConnectionFilter{})
	noErr(t, err, "ListConnections")
	if len(page.Connections) != len(want) {
		t.Fatalf("default page has %d connections, want %d", len(page.Connections), len(want))
	}
}
