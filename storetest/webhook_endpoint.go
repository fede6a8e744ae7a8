package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

// webhookSecret is an endpoint secret of the Standard Webhooks shape.
const webhookSecret = dropbridge.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

func (f *fixture) endpoint(env *dropbridge.Environment, url string, mod func(w *dropbridge.WebhookEndpoint)) *dropbridge.WebhookEndpoint {
	f.t.Helper()
	w := &dropbridge.WebhookEndpoint{EnvironmentID: env.ID, URL: url, Secret: webhookSecret, Enabled: true}
	if mod != nil {
		mod(w)
	}
	noErr(f.t, f.s.CreateWebhookEndpoint(f.ctx, w), "CreateWebhookEndpoint")
	return w
}

// testWebhookEndpoints creates, reads, lists, updates and deletes
// endpoints, in one environment only.
func testWebhookEndpoints(t *testing.T, f *fixture) {
	prod, dev := f.env("production"), f.env("development")
	app := f.app(prod, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	devConn := f.connection(f.app(dev, "devkey", true), "user-1", "dbid:1")

	a := f.endpoint(prod, "https://app.example.com/hooks", func(w *dropbridge.WebhookEndpoint) {
		w.Description = "all of it"
	})
	if a.ID == "" || a.CreatedAt != start || a.UpdatedAt != start {
		t.Fatalf("created endpoint: %+v", a)
	}
	f.clock.Advance(time.Minute)
	b := f.endpoint(prod, "http://10.0.0.1:8080/x?y=1", func(w *dropbridge.WebhookEndpoint) {
		w.EventTypes = []dropbridge.EventType{dropbridge.EventFileCreated, dropbridge.EventFileDeleted}
		w.ConnectionID = conn.ID
		w.Enabled = false
	})
	got, err := f.s.FindWebhookEndpointByID(f.ctx, prod.ID, b.ID)
	noErr(t, err, "FindWebhookEndpointByID")
	diff(t, "endpoint", b, got)
	list, err := f.s.ListWebhookEndpoints(f.ctx, prod.ID)
	noErr(t, err, "ListWebhookEndpoints")
	diff(t, "endpoints", []*dropbridge.WebhookEndpoint{a, b}, list)

	for name, mod := range map[string]func(w *dropbridge.WebhookEndpoint){
		"no URL":       func(w *dropbridge.WebhookEndpoint) { w.URL = "" },
		"relative URL": func(w *dropbridge.WebhookEndpoint) { w.URL = "/hooks" },
		"ftp URL":      func(w *dropbridge.WebhookEndpoint) { w.URL = "ftp://example.com/x" },
		"credentials":  func(w *dropbridge.WebhookEndpoint) { w.URL = "https://u:p@example.com/x" },
		"no secret":    func(w *dropbridge.WebhookEndpoint) { w.Secret = "" },
		"unknown type": func(w *dropbridge.WebhookEndpoint) { w.EventTypes = []dropbridge.EventType{"file.exploded"} },
		"type twice": func(w *dropbridge.WebhookEndpoint) {
			w.EventTypes = []dropbridge.EventType{"file.created", "file.created"}
		},
		"no environment":   func(w *dropbridge.WebhookEndpoint) { w.EnvironmentID = "" },
		"long description": func(w *dropbridge.WebhookEndpoint) { w.Description = string(bytes.Repeat([]byte("x"), 501)) },
	} {
		w := &dropbridge.WebhookEndpoint{EnvironmentID: prod.ID, URL: "https://example.com/x", Secret: webhookSecret}
		mod(w)
		if err := f.s.CreateWebhookEndpoint(f.ctx, w); dropbridge.ErrorCode(err) != dropbridge.EINVALID {
			t.Errorf("CreateWebhookEndpoint with %s: %v, want EINVALID", name, err)
		}
	}
	// A connection filter names a connection of the environment.
	cross := &dropbridge.WebhookEndpoint{EnvironmentID: prod.ID, URL: "https://example.com/x", Secret: webhookSecret, ConnectionID: devConn.ID}
	wantCode(t, f.s.CreateWebhookEndpoint(f.ctx, cross), dropbridge.ENOTFOUND)
	cross.EnvironmentID = "env_unknown"
	cross.ConnectionID = ""
	wantCode(t, f.s.CreateWebhookEndpoint(f.ctx, cross), dropbridge.ENOTFOUND)

	// Updates.
	f.clock.Advance(time.Minute)
	newSecret := dropbridge.Secret("whsec_c2Vjb25kIHNlY3JldCBmb3IgdGhlIHRlc3Rz")
	updated, err := f.s.UpdateWebhookEndpoint(f.ctx, prod.ID, b.ID, dropbridge.WebhookEndpointUpdate{
		Enabled: ptr(true), Secret: &newSecret, ConnectionID: ptr(""), EventTypes: &[]dropbridge.EventType{}})
	noErr(t, err, "UpdateWebhookEndpoint")
	want := *b
	want.Enabled, want.Secret, want.ConnectionID, want.EventTypes, want.UpdatedAt = true, newSecret, "", nil, f.clock.Now()
	diff(t, "updated endpoint", &want, updated)
	got, err = f.s.FindWebhookEndpointByID(f.ctx, prod.ID, b.ID)
	noErr(t, err, "FindWebhookEndpointByID")
	diff(t, "stored updated endpoint", &want, got)
	_, err = f.s.UpdateWebhookEndpoint(f.ctx, prod.ID, b.ID, dropbridge.WebhookEndpointUpdate{URL: ptr("nope")})
	wantCode(t, err, dropbridge.EINVALID)
	_, err = f.s.UpdateWebhookEndpoint(f.ctx, prod.ID, b.ID, dropbridge.WebhookEndpointUpdate{ConnectionID: ptr(devConn.ID)})
	wantCode(t, err, dropbridge.ENOTFOUND)
	got, err = f.s.FindWebhookEndpointByID(f.ctx, prod.ID, b.ID)
	noErr(t, err, "FindWebhookEndpointByID")
	diff(t, "endpoint after failed updates", &want, got)

	// Another environment sees none of them.
	_, err = f.s.FindWebhookEndpointByID(f.ctx, dev.ID, a.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.UpdateWebhookEndpoint(f.ctx, dev.ID, a.ID, dropbridge.WebhookEndpointUpdate{Enabled: ptr(false)})
	wantCode(t, err, dropbridge.ENOTFOUND)
	wantCode(t, f.s.DeleteWebhookEndpoint(f.ctx, dev.ID, a.ID), dropbridge.ENOTFOUND)
	list, err = f.s.ListWebhookEndpoints(f.ctx, dev.ID)
	noErr(t, err, "ListWebhookEndpoints")
	diff(t, "dev's endpoints", []*dropbridge.WebhookEndpoint(nil), list)

	// Deletion, with the endpoint's deliveries.
	noErr(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{f.event(conn, dropbridge.EventFileCreated, "id:1")}), "AppendEvents")
	ds, err := f.s.ListDeliveries(f.ctx, prod.ID, dropbridge.DeliveryFilter{EndpointID: a.ID})
	noErr(t, err, "ListDeliveries")
	if len(ds) != 1 {
		t.Fatalf("%d deliveries to a, want 1", len(ds))
	}
	noErr(t, f.s.DeleteWebhookEndpoint(f.ctx, prod.ID, a.ID), "DeleteWebhookEndpoint")
	_, err = f.s.FindWebhookEndpointByID(f.ctx, prod.ID, a.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	wantCode(t, f.s.DeleteWebhookEndpoint(f.ctx, prod.ID, a.ID), dropbridge.ENOTFOUND)
	_, err = f.s.FindDeliveryByID(f.ctx, prod.ID, ds[0].ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
}

// testWebhookSecrets keeps endpoint secrets sealed, bound to their row,
// and re-sealed on key rotation.
func testWebhookSecrets(t *testing.T, f *fixture) {
	env := f.env("production")
	secret := dropbridge.Secret("whsec_VklTSUJMRS1JTi1DTEVBUi1JRi1MRUFLRUQh")
	w := f.endpoint(env, "https://visible.example.com/hooks", func(w *dropbridge.WebhookEndpoint) { w.Secret = secret })
	other := f.endpoint(env, "https://other.example.com/hooks", nil)
	raw := f.backend.Raw(t)
	if !bytes.Contains(raw, []byte("visible.example.com")) {
		t.Fatal("the raw database lacks the endpoint's URL: Raw does not show the rows")
	}
	for _, s := range []string{string(secret), string(secret[len("whsec_"):])} {
		if bytes.Contains(raw, []byte(s)) {
			t.Fatal("the raw database holds a webhook secret in clear")
		}
	}

	both := f.open(keyring(t, key2, key1))
	n, err := both.ResealSecrets(f.ctx)
	noErr(t, err, "ResealSecrets")
	if n != 2 {
		t.Fatalf("ResealSecrets re-sealed %d values, want the 2 endpoint secrets", n)
	}
	newOnly := f.open(keyring(t, key2))
	got, err := newOnly.FindWebhookEndpointByID(f.ctx, env.ID, w.ID)
	noErr(t, err, "FindWebhookEndpointByID with the new key only")
	diff(t, "endpoint", w, got)

	f.backend.Exec(t, `UPDATE webhook_endpoints SET secret = (SELECT secret FROM webhook_endpoints WHERE id = '`+w.ID+`') WHERE id = '`+other.ID+`'`)
	_, err = newOnly.FindWebhookEndpointByID(f.ctx, env.ID, other.ID)
	wantCode(t, err, dropbridge.EINTERNAL)
}
