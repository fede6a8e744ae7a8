package dropbridge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/google/go-cmp/cmp"
)

// checkValid fails unless err is nil (valid) or an EINVALID error.
func checkValid(t *testing.T, err error, valid bool) {
	t.Helper()
	switch {
	case valid && err != nil:
		t.Errorf("refused valid input: %v", err)
	case !valid && dropbridge.ErrorCode(err) != dropbridge.EINVALID:
		t.Errorf("error = %v, want EINVALID", err)
	}
}

func TestEnvironmentValidate(t *testing.T) {
	t.Parallel()
	for name, valid := range map[string]bool{
		"production": true, "dev-2": true, "a": true, strings.Repeat("a", 64): true,
		"": false, "Prod": false, "2nd": false, "-x": false, "a b": false, "é": false, strings.Repeat("a", 65): false,
	} {
		checkValid(t, (&dropbridge.Environment{Name: name}).Validate(), valid)
	}
}

func TestValidateScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scopes []string
		valid  bool
	}{
		{nil, true},
		{[]string{"files.content.read", "account_info.read"}, true},
		{[]string{""}, false},
		{[]string{"a b"}, false},
		{[]string{"a\n"}, false},
		{[]string{"é"}, false},
		{[]string{"a", "a"}, false},
	}
	for _, tt := range tests {
		checkValid(t, dropbridge.ValidateScopes(tt.scopes), tt.valid)
	}
}

func validApp() dropbridge.App {
	return dropbridge.App{EnvironmentID: "env_1", Name: "App", AppKey: "key", AppSecret: "secret", DefaultScopes: []string{"a"}}
}

func TestAppValidateAndUpdate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mutate func(*dropbridge.App)
		valid  bool
	}{
		{func(*dropbridge.App) {}, true},
		{func(a *dropbridge.App) { a.EnvironmentID = "" }, false},
		{func(a *dropbridge.App) { a.Name = "" }, false},
		{func(a *dropbridge.App) { a.Name = strings.Repeat("é", 101) }, false},
		{func(a *dropbridge.App) { a.AppKey = "" }, false},
		{func(a *dropbridge.App) { a.AppKey = "a b" }, false},
		{func(a *dropbridge.App) { a.AppSecret = "" }, false},
		{func(a *dropbridge.App) { a.DefaultScopes = []string{"x y"} }, false},
	} {
		a := validApp()
		tt.mutate(&a)
		checkValid(t, a.Validate(), tt.valid)
	}

	a := validApp()
	name, secret, scopes, yes := "New", dropbridge.Secret("s2"), []string{"b"}, true
	got, err := dropbridge.AppUpdate{Name: &name, AppSecret: &secret, DefaultScopes: &scopes, IsDefault: &yes}.Apply(&a)
	if err != nil {
		t.Fatal(err)
	}
	want := validApp()
	want.Name, want.AppSecret, want.DefaultScopes, want.IsDefault = name, secret, scopes, true
	if d := cmp.Diff(&want, got); d != "" {
		t.Errorf("Apply (-want +got):\n%s", d)
	}
	scopes[0] = "changed"
	if got.DefaultScopes[0] != "b" {
		t.Error("Apply shares the update's scopes slice")
	}
	if d := cmp.Diff(validApp(), a); d != "" {
		t.Errorf("Apply changed its input:\n%s", d)
	}
	empty := ""
	_, err = dropbridge.AppUpdate{Name: &empty}.Apply(&a)
	checkValid(t, err, false)
}

func validSession() dropbridge.ConnectSession {
	return dropbridge.ConnectSession{
		EnvironmentID: "env_1", AppID: "app_1", ExternalUserID: "user-1",
		StateHash:    dropbridge.HashSecret("state"),
		PKCEVerifier: dropbridge.Secret(strings.Repeat("v", 43)),
		ExpiresAt:    time.Unix(1e9, 0),
	}
}

func TestConnectSessionValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mutate func(*dropbridge.ConnectSession)
		valid  bool
	}{
		{func(*dropbridge.ConnectSession) {}, true},
		{func(s *dropbridge.ConnectSession) { s.RedirectURL = "https://app.example.com/done?x=1" }, true},
		{func(s *dropbridge.ConnectSession) { s.RedirectURL = "http://localhost:3000/cb" }, true},
		{func(s *dropbridge.ConnectSession) { s.PKCEVerifier = dropbridge.Secret(strings.Repeat("A-._~9Zz", 16)) }, true},
		{func(s *dropbridge.ConnectSession) { s.EnvironmentID = "" }, false},
		{func(s *dropbridge.ConnectSession) { s.AppID = "" }, false},
		{func(s *dropbridge.ConnectSession) { s.ExternalUserID = "" }, false},
		{func(s *dropbridge.ConnectSession) { s.ExternalUserID = strings.Repeat("x", 256) }, false},
		{func(s *dropbridge.ConnectSession) { s.ExternalUserID = "\xff" }, false},
		{func(s *dropbridge.ConnectSession) { s.StateHash = []byte("short") }, false},
		{func(s *dropbridge.ConnectSession) { s.PKCEVerifier = dropbridge.Secret(strings.Repeat("v", 42)) }, false},
		{func(s *dropbridge.ConnectSession) { s.PKCEVerifier = dropbridge.Secret(strings.Repeat("v", 129)) }, false},
		{func(s *dropbridge.ConnectSession) { s.PKCEVerifier = dropbridge.Secret(strings.Repeat("v", 42) + "+") }, false},
		{func(s *dropbridge.ConnectSession) { s.ExpiresAt = time.Time{} }, false},
		{func(s *dropbridge.ConnectSession) { s.RedirectURL = "javascript:alert(1)" }, false},
		{func(s *dropbridge.ConnectSession) { s.RedirectURL = "//evil.example.com" }, false},
		{func(s *dropbridge.ConnectSession) { s.RedirectURL = "https://" }, false},
		{func(s *dropbridge.ConnectSession) { s.Scopes = []string{"a", "a"} }, false},
	} {
		s := validSession()
		tt.mutate(&s)
		checkValid(t, s.Validate(), tt.valid)
	}
}

func validConnection() dropbridge.Connection {
	return dropbridge.Connection{
		EnvironmentID: "env_1", AppID: "app_1", ExternalUserID: "user-1", AccountID: "dbid:1",
		Status: dropbridge.ConnectionActive, Token: dropbridge.Token{AccessToken: "a", RefreshToken: "r"},
		TokenVersion: 4,
	}
}

func TestConnectionValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mutate func(*dropbridge.Connection)
		valid  bool
	}{
		{func(*dropbridge.Connection) {}, true},
		{func(c *dropbridge.Connection) { c.Status, c.Token = dropbridge.ConnectionRevoked, dropbridge.Token{} }, true},
		{func(c *dropbridge.Connection) { c.EnvironmentID = "" }, false},
		{func(c *dropbridge.Connection) { c.AppID = "" }, false},
		{func(c *dropbridge.Connection) { c.AccountID = "" }, false},
		{func(c *dropbridge.Connection) { c.ExternalUserID = "" }, false},
		{func(c *dropbridge.Connection) { c.Status = "" }, false},
		{func(c *dropbridge.Connection) { c.Token.AccessToken = "" }, false},
		{func(c *dropbridge.Connection) { c.Scopes = []string{""} }, false},
	} {
		c := validConnection()
		tt.mutate(&c)
		checkValid(t, c.Validate(), tt.valid)
	}
}

func TestConnectionUpdate(t *testing.T) {
	t.Parallel()
	now := time.Unix(2e9, 0).UTC()
	tok := dropbridge.Token{AccessToken: "a2", RefreshToken: "r2", Expiry: now.Add(time.Hour)}
	scopes := []string{"x"}
	tests := []struct {
		name  string
		upd   dropbridge.ConnectionUpdate
		valid bool
		want  func(c *dropbridge.Connection)
	}{
		{"token", dropbridge.ConnectionUpdate{IfTokenVersion: 4, Token: &tok}, true,
			func(c *dropbridge.Connection) { c.Token, c.TokenVersion = tok, 5 }},
		{"status", dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionNeedsReauth)}, true,
			func(c *dropbridge.Connection) { c.Status = dropbridge.ConnectionNeedsReauth }},
		{"scopes", dropbridge.ConnectionUpdate{Scopes: &scopes}, true,
			func(c *dropbridge.Connection) { c.Scopes = []string{"x"} }},
		{"revoke wipes tokens", dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionRevoked)}, true,
			func(c *dropbridge.Connection) {
				c.Status, c.Token, c.TokenVersion = dropbridge.ConnectionRevoked, dropbridge.Token{}, 5
			}},
		{"revoke wins over a token", dropbridge.ConnectionUpdate{IfTokenVersion: 4, Token: &tok, Status: ptr(dropbridge.ConnectionRevoked)}, true,
			func(c *dropbridge.Connection) {
				c.Status, c.Token, c.TokenVersion = dropbridge.ConnectionRevoked, dropbridge.Token{}, 5
			}},
		{"token without version", dropbridge.ConnectionUpdate{Token: &tok}, false, nil},
		{"empty token", dropbridge.ConnectionUpdate{IfTokenVersion: 4, Token: &dropbridge.Token{}}, false, nil},
		{"bad status", dropbridge.ConnectionUpdate{Status: ptr(dropbridge.ConnectionStatus("x"))}, false, nil},
		{"bad scopes", dropbridge.ConnectionUpdate{Scopes: &[]string{" "}}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkValid(t, tt.upd.Validate(), tt.valid)
			if !tt.valid {
				return
			}
			c := validConnection()
			got := tt.upd.Apply(&c, now)
			want := validConnection()
			tt.want(&want)
			want.UpdatedAt = now
			if d := cmp.Diff(&want, got, cmp.Transformer("reveal", func(s dropbridge.Secret) string { return string(s) })); d != "" {
				t.Errorf("Apply (-want +got):\n%s", d)
			}
			if d := cmp.Diff(validConnection(), c); d != "" {
				t.Errorf("Apply changed its input:\n%s", d)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestConnectionFilterAndCursor(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)
	cur := dropbridge.Cursor{CreatedAt: at, ID: "conn_abc|def"}
	got, err := dropbridge.DecodeCursor(cur.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(cur, got); d != "" {
		t.Errorf("cursor round trip (-want +got):\n%s", d)
	}
	for _, bad := range []string{"", "!!!", "eA", "fA" /* "|" */, "MTIzfA" /* "123|" */, "eHx5" /* "x|y" */} {
		if _, err := dropbridge.DecodeCursor(bad); dropbridge.ErrorCode(err) != dropbridge.EINVALID {
			t.Errorf("DecodeCursor(%q) error = %v, want EINVALID", bad, err)
		}
	}
	for _, tt := range []struct {
		f     dropbridge.ConnectionFilter
		valid bool
		size  int
	}{
		{dropbridge.ConnectionFilter{}, true, dropbridge.DefaultPageSize},
		{dropbridge.ConnectionFilter{Limit: 7, Status: dropbridge.ConnectionRevoked, Cursor: cur.Encode()}, true, 7},
		{dropbridge.ConnectionFilter{Limit: dropbridge.MaxPageSize}, true, dropbridge.MaxPageSize},
		{dropbridge.ConnectionFilter{Limit: dropbridge.MaxPageSize + 1}, false, 0},
		{dropbridge.ConnectionFilter{Limit: -1}, false, 0},
		{dropbridge.ConnectionFilter{Status: "x"}, false, 0},
		{dropbridge.ConnectionFilter{Cursor: "x"}, false, 0},
	} {
		checkValid(t, tt.f.Validate(), tt.valid)
		if tt.valid && tt.f.PageSize() != tt.size {
			t.Errorf("PageSize = %d, want %d", tt.f.PageSize(), tt.size)
		}
	}
}

func TestConnectionFromSession(t *testing.T) {
	t.Parallel()
	consumed := time.Unix(1e9, 0)
	session := validSession()
	session.ID, session.ConsumedAt = "cs_1", &consumed

	c := validConnection()
	c.EnvironmentID, c.AppID, c.ExternalUserID = "", "", ""
	got, err := dropbridge.ConnectionFromSession(&session, &c)
	if err != nil {
		t.Fatal(err)
	}
	if got.EnvironmentID != "env_1" || got.AppID != "app_1" || got.ExternalUserID != "user-1" {
		t.Errorf("fields not taken from the session: %+v", got)
	}
	if c.EnvironmentID != "" {
		t.Error("ConnectionFromSession changed its input")
	}
	same := validConnection()
	if _, err := dropbridge.ConnectionFromSession(&session, &same); err != nil {
		t.Errorf("matching fields refused: %v", err)
	}

	for _, mutate := range []func(*dropbridge.Connection){
		func(c *dropbridge.Connection) { c.EnvironmentID = "env_2" },
		func(c *dropbridge.Connection) { c.AppID = "app_2" },
		func(c *dropbridge.Connection) { c.ExternalUserID = "user-2" },
		func(c *dropbridge.Connection) { c.AccountID = "" },
	} {
		bad := validConnection()
		mutate(&bad)
		_, err := dropbridge.ConnectionFromSession(&session, &bad)
		checkValid(t, err, false)
	}
	unconsumed := validSession()
	_, err = dropbridge.ConnectionFromSession(&unconsumed, &c)
	if dropbridge.ErrorCode(err) != dropbridge.ECONFLICT {
		t.Errorf("unconsumed session: %v, want ECONFLICT", err)
	}
	done := session
	done.ConnectionID = "conn_1"
	_, err = dropbridge.ConnectionFromSession(&done, &c)
	if dropbridge.ErrorCode(err) != dropbridge.ECONFLICT {
		t.Errorf("completed session: %v, want ECONFLICT", err)
	}
}

func TestIdempotencyRecord(t *testing.T) {
	t.Parallel()
	valid := func() dropbridge.IdempotencyRecord {
		return dropbridge.IdempotencyRecord{EnvironmentID: "env_1", Key: "k-1", Method: "POST", Path: "/v1/apps",
			Fingerprint: []byte("f"), ExpiresAt: time.Unix(1e9, 0)}
	}
	for _, tt := range []struct {
		mutate func(*dropbridge.IdempotencyRecord)
		valid  bool
	}{
		{func(*dropbridge.IdempotencyRecord) {}, true},
		{func(r *dropbridge.IdempotencyRecord) { r.Key = strings.Repeat("k", 255) }, true},
		{func(r *dropbridge.IdempotencyRecord) { r.Key = strings.Repeat("k", 256) }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.Key = "" }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.Key = "a b" }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.EnvironmentID = "" }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.Method = "" }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.Path = "" }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.Fingerprint = nil }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.ExpiresAt = time.Time{} }, false},
		{func(r *dropbridge.IdempotencyRecord) { r.StatusCode = 1000 }, false},
	} {
		r := valid()
		tt.mutate(&r)
		checkValid(t, r.Validate(), tt.valid)
	}

	stored, repeat := valid(), valid()
	stored.StatusCode = 201
	if err := dropbridge.CheckIdempotencyRepeat(&stored, &repeat); err != nil {
		t.Errorf("repeat of a finished request: %v", err)
	}
	repeat.Fingerprint = []byte("g")
	if err := dropbridge.CheckIdempotencyRepeat(&stored, &repeat); dropbridge.ErrorCode(err) != dropbridge.ECONFLICT {
		t.Errorf("repeat with another body: %v, want ECONFLICT", err)
	}
	running, repeat := valid(), valid()
	if err := dropbridge.CheckIdempotencyRepeat(&running, &repeat); dropbridge.ErrorCode(err) != dropbridge.ECONFLICT {
		t.Errorf("repeat of a running request: %v, want ECONFLICT", err)
	}
}
