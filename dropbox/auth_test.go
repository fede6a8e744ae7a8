package dropbox_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// authorize does what a user does on the emulator's consent page for
// account and returns the authorization code.
func authorize(t *testing.T, emu *dropboxtest.Emulator, conf *oauth2.Config, accountID string) string {
	t.Helper()
	form := url.Values{"client_id": {conf.ClientID}, "response_type": {"code"}, "redirect_uri": {conf.RedirectURL},
		"token_access_type": {"offline"}, "state": {"s"}, "account_id": {accountID}}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Post(emu.URL+"/oauth2/authorize/decide", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("consent answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// oauthAccount starts an emulator with an app and an account that has
// gone through the app's consent page, and returns the account's token.
func oauthAccount(t *testing.T) (*dropboxtest.Emulator, *oauth2.Config, dropboxtest.Account, *oauth2.Token) {
	t.Helper()
	emu := dropboxtest.NewEmulator(t)
	const redirect = "http://localhost/callback"
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "cli", AppSecret: "cli-secret", RedirectURIs: []string{redirect}})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	conf := &oauth2.Config{ClientID: "cli", ClientSecret: "cli-secret", RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: emu.URL + "/oauth2/authorize", TokenURL: emu.URL + "/oauth2/token"}}
	tok, err := conf.Exchange(t.Context(), authorize(t, emu, conf, acct.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	return emu, conf, acct, tok
}

// TestOAuthRefresh: a token Dropbox says is expired is refreshed once and
// the call goes through; the new token is handed to OnRefresh.
func TestOAuthRefresh(t *testing.T) {
	t.Parallel()
	emu, conf, acct, tok := oauthAccount(t)
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	var refreshes atomic.Int32
	var latest atomic.Pointer[oauth2.Token]
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithRetryPolicy(fastRetries),
		dropbox.WithOAuth2(conf, tok, func(t *oauth2.Token) { refreshes.Add(1); latest.Store(t) }))
	var me struct {
		AccountID string `json:"account_id"`
	}
	if err := c.Call(t.Context(), "users/get_current_account", nil, &me); err != nil || me.AccountID != acct.AccountID {
		t.Fatalf("first call: %v %+v", err, me)
	}
	if n := refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes of a fresh token", n)
	}
	// Five hours later by Dropbox's clock, not by ours: Dropbox says expired.
	emu.Advance(t, 5*time.Hour)
	if err := c.Call(t.Context(), "users/get_current_account", nil, &me); err != nil {
		t.Fatalf("call with an expired token: %v", err)
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if l := latest.Load(); l == nil || l.AccessToken == tok.AccessToken || l.RefreshToken != tok.RefreshToken {
		t.Errorf("refreshed token = %+v", l)
	}
	// A revoked token is invalid, not expired: no refresh, the error says so.
	if err := c.Call(t.Context(), "auth/token/revoke", nil, nil); err != nil {
		t.Fatal(err)
	}
	err := c.Call(t.Context(), "users/get_current_account", nil, nil)
	var au *dropbox.AuthError
	if !errors.As(err, &au) || au.Tag != "invalid_access_token" || refreshes.Load() != 1 {
		t.Errorf("after revocation: %v (%d refreshes)", err, refreshes.Load())
	}
}

// expiringSource hands out its tokens in turn, the last one from then on,
// counting calls.
type expiringSource struct {
	calls atomic.Int32
	toks  []*oauth2.Token
}

func (s *expiringSource) Token() (*oauth2.Token, error) {
	n := int(s.calls.Add(1)) - 1
	return s.toks[min(n, len(s.toks)-1)], nil
}

// TestTokenSource: a caller's own token source is asked for a token per
// call, and once more when Dropbox says the token expired; a source with
// nothing newer gets the error.
func TestTokenSource(t *testing.T) {
	t.Parallel()
	emu, conf, acct, tok := oauthAccount(t)
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithRetryPolicy(fastRetries),
		dropbox.WithTokenSource(conf.TokenSource(t.Context(), tok)))
	if me, err := c.Users.GetCurrentAccount(t.Context()); err != nil || me.AccountID != acct.AccountID {
		t.Fatalf("through a token source: %+v, %v", me, err)
	}

	// Dropbox's clock runs ahead: the source's first token is expired there.
	emu.Advance(t, 5*time.Hour)
	fresh, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	src := &expiringSource{toks: []*oauth2.Token{tok, fresh}}
	c = dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithRetryPolicy(fastRetries), dropbox.WithTokenSource(src))
	if _, err := c.Users.GetCurrentAccount(t.Context()); err != nil || src.calls.Load() != 3 { // the first try, the check, the second try
		t.Errorf("expired, then a newer token: %v (%d calls of the source)", err, src.calls.Load())
	}
	stuck := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithRetryPolicy(fastRetries),
		dropbox.WithTokenSource(&expiringSource{toks: []*oauth2.Token{tok}}))
	var au *dropbox.AuthError
	if _, err := stuck.Users.GetCurrentAccount(t.Context()); !errors.As(err, &au) || au.Tag != "expired_access_token" {
		t.Errorf("a source with nothing newer: %v", err)
	}
}
