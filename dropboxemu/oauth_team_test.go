package dropboxemu_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/users"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// teamAppScopes are the scopes of the team-linked test app: team scopes,
// and user scopes to use as a member.
var teamAppScopes = []string{"team_info.read", "members.read", "team_data.member", "files.metadata.read"}

// teamOAuthEnv is an emulator with a team-linked app and a team: boss (the
// first team admin), ann (a member), sue (a second team admin), and solo,
// an account outside any team.
type teamOAuthEnv struct {
	emu                  *dropboxtest.Emulator
	team                 dropboxtest.Team
	boss, ann, sue, solo dropboxtest.Account
	conf                 *oauth2.Config
}

func newTeamOAuthEnv(t *testing.T) *teamOAuthEnv {
	t.Helper()
	emu := dropboxtest.NewEmulator(t)
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "teamkey", AppSecret: oauthSecret, RedirectURIs: []string{oauthRedirect},
		Scopes: teamAppScopes, TeamLinked: true})
	tm := emu.CreateTeam(t, "Acme")
	env := &teamOAuthEnv{emu: emu, team: tm,
		boss: emu.CreateAccount(t, dropboxtest.AccountArg{Email: "boss@acme.test", DisplayName: "Boss", TeamID: tm.TeamID}),
		ann:  emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ann@acme.test", DisplayName: "Ann", TeamID: tm.TeamID}),
		sue:  emu.CreateAccount(t, dropboxtest.AccountArg{Email: "sue@acme.test", DisplayName: "Sue", TeamID: tm.TeamID, Role: "team_admin"}),
		solo: emu.CreateAccount(t, dropboxtest.AccountArg{Email: "solo@example.com", DisplayName: "Solo"}),
		conf: &oauth2.Config{ClientID: "teamkey", ClientSecret: oauthSecret, RedirectURL: oauthRedirect,
			Endpoint: oauth2.Endpoint{AuthURL: emu.URL + "/oauth2/authorize", TokenURL: emu.URL + "/oauth2/token"}},
	}
	return env
}

// accountButton is an account offered on the consent page: its id and label.
var accountButton = regexp.MustCompile(`<button class="acct" type="submit" name="account_id" value="([^"]*)">([^<]*)`)

// readAll reads resp's body.
func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// teamCode gives consent at authURL as accountID and returns the code.
func (env *teamOAuthEnv) teamCode(t *testing.T, authURL, accountID string) string {
	t.Helper()
	q := oauthRedirectParams(t, oauthDecide(t, env.emu, authURL, url.Values{"account_id": {accountID}}))
	if q.Get("code") == "" {
		t.Fatalf("redirect query %v, want a code", q)
	}
	return q.Get("code")
}

func TestOAuthTeamAppConsent(t *testing.T) {
	t.Parallel()
	env := newTeamOAuthEnv(t)
	authURL := env.conf.AuthCodeURL("st", offline)

	// Only the team admins are offered, with their team; no account can be
	// made on the spot.
	status, page := oauthPage(t, authURL)
	if status != http.StatusOK {
		t.Fatalf("consent page: %d %s", status, page)
	}
	var offered []string
	for _, m := range accountButton.FindAllStringSubmatch(page, -1) {
		offered = append(offered, m[1])
	}
	if diff := cmp.Diff([]string{env.boss.AccountID, env.sue.AccountID}, offered); diff != "" {
		t.Errorf("accounts offered (-want +got):\n%s", diff)
	}
	for _, want := range []string{"team admin of Acme", "a team admin must allow it"} {
		if !strings.Contains(page, want) {
			t.Errorf("the consent page does not say %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, `value="create"`) {
		t.Errorf("the consent page of a team app offers to create an account")
	}

	// Anyone else is refused with a page that says why and leads back.
	for name, fields := range map[string]url.Values{
		"a member":             {"account_id": {env.ann.AccountID}},
		"an account off teams": {"account_id": {env.solo.AccountID}},
		"a new account":        {"decision": {"create"}, "email": {"new@example.com"}},
	} {
		resp := oauthDecide(t, env.emu, authURL, fields)
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(b, "only an admin of the team can allow it") ||
			!strings.Contains(b, `href="/oauth2/authorize?`) {
			t.Errorf("consent by %s: %d %s, want a 403 page", name, resp.StatusCode, b)
		}
	}
	var accounts struct {
		Accounts []struct {
			Email string `json:"email"`
		} `json:"accounts"`
	}
	env.emu.Admin(t, http.MethodGet, "/_emulator/accounts", nil, &accounts)
	if len(accounts.Accounts) != 4 {
		t.Errorf("a refused consent made an account: %+v", accounts.Accounts)
	}

	// Without a team admin anywhere, the page says so.
	other := dropboxtest.NewEmulator(t)
	other.CreateApp(t, dropboxtest.AppArg{AppKey: "teamkey", AppSecret: oauthSecret, RedirectURIs: []string{oauthRedirect}, TeamLinked: true})
	other.CreateAccount(t, dropboxtest.AccountArg{Email: "solo@example.com"})
	conf := *env.conf
	conf.Endpoint.AuthURL = other.URL + "/oauth2/authorize"
	if status, page := oauthPage(t, conf.AuthCodeURL("st")); status != http.StatusOK || !strings.Contains(page, "No account here is a team admin") ||
		accountButton.MatchString(page) {
		t.Errorf("consent page without team admins: %d %s", status, page)
	}

	// A team-linked app needs a team scope.
	err := env.emu.AdminErr(http.MethodPost, "/_emulator/apps", dropboxtest.AppArg{AppKey: "k2", AppSecret: "s", TeamLinked: true,
		Scopes: []string{"files.content.read"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "team scope") {
		t.Errorf("team-linked app without a team scope: %v, want a 400", err)
	}
}

func TestOAuthTeamToken(t *testing.T) {
	t.Parallel()
	env := newTeamOAuthEnv(t)
	ctx := t.Context()

	// Sue, the second admin, links the app: the answer names the team, not
	// an account.
	code := env.teamCode(t, env.conf.AuthCodeURL("st", offline), env.sue.AccountID)
	resp, got := oauthTokenCall(t, env.emu, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {oauthRedirect}}, []string{"teamkey", oauthSecret})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %v", resp.StatusCode, got)
	}
	if diff := cmp.Diff([]string{"access_token", "expires_in", "refresh_token", "scope", "team_id", "token_type", "uid"}, sortedKeys(got)); diff != "" {
		t.Errorf("answer fields (-want +got):\n%s", diff)
	}
	if got["team_id"] != env.team.TeamID || got["uid"] != strconv.FormatUint(env.sue.UID, 10) {
		t.Errorf("team_id %v uid %v, want %s and Sue's uid %d", got["team_id"], got["uid"], env.team.TeamID, env.sue.UID)
	}
	access, refresh := got["access_token"].(string), got["refresh_token"].(string)

	// Dropbox's Go SDK: the token acts for the team, and Sue authorized it.
	tc := team.New(sdkConfig(env.emu, access))
	info, err := tc.GetInfo()
	if err != nil || info.TeamId != env.team.TeamID || info.Name != "Acme" {
		t.Fatalf("team/get_info: %v %+v", err, info)
	}
	admin, err := tc.TokenGetAuthenticatedAdmin()
	if err != nil || admin.AdminProfile.TeamMemberId != env.sue.MemberID || admin.AdminProfile.Email != "sue@acme.test" {
		t.Fatalf("team/token/get_authenticated_admin: %v %+v, want Sue", err, admin)
	}
	// The admin API's team token still names the first admin.
	if a, err := team.New(sdkConfig(env.emu, env.team.AccessToken)).TokenGetAuthenticatedAdmin(); err != nil || a.AdminProfile.TeamMemberId != env.boss.MemberID {
		t.Errorf("authenticated admin of the admin API's token: %v, want Boss", err)
	}
	// A user route needs a member to act as.
	_, err = users.New(sdkConfig(env.emu, access)).GetCurrentAccount()
	var bad auth.BadRequest
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorSummary, "entire Dropbox Business team") {
		t.Errorf("get_current_account without a member: %v, want a 400", err)
	}
	asAnn := sdkConfig(env.emu, access)
	asAnn.AsMemberID = env.ann.MemberID
	if cur, err := users.New(asAnn).GetCurrentAccount(); err != nil || cur.AccountId != env.ann.AccountID {
		t.Errorf("get_current_account as Ann: %v", err)
	}

	// A refreshed token is the team's still, authorized by Sue.
	ts := env.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh, Expiry: time.Now().Add(-time.Second)})
	fresh, err := ts.Token()
	if err != nil || fresh.AccessToken == access {
		t.Fatalf("refresh: %v", err)
	}
	if a, err := team.New(sdkConfig(env.emu, fresh.AccessToken)).TokenGetAuthenticatedAdmin(); err != nil || a.AdminProfile.TeamMemberId != env.sue.MemberID {
		t.Errorf("authenticated admin after a refresh: %v, want Sue", err)
	}

	// include_granted_scopes=team adds what the team granted before.
	narrow := env.teamCode(t, env.conf.AuthCodeURL("st", oauth2.SetAuthURLParam("scope", "members.read"),
		oauth2.SetAuthURLParam("include_granted_scopes", "team")), env.boss.AccountID)
	tok, err := env.conf.Exchange(ctx, narrow)
	if err != nil || tok.Extra("team_id") != env.team.TeamID {
		t.Fatalf("exchange: %v %v", err, tok)
	}
	if got, want := tok.Extra("scope"), "account_info.read files.metadata.read members.read team_data.member team_info.read"; got != want {
		t.Errorf("scope with include_granted_scopes=team = %q, want %q", got, want)
	}
	if a, err := team.New(sdkConfig(env.emu, tok.AccessToken)).TokenGetAuthenticatedAdmin(); err != nil || a.AdminProfile.TeamMemberId != env.boss.MemberID {
		t.Errorf("authenticated admin of Boss's token: %v, want Boss", err)
	}
}

func TestOAuthTeamAppUserScopes(t *testing.T) {
	t.Parallel()
	env := newTeamOAuthEnv(t)
	// Asked for user scopes only, a team-linked app gets a user token, from
	// anyone.
	authURL := env.conf.AuthCodeURL("st", oauth2.SetAuthURLParam("scope", "files.metadata.read"))
	if _, page := oauthPage(t, authURL); !strings.Contains(page, "solo@example.com") || !strings.Contains(page, `value="create"`) {
		t.Errorf("consent page for user scopes does not offer every account:\n%s", page)
	}
	tok, err := env.conf.Exchange(t.Context(), env.teamCode(t, authURL, env.solo.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Extra("account_id") != env.solo.AccountID || tok.Extra("team_id") != nil {
		t.Errorf("account_id %v team_id %v, want a user token of Solo", tok.Extra("account_id"), tok.Extra("team_id"))
	}
}

// codeOnPage is the code the emulator shows when the app has no redirect URI.
var codeOnPage = regexp.MustCompile(`<code id="code">([^<]*)</code>`)

// TestPythonSDKTeamOAuth runs testdata/python_sdk_team_oauth.py: Dropbox's
// Python SDK finishes the OAuth flow of a team-linked app with a code that
// a team admin gave, and uses the team token, refreshed too.
func TestPythonSDKTeamOAuth(t *testing.T) {
	t.Parallel()
	requirePythonSDK(t)
	emu := newTLSEmulator(t)
	admin := emu.admin
	admin.CreateApp(t, dropboxtest.AppArg{AppKey: "pyteam", AppSecret: "pysecret", Scopes: teamAppScopes, TeamLinked: true})
	tm := admin.CreateTeam(t, "Rocket Co")
	boss := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "boss@rocket.example", DisplayName: "Boss", TeamID: tm.TeamID})
	ann := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "ann@rocket.example", DisplayName: "Ann", TeamID: tm.TeamID})

	// The consent, as the admin does it in a browser; the page shows the code.
	authURL := admin.URL + "/oauth2/authorize?" + url.Values{"client_id": {"pyteam"}, "response_type": {"code"},
		"token_access_type": {"offline"}}.Encode()
	resp := oauthDecide(t, admin, authURL, url.Values{"account_id": {boss.AccountID}})
	page := readAll(t, resp)
	m := codeOnPage.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(page, "Rocket Co") {
		t.Fatalf("consent: %d %s, want the code of a team link", resp.StatusCode, page)
	}

	events := runPython(t, emu, "python_sdk_team_oauth.py", []string{
		"EMU_APP_KEY=pyteam", "EMU_APP_SECRET=pysecret", "EMU_CODE=" + m[1], "EMU_MEMBER=" + ann.MemberID,
	}, func(pyEvent) string { return "" })
	if len(events) != 1 || events[0].name() != "done" {
		t.Fatalf("script events %v, want [done]", eventNames(events))
	}
	got := map[string]any{}
	for _, k := range []string{"team_id", "uid", "admin_email", "member_email"} {
		got[k] = events[0][k]
	}
	want := map[string]any{"team_id": tm.TeamID, "uid": strconv.FormatUint(boss.UID, 10),
		"admin_email": "boss@rocket.example", "member_email": "ann@rocket.example"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("what the SDK saw (-want +got):\n%s", diff)
	}
}
