package storetest

import (
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

func testListExpiringConnections(t *testing.T, f *fixture) {
	prod, dev := f.env("production"), f.env("development")
	prodApp, devApp := f.app(prod, "appkey", true), f.app(dev, "appkey", true)
	expiring := func(app *dropbridge.App, user string, in time.Duration) *dropbridge.Connection {
		t.Helper()
		c := newConnection(app, user, "dbid:"+user)
		c.Token.Expiry = start.Add(in)
		if in == 0 {
			c.Token.Expiry = time.Time{}
		}
		noErr(t, f.s.UpsertConnection(f.ctx, c), "UpsertConnection")
		return c
	}
	soon := expiring(prodApp, "soon", 10*time.Minute)
	tie1 := expiring(prodApp, "tie-1", 20*time.Minute)
	tie2 := expiring(devApp, "tie-2", 20*time.Minute) // another environment
	if tie2.ID < tie1.ID {
		tie1, tie2 = tie2, tie1
	}
	expired := expiring(devApp, "expired", -time.Hour) // expired already: due too
	expiring(prodApp, "later", 5*time.Hour)
	expiring(prodApp, "never", 0)
	reauth := expiring(prodApp, "reauth", time.Minute)
	_, err := f.s.UpdateConnection(f.ctx, prod.ID, reauth.ID, dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionNeedsReauth)})
	noErr(t, err, "UpdateConnection")
	revoked := expiring(devApp, "revoked", time.Minute)
	_, err = f.s.UpdateConnection(f.ctx, dev.ID, revoked.ID, dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionRevoked)})
	noErr(t, err, "UpdateConnection")

	ids := func(cs []*dropbridge.Connection) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	before := start.Add(time.Hour)
	all, err := f.s.ListExpiringConnections(f.ctx, dropbridge.ExpiringFilter{Before: before})
	noErr(t, err, "ListExpiringConnections")
	diff(t, "expiring within the hour", []string{expired.ID, soon.ID, tie1.ID, tie2.ID}, ids(all))
	got, err := f.s.FindConnectionByID(f.ctx, soon.EnvironmentID, soon.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "listed connection", got, all[1])

	// Paging one at a time visits each once, ties included.
	var paged []string
	var after dropbridge.ExpiringFilter
	for range 10 {
		page, err := f.s.ListExpiringConnections(f.ctx, dropbridge.ExpiringFilter{Before: before, Limit: 1,
			AfterExpiry: after.AfterExpiry, AfterID: after.AfterID})
		noErr(t, err, "ListExpiringConnections page")
		if len(page) == 0 {
			break
		}
		paged = append(paged, ids(page)...)
		after.AfterExpiry, after.AfterID = page[0].Token.Expiry, page[0].ID
	}
	diff(t, "paged", ids(all), paged)

	none, err := f.s.ListExpiringConnections(f.ctx, dropbridge.ExpiringFilter{Before: start.Add(-2 * time.Hour)})
	noErr(t, err, "ListExpiringConnections")
	diff(t, "none due", []string(nil), ids(none))

	for _, bad := range []dropbridge.ExpiringFilter{{}, {Before: before, Limit: -1}, {Before: before, Limit: dropbridge.MaxPageSize + 1}} {
		_, err := f.s.ListExpiringConnections(f.ctx, bad)
		wantCode(t, err, dropbridge.EINVALID)
	}
}
