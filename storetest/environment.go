package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

func testMigrations(t *testing.T, f *fixture) {
	env := f.env("production")
	noErr(t, f.s.Close(), "Close")
	// Opening again finds the schema in place and applies nothing twice;
	// so do two stores opening at once.
	done := make(chan dropbridge.Store, 2)
	for range 2 {
		go func() { done <- f.open(keyring(t, key1)) }()
	}
	a, b := <-done, <-done
	for _, s := range []dropbridge.Store{a, b} {
		got, err := s.FindEnvironmentByID(f.ctx, env.ID)
		noErr(t, err, "FindEnvironmentByID after reopening")
		diff(t, "environment", env, got)
	}
}

func testEnvironments(t *testing.T, f *fixture) {
	prod := f.env("production")
	if !strings.HasPrefix(prod.ID, dropbridge.EnvironmentIDPrefix) || !prod.CreatedAt.Equal(start) {
		t.Fatalf("created %+v, want an env_ ID created at %v", prod, start)
	}
	f.clock.Advance(time.Second)
	dev := f.env("development")

	got, err := f.s.FindEnvironmentByID(f.ctx, prod.ID)
	noErr(t, err, "FindEnvironmentByID")
	diff(t, "by ID", prod, got)
	got, err = f.s.FindEnvironmentByName(f.ctx, "development")
	noErr(t, err, "FindEnvironmentByName")
	diff(t, "by name", dev, got)
	list, err := f.s.ListEnvironments(f.ctx)
	noErr(t, err, "ListEnvironments")
	diff(t, "list", []*dropbridge.Environment{dev, prod}, list)

	wantCode(t, f.s.CreateEnvironment(f.ctx, &dropbridge.Environment{Name: "production"}), dropbridge.ECONFLICT)
	for _, name := range []string{"", "Production", "1st", "a b", strings.Repeat("a", 65)} {
		wantCode(t, f.s.CreateEnvironment(f.ctx, &dropbridge.Environment{Name: name}), dropbridge.EINVALID)
	}
	_, err = f.s.FindEnvironmentByID(f.ctx, "env_missing")
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.FindEnvironmentByName(f.ctx, "staging")
	wantCode(t, err, dropbridge.ENOTFOUND)
	list, err = f.s.ListEnvironments(f.ctx)
	noErr(t, err, "ListEnvironments")
	if len(list) != 2 {
		t.Fatalf("failed creates left environments behind: %d listed", len(list))
	}
}

func testAPIKeys(t *testing.T, f *fixture) {
	env := f.env("production")
	key, secret, err := dropbridge.NewAPIKey(env.ID, "backend")
	noErr(t, err, "NewAPIKey")
	if !strings.HasPrefix(string(secret), key.Prefix) || !strings.HasPrefix(key.Prefix, dropbridge.APIKeySecretPrefix) {
		t.Fatalf("prefix %q is not the start of the secret", key.Prefix)
	}
	noErr(t, f.s.CreateAPIKey(f.ctx, key), "CreateAPIKey")
	if !strings.HasPrefix(key.ID, dropbridge.APIKeyIDPrefix) || !key.CreatedAt.Equal(start) || key.LastUsedAt != nil {
		t.Fatalf("created %+v", key)
	}

	// Authentication records the use, at most once per interval.
	f.clock.Advance(time.Second)
	used := f.clock.Now()
	got, err := f.s.AuthenticateAPIKey(f.ctx, secret)
	noErr(t, err, "AuthenticateAPIKey")
	want := *key
	want.LastUsedAt = &used
	diff(t, "authenticated key", &want, got)
	f.clock.Advance(dropbridge.APIKeyUseInterval / 2)
	got, err = f.s.AuthenticateAPIKey(f.ctx, secret)
	noErr(t, err, "AuthenticateAPIKey again")
	diff(t, "key used again within the interval", &want, got)
	f.clock.Advance(dropbridge.APIKeyUseInterval)
	used = f.clock.Now()
	_, err = f.s.AuthenticateAPIKey(f.ctx, secret)
	noErr(t, err, "AuthenticateAPIKey after the interval")
	got, err = f.s.FindAPIKeyByID(f.ctx, env.ID, key.ID)
	noErr(t, err, "FindAPIKeyByID")
	want.LastUsedAt = &used
	diff(t, "key used after the interval", &want, got)

	other, _, err := dropbridge.NewAPIKey(env.ID, "cli")
	noErr(t, err, "NewAPIKey")
	noErr(t, f.s.CreateAPIKey(f.ctx, other), "CreateAPIKey")
	list, err := f.s.ListAPIKeys(f.ctx, env.ID)
	noErr(t, err, "ListAPIKeys")
	diff(t, "list", []*dropbridge.APIKey{&want, other}, list)

	_, err = f.s.AuthenticateAPIKey(f.ctx, secret+"x")
	wantCode(t, err, dropbridge.EUNAUTHORIZED)
	_, err = f.s.AuthenticateAPIKey(f.ctx, "")
	wantCode(t, err, dropbridge.EUNAUTHORIZED)

	// Revoking stops authentication at once; revoking again changes nothing.
	f.clock.Advance(time.Second)
	revoked := f.clock.Now()
	noErr(t, f.s.RevokeAPIKey(f.ctx, env.ID, key.ID), "RevokeAPIKey")
	_, err = f.s.AuthenticateAPIKey(f.ctx, secret)
	wantCode(t, err, dropbridge.EUNAUTHORIZED)
	f.clock.Advance(time.Second)
	noErr(t, f.s.RevokeAPIKey(f.ctx, env.ID, key.ID), "RevokeAPIKey again")
	got, err = f.s.FindAPIKeyByID(f.ctx, env.ID, key.ID)
	noErr(t, err, "FindAPIKeyByID")
	want.RevokedAt = &revoked
	diff(t, "revoked key", &want, got)

	wantCode(t, f.s.RevokeAPIKey(f.ctx, env.ID, "key_missing"), dropbridge.ENOTFOUND)
	_, err = f.s.FindAPIKeyByID(f.ctx, env.ID, "key_missing")
	wantCode(t, err, dropbridge.ENOTFOUND)
	orphan, _, err := dropbridge.NewAPIKey("env_missing", "orphan")
	noErr(t, err, "NewAPIKey")
	wantCode(t, f.s.CreateAPIKey(f.ctx, orphan), dropbridge.ENOTFOUND)
	wantCode(t, f.s.CreateAPIKey(f.ctx, &dropbridge.APIKey{EnvironmentID: env.ID, Name: "no hash", Prefix: "dbk_"}), dropbridge.EINVALID)
	nameless, _, err := dropbridge.NewAPIKey(env.ID, "")
	noErr(t, err, "NewAPIKey")
	wantCode(t, f.s.CreateAPIKey(f.ctx, nameless), dropbridge.EINVALID)
	twin := *other
	twin.Name = "same secret"
	wantCode(t, f.s.CreateAPIKey(f.ctx, &twin), dropbridge.ECONFLICT)
}

func testApps(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey1", false)
	if !strings.HasPrefix(app.ID, dropbridge.AppIDPrefix) || !app.CreatedAt.Equal(start) || !app.UpdatedAt.Equal(start) {
		t.Fatalf("created %+v", app)
	}
	got, err := f.s.FindAppByID(f.ctx, env.ID, app.ID)
	noErr(t, err, "FindAppByID")
	diff(t, "app", app, got)
	if got.AppSecret != "secret-of-appkey1" {
		t.Fatal("the app secret did not round-trip")
	}

	f.clock.Advance(time.Second)
	second := f.app(env, "appkey2", false)
	list, err := f.s.ListApps(f.ctx, env.ID)
	noErr(t, err, "ListApps")
	diff(t, "list", []*dropbridge.App{app, second}, list)

	// The same Dropbox app twice in one environment is a mistake; in two
	// environments it is fine.
	twin := *app
	wantCode(t, f.s.CreateApp(f.ctx, &twin), dropbridge.ECONFLICT)
	dev := f.env("development")
	f.app(dev, "appkey1", false)

	f.clock.Advance(time.Second)
	name, newSecret, scopes := "Renamed", dropbridge.Secret("new-secret"), []string{"files.metadata.read"}
	updated, err := f.s.UpdateApp(f.ctx, env.ID, app.ID, dropbridge.AppUpdate{Name: &name, AppSecret: &newSecret, DefaultScopes: &scopes})
	noErr(t, err, "UpdateApp")
	want := *app
	want.Name, want.AppSecret, want.DefaultScopes, want.UpdatedAt = name, newSecret, scopes, f.clock.Now()
	diff(t, "updated", &want, updated)
	got, err = f.s.FindAppByID(f.ctx, env.ID, app.ID)
	noErr(t, err, "FindAppByID")
	diff(t, "updated, read back", &want, got)

	// A bad update is refused and changes nothing.
	bad := []string{"two words"}
	_, err = f.s.UpdateApp(f.ctx, env.ID, app.ID, dropbridge.AppUpdate{Name: &name, DefaultScopes: &bad})
	wantCode(t, err, dropbridge.EINVALID)
	empty := ""
	_, err = f.s.UpdateApp(f.ctx, env.ID, app.ID, dropbridge.AppUpdate{Name: &empty})
	wantCode(t, err, dropbridge.EINVALID)
	got, err = f.s.FindAppByID(f.ctx, env.ID, app.ID)
	noErr(t, err, "FindAppByID")
	diff(t, "after refused updates", &want, got)

	_, err = f.s.UpdateApp(f.ctx, env.ID, "app_missing", dropbridge.AppUpdate{Name: &name})
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.FindAppByID(f.ctx, env.ID, "app_missing")
	wantCode(t, err, dropbridge.ENOTFOUND)
	wantCode(t, f.s.CreateApp(f.ctx, &dropbridge.App{EnvironmentID: "env_missing", Name: "x", AppKey: "k", AppSecret: "s"}), dropbridge.ENOTFOUND)
	for _, a := range []dropbridge.App{
		{EnvironmentID: env.ID, AppKey: "k", AppSecret: "s"},
		{EnvironmentID: env.ID, Name: "x", AppSecret: "s"},
		{EnvironmentID: env.ID, Name: "x", AppKey: "k"},
		{EnvironmentID: env.ID, Name: "x", AppKey: "k k", AppSecret: "s"},
		{EnvironmentID: env.ID, Name: "x", AppKey: "k", AppSecret: "s", DefaultScopes: []string{"a", "a"}},
	} {
		wantCode(t, f.s.CreateApp(f.ctx, &a), dropbridge.EINVALID)
	}
}

func testAppDefaults(t *testing.T, f *fixture) {
	env := f.env("production")
	_, err := f.s.FindDefaultApp(f.ctx, env.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)

	first := f.app(env, "first", true)
	got, err := f.s.FindDefaultApp(f.ctx, env.ID)
	noErr(t, err, "FindDefaultApp")
	diff(t, "default", first, got)

	// A new default app takes the flag from the old one.
	f.clock.Advance(time.Second)
	second := f.app(env, "second", true)
	got, err = f.s.FindDefaultApp(f.ctx, env.ID)
	noErr(t, err, "FindDefaultApp")
	diff(t, "new default", second, got)
	got, err = f.s.FindAppByID(f.ctx, env.ID, first.ID)
	noErr(t, err, "FindAppByID")
	if got.IsDefault {
		t.Fatal("the old default app kept its flag")
	}

	// So does an app updated to be the default.
	f.clock.Advance(time.Second)
	yes, no := true, false
	got, err = f.s.UpdateApp(f.ctx, env.ID, first.ID, dropbridge.AppUpdate{IsDefault: &yes})
	noErr(t, err, "UpdateApp")
	if !got.IsDefault {
		t.Fatal("UpdateApp did not make the app the default")
	}
	got, err = f.s.FindDefaultApp(f.ctx, env.ID)
	noErr(t, err, "FindDefaultApp")
	if got.ID != first.ID {
		t.Fatalf("default is %s, want %s", got.ID, first.ID)
	}
	got, err = f.s.FindAppByID(f.ctx, env.ID, second.ID)
	noErr(t, err, "FindAppByID")
	if got.IsDefault {
		t.Fatal("the second app kept its flag")
	}

	// Another environment's default is its own.
	dev := f.env("development")
	devApp := f.app(dev, "first", true)
	got, err = f.s.FindDefaultApp(f.ctx, env.ID)
	noErr(t, err, "FindDefaultApp")
	if got.ID != first.ID {
		t.Fatalf("another environment's default app changed this one's: %s", got.ID)
	}

	_, err = f.s.UpdateApp(f.ctx, dev.ID, devApp.ID, dropbridge.AppUpdate{IsDefault: &no})
	noErr(t, err, "UpdateApp")
	_, err = f.s.FindDefaultApp(f.ctx, dev.ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
}
