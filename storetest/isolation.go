package storetest

import (
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

// testEnvironmentIsolation checks every environment-scoped method with
// another environment's IDs: all miss with ENOTFOUND and change nothing.
func testEnvironmentIsolation(t *testing.T, f *fixture) {
	prod, dev := f.env("production"), f.env("development")
	app := f.app(prod, "appkey", true)
	devApp := f.app(dev, "devkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	cs, state := f.session(app, "user-2")
	key, _, err := dropbridge.NewAPIKey(prod.ID, "backend")
	noErr(t, err, "NewAPIKey")
	noErr(t, f.s.CreateAPIKey(f.ctx, key), "CreateAPIKey")

	_, err = f.s.FindAPIKeyByID(f.ctx, dev.ID, key.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	wantCode(t, f.s.RevokeAPIKey(f.ctx, dev.ID, key.ID), dropbridge.ENOTFOUND)
	keys, err := f.s.ListAPIKeys(f.ctx, dev.ID)
	noErr(t, err, "ListAPIKeys")
	diff(t, "dev's keys", []*dropbridge.APIKey(nil), keys)

	_, err = f.s.FindAppByID(f.ctx, dev.ID, app.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	name := "stolen"
	_, err = f.s.UpdateApp(f.ctx, dev.ID, app.ID, dropbridge.AppUpdate{Name: &name})
	wantCode(t, err, dropbridge.ENOTFOUND)
	apps, err := f.s.ListApps(f.ctx, dev.ID)
	noErr(t, err, "ListApps")
	diff(t, "dev's apps", []*dropbridge.App{devApp}, apps)
	def, err := f.s.FindDefaultApp(f.ctx, dev.ID)
	noErr(t, err, "FindDefaultApp")
	diff(t, "dev's default app", devApp, def)

	_, err = f.s.FindConnectionByID(f.ctx, dev.ID, conn.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.UpdateConnection(f.ctx, dev.ID, conn.ID, dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionRevoked)})
	wantCode(t, err, dropbridge.ENOTFOUND)
	page, err := f.s.ListConnections(f.ctx, dev.ID, dropbridge.ConnectionFilter{})
	noErr(t, err, "ListConnections")
	diff(t, "dev's connections", []*dropbridge.Connection(nil), page.Connections)
	page, err = f.s.ListConnections(f.ctx, dev.ID, dropbridge.ConnectionFilter{ExternalUserID: "user-1"})
	noErr(t, err, "ListConnections")
	diff(t, "dev's connections of user-1", []*dropbridge.Connection(nil), page.Connections)

	// An app, connection or session of one environment cannot be used
	// from another.
	cross := newConnection(app, "user-3", "dbid:3")
	cross.EnvironmentID = dev.ID
	wantCode(t, f.s.UpsertConnection(f.ctx, cross), dropbridge.ENOTFOUND)
	crossSession, _ := newSession(t, app, "user-3", f.clock.Now().Add(time.Hour))
	crossSession.EnvironmentID = dev.ID
	wantCode(t, f.s.CreateConnectSession(f.ctx, crossSession), dropbridge.ENOTFOUND)
	_, err = f.s.FindConnectSessionByID(f.ctx, dev.ID, cs.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.ConsumeConnectSession(f.ctx, state)
	noErr(t, err, "ConsumeConnectSession")
	wantCode(t, f.s.CompleteConnectSession(f.ctx, dev.ID, cs.ID, newConnection(devApp, "user-2", "dbid:2")), dropbridge.ENOTFOUND)

	// The same user and account in two environments are two connections.
	devConn := f.connection(devApp, "user-1", "dbid:1")
	if devConn.ID == conn.ID {
		t.Fatal("two environments share a connection")
	}

	// Nothing above changed production.
	got, err := f.s.FindConnectionByID(f.ctx, prod.ID, conn.ID)
	noErr(t, err, "FindConnectionByID")
	diff(t, "production's connection", conn, got)
	gotApp, err := f.s.FindAppByID(f.ctx, prod.ID, app.ID)
	noErr(t, err, "FindAppByID")
	diff(t, "production's app", app, gotApp)
	gotKey, err := f.s.FindAPIKeyByID(f.ctx, prod.ID, key.ID)
	noErr(t, err, "FindAPIKeyByID")
	diff(t, "production's key", key, gotKey)
}
