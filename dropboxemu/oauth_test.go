package dropboxemu_test

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/users"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// The redirect URI of the OAuth tests' app. Nothing listens there: the tests
// read the emulator's redirect instead of following it.
const oauthRedirect = "http://127.0.0.1:9/callback"

// oauthSecret has characters that RFC 6749 form-encodes in HTTP Basic
// credentials, so that a server that forgets to decode them fails.
const oauthSecret = "s3cret+/=x"

// oauthScopes are the scopes of the OAuth tests' app, as the emulator
// expands them (write brings read; every app reads account info).
var oauthScopes = []string{"account_info.read", "files.content.read", "files.content.write", "files.metadata.read", "sharing.read"}

type oauthEnv struct {
	emu  *dropboxtest.Emulator
	acct dropboxtest.Account
	conf *oauth2.Config // confidential client: key and secret
}

func newOAuthEnv(t *testing.T, opts ...dropboxtest.Option) *oauthEnv {
	t.Helper()
	emu := dropboxtest.NewEmulator(t, opts...)
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "oauthkey", AppSecret: oauthSecret,
		RedirectURIs: []string{oauthRedirect}, Scopes: []string{"files.content.write", "sharing.read"}})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", DisplayName: "Ada Lovelace"})
	conf := &oauth2.Config{ClientID: "oauthkey", ClientSecret: oauthSecret, RedirectURL: oauthRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: emu.URL + "/oauth2/authorize", TokenURL: emu.URL + "/oauth2/token"}}
	return &oauthEnv{emu: emu, acct: acct, conf: conf}
}

// noRedirects is a client that hands back redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// oauthPage opens an authorize URL and returns the status and the page.
func oauthPage(t *testing.T, authURL string) (int, string) {
	t.Helper()
	resp, err := noRedirects.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// oauthDecide opens the consent page at authURL, submits its form with the
// hidden fields it carries plus fields, and returns the answer unfollowed.
func oauthDecide(t *testing.T, emu *dropboxtest.Emulator, authURL string, fields url.Values) *http.Response {
	t.Helper()
	status, page := oauthPage(t, authURL)
	if status != http.StatusOK {
		t.Fatalf("consent page: %d %s", status, page)
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for k, v := range fields {
		form[k] = v
	}
	resp, err := noRedirects.PostForm(emu.URL+"/oauth2/authorize/decide", form)
	if err != nil {
		t.Fatalf("POST decide: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// oauthRedirectParams checks that resp redirects to oauthRedirect and
// returns the query it carries.
func oauthRedirectParams(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("decide: status %d, want 302: %s", resp.StatusCode, b)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v", resp.Header.Get("Location"), err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != oauthRedirect {
		t.Fatalf("redirected to %s, want %s", got, oauthRedirect)
	}
	return loc.Query()
}

// oauthCode runs the consent for env's account and returns the code.
func (env *oauthEnv) code(t *testing.T, conf *oauth2.Config, state string, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	resp := oauthDecide(t, env.emu, conf.AuthCodeURL(state, opts...), url.Values{"account_id": {env.acct.AccountID}})
	q := oauthRedirectParams(t, resp)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("redirect query = %v, want a code and state %q", q, state)
	}
	return q.Get("code")
}

var offline = oauth2.SetAuthURLParam("token_access_type", "offline")

// oauthTokenCall posts form to the token endpoint, with HTTP Basic
// credentials when basic is not nil, and decodes the JSON answer.
func oauthTokenCall(t *testing.T, emu *dropboxtest.Emulator, form url.Values, basic []string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, emu.URL+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("token endpoint answered %d with non-JSON %q", resp.StatusCode, b)
	}
	return resp, m
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestOAuthCodeFlowWithSDK(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	ctx := t.Context()

	status, page := oauthPage(t, env.conf.AuthCodeURL("st-1", offline))
	if status != http.StatusOK || !strings.Contains(page, "ada@example.com") || !strings.Contains(page, "oauthkey") {
		t.Fatalf("consent page: %d, want 200 naming the app and the account:\n%s", status, page)
	}
	code := env.code(t, env.conf, "st-1", offline)

	conf := *env.conf
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader // secret with +/= must survive Basic's form-encoding
	tok, err := conf.Exchange(ctx, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.TokenType != "bearer" || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("token = type %q access %q refresh %q, want bearer with both tokens", tok.TokenType, tok.AccessToken, tok.RefreshToken)
	}
	if d := time.Until(tok.Expiry); d < 4*time.Hour-time.Minute || d > 4*time.Hour+time.Minute {
		t.Errorf("token expires in %v, want 4h", d)
	}
	extra := map[string]any{"account_id": tok.Extra("account_id"), "uid": tok.Extra("uid"),
		"scope": tok.Extra("scope"), "expires_in": tok.Extra("expires_in")}
	want := map[string]any{"account_id": env.acct.AccountID, "uid": strconv.FormatUint(env.acct.UID, 10),
		"scope": strings.Join(oauthScopes, " "), "expires_in": 14400.0}
	if diff := cmp.Diff(want, extra); diff != "" {
		t.Errorf("token extras (-want +got):\n%s", diff)
	}

	cur, err := users.New(sdkConfig(env.emu, tok.AccessToken)).GetCurrentAccount()
	if err != nil || cur.AccountId != env.acct.AccountID {
		t.Fatalf("get_current_account with the OAuth token: %v, %+v", err, cur)
	}

	env.emu.Advance(t, 4*time.Hour)
	_, err = users.New(sdkConfig(env.emu, tok.AccessToken)).GetCurrentAccount()
	var ae auth.AuthAPIError
	if !errors.As(err, &ae) || ae.AuthError == nil || ae.AuthError.Tag != auth.AuthErrorExpiredAccessToken {
		t.Fatalf("after 4h: err = %v, want 401 expired_access_token", err)
	}

	// The client saw the 401; its token source refreshes the stale token.
	stale := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)}
	ts := env.conf.TokenSource(ctx, stale)
	cfg := sdkConfig(env.emu, "")
	cfg.TokenSource = ts
	cur, err = users.New(cfg).GetCurrentAccount()
	if err != nil || cur.AccountId != env.acct.AccountID {
		t.Fatalf("get_current_account through the refreshing token source: %v", err)
	}
	fresh, err := ts.Token()
	if err != nil || fresh.AccessToken == tok.AccessToken || !fresh.Valid() {
		t.Fatalf("refreshed token = %+v, %v; want a new valid token", fresh, err)
	}
}

func TestOAuthTokenAnswers(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	code := env.code(t, env.conf, "s", offline)
	resp, got := oauthTokenCall(t, env.emu, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {oauthRedirect}, "client_id": {"oauthkey"}, "client_secret": {oauthSecret}}, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("exchange: %d, Cache-Control %q: %v", resp.StatusCode, resp.Header.Get("Cache-Control"), got)
	}
	if diff := cmp.Diff([]string{"access_token", "account_id", "expires_in", "refresh_token", "scope", "token_type", "uid"}, sortedKeys(got)); diff != "" {
		t.Errorf("code answer fields (-want +got):\n%s", diff)
	}
	rt := got["refresh_token"].(string)

	// Refreshing twice with the same refresh token works: it is not rotated,
	// and the answer carries none.
	for i := range 2 {
		resp, r := oauthTokenCall(t, env.emu, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
			[]string{"oauthkey", oauthSecret})
		if resp.StatusCode != 200 {
			t.Fatalf("refresh %d: %d %v", i, resp.StatusCode, r)
		}
		if diff := cmp.Diff([]string{"access_token", "expires_in", "token_type"}, sortedKeys(r)); diff != "" {
			t.Errorf("refresh answer fields (-want +got):\n%s", diff)
		}
		if r["expires_in"] != 14400.0 || r["token_type"] != "bearer" {
			t.Errorf("refresh answer = %v", r)
		}
	}

	// A narrower scope is granted and echoed; the new token lacks the rest.
	resp, r := oauthTokenCall(t, env.emu, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"scope": {"account_info.read"}, "client_id": {"oauthkey"}, "client_secret": {oauthSecret}}, nil)
	if resp.StatusCode != 200 || r["scope"] != "account_info.read" {
		t.Fatalf("narrow refresh: %d %v", resp.StatusCode, r)
	}
	narrow := r["access_token"].(string)
	if _, err := users.New(sdkConfig(env.emu, narrow)).GetCurrentAccount(); err != nil {
		t.Errorf("get_current_account with account_info.read: %v", err)
	}
	_, err := files.New(sdkConfig(env.emu, narrow)).ListFolder(files.NewListFolderArg(""))
	var ae auth.AuthAPIError
	if !errors.As(err, &ae) || ae.AuthError.Tag != auth.AuthErrorMissingScope || ae.AuthError.MissingScope.RequiredScope != "files.metadata.read" {
		t.Errorf("list_folder with the narrowed token: %v, want missing_scope files.metadata.read", err)
	}
}

func TestOAuthPKCE(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	ctx := t.Context()
	public := *env.conf
	public.ClientSecret = ""
	public.Endpoint.AuthStyle = oauth2.AuthStyleInParams

	verifier := oauth2.GenerateVerifier()
	tok, err := public.Exchange(ctx, env.code(t, &public, "p", offline, oauth2.S256ChallengeOption(verifier)), oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("PKCE exchange without a secret: %v", err)
	}
	// A PKCE client refreshes without its secret.
	ts := public.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken})
	fresh, err := ts.Token()
	if err != nil {
		t.Fatalf("PKCE refresh without a secret: %v", err)
	}
	if _, err := users.New(sdkConfig(env.emu, fresh.AccessToken)).GetCurrentAccount(); err != nil {
		t.Errorf("refreshed PKCE token: %v", err)
	}

	// plain: the challenge is the verifier itself.
	plain := env.code(t, &public, "q", oauth2.SetAuthURLParam("code_challenge", verifier),
		oauth2.SetAuthURLParam("code_challenge_method", "plain"))
	if _, err := public.Exchange(ctx, plain, oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("plain PKCE exchange: %v", err)
	}

	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"wrong verifier": {oauth2.VerifierOption(oauth2.GenerateVerifier())},
		"no verifier":    nil,
	} {
		code := env.code(t, &public, "r", oauth2.S256ChallengeOption(verifier))
		_, err := public.Exchange(ctx, code, opts...)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("%s: err = %v, want invalid_grant", name, err)
		}
	}
}

func TestOAuthCodeSingleUseAndExpiry(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	ctx := t.Context()
	code := env.code(t, env.conf, "s")
	if _, err := env.conf.Exchange(ctx, code); err != nil {
		t.Fatalf("first exchange: %v", err)
	}
	_, err := env.conf.Exchange(ctx, code)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("second exchange of one code: %v, want invalid_grant", err)
	}

	early := env.code(t, env.conf, "s")
	late := env.code(t, env.conf, "s")
	env.emu.Advance(t, 9*time.Minute)
	if _, err := env.conf.Exchange(ctx, early); err != nil {
		t.Errorf("exchange after 9 minutes: %v", err)
	}
	env.emu.Advance(t, time.Minute)
	_, err = env.conf.Exchange(ctx, late)
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("exchange after 10 minutes: %v, want invalid_grant", err)
	}
}

func TestOAuthTokenErrors(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	offlineCode := func() string { return env.code(t, env.conf, "s", offline) }
	tok, err := env.conf.Exchange(t.Context(), offlineCode())
	if err != nil {
		t.Fatal(err)
	}
	creds := url.Values{"client_id": {"oauthkey"}, "client_secret": {oauthSecret}}
	with := func(base url.Values, kv ...string) url.Values {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	tests := []struct {
		name  string
		form  url.Values
		basic []string
		want  string
	}{
		{"unknown client", with(creds, "client_id", "nope", "grant_type", "refresh_token", "refresh_token", tok.RefreshToken), nil, "invalid_client"},
		{"wrong secret", with(creds, "client_secret", "wrong", "grant_type", "refresh_token", "refresh_token", tok.RefreshToken), nil, "invalid_client"},
		{"wrong secret in Basic", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, []string{"oauthkey", "wrong"}, "invalid_client"},
		{"no client", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, nil, "invalid_request"},
		{"Basic and body disagree", with(creds, "client_id", "other", "grant_type", "refresh_token", "refresh_token", tok.RefreshToken), []string{"oauthkey", oauthSecret}, "invalid_request"},
		{"no grant_type", creds, nil, "invalid_request"},
		{"password grant", with(creds, "grant_type", "password", "username", "a", "password", "b"), nil, "unsupported_grant_type"},
		{"no code", with(creds, "grant_type", "authorization_code", "redirect_uri", oauthRedirect), nil, "invalid_request"},
		{"unknown code", with(creds, "grant_type", "authorization_code", "code", "nope", "redirect_uri", oauthRedirect), nil, "invalid_grant"},
		{"code without secret or PKCE", with(creds, "client_secret", "", "grant_type", "authorization_code", "code", offlineCode(), "redirect_uri", oauthRedirect), nil, "invalid_client"},
		{"redirect_uri mismatch", with(creds, "grant_type", "authorization_code", "code", offlineCode(), "redirect_uri", oauthRedirect+"/"), nil, "invalid_grant"},
		{"unknown refresh token", with(creds, "grant_type", "refresh_token", "refresh_token", "nope"), nil, "invalid_grant"},
		{"access token as refresh token", with(creds, "grant_type", "refresh_token", "refresh_token", tok.AccessToken), nil, "invalid_grant"},
		{"refresh without secret", with(creds, "client_secret", "", "grant_type", "refresh_token", "refresh_token", tok.RefreshToken), nil, "invalid_client"},
		{"refresh wider scope", with(creds, "grant_type", "refresh_token", "refresh_token", tok.RefreshToken, "scope", "files.permanent_delete"), nil, "invalid_scope"},
	}
	for _, tt := range tests {
		resp, got := oauthTokenCall(t, env.emu, tt.form, tt.basic)
		if resp.StatusCode != http.StatusBadRequest || got["error"] != tt.want || got["error_description"] == "" ||
			len(got) != 2 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s %v, want 400 JSON {error: %s, error_description}", tt.name, resp.StatusCode,
				resp.Header.Get("Content-Type"), got, tt.want)
		}
	}
	// None of the failures spent the good refresh token.
	if _, err := env.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Errorf("refresh after the failures: %v", err)
	}
}

func TestOAuthAuthorizeValidation(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	base := url.Values{"client_id": {"oauthkey"}, "response_type": {"code"}, "redirect_uri": {oauthRedirect}, "state": {"xyz"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	tests := []struct {
		name string
		q    url.Values
		page string // a 400 page containing this, when the redirect URI cannot be trusted
		err  string // else the error sent to the redirect URI
	}{
		{"no client_id", with("client_id", ""), "Invalid client_id", ""},
		{"unknown client_id", with("client_id", "nope"), "Invalid client_id", ""},
		{"redirect_uri not exact", with("redirect_uri", oauthRedirect+"/"), "redirect_uri", ""},
		{"redirect_uri other host", with("redirect_uri", "http://evil.example/callback"), "redirect_uri", ""},
		{"no response_type", with("response_type", ""), "", "unsupported_response_type"},
		{"implicit grant", with("response_type", "token"), "", "unsupported_response_type"},
		{"scope the app lacks", with("scope", "account_info.read files.permanent_delete"), "", "invalid_scope"},
		{"unknown scope", with("scope", "files.everything"), "", "invalid_scope"},
		{"bad token_access_type", with("token_access_type", "forever"), "", "invalid_request"},
		{"bad challenge method", with("code_challenge", strings.Repeat("a", 43), "code_challenge_method", "S512"), "", "invalid_request"},
		{"short challenge", with("code_challenge", "abc", "code_challenge_method", "S256"), "", "invalid_request"},
		{"bad include_granted_scopes", with("include_granted_scopes", "all"), "", "invalid_request"},
		{"state over 500 bytes", with("state", strings.Repeat("s", 501)), "", "invalid_request"},
	}
	for _, tt := range tests {
		resp, err := noRedirects.Get(env.emu.URL + "/oauth2/authorize?" + tt.q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if tt.page != "" {
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tt.page) || resp.Header.Get("Location") != "" {
				t.Errorf("%s: %d %q, want a 400 page about %s", tt.name, resp.StatusCode, b, tt.page)
			}
			continue
		}
		q := oauthRedirectParams(t, resp)
		if q.Get("error") != tt.err || q.Get("error_description") == "" || q.Get("state") != tt.q.Get("state") || q.Get("code") != "" {
			t.Errorf("%s: redirect query %v, want error=%s with a description and the state", tt.name, q, tt.err)
		}
	}
	for _, q := range []url.Values{base, with("scope", "account_info.read", "token_access_type", "offline", "include_granted_scopes", "user")} {
		if status, page := oauthPage(t, env.emu.URL+"/oauth2/authorize?"+q.Encode()); status != http.StatusOK {
			t.Errorf("valid request %v: %d %s", q, status, page)
		}
	}

	// The decision is checked again: a tampered form gets no code.
	resp, err := noRedirects.PostForm(env.emu.URL+"/oauth2/authorize/decide",
		with("redirect_uri", "http://evil.example/callback", "account_id", env.acct.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("decide with a tampered redirect_uri: %d, Location %q; want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestOAuthDeny(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	q := oauthRedirectParams(t, oauthDecide(t, env.emu, env.conf.AuthCodeURL("st-9"), url.Values{"decision": {"deny"}}))
	if q.Get("error") != "access_denied" || q.Get("state") != "st-9" || q.Get("code") != "" || q.Get("error_description") == "" {
		t.Errorf("deny: redirect query %v, want error=access_denied and the state", q)
	}
}

func TestOAuthCreateAccountOnConsent(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	q := oauthRedirectParams(t, oauthDecide(t, env.emu, env.conf.AuthCodeURL("c"), url.Values{"decision": {"create"},
		"email": {"linus@example.com"}, "display_name": {"Linus Torvalds"}, "account_type": {"pro"}}))
	tok, err := env.conf.Exchange(t.Context(), q.Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	cur, err := users.New(sdkConfig(env.emu, tok.AccessToken)).GetCurrentAccount()
	if err != nil {
		t.Fatalf("get_current_account: %v", err)
	}
	if cur.Email != "linus@example.com" || cur.Name.DisplayName != "Linus Torvalds" || cur.AccountType.Tag != "pro" || cur.AccountId == env.acct.AccountID {
		t.Errorf("created account = %+v %+v %v", cur.Account, cur.Name, cur.AccountType.Tag)
	}

	// A bad email re-renders the consent page with the problem; no code.
	resp := oauthDecide(t, env.emu, env.conf.AuthCodeURL("c"), url.Values{"decision": {"create"}, "email": {"not an email"}})
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || !strings.Contains(string(b), "Could not create the account") {
		t.Errorf("create with a bad email: %d %s", resp.StatusCode, b)
	}
	// An existing email is refused too.
	resp = oauthDecide(t, env.emu, env.conf.AuthCodeURL("c"), url.Values{"decision": {"create"}, "email": {"ada@example.com"}})
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Could not create the account") {
		t.Errorf("create with a taken email: %d %s", resp.StatusCode, b)
	}
}

func TestOAuthWithoutRedirectURI(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	conf := *env.conf
	conf.RedirectURL = ""
	resp := oauthDecide(t, env.emu, conf.AuthCodeURL(""), url.Values{"account_id": {env.acct.AccountID}})
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`<code id="code">([^<]+)</code>`).FindStringSubmatch(string(b))
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("decide without redirect_uri: %d %s, want a page showing the code", resp.StatusCode, b)
	}
	if _, err := conf.Exchange(t.Context(), html.UnescapeString(m[1])); err != nil {
		t.Errorf("exchange of the shown code without redirect_uri: %v", err)
	}
}

func TestOAuthScopeSubset(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	conf := *env.conf
	conf.Scopes = []string{"files.metadata.read"}
	tok, err := conf.Exchange(t.Context(), env.code(t, &conf, "s"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra("scope"); got != "account_info.read files.metadata.read" {
		t.Errorf("scope = %v, want the requested scope plus account_info.read", got)
	}
	if tok.RefreshToken != "" {
		t.Errorf("online access got a refresh token")
	}
	_, err = files.New(sdkConfig(env.emu, tok.AccessToken)).GetMetadata(files.NewGetMetadataArg("/nope"))
	var ae auth.AuthAPIError
	if errors.As(err, &ae) {
		t.Errorf("get_metadata with files.metadata.read: %v", err)
	}
	_, _, err = files.New(sdkConfig(env.emu, tok.AccessToken)).Download(files.NewDownloadArg("/nope"))
	if !errors.As(err, &ae) || ae.AuthError.Tag != auth.AuthErrorMissingScope || ae.AuthError.MissingScope.RequiredScope != "files.content.read" {
		t.Errorf("download without files.content.read: %v, want missing_scope", err)
	}
}

func TestOAuthIncludeGrantedScopes(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	scopeOf := func(scopes []string, opts ...oauth2.AuthCodeOption) any {
		t.Helper()
		conf := *env.conf
		conf.Scopes = scopes
		tok, err := conf.Exchange(t.Context(), env.code(t, &conf, "s", opts...))
		if err != nil {
			t.Fatal(err)
		}
		return tok.Extra("scope")
	}
	if got := scopeOf([]string{"files.content.write"}); got != "account_info.read files.content.read files.content.write files.metadata.read" {
		t.Fatalf("first grant: scope %v", got)
	}
	if got := scopeOf([]string{"sharing.read"}); got != "account_info.read files.metadata.read sharing.read" {
		t.Errorf("second grant alone: scope %v", got)
	}
	got := scopeOf([]string{"sharing.read"}, oauth2.SetAuthURLParam("include_granted_scopes", "user"))
	if got != strings.Join(oauthScopes, " ") {
		t.Errorf("second grant with include_granted_scopes=user: scope %v, want the earlier grants too", got)
	}
}
