package dropboxemu_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/check"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/users"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// authTokenAlive reports whether token still authenticates, failing the
// test on any answer other than success or 401 invalid_access_token.
func authTokenAlive(t *testing.T, emu *dropboxtest.Emulator, token string) bool {
	t.Helper()
	_, err := users.New(sdkConfig(emu, token)).GetCurrentAccount()
	if err == nil {
		return true
	}
	var ae auth.AuthAPIError
	if !errors.As(err, &ae) || ae.AuthError.Tag != auth.AuthErrorInvalidAccessToken {
		t.Fatalf("get_current_account: %v, want success or invalid_access_token", err)
	}
	return false
}

// authRefreshWorks reports whether the refresh token still gets access tokens.
func authRefreshWorks(t *testing.T, conf *oauth2.Config, refresh string) bool {
	t.Helper()
	_, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: refresh}).Token()
	var re *oauth2.RetrieveError
	if err != nil && (!errors.As(err, &re) || re.ErrorCode != "invalid_grant") {
		t.Fatalf("refresh: %v, want success or invalid_grant", err)
	}
	return err == nil
}

func TestAuthTokenRevoke(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	ctx := t.Context()
	exchange := func() *oauth2.Token {
		t.Helper()
		tok, err := env.conf.Exchange(ctx, env.code(t, env.conf, "s", offline))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	refresh := func(rt string) string {
		t.Helper()
		tok, err := env.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}

	// Revoking the token of the code: it, its refresh token and the access
	// token minted from that refresh token die; other grants live.
	first := exchange()
	sibling := refresh(first.RefreshToken)
	other := exchange()
	if err := auth.New(sdkConfig(env.emu, first.AccessToken)).TokenRevoke(); err != nil {
		t.Fatalf("token/revoke: %v", err)
	}
	for name, alive := range map[string]bool{
		"revoked token": authTokenAlive(t, env.emu, first.AccessToken),
		"sibling":       authTokenAlive(t, env.emu, sibling),
		"refresh token": authRefreshWorks(t, env.conf, first.RefreshToken),
	} {
		if alive {
			t.Errorf("%s still works after token/revoke", name)
		}
	}
	if !authTokenAlive(t, env.emu, other.AccessToken) || !authRefreshWorks(t, env.conf, other.RefreshToken) ||
		!authTokenAlive(t, env.emu, env.acct.AccessToken) {
		t.Errorf("token/revoke killed tokens of other grants")
	}

	// Revoking a refreshed token kills the token of the code too.
	second := exchange()
	minted := refresh(second.RefreshToken)
	if err := auth.New(sdkConfig(env.emu, minted)).TokenRevoke(); err != nil {
		t.Fatalf("token/revoke: %v", err)
	}
	if authTokenAlive(t, env.emu, second.AccessToken) || authRefreshWorks(t, env.conf, second.RefreshToken) {
		t.Errorf("revoking a refreshed token left its family alive")
	}

	// A token without a refresh token takes only itself.
	if err := auth.New(sdkConfig(env.emu, env.acct.AccessToken)).TokenRevoke(); err != nil {
		t.Fatal(err)
	}
	if authTokenAlive(t, env.emu, env.acct.AccessToken) || !authTokenAlive(t, env.emu, other.AccessToken) {
		t.Errorf("revoking a lone token: wrong tokens died")
	}
	// The answer is JSON null, as for every Void result.
	tok, err := env.conf.Exchange(ctx, env.code(t, env.conf, "s"))
	if err != nil {
		t.Fatal(err)
	}
	res := do(t, env.emu, rawCall{Route: "auth/token/revoke", Token: tok.AccessToken})
	if res.Status != 200 || string(res.Body) != "null" {
		t.Errorf("raw token/revoke: %d %q, want 200 null", res.Status, res.Body)
	}
}

// appAuthConfig is an SDK config that authenticates with the app key and
// secret (HTTP Basic), as app-auth routes want.
func appAuthConfig(emu *dropboxtest.Emulator, key, secret string) dropbox.Config {
	cfg := sdkConfig(emu, "")
	cfg.Client = &http.Client{}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
	cfg.HeaderGenerator = func(string, string, string) map[string]string {
		return map[string]string{"Authorization": basic}
	}
	return cfg
}

func TestAuthCheckUserAndApp(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "checkkey", AppSecret: "checksecret", RedirectURIs: []string{}})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})

	res, err := check.New(sdkConfig(emu, acct.AccessToken)).User(&check.EchoArg{Query: "héllo"})
	if err != nil || res.Result != "héllo" {
		t.Errorf("check/user: %+v, %v", res, err)
	}
	res, err = check.New(appAuthConfig(emu, "checkkey", "checksecret")).App(&check.EchoArg{Query: "ping"})
	if err != nil || res.Result != "ping" {
		t.Errorf("check/app with app auth: %+v, %v", res, err)
	}

	_, err = check.New(appAuthConfig(emu, "checkkey", "wrong")).App(&check.EchoArg{Query: "ping"})
	var ae auth.AuthAPIError
	if !errors.As(err, &ae) || ae.AuthError.Tag != auth.AuthErrorInvalidAccessToken {
		t.Errorf("check/app with a wrong secret: %v, want 401 invalid_access_token", err)
	}
	var bad auth.BadRequest
	_, err = check.New(sdkConfig(emu, acct.AccessToken)).App(&check.EchoArg{Query: "ping"})
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorSummary, `Expecting "Basic `) {
		t.Errorf("check/app with a Bearer token: %v, want 400 expecting Basic", err)
	}
	_, err = check.New(appAuthConfig(emu, "checkkey", "checksecret")).User(&check.EchoArg{Query: "ping"})
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorSummary, `Expecting "Bearer <oauth2-access-token>"`) {
		t.Errorf("check/user with app auth: %v, want 400 expecting Bearer", err)
	}
	_, err = check.New(sdkConfig(emu, acct.AccessToken)).User(&check.EchoArg{Query: strings.Repeat("x", 501)})
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorSummary, "must be at most 500 characters, got 501") {
		t.Errorf("check/user with a 501-character query: %v, want 400", err)
	}
	if r := do(t, emu, rawCall{Route: "check/user", Token: acct.AccessToken, Arg: map[string]any{}}); r.Status != 200 || string(r.Body) != `{"result":""}` {
		t.Errorf("check/user with the default query: %d %s", r.Status, r.Body)
	}
}

func TestAuthErrorAnswers(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	emu := env.emu
	var limited, expiring struct {
		AccessToken string `json:"access_token"`
	}
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": env.acct.AccountID,
		"scopes": []string{"account_info.read"}}, &limited)
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": env.acct.AccountID,
		"expires_in": 60}, &expiring)
	tok, err := env.conf.Exchange(t.Context(), env.code(t, env.conf, "s", offline))
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, emu, rawCall{Route: "files/list_folder", Token: expiring.AccessToken, Arg: map[string]any{"path": ""}}); r.Status != 200 {
		t.Fatalf("fresh expiring token: %d %s", r.Status, r.Body)
	}
	emu.Advance(t, time.Minute)

	listArg := map[string]any{"path": ""}
	for _, tt := range []struct {
		name  string
		call  rawCall
		error map[string]any
	}{
		{"unknown token", rawCall{Route: "files/list_folder", Token: "sl.unknown", Arg: listArg},
			map[string]any{".tag": "invalid_access_token"}},
		{"refresh token as bearer", rawCall{Route: "files/list_folder", Token: tok.RefreshToken, Arg: listArg},
			map[string]any{".tag": "invalid_access_token"}},
		{"expired token", rawCall{Route: "files/list_folder", Token: expiring.AccessToken, Arg: listArg},
			map[string]any{".tag": "expired_access_token"}},
		{"missing scope", rawCall{Route: "files/list_folder", Token: limited.AccessToken, Arg: listArg},
			map[string]any{".tag": "missing_scope", "required_scope": "files.metadata.read"}},
		{"missing write scope", rawCall{Route: "files/upload", Style: "upload", Token: limited.AccessToken,
			Arg: map[string]any{"path": "/a.txt"}, Body: []byte("x")},
			map[string]any{".tag": "missing_scope", "required_scope": "files.content.write"}},
	} {
		r := do(t, emu, tt.call)
		got := r.json(t)
		tag := tt.error[".tag"].(string)
		if r.Status != 401 || r.Header.Get("Content-Type") != "application/json" ||
			!strings.HasPrefix(fmt.Sprint(got["error_summary"]), tag+"/") {
			t.Errorf("%s: %d %s %s, want 401 JSON %s", tt.name, r.Status, r.Header.Get("Content-Type"), r.Body, tag)
		}
		if diff := cmp.Diff(tt.error, got["error"]); diff != "" {
			t.Errorf("%s: error (-want +got):\n%s", tt.name, diff)
		}
	}
	if r := do(t, emu, rawCall{Route: "users/get_current_account", Token: limited.AccessToken}); r.Status != 200 {
		t.Errorf("token with account_info.read on get_current_account: %d %s", r.Status, r.Body)
	}

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("oauthkey:"+oauthSecret))
	for _, tt := range []struct {
		name, route, authz, want string
	}{
		{"no credentials", "files/list_folder", "",
			`Error in call to API function "files/list_folder": Must provide HTTP header "Authorization" or URL parameter "authorization".`},
		{"app auth on a user route", "files/get_metadata", basic,
			`Error in call to API function "files/get_metadata": Invalid authorization value in HTTP header "Authorization": "Basic b2F1d...".  Expecting "Bearer <oauth2-access-token>".`},
		{"empty bearer", "files/list_folder", "Bearer ",
			`Error in call to API function "files/list_folder": Invalid authorization value in HTTP header "Authorization": "Bearer".  Expecting "Bearer <oauth2-access-token>".`},
		{"token without scheme", "files/list_folder", "sl.Bl0123456789",
			`Error in call to API function "files/list_folder": Invalid authorization value in HTTP header "Authorization": "sl.Bl...".  Expecting "Bearer <oauth2-access-token>".`},
		{"bearer on an app route", "check/app", "Bearer " + env.acct.AccessToken,
			`Error in call to API function "check/app": Invalid authorization value in HTTP header "Authorization": "Bearer ` + env.acct.AccessToken[:5] + `...".  Expecting "Basic <base64(APP_KEY:APP_SECRET)>".`},
		{"header on longpoll", "files/list_folder/longpoll", "Bearer " + env.acct.AccessToken,
			`Error in call to API function "files/list_folder/longpoll": Your request includes an Authorization header, but this function does not use it.`},
	} {
		arg := map[string]any{"path": ""}
		if tt.route == "files/list_folder/longpoll" {
			arg = map[string]any{"cursor": "AAAA"}
		} else if tt.route == "check/app" {
			arg = map[string]any{"query": "x"}
		}
		r := do(t, emu, rawCall{Route: tt.route, Arg: arg, Header: map[string]string{"Authorization": tt.authz}})
		if r.Status != 400 || string(r.Body) != tt.want || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q\nwant 400 %q", tt.name, r.Status, r.Body, tt.want)
		}
		if strings.Contains(string(r.Body), oauthSecret) || (len(env.acct.AccessToken) > 5 && strings.Contains(string(r.Body), env.acct.AccessToken)) {
			t.Errorf("%s: the answer echoes a secret: %s", tt.name, r.Body)
		}
	}

	// The authorization URL parameter stands in for the header.
	req, err := http.NewRequest(http.MethodPost, emu.URL+"/2/users/get_current_account?authorization="+
		url.QueryEscape("Bearer "+env.acct.AccessToken), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("authorization URL parameter: %d", resp.StatusCode)
	}
}
