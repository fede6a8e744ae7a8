// Package dropboxtest runs the Dropbox API emulator for tests and drives its
// admin API.
package dropboxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropboxemu"
)

// Emulator is an in-process emulator serving on a loopback port.
type Emulator struct {
	// Server is the emulator itself.
	Server *dropboxemu.Server
	// URL is its base URL, "http://127.0.0.1:port", serving every Dropbox host.
	URL string
	// HTTP is the test server.
	HTTP *httptest.Server
}

// Option changes the emulator's options before it starts.
type Option func(*dropboxemu.Options)

// WithOptions applies f to the emulator's options.
func WithOptions(f func(*dropboxemu.Options)) Option { return Option(f) }

// NewEmulator starts an in-memory emulator and stops it when the test ends.
func NewEmulator(t testing.TB, opts ...Option) *Emulator {
	t.Helper()
	var o dropboxemu.Options
	for _, f := range opts {
		f(&o)
	}
	srv, err := dropboxemu.New(o)
	if err != nil {
		t.Fatalf("dropboxtest: start emulator: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Drain()
		hs.Close()
		srv.Close()
	})
	return &Emulator{Server: srv, URL: hs.URL, HTTP: hs}
}

// Account is an account made through the admin API.
type Account struct {
	AccountID   string `json:"account_id"`
	UID         uint64 `json:"uid"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	AccountType string `json:"account_type"`
	RootNS      string `json:"root_namespace_id"`
	HomeNS      string `json:"home_namespace_id"`
	TeamID      string `json:"team_id,omitempty"`
	MemberID    string `json:"team_member_id,omitempty"`
	AccessToken string `json:"access_token"`
}

// AccountArg is the body of POST /_emulator/accounts.
type AccountArg struct {
	Email       string `json:"email"`
	DisplayName string `json:"display_name,omitempty"`
	AccountType string `json:"account_type,omitempty"`
	TeamID      string `json:"team_id,omitempty"`
	AppKey      string `json:"app_key,omitempty"`
	Quota       int64  `json:"quota,omitempty"` // bytes; 0: the plan's
	// Role of a team member: team_admin, user_management_admin,
	// support_admin or member_only (default: the first member is the admin).
	Role       string `json:"role,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// Team is a team made through the admin API.
type Team struct {
	TeamID string `json:"team_id"`
	Name   string `json:"name"`
	// RootNS is the team space's root namespace: members see team folders and
	// their own folder there with Dropbox-API-Path-Root {".tag":"root",...}.
	RootNS string `json:"root_namespace_id"`
	// AccessToken is a team token with every team scope.
	AccessToken string `json:"access_token"`
}

// CreateTeam makes a team with a team space. Accounts created with its
// TeamID become its members.
func (e *Emulator) CreateTeam(t testing.TB, name string) Team {
	t.Helper()
	var tm Team
	e.Admin(t, http.MethodPost, "/_emulator/teams", map[string]string{"name": name}, &tm)
	return tm
}

// CreateAccount makes an account and returns it with a token that has every
// scope (but files.permanent_delete outside Business accounts, as on Dropbox).
func (e *Emulator) CreateAccount(t testing.TB, arg AccountArg) Account {
	t.Helper()
	var a Account
	e.Admin(t, http.MethodPost, "/_emulator/accounts", arg, &a)
	return a
}

// AppArg is the body of POST /_emulator/apps.
type AppArg struct {
	AppKey       string   `json:"app_key"`
	AppSecret    string   `json:"app_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	WebhookURI   string   `json:"webhook_uri,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	// TeamLinked makes a team-linked app (a Dropbox Business API app): a
	// team admin authorizes it for the team, and when it is granted a team
	// scope the token endpoint answers with a team token and team_id
	// instead of account_id. It needs a team scope among Scopes (none
	// means every scope).
	TeamLinked bool `json:"team_linked,omitempty"`
}

// CreateApp registers an app.
func (e *Emulator) CreateApp(t testing.TB, arg AppArg) {
	t.Helper()
	e.Admin(t, http.MethodPost, "/_emulator/apps", arg, nil)
}

// Fault is the body of POST /_emulator/faults.
type Fault struct {
	Route       string  `json:"route"`
	Status      int     `json:"status,omitempty"`
	Reason      string  `json:"reason,omitempty"`
	RetryAfter  int     `json:"retry_after,omitempty"`
	Times       int     `json:"times,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	Reset       bool    `json:"reset,omitempty"`
	DelayMS     int     `json:"delay_ms,omitempty"`
	Truncate    bool    `json:"truncate,omitempty"`
}

// AddFault injects a fault.
func (e *Emulator) AddFault(t testing.TB, f Fault) {
	t.Helper()
	e.Admin(t, http.MethodPost, "/_emulator/faults", f, nil)
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults(t testing.TB) {
	t.Helper()
	e.Admin(t, http.MethodDelete, "/_emulator/faults", nil, nil)
}

// Advance moves the emulator's clock forward.
func (e *Emulator) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	e.Admin(t, http.MethodPost, "/_emulator/clock", map[string]float64{"advance_seconds": d.Seconds()}, nil)
}

// Admin calls the admin API and decodes the answer into out (if not nil).
// A non-2xx answer fails the test.
func (e *Emulator) Admin(t testing.TB, method, path string, in, out any) {
	t.Helper()
	if err := e.AdminErr(method, path, in, out); err != nil {
		t.Fatalf("dropboxtest: %v", err)
	}
}

// AdminErr calls the admin API and returns its error instead of failing.
func (e *Emulator) AdminErr(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.URL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
