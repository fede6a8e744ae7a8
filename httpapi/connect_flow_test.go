package httpapi_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

func TestConnectFlow(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ada := s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", DisplayName: "Ada Lovelace", AccountType: "pro"})
	app := s.registerApp()
	if want := s.srv.URL + "/oauth/callback"; app.RedirectURI != want {
		t.Errorf("redirect_uri = %q, want %q", app.RedirectURI, want)
	}

	cs := s.createSession("user-1")
	u, err := url.Parse(cs.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, want := range map[string]string{"client_id": testAppKey, "response_type": "code", "token_access_type": "offline",
		"code_challenge_method": "S256", "redirect_uri": app.RedirectURI} {
		if got := q.Get(k); got != want {
			t.Errorf("session URL %s = %q, want %q", k, got, want)
		}
	}
	if q.Get("state") == "" || q.Get("code_challenge") == "" {
		t.Errorf("session URL lacks state or PKCE challenge: %s", cs.URL)
	}

	callbackURL := s.consent(cs.URL, "ada@example.com")
	next, status, page := s.callback(callbackURL)
	if next == nil || status != http.StatusSeeOther {
		t.Fatalf("callback: %d %s, want 303 to the application", status, page)
	}
	if next.Path != "/connected" || next.Query().Get("from") != "test" {
		t.Errorf("redirect to %s, want the redirect_url with its own query kept", next)
	}
	id := next.Query().Get("connection_id")

	var got httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &got)
	want := httpapi.Connection{ID: id, AppID: app.ID, ExternalUserID: "user-1", AccountID: ada.AccountID,
		Email: "ada@example.com", DisplayName: "Ada Lovelace", AccountType: "pro", Status: "active"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(httpapi.Connection{}, "Scopes", "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("connection (-want +got):\n%s", diff)
	}
	if len(got.Scopes) == 0 {
		t.Errorf("connection has no granted scopes")
	}

	// The token works: the account, live from Dropbox.
	var acct httpapi.Account
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id+"/account", nil, &acct)
	if acct.AccountID != ada.AccountID || acct.Email != "ada@example.com" || acct.RootNamespaceID == "" {
		t.Errorf("account = %+v, want ada's", acct)
	}

	// The tokens are stored sealed, and the session is used up.
	stored, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Token.RefreshToken == "" || stored.Token.Expiry.IsZero() {
		t.Errorf("stored token has no refresh token or expiry: offline access was not asked for")
	}
	session, err := s.store.FindConnectSessionByID(t.Context(), s.env.ID, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	if session.ConnectionID != id {
		t.Errorf("session's connection = %q, want %q", session.ConnectionID, id)
	}

	// Replaying the callback is refused and changes nothing.
	next, status, page = s.callback(callbackURL)
	if next != nil || status != http.StatusConflict || !strings.Contains(page, "already used") {
		t.Errorf("replayed callback: %v %d %s, want a 409 page", next, status, page)
	}
	var after httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &after)
	if !after.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("replayed callback changed the connection")
	}
	checkNoSecrets(t, s)
	for _, k := range []string{"state", "code"} {
		if v := callbackURL.Query().Get(k); strings.Contains(s.logs.String(), v) {
			t.Errorf("the log holds the OAuth %s", k)
		}
	}
}

func TestReconnectUpdatesTheConnection(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@example.com"})
	s.registerApp()

	first := s.connect("user-1", "ada@example.com")
	before, err := s.store.FindConnectionByID(t.Context(), s.env.ID, first)
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Second)
	again := s.connect("user-1", "ada@example.com")
	if again != first {
		t.Errorf("reconnecting the same user and account made connection %s, want %s updated", again, first)
	}
	after, err := s.store.FindConnectionByID(t.Context(), s.env.ID, first)
	if err != nil {
		t.Fatal(err)
	}
	if after.TokenVersion <= before.TokenVersion || after.Token.AccessToken == before.Token.AccessToken {
		t.Errorf("reconnecting did not replace the token (version %d -> %d)", before.TokenVersion, after.TokenVersion)
	}
	other := s.connect("user-1", "bob@example.com")
	if other == first {
		t.Errorf("another account of the same user got the same connection")
	}

	var page struct {
		Data []httpapi.Connection `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/connections?external_user_id=user-1", nil, &page)
	var ids []string
	for _, c := range page.Data {
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff([]string{first, other}, ids); diff != "" {
		t.Errorf("connections of user-1 (-want +got):\n%s", diff)
	}
}

func TestConnectionsListPaging(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()
	var want []string
	for _, user := range []string{"u1", "u2", "u3"} {
		want = append(want, s.connect(user, "ada@example.com"))
		s.clock.Advance(time.Millisecond)
	}
	var got []string
	path := "/v1/connections?limit=2&status=active"
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		var page struct {
			Data       []httpapi.Connection `json:"data"`
			NextCursor string               `json:"next_cursor"`
		}
		s.must(http.StatusOK, http.MethodGet, path, nil, &page)
		for _, c := range page.Data {
			got = append(got, c.ID)
		}
		if page.NextCursor == "" {
			break
		}
		path = "/v1/connections?limit=2&status=active&cursor=" + url.QueryEscape(page.NextCursor)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged listing (-want +got):\n%s", diff)
	}
	var none struct {
		Data []httpapi.Connection `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/connections?status=revoked", nil, &none)
	if len(none.Data) != 0 {
		t.Errorf("status=revoked listed %d connections", len(none.Data))
	}
}

func TestAnotherEnvironmentSeesNothing(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	app := s.registerApp()
	id := s.connect("user-1", "ada@example.com")
	_, otherKey := s.newEnvironment("other")

	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1/connections/" + id},
		{http.MethodGet, "/v1/connections/" + id + "/account"},
		{http.MethodDelete, "/v1/connections/" + id},
	} {
		r := s.do(otherKey, tc.method, tc.path, nil)
		if r.status != http.StatusNotFound {
			t.Errorf("%s %s with another environment's key: %d, want 404: %s", tc.method, tc.path, r.status, r.body)
		}
	}
	var list struct {
		Data []httpapi.Connection `json:"data"`
	}
	r := s.do(otherKey, http.MethodGet, "/v1/connections", nil)
	r.decode(t, &list)
	if len(list.Data) != 0 {
		t.Errorf("another environment lists %d connections", len(list.Data))
	}
	var apps struct {
		Data []httpapi.App `json:"data"`
	}
	s.do(otherKey, http.MethodGet, "/v1/apps", nil).decode(t, &apps)
	if len(apps.Data) != 0 {
		t.Errorf("another environment lists %d apps", len(apps.Data))
	}
	r = s.do(otherKey, http.MethodPost, "/v1/connect-sessions", map[string]any{"external_user_id": "x", "app": app.ID})
	if r.status != http.StatusNotFound {
		t.Errorf("connect session with another environment's app: %d, want 404: %s", r.status, r.body)
	}
	// The connection is untouched.
	var c httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &c)
	if c.Status != "active" {
		t.Errorf("status = %s after another environment's DELETE", c.Status)
	}
}

func TestCallbackRefusesBadState(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()

	cs := s.createSession("user-1")
	cb := s.consent(cs.URL, "ada@example.com")
	q := cb.Query()
	state := q.Get("state")
	tampered := []byte(state)
	tampered[len(tampered)/2] ^= 1
	q.Set("state", string(tampered))
	bad := *cb
	bad.RawQuery = q.Encode()
	next, status, page := s.callback(&bad)
	if next != nil || status != http.StatusNotFound || !strings.Contains(page, "start the connection again") {
		t.Errorf("tampered state: %v %d %s, want a 404 page", next, status, page)
	}
	q.Del("state")
	bad.RawQuery = q.Encode()
	if next, status, _ := s.callback(&bad); next != nil || status != http.StatusUnprocessableEntity {
		t.Errorf("no state: %v %d, want a 422 page", next, status)
	}
	// The genuine callback still works: tampering used nothing up.
	if next, status, page := s.callback(cb); next == nil || next.Query().Get("connection_id") == "" {
		t.Errorf("genuine callback after tampering: %v %d %s", next, status, page)
	}
}

func TestCallbackRefusesExpiredSession(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()
	cs := s.createSession("user-1")
	cb := s.consent(cs.URL, "ada@example.com")
	s.clock.Advance(time.Hour)
	if next, status, page := s.callback(cb); next != nil || status != http.StatusGone || !strings.Contains(page, "expired") {
		t.Errorf("expired session: %v %d %s, want a 410 page", next, status, page)
	}
}

func TestCallbackDenied(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()
	cs := s.createSession("user-1")
	next, _, page := s.callback(s.consent(cs.URL, ""))
	if next == nil {
		t.Fatalf("denied consent: no redirect to the application: %s", page)
	}
	q := next.Query()
	if q.Get("error") != dropbridge.EFORBIDDEN || q.Get("connect_session_id") != cs.ID || q.Get("connection_id") != "" ||
		!strings.Contains(q.Get("error_description"), "did not allow") {
		t.Errorf("denied consent sent the user to %s", next)
	}
}

func TestCallbackWithoutRedirectShowsPage(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()
	var cs httpapi.ConnectSession
	s.must(http.StatusCreated, http.MethodPost, "/v1/connect-sessions", map[string]any{"external_user_id": "user-1"}, &cs)
	next, status, page := s.callback(s.consent(cs.URL, "ada@example.com"))
	if next != nil || status != http.StatusOK || !strings.Contains(page, "ada@example.com") || !strings.Contains(page, "connected") {
		t.Errorf("callback without redirect_url: %v %d %s, want a success page", next, status, page)
	}
}

func TestDeleteRevokesTheToken(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()
	id := s.connect("user-1", "ada@example.com")
	stored, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}

	var c httpapi.Connection
	s.must(http.StatusOK, http.MethodDelete, "/v1/connections/"+id, nil, &c)
	if c.Status != "revoked" {
		t.Errorf("status after DELETE = %s, want revoked", c.Status)
	}
	// The old access token no longer works at Dropbox, nor its refresh token.
	_, err = dropbox.New(dropbox.WithBaseURL(s.emu.URL), dropbox.WithToken(string(stored.Token.AccessToken))).Users.GetCurrentAccount(t.Context())
	var authErr *dropbox.AuthError
	if !errors.As(err, &authErr) || authErr.Tag != "invalid_access_token" {
		t.Errorf("call with the revoked access token: %v, want invalid_access_token", err)
	}
	conf := &oauth2.Config{ClientID: testAppKey, ClientSecret: testAppSecret, Endpoint: oauth2.Endpoint{TokenURL: s.emu.URL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
	_, err = conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: string(stored.Token.RefreshToken)}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh with the revoked refresh token: %v, want invalid_grant", err)
	}
	// The store wiped the tokens; calls through the connection are refused.
	wiped, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if wiped.Token != (dropbridge.Token{}) {
		t.Errorf("revoked connection keeps its tokens")
	}
	var p httpapi.Problem
	r := s.must(http.StatusConflict, http.MethodGet, "/v1/connections/"+id+"/account", nil, &p)
	if p.Code != dropbridge.ECONFLICT || !strings.Contains(p.Detail, "new connect session") {
		t.Errorf("call through a revoked connection: %s", r.body)
	}
	// DELETE again changes nothing.
	s.must(http.StatusOK, http.MethodDelete, "/v1/connections/"+id, nil, &c)
	if c.Status != "revoked" {
		t.Errorf("second DELETE: status %s", c.Status)
	}
}

func TestRefreshAndNeedsReauth(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()
	id := s.connect("user-1", "ada@example.com")
	before, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}

	// Dropbox's clock passes the token's expiry: the call refreshes it and
	// the new token is saved.
	s.emu.Advance(t, 5*time.Hour)
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id+"/account", nil, nil)
	after, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if after.TokenVersion != before.TokenVersion+1 || after.Token.AccessToken == before.Token.AccessToken ||
		after.Token.RefreshToken != before.Token.RefreshToken {
		t.Errorf("after a refresh: version %d -> %d, access token changed %v, refresh token kept %v",
			before.TokenVersion, after.TokenVersion, after.Token.AccessToken != before.Token.AccessToken,
			after.Token.RefreshToken == before.Token.RefreshToken)
	}

	// The user unlinks the app at Dropbox (which revokes every token of
	// the grant): the connection needs the user again.
	if err := dropbox.New(dropbox.WithBaseURL(s.emu.URL), dropbox.WithToken(string(after.Token.AccessToken))).Auth.TokenRevoke(t.Context()); err != nil {
		t.Fatal(err)
	}
	var p httpapi.Problem
	s.must(http.StatusConflict, http.MethodGet, "/v1/connections/"+id+"/account", nil, &p)
	if p.DropboxError != "invalid_access_token" {
		t.Errorf("dropbox_error = %q, want invalid_access_token", p.DropboxError)
	}
	var c httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &c)
	if c.Status != "needs_reauth" {
		t.Errorf("status = %s, want needs_reauth", c.Status)
	}
	// Connecting again makes it active.
	if again := s.connect("user-1", "ada@example.com"); again != id {
		t.Errorf("reconnect made %s, want %s", again, id)
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &c)
	if c.Status != "active" {
		t.Errorf("status after reconnecting = %s, want active", c.Status)
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id+"/account", nil, nil)
}

func TestRefreshRefusedNeedsReauth(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	s.registerApp()
	id := s.connect("user-1", "ada@example.com")
	stored, err := s.store.FindConnectionByID(t.Context(), s.env.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := dropbox.New(dropbox.WithBaseURL(s.emu.URL), dropbox.WithToken(string(stored.Token.AccessToken))).Auth.TokenRevoke(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The access token is past its expiry by the service's own reckoning,
	// so the client refreshes first, and Dropbox says invalid_grant.
	s.emu.Advance(t, 5*time.Hour)
	expired := stored.Token
	expired.Expiry = time.Now().Add(-time.Minute)
	if _, err := s.store.UpdateConnection(t.Context(), s.env.ID, id, dropbridge.ConnectionUpdate{IfTokenVersion: stored.TokenVersion, Token: &expired}); err != nil {
		t.Fatal(err)
	}
	var p httpapi.Problem
	s.must(http.StatusConflict, http.MethodGet, "/v1/connections/"+id+"/account", nil, &p)
	if !strings.Contains(p.Detail, "invalid_grant") {
		t.Errorf("problem = %+v, want the refused grant explained", p)
	}
	var c httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+id, nil, &c)
	if c.Status != "needs_reauth" {
		t.Errorf("status = %s, want needs_reauth", c.Status)
	}
}

// checkNoSecrets fails if a token, API key or app secret of the test is in
// the service's log.
func checkNoSecrets(t *testing.T, s *service) {
	t.Helper()
	logs := s.logs.String()
	secrets := map[string]string{"API key": s.key, "app secret": testAppSecret}
	page, err := s.store.ListConnections(t.Context(), s.env.ID, dropbridge.ConnectionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Connections {
		secrets["access token of "+c.ID] = string(c.Token.AccessToken)
		secrets["refresh token of "+c.ID] = string(c.Token.RefreshToken)
	}
	for what, v := range secrets {
		if v != "" && strings.Contains(logs, v) {
			t.Errorf("the log holds the %s", what)
		}
	}
	if !strings.Contains(logs, "path=/oauth/callback") {
		t.Errorf("the log has no request lines:\n%s", logs)
	}
}
