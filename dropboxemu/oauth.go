package dropboxemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OAuth 2.0: the authorize page (www.dropbox.com/oauth2/authorize) and the
// token endpoint (api.dropboxapi.com/oauth2/token).

// authorizeRequest is a validated /oauth2/authorize query.
type authorizeRequest struct {
	app                  *App
	redirectURI          string
	state                string
	scopes               []string
	offline              bool
	challenge, method    string
	includeGrantedScopes string
	forceReapprove       bool
	query                url.Values
}

// parseAuthorize validates q; the message is shown on an error page when the
// redirect URI itself is not trustworthy, else sent to it as error_description.
func (s *Server) parseAuthorize(q url.Values) (*authorizeRequest, string, string) {
	s.mu.RLock()
	app := s.apps[q.Get("client_id")]
	s.mu.RUnlock()
	if app == nil {
		return nil, "", "Invalid client_id: no app has the key " + strconv.Quote(q.Get("client_id")) + "."
	}
	ar := &authorizeRequest{app: app, redirectURI: q.Get("redirect_uri"), state: q.Get("state"), query: q}
	if ar.redirectURI != "" && !slices.Contains(app.RedirectURIs, ar.redirectURI) {
		return nil, "", "Invalid redirect_uri. It must exactly match one of the redirect URIs registered for the app."
	}
	if len(ar.state) > 500 {
		return nil, "invalid_request", "state must be at most 500 bytes."
	}
	if rt := q.Get("response_type"); rt != "code" {
		return nil, "unsupported_response_type", "response_type must be \"code\"."
	}
	switch q.Get("token_access_type") {
	case "", "online", "legacy":
	case "offline":
		ar.offline = true
	default:
		return nil, "invalid_request", "token_access_type must be online, offline or legacy."
	}
	if sc := strings.Fields(q.Get("scope")); len(sc) > 0 {
		for _, x := range sc {
			if !slices.Contains(app.Scopes, x) {
				return nil, "invalid_scope", "The app does not have the scope " + strconv.Quote(x) + "."
			}
		}
		ar.scopes = expandScopes(sc)
	} else {
		ar.scopes = slices.Clone(app.Scopes)
	}
	switch igs := q.Get("include_granted_scopes"); igs {
	case "", "user", "team":
		ar.includeGrantedScopes = igs
	default:
		return nil, "invalid_request", "include_granted_scopes must be user or team."
	}
	ar.challenge = q.Get("code_challenge")
	ar.method = q.Get("code_challenge_method")
	if ar.challenge != "" {
		if ar.method == "" {
			ar.method = "plain"
		}
		if ar.method != "S256" && ar.method != "plain" {
			return nil, "invalid_request", "code_challenge_method must be S256 or plain."
		}
		if l := len(ar.challenge); l < 43 || l > 128 {
			return nil, "invalid_request", "code_challenge must be 43 to 128 characters."
		}
	}
	ar.forceReapprove = q.Get("force_reapprove") == "true"
	return ar, "", ""
}

// teamScopePrefixes are the prefixes of the Business API's scopes, those
// of team routes and of acting for a team's members.
var teamScopePrefixes = []string{"team_info.", "team_data.", "members.", "groups.", "sessions.", "events."}

// teamScope reports whether sc is a team scope.
func teamScope(sc string) bool {
	for _, p := range teamScopePrefixes {
		if strings.HasPrefix(sc, p) {
			return true
		}
	}
	return false
}

// teamGrant reports whether ar asks for a team token: a team-linked app
// asking for at least one team scope. Dropbox gives a team-linked app a
// user token when it asks for user scopes only.
func (ar *authorizeRequest) teamGrant() bool {
	return ar.app.TeamLinked && slices.ContainsFunc(ar.scopes, teamScope)
}

// consentAccount is an account offered on the consent page.
type consentAccount struct {
	ID, DisplayName, Email, AccountType string
	// Note says more of the account: its team and role, for a team grant.
	Note string
}

// mayLinkTeam returns the team that a may link a team-linked app to: a's
// team when a is an active team admin (AdminTier team_admin), else nil.
// The caller holds s.mu.
func (s *Server) mayLinkTeam(a *Account) *Team {
	if a == nil || a.Disabled || !s.isTeamAdmin(a) {
		return nil
	}
	return s.teams[a.TeamID]
}

// consentAccounts returns the accounts that may consent to ar, by email:
// every account, or for a team grant the active team admins. It takes s.mu.
func (s *Server) consentAccounts(ar *authorizeRequest) []consentAccount {
	team := ar.teamGrant()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []consentAccount
	for _, a := range sortedValues(s.accounts, func(a, b *Account) int { return strings.Compare(a.Email, b.Email) }) {
		ca := consentAccount{ID: a.ID, DisplayName: a.DisplayName, Email: a.Email, AccountType: a.AccountType}
		if team {
			tm := s.mayLinkTeam(a)
			if tm == nil {
				continue
			}
			ca.Note = "team admin of " + tm.Name
		}
		out = append(out, ca)
	}
	return out
}

var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dropbox emulator: authorize {{.App}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1e1919}
h1{font-size:1.4rem}button{font:inherit;padding:.5rem 1rem;margin:.25rem 0;cursor:pointer}
.acct{display:block;width:100%;text-align:left}fieldset{border:1px solid #ccc;padding:1rem;margin:1rem 0}
input{font:inherit;padding:.3rem;width:95%}.scopes{font-size:.9rem;color:#555}</style></head>
<body>{{if .Team}}<h1>{{.App}} would like to access your team's Dropbox</h1>
<p>This app links to a whole Dropbox team: a team admin must allow it, for the team.</p>
{{else}}<h1>{{.App}} would like to access your Dropbox</h1>{{end}}
<p class="scopes">Scopes: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
{{if .Error}}<p role="alert"><strong>{{.Error}}</strong></p>{{end}}
<form method="post" action="/oauth2/authorize/decide">
{{range $k, $v := .Query}}{{range $v}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
{{if .Accounts}}<fieldset><legend>Continue as</legend>
{{range .Accounts}}<button class="acct" type="submit" name="account_id" value="{{.ID}}">{{.DisplayName}} &lt;{{.Email}}&gt; ({{.AccountType}}{{if .Note}}, {{.Note}}{{end}})</button>
{{end}}</fieldset>{{else if .Team}}<p role="alert">No account here is a team admin: only the admin of a Dropbox team can allow this app.</p>{{end}}
{{if not .Team}}<fieldset><legend>Or create an account</legend>
<label>Email <input type="email" name="email"></label><br>
<label>Name <input type="text" name="display_name"></label><br>
<label>Plan <select name="account_type"><option>basic</option><option>pro</option><option>business</option></select></label><br>
<button type="submit" name="decision" value="create">Create and allow</button></fieldset>{{end}}
<button type="submit" name="decision" value="deny">Cancel</button>
</form></body></html>`))

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dropbox emulator</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Code}}<p>Enter this code into your app: <code id="code">{{.Code}}</code></p>{{end}}
{{if .Back}}<p><a href="{{.Back}}">Back to the consent page</a></p>{{end}}</body></html>`))

func showMessage(w http.ResponseWriter, status int, title, msg, code string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	messagePage.Execute(w, map[string]string{"Title": title, "Message": msg, "Code": code})
}

// refuseTeamConsent answers the consent form of a team grant submitted by
// someone who may not give it: a page that says why (who ..., such as
// "ann@example.com is not a team admin"), with a way back to the consent
// page of the same request q.
func refuseTeamConsent(w http.ResponseWriter, ar *authorizeRequest, q url.Values, why string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(http.StatusForbidden)
	messagePage.Execute(w, map[string]string{"Title": "A team admin must allow this app",
		"Message": ar.app.Key + " links to a whole Dropbox team, so only an admin of the team can allow it, and " + why +
			". Continue as a team admin, or ask one to connect the app.",
		"Back": "/oauth2/authorize?" + q.Encode()})
}

func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		showMessage(w, http.StatusMethodNotAllowed, "Method not allowed", "Open this page with GET.", "")
		return
	}
	s.renderAuthorize(w, r, r.URL.Query(), "")
}

func (s *Server) renderAuthorize(w http.ResponseWriter, r *http.Request, q url.Values, problem string) {
	ar, code, msg := s.parseAuthorize(q)
	if ar == nil {
		s.authorizeFailed(w, r, q, code, msg)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	authorizePage.Execute(w, map[string]any{"App": ar.app.Key, "Scopes": ar.scopes, "Accounts": s.consentAccounts(ar),
		"Team": ar.teamGrant(), "Query": q, "Error": problem})
}

// authorizeFailed reports a bad authorize request: to the redirect URI when
// that is trustworthy, else on a page.
func (s *Server) authorizeFailed(w http.ResponseWriter, r *http.Request, q url.Values, code, msg string) {
	if code == "" {
		showMessage(w, http.StatusBadRequest, "Invalid authorization request", msg, "")
		return
	}
	redirectWith(w, r, q.Get("redirect_uri"), url.Values{"error": {code}, "error_description": {msg}, "state": {q.Get("state")}})
}

func redirectWith(w http.ResponseWriter, r *http.Request, to string, params url.Values) {
	if to == "" {
		showMessage(w, http.StatusBadRequest, "Authorization failed", params.Get("error")+": "+params.Get("error_description"), "")
		return
	}
	u, err := url.Parse(to)
	if err != nil {
		showMessage(w, http.StatusBadRequest, "Authorization failed", "The redirect URI is not a URL.", "")
		return
	}
	q := u.Query()
	for k, v := range params {
		if len(v) > 0 && v[0] != "" {
			q[k] = v
		}
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// serveAuthorizeDecide takes the consent form: account_id picks an account,
// decision=create with email makes one, decision=deny refuses. A team
// grant (authorizeRequest.teamGrant) takes a team admin's account only, and
// its code is for a team token of the admin's team.
func (s *Server) serveAuthorizeDecide(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		showMessage(w, http.StatusMethodNotAllowed, "Method not allowed", "Submit the consent form with POST.", "")
		return
	}
	if err := r.ParseForm(); err != nil {
		showMessage(w, http.StatusBadRequest, "Invalid form", err.Error(), "")
		return
	}
	q := url.Values{}
	for k, v := range r.PostForm {
		switch k {
		case "account_id", "decision", "email", "display_name", "account_type":
		default:
			q[k] = v
		}
	}
	ar, code, msg := s.parseAuthorize(q)
	if ar == nil {
		s.authorizeFailed(w, r, q, code, msg)
		return
	}
	if r.PostForm.Get("decision") == "deny" {
		redirectWith(w, r, ar.redirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The user chose not to give your app access to their Dropbox account."}, "state": {ar.state}})
		return
	}
	team := ar.teamGrant()
	s.mu.Lock()
	var acct *Account
	var tm *Team
	if id := r.PostForm.Get("account_id"); id != "" {
		acct = s.accounts[id]
		if acct == nil {
			s.mu.Unlock()
			s.renderAuthorize(w, r, q, "That account no longer exists.")
			return
		}
		if team {
			if tm = s.mayLinkTeam(acct); tm == nil {
				why := acct.Email + " is not a team admin"
				if acct.Disabled {
					why = acct.Email + " is suspended"
				}
				s.mu.Unlock()
				refuseTeamConsent(w, ar, q, why)
				return
			}
		}
	} else if team {
		s.mu.Unlock()
		refuseTeamConsent(w, ar, q, "a new account is not a team admin")
		return
	} else {
		var err error
		acct, err = s.createAccount(createAccountArg{Email: r.PostForm.Get("email"),
			DisplayName: r.PostForm.Get("display_name"), AccountType: r.PostForm.Get("account_type")})
		if err != nil {
			s.mu.Unlock()
			s.renderAuthorize(w, r, q, "Could not create the account: "+err.Error())
			return
		}
	}
	scopes := ar.scopes
	switch {
	case team && ar.includeGrantedScopes == "team":
		scopes = s.grantedScopes(ar.app, func(t *Token) bool { return t.TeamID == tm.ID }, scopes)
	case !team && ar.includeGrantedScopes == "user":
		scopes = s.grantedScopes(ar.app, func(t *Token) bool { return t.AccountID == acct.ID }, scopes)
	}
	scopes = tokenScopes(acct, scopes)
	ac := &AuthCode{Code: randomString(32), AppKey: ar.app.Key, AccountID: acct.ID, RedirectURI: ar.redirectURI,
		Scopes: scopes, Challenge: ar.challenge, ChallengeMethod: ar.method, Offline: ar.offline,
		ExpiresAt: s.clock.Now().Add(10 * time.Minute)}
	if tm != nil {
		ac.TeamID = tm.ID
	}
	var t tx
	t.put(tblCode, ac.Code, ac)
	err := s.commit(&t)
	if err == nil {
		s.codes[ac.Code] = ac
	}
	s.mu.Unlock()
	if err != nil {
		showMessage(w, http.StatusInternalServerError, "Internal error", err.Error(), "")
		return
	}
	if ar.redirectURI == "" {
		what := "your Dropbox"
		if tm != nil {
			what = "the Dropbox team " + tm.Name
		}
		showMessage(w, http.StatusOK, "Authorized", "You allowed "+ar.app.Key+" to access "+what+".", ac.Code)
		return
	}
	redirectWith(w, r, ar.redirectURI, url.Values{"code": {ac.Code}, "state": {ar.state}})
}

func oauthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// serveToken is the token endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, "invalid_request", "Use POST.")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", "Could not parse the form body.")
		return
	}
	f := r.PostForm
	for k, v := range r.URL.Query() { // Dropbox accepts parameters in the query too
		if _, ok := f[k]; !ok {
			f[k] = v
		}
	}
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: Basic credentials are form-urlencoded first.
		u, p = formUnescape(u), formUnescape(p)
		if (clientID != "" && clientID != u) || (secret != "" && secret != p) {
			oauthError(w, "invalid_request", "Client credentials were given both in the Authorization header and in the body, and they differ.")
			return
		}
		clientID, secret = u, p
	}
	if clientID == "" {
		oauthError(w, "invalid_request", "No client_id given: send it in the body or with HTTP Basic authentication.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.apps[clientID]
	if app == nil {
		oauthError(w, "invalid_client", "Invalid client_id or client_secret.")
		return
	}
	secretOK := secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(app.Secret)) == 1
	if secret != "" && !secretOK {
		oauthError(w, "invalid_client", "Invalid client_id or client_secret.")
		return
	}
	now := s.clock.Now()
	switch f.Get("grant_type") {
	case "authorization_code":
		if f.Get("code") == "" {
			oauthError(w, "invalid_request", "No auth code provided: the code parameter is required.")
			return
		}
		code := s.codes[f.Get("code")]
		if code == nil || code.AppKey != app.Key || !now.Before(code.ExpiresAt) {
			oauthError(w, "invalid_grant", "code doesn't exist or has expired")
			return
		}
		if code.RedirectURI != f.Get("redirect_uri") {
			oauthError(w, "invalid_grant", "redirect_uri mismatch")
			return
		}
		if code.Challenge != "" {
			v := f.Get("code_verifier")
			if v == "" {
				oauthError(w, "invalid_grant", "code_verifier is required for a code requested with code_challenge")
				return
			}
			want := v
			if code.ChallengeMethod == "S256" {
				sum := sha256.Sum256([]byte(v))
				want = base64.RawURLEncoding.EncodeToString(sum[:])
			}
			if subtle.ConstantTimeCompare([]byte(want), []byte(code.Challenge)) != 1 {
				oauthError(w, "invalid_grant", "invalid code verifier")
				return
			}
		} else if !secretOK {
			oauthError(w, "invalid_client", "client_secret is required without PKCE")
			return
		}
		acct := s.accounts[code.AccountID]
		if acct == nil {
			oauthError(w, "invalid_grant", "the account of this code no longer exists")
			return
		}
		// Whom the tokens act for: the account, or for a team grant the
		// team, remembering the admin who authorized it.
		owner := Token{AccountID: acct.ID}
		if code.TeamID != "" {
			tm := s.mayLinkTeam(acct)
			if tm == nil || tm.ID != code.TeamID {
				oauthError(w, "invalid_grant", "the account that authorized this code is no longer an admin of its team")
				return
			}
			owner = Token{TeamID: tm.ID, Admin: acct.TeamMemberID}
		}
		var t tx
		t.del(tblCode, code.Code) // a code is good for one exchange
		access := &Token{Token: newAccessToken(), Kind: "access", AccountID: owner.AccountID, TeamID: owner.TeamID,
			Admin: owner.Admin, AppKey: app.Key, Scopes: code.Scopes, ExpiresAt: now.Add(s.opts.TokenLifetime)}
		// A team token's answer names the team instead of an account; uid
		// is still there (Dropbox's SDKs read it), the admin's.
		resp := map[string]any{"access_token": access.Token, "token_type": "bearer",
			"expires_in": int(s.opts.TokenLifetime.Seconds()), "scope": strings.Join(code.Scopes, " "),
			"uid": strconv.FormatUint(acct.UID, 10)}
		if owner.TeamID != "" {
			resp["team_id"] = owner.TeamID
		} else {
			resp["account_id"] = acct.ID
		}
		var refresh *Token
		if code.Offline {
			refresh = &Token{Token: newRefreshToken(), Kind: "refresh", AccountID: owner.AccountID, TeamID: owner.TeamID,
				Admin: owner.Admin, AppKey: app.Key, Scopes: code.Scopes}
			refresh.Public = code.Challenge != "" // a PKCE client refreshes without its secret
			access.RefreshToken = refresh.Token
			t.put(tblToken, refresh.Token, refresh)
			resp["refresh_token"] = refresh.Token
		}
		t.put(tblToken, access.Token, access)
		// A user's link of the app; a team's is its tokens.
		newGrant := owner.TeamID == "" && !s.grants[app.Key][acct.ID]
		if newGrant {
			t.put(tblGrant, app.Key+"\x00"+acct.ID, true)
		}
		if err := s.commit(&t); err != nil {
			oauthError(w, "server_error", "could not store the token")
			return
		}
		delete(s.codes, code.Code)
		s.tokens[access.Token] = access
		if refresh != nil {
			s.tokens[refresh.Token] = refresh
		}
		if newGrant {
			s.grant(app.Key, acct.ID)
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, resp)
	case "refresh_token":
		if f.Get("refresh_token") == "" {
			oauthError(w, "invalid_request", "No refresh token provided: the refresh_token parameter is required.")
			return
		}
		rt := s.tokens[f.Get("refresh_token")]
		if rt == nil || rt.Kind != "refresh" || rt.AppKey != app.Key {
			oauthError(w, "invalid_grant", "refresh token is invalid or revoked")
			return
		}
		if !secretOK && !rt.Public {
			oauthError(w, "invalid_client", "client_secret is required to refresh a token not obtained with PKCE")
			return
		}
		scopes := rt.Scopes
		sc := strings.Fields(f.Get("scope"))
		if len(sc) > 0 {
			for _, x := range sc {
				if !slices.Contains(rt.Scopes, x) {
					oauthError(w, "invalid_scope", "scope "+strconv.Quote(x)+" was not granted to this refresh token")
					return
				}
			}
			slices.Sort(sc)
			scopes = slices.Compact(sc)
		}
		access := &Token{Token: newAccessToken(), Kind: "access", AccountID: rt.AccountID, TeamID: rt.TeamID,
			Admin: rt.Admin, AppKey: app.Key, Scopes: scopes, ExpiresAt: now.Add(s.opts.TokenLifetime), RefreshToken: rt.Token}
		var t tx
		t.put(tblToken, access.Token, access)
		if err := s.commit(&t); err != nil {
			oauthError(w, "server_error", "could not store the token")
			return
		}
		s.tokens[access.Token] = access
		// Refresh tokens are not rotated: the answer carries none. A narrowed
		// scope is echoed so the client knows what the new token may do.
		resp := map[string]any{"access_token": access.Token, "token_type": "bearer",
			"expires_in": int(s.opts.TokenLifetime.Seconds())}
		if len(sc) > 0 {
			resp["scope"] = strings.Join(scopes, " ")
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, resp)
	case "":
		oauthError(w, "invalid_request", "grant_type is required")
	default:
		oauthError(w, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

// grantedScopes adds to scopes those the account or team has already
// granted the app, as include_granted_scopes=user or team asks: the scopes
// of its live tokens for the app (those of tokens mine accepts), within the
// app's own. The caller holds s.mu.
func (s *Server) grantedScopes(app *App, mine func(*Token) bool, scopes []string) []string {
	out := slices.Clone(scopes)
	for _, t := range s.tokens {
		if t.AppKey != app.Key || !mine(t) {
			continue
		}
		for _, sc := range t.Scopes {
			if slices.Contains(app.Scopes, sc) {
				out = append(out, sc)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// formUnescape undoes the form-urlencoding of an HTTP Basic credential;
// a value that is not validly encoded is taken as it is.
func formUnescape(v string) string {
	if u, err := url.QueryUnescape(v); err == nil {
		return u
	}
	return v
}

// revokeToken removes tok, and when it came from a refresh token that refresh
// token and every access token minted from it. The caller holds s.mu.
func (s *Server) revokeToken(t *tx, tok *Token) {
	root := tok.RefreshToken
	if tok.Kind == "refresh" {
		root = tok.Token
	}
	for k, other := range s.tokens {
		if other == tok || (root != "" && (other.Token == root || other.RefreshToken == root)) {
			delete(s.tokens, k)
			t.del(tblToken, k)
		}
	}
}
