package httpapi_test

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

// The team-linked test app: a Dropbox Business API app with team scopes,
// and the user scopes its team connections use as a member.
const (
	teamAppKey    = "teamappkey"
	teamAppSecret = "teamappsecret-0123456789"
)

var teamAppScopes = []string{"team_info.read", "members.read", "team_data.member", "team_data.content.write", "files.content.write"}

// registerTeamApp registers the team-linked app with the emulator and
// through the API (not as the default app), and returns it.
func (s *service) registerTeamApp() httpapi.App {
	s.t.Helper()
	s.emu.CreateApp(s.t, dropboxtest.AppArg{AppKey: teamAppKey, AppSecret: teamAppSecret,
		RedirectURIs: []string{s.srv.URL + "/oauth/callback"}, Scopes: teamAppScopes, TeamLinked: true})
	var app httpapi.App
	s.must(http.StatusCreated, http.MethodPost, "/v1/apps", map[string]any{
		"name": "Team app", "app_key": teamAppKey, "app_secret": teamAppSecret,
	}, &app)
	return app
}

// createAppSession creates a connect session for externalUserID through
// app that sends the user on to the application's page.
func (s *service) createAppSession(externalUserID, app string) httpapi.ConnectSession {
	s.t.Helper()
	var cs httpapi.ConnectSession
	s.must(http.StatusCreated, http.MethodPost, "/v1/connect-sessions", map[string]any{
		"external_user_id": externalUserID, "app": app, "redirect_url": "https://" + appHost + "/connected",
	}, &cs)
	return cs
}

// connectThrough runs the flow for externalUserID through app as the
// account with email and returns the connection ID.
func (s *service) connectThrough(externalUserID, app, email string) string {
	s.t.Helper()
	next, status, page := s.callback(s.consent(s.createAppSession(externalUserID, app).URL, email))
	if next == nil || next.Query().Get("connection_id") == "" {
		s.t.Fatalf("callback: %d %s %v, want a redirect with the connection", status, page, next)
	}
	return next.Query().Get("connection_id")
}

// consentPage opens a session's URL as the browser and returns the page.
func (s *service) consentPage(sessionURL string) (*http.Response, string) {
	s.t.Helper()
	resp, err := browser.Get(sessionURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestTeamConnectFlow(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.registerApp()
	teamApp := s.registerTeamApp()
	tm := s.emu.CreateTeam(t, "Acme")
	boss := s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "boss@acme.test", DisplayName: "Boss", TeamID: tm.TeamID})
	ann := s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ann@acme.test", DisplayName: "Ann", TeamID: tm.TeamID})
	sue := s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "sue@acme.test", DisplayName: "Sue", TeamID: tm.TeamID, Role: "team_admin"})
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "solo@example.com"})

	// The consent page offers the team admins only; a member who tries is
	// refused, and nothing is connected.
	cs := s.createAppSession("acme", teamApp.ID)
	resp, consentHTML := s.consentPage(cs.URL)
	var offered []string
	for _, m := range accountButton.FindAllStringSubmatch(consentHTML, -1) {
		offered = append(offered, m[1])
	}
	if diff := cmp.Diff([]string{boss.AccountID, sue.AccountID}, offered); diff != "" {
		t.Errorf("accounts offered for the team app (-want +got):\n%s", diff)
	}
	form := url.Values{"account_id": {ann.AccountID}}
	for _, m := range hiddenInput.FindAllStringSubmatch(consentHTML, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	refused, err := noRedirects.PostForm(resp.Request.URL.ResolveReference(&url.URL{Path: "/oauth2/authorize/decide"}).String(), form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(refused.Body)
	refused.Body.Close()
	if refused.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "is not a team admin") {
		t.Errorf("consent by a member: %d %s, want a 403 page", refused.StatusCode, b)
	}

	// Sue, an admin, allows it: a team connection, named after the team,
	// with the email of the admin who linked it.
	next, status, text := s.callback(s.consent(cs.URL, "sue@acme.test"))
	if next == nil || next.Query().Get("connection_id") == "" {
		t.Fatalf("callback: %d %s %v", status, text, next)
	}
	id := next.Query().Get("connection_id")
	var conn httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &conn)
	want := httpapi.Connection{ID: id, AppID: teamApp.ID, ExternalUserID: "acme", AccountID: tm.TeamID, TeamID: tm.TeamID,
		Email: "sue@acme.test", DisplayName: "Acme", AccountType: "business", Status: "active",
		Scopes: []string{"account_info.read", "files.content.read", "files.content.write", "files.metadata.read",
			"members.read", "team_data.content.read", "team_data.content.write", "team_data.member", "team_info.read"}}
	if diff := cmp.Diff(want, conn, cmpopts.IgnoreFields(httpapi.Connection{}, "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("team connection (-want +got):\n%s", diff)
	}
	stored, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Token.RefreshToken == "" {
		t.Errorf("the team connection has no refresh token")
	}

	// The team's members and team folders, through the connection.
	var emails []string
	for _, m := range s.teamMembers(id, 2) {
		emails = append(emails, m.Email)
	}
	if diff := cmp.Diff([]string{"ann@acme.test", "boss@acme.test", "sue@acme.test"}, emails, sorted); diff != "" {
		t.Errorf("team members (-want +got):\n%s", diff)
	}
	var projects httpapi.TeamFolder
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+id+"/team-folders", map[string]any{"name": "Projects"}, &projects)
	if folders := s.teamFolders(id, 10); len(folders) != 1 || folders["Projects"] != projects {
		t.Errorf("team folders %v, want Projects", folders)
	}

	// As Ann, a member: her files, the team folder among them.
	files := "/v1/connections/" + id + "/files"
	content := []byte("the plan")
	r := s.send(http.MethodPut, files+"/content?"+url.Values{"path": {"/Projects/plan.txt"}}.Encode(),
		bytes.NewReader(content), int64(len(content)), httpapi.MemberHeader, ann.MemberID)
	if r.status != http.StatusOK {
		t.Fatalf("upload as Ann: %d %s", r.status, r.body)
	}
	r = s.do(s.key, http.MethodGet, files+"?recursive=true", nil, httpapi.MemberHeader, ann.MemberID)
	if r.status != http.StatusOK {
		t.Fatalf("list as Ann: %d %s", r.status, r.body)
	}
	var p page
	r.decode(t, &p)
	if got := names(p.Data); !slices.Contains(got, "folder /Projects") || !slices.Contains(got, "file /Projects/plan.txt") {
		t.Errorf("Ann's files through the team connection: %v", got)
	}
	var acct httpapi.Account
	r = s.do(s.key, http.MethodGet, "/v1/connections/"+id+"/account", nil, httpapi.MemberHeader, ann.MemberID)
	if r.status != http.StatusOK {
		t.Fatalf("account as Ann: %d %s", r.status, r.body)
	}
	r.decode(t, &acct)
	if acct.AccountID != ann.AccountID {
		t.Errorf("account as Ann = %+v", acct)
	}
	// Without a member, a member's route says to name one.
	r = s.do(s.key, http.MethodGet, files, nil)
	wantProblem(t, "files of a team connection without a member", r, http.StatusUnprocessableEntity, "")
	if !bytes.Contains(r.body, []byte(httpapi.MemberHeader)) {
		t.Errorf("the problem does not name %s: %s", httpapi.MemberHeader, r.body)
	}

	// Dropbox's clock passes the token's expiry: the team's token is
	// refreshed, saved, and still the team's.
	s.emu.Advance(t, 5*time.Hour)
	if got := s.teamMembers(id, 10); len(got) != 3 {
		t.Errorf("team members after the token expired: %d", len(got))
	}
	refreshed, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.TokenVersion != stored.TokenVersion+1 || refreshed.Token.AccessToken == stored.Token.AccessToken {
		t.Errorf("after the expiry: token version %d -> %d, want a refreshed token saved", stored.TokenVersion, refreshed.TokenVersion)
	}
	r = s.do(s.key, http.MethodGet, files, nil, httpapi.MemberHeader, ann.MemberID)
	if r.status != http.StatusOK {
		t.Errorf("list as Ann with the refreshed token: %d %s", r.status, r.body)
	}

	// Boss links the team again for the same end user: the same
	// connection, now with Boss's email. Boss's own Dropbox, through the
	// user app, is another connection, which leaves the team's alone.
	if again := s.connectThrough("acme", teamApp.ID, "boss@acme.test"); again != id {
		t.Errorf("linking the team again made connection %s, want %s updated", again, id)
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &conn)
	if conn.Email != "boss@acme.test" || conn.AccountID != tm.TeamID {
		t.Errorf("team connection after Boss linked it: %+v", conn)
	}
	own := s.connect("acme", "boss@acme.test")
	if own == id {
		t.Fatalf("Boss's own connection replaced the team's")
	}
	var mine httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+own, nil, &mine)
	if mine.AccountID != boss.AccountID || mine.TeamID != tm.TeamID {
		t.Errorf("Boss's own connection: %+v", mine)
	}
	if got := s.teamMembers(id, 10); len(got) != 3 {
		t.Errorf("the team connection after Boss's own: %d members", len(got))
	}

	// Deleting the team connection revokes the team's token at Dropbox.
	stored, err = s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	var deleted httpapi.Connection
	s.must(http.StatusOK, http.MethodDelete, "/v1/connections/"+id, nil, &deleted)
	if deleted.Status != "revoked" {
		t.Errorf("deleted team connection is %s", deleted.Status)
	}
	if alive := emulatorCall(t, s.emu, string(stored.Token.AccessToken), "team/get_info"); alive != http.StatusUnauthorized {
		t.Errorf("team/get_info with the deleted connection's token: %d, want 401", alive)
	}
}

// emulatorCall calls an RPC route without arguments on emu with token and
// returns the status.
func emulatorCall(t *testing.T, emu *dropboxtest.Emulator, token, route string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, emu.URL+"/2/"+route, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
