package dropboxemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The admin API under /_emulator/, for tests and tools. JSON in and out;
// errors are {"error": "..."} with a 4xx status.

func adminError(w http.ResponseWriter, status int, format string, args ...any) {
	// Encoded without HTML escaping, so that "<" and ">" stay readable.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// decodeAdmin decodes the JSON body of an admin request into v, refusing
// unknown fields. It reports whether it did; when not, it has answered 400.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		adminError(w, http.StatusBadRequest, "bad JSON body: %v", err)
		return false
	}
	return true
}

// adminCommit commits t for an admin request. It reports whether it did;
// when not, it has answered 500. The caller holds s.mu.
func (s *Server) adminCommit(w http.ResponseWriter, t *tx) bool {
	if err := s.commit(t); err != nil {
		adminError(w, http.StatusInternalServerError, "%v", err)
		return false
	}
	return true
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_emulator/")
	switch {
	case path == "apps" && r.Method == http.MethodPost:
		s.adminCreateApp(w, r)
	case path == "apps" && r.Method == http.MethodGet:
		s.mu.RLock()
		apps := sortedValues(s.apps, func(a, b *App) int { return strings.Compare(a.Key, b.Key) })
		s.mu.RUnlock()
		writeJSON(w, http.StatusOK, map[string]any{"apps": apps})
	case path == "accounts" && r.Method == http.MethodPost:
		s.adminCreateAccount(w, r)
	case path == "accounts" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"accounts": s.accountsByEmail()})
	case path == "tokens" && r.Method == http.MethodPost:
		s.adminCreateToken(w, r)
	case path == "teams" && r.Method == http.MethodPost:
		s.adminCreateTeam(w, r)
	case path == "teams" && r.Method == http.MethodGet:
		s.adminListTeams(w)
	case path == "faults" && r.Method == http.MethodPost:
		var f fault
		if !decodeAdmin(w, r, &f) {
			return
		}
		f.Hits = 0
		if msg := f.valid(); msg != "" {
			adminError(w, http.StatusBadRequest, "%s", msg)
			return
		}
		s.faults.add(&f)
		writeJSON(w, http.StatusOK, f)
	case path == "faults" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.list()})
	case path == "faults" && r.Method == http.MethodDelete:
		s.faults.clear()
		writeJSON(w, http.StatusOK, map[string]any{})
	case path == "clock" && r.Method == http.MethodPost:
		var arg struct {
			AdvanceSeconds float64 `json:"advance_seconds"`
		}
		if !decodeAdmin(w, r, &arg) {
			return
		}
		if arg.AdvanceSeconds < 0 {
			adminError(w, http.StatusBadRequest, "advance_seconds must be >= 0: the clock does not go back")
			return
		}
		if arg.AdvanceSeconds > 100*365*24*3600 {
			adminError(w, http.StatusBadRequest, "advance_seconds must be at most a century")
			return
		}
		// Persist the new offset first, so that a disk-backed emulator keeps
		// its time across restarts (expiries, server_modified).
		s.mu.Lock()
		d := time.Duration(arg.AdvanceSeconds * float64(time.Second))
		var t tx
		t.put(tblMeta, "clock", map[string]int64{"offset_ns": int64(s.clock.Offset() + d)})
		if !s.adminCommit(w, &t) {
			s.mu.Unlock()
			return
		}
		s.clock.Advance(d)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"now": s.clock.Now().Format(time.RFC3339)})
	case path == "clock" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"now": s.clock.Now().Format(time.RFC3339)})
	case path == "webhooks" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"deliveries": s.webhooks.list()})
	case path == "stats" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"routes": s.stats.snapshot()})
	case path == "cursors/reset" && r.Method == http.MethodPost:
		s.adminResetCursors(w, r)
	default:
		adminError(w, http.StatusNotFound, "no admin endpoint %s %s", r.Method, r.URL.Path)
	}
}

type createAppArg struct {
	AppKey       string   `json:"app_key"`
	AppSecret    string   `json:"app_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	WebhookURI   string   `json:"webhook_uri"`
	Scopes       []string `json:"scopes"`
	// TeamLinked makes a team-linked app (a Dropbox Business API app):
	// a team admin authorizes it, and it gets team tokens (App).
	TeamLinked bool `json:"team_linked"`
}

func (s *Server) adminCreateApp(w http.ResponseWriter, r *http.Request) {
	var arg createAppArg
	if !decodeAdmin(w, r, &arg) {
		return
	}
	if arg.AppKey == "" || arg.AppSecret == "" {
		adminError(w, http.StatusBadRequest, "app_key and app_secret are required")
		return
	}
	for _, u := range arg.RedirectURIs {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			adminError(w, http.StatusBadRequest, "redirect_uris must be absolute http or https URLs: %q", u)
			return
		}
	}
	scopes := arg.Scopes
	if len(scopes) == 0 {
		scopes = allScopes
	}
	for _, sc := range scopes {
		if !knownScope(sc) {
			adminError(w, http.StatusBadRequest, "unknown scope %q", sc)
			return
		}
	}
	if arg.TeamLinked && !slices.ContainsFunc(scopes, teamScope) {
		adminError(w, http.StatusBadRequest, "a team-linked app needs a team scope (such as team_data.member, members.read or team_info.read): without one it can only get user tokens")
		return
	}
	if arg.WebhookURI != "" {
		if err := s.verifyWebhookURI(arg.WebhookURI); err != nil {
			adminError(w, http.StatusBadRequest, "%v", err)
			return
		}
	}
	app := &App{Key: arg.AppKey, Secret: arg.AppSecret, RedirectURIs: arg.RedirectURIs,
		WebhookURI: arg.WebhookURI, Scopes: expandScopes(scopes), TeamLinked: arg.TeamLinked}
	if app.RedirectURIs == nil {
		app.RedirectURIs = []string{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.apps[app.Key]; old != nil && old.Secret != app.Secret {
		adminError(w, http.StatusConflict, "app %q exists with another secret", app.Key)
		return
	}
	var t tx
	t.put(tblApp, app.Key, app)
	if !s.adminCommit(w, &t) {
		return
	}
	s.apps[app.Key] = app
	writeJSON(w, http.StatusOK, app)
}

type createAccountArg struct {
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	AccountType string `json:"account_type"`
	TeamID      string `json:"team_id"`     // optional: the account joins this team
	Role        string `json:"role"`        // with team_id: an AdminTier member; "": team_admin for the first member, else member_only
	ExternalID  string `json:"external_id"` // with team_id: the member's external id
	AppKey      string `json:"app_key"`     // optional: the account authorises this app
	Locale      string `json:"locale"`
	Country     string `json:"country"`
	Quota       int64  `json:"quota"` // bytes; 0: the plan's (basic 2 GiB, pro 2 TiB, business 5 TiB)
}

// accountResult is what the admin API answers for a created account.
type accountResult struct {
	*Account
	AccessToken string `json:"access_token"`
}

func (s *Server) adminCreateAccount(w http.ResponseWriter, r *http.Request) {
	var arg createAccountArg
	if !decodeAdmin(w, r, &arg) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, err := s.createAccount(arg)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	var t tx
	tok := &Token{Token: newAccessToken(), Kind: "access", AccountID: acct.ID, AppKey: arg.AppKey, Scopes: tokenScopes(acct, slices.Clone(allScopes))}
	t.put(tblToken, tok.Token, tok)
	if !s.adminCommit(w, &t) {
		return
	}
	s.tokens[tok.Token] = tok
	writeJSON(w, http.StatusOK, accountResult{Account: acct, AccessToken: tok.Token})
}

// accountsByEmail returns every account, sorted by email. It takes s.mu.
func (s *Server) accountsByEmail() []*Account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.accounts, func(a, b *Account) int { return strings.Compare(a.Email, b.Email) })
}

// sortedValues returns the values of m sorted by cmp: an empty map gives
// an empty slice, which JSON renders as [].
func sortedValues[K comparable, V any](m map[K]V, cmp func(a, b V) int) []V {
	out := slices.AppendSeq(make([]V, 0, len(m)), maps.Values(m))
	slices.SortFunc(out, cmp)
	return out
}

var errAccountExists = errors.New("an account with this email exists")

// createAccount makes an account with its home namespace; the caller holds s.mu.
func (s *Server) createAccount(arg createAccountArg) (*Account, error) {
	addr, err := mail.ParseAddress(arg.Email)
	if err != nil || addr.Address != arg.Email {
		return nil, fmt.Errorf("email %q is not a valid address", arg.Email)
	}
	if s.byEmail[strings.ToLower(arg.Email)] != nil {
		return nil, errAccountExists
	}
	if arg.DisplayName == "" {
		arg.DisplayName, _, _ = strings.Cut(arg.Email, "@")
	}
	var team *Team
	if arg.TeamID != "" {
		if team = s.teams[arg.TeamID]; team == nil {
			return nil, fmt.Errorf("team %q does not exist", arg.TeamID)
		}
		if arg.AccountType == "" {
			arg.AccountType = "business"
		}
		if arg.AccountType != "business" {
			return nil, fmt.Errorf("a team member's account_type is business, not %q", arg.AccountType)
		}
		if arg.Role, err = checkJoin(team, arg.Role, arg.ExternalID); err != nil {
			return nil, err
		}
	} else if arg.Role != "" || arg.ExternalID != "" {
		return nil, fmt.Errorf("role and external_id need a team_id")
	}
	switch arg.AccountType {
	case "":
		arg.AccountType = "basic"
	case "basic", "pro", "business":
	default:
		return nil, fmt.Errorf("account_type must be basic, pro or business, not %q", arg.AccountType)
	}
	if arg.AppKey != "" && s.apps[arg.AppKey] == nil {
		return nil, fmt.Errorf("app %q does not exist", arg.AppKey)
	}
	if arg.Locale == "" {
		arg.Locale = "en"
	}
	if arg.Country == "" {
		arg.Country = "US"
	}
	quota := map[string]int64{"basic": 2 << 30, "pro": 2 << 40, "business": 5 << 40}[arg.AccountType]
	if team != nil {
		quota = team.Quota // members share the team's space
	}
	if arg.Quota < 0 {
		return nil, fmt.Errorf("quota must be >= 0 bytes")
	}
	if arg.Quota > 0 {
		quota = arg.Quota
	}
	var t tx
	nsID := s.nextNS(&t)
	acct := &Account{ID: newAccountID(), UID: s.nextUID(&t), Email: arg.Email, DisplayName: arg.DisplayName,
		AccountType: arg.AccountType, RootNS: nsID, HomeNS: nsID, Quota: quota,
		Locale: arg.Locale, Country: arg.Country, Created: s.clock.Now()}
	ns := newNamespace(nsID, "home", acct.ID)
	if team != nil {
		// A member's home is its own namespace; its root is the team space.
		s.joinTeam(&t, team, acct, arg.Role, arg.ExternalID)
	}
	t.put(tblNS, ns.ID, ns)
	t.put(tblAccount, acct.ID, acct)
	if arg.AppKey != "" {
		t.put(tblGrant, arg.AppKey+"\x00"+acct.ID, true)
	}
	if err := s.commit(&t); err != nil {
		return nil, err
	}
	s.namespaces[ns.ID] = ns
	s.accounts[acct.ID] = acct
	s.byEmail[strings.ToLower(acct.Email)] = acct
	if arg.AppKey != "" {
		s.grant(arg.AppKey, acct.ID)
	}
	return acct, nil
}

func (s *Server) adminCreateToken(w http.ResponseWriter, r *http.Request) {
	var arg struct {
		AccountID string   `json:"account_id"`
		AppKey    string   `json:"app_key"`
		Scopes    []string `json:"scopes"`
		ExpiresIn int      `json:"expires_in"` // seconds; 0: never
	}
	if !decodeAdmin(w, r, &arg) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accounts[arg.AccountID] == nil {
		adminError(w, http.StatusBadRequest, "account %q does not exist", arg.AccountID)
		return
	}
	if arg.AppKey != "" && s.apps[arg.AppKey] == nil {
		adminError(w, http.StatusBadRequest, "app %q does not exist", arg.AppKey)
		return
	}
	for _, sc := range arg.Scopes {
		if !knownScope(sc) {
			adminError(w, http.StatusBadRequest, "unknown scope %q", sc)
			return
		}
	}
	if arg.Scopes == nil {
		arg.Scopes = slices.Clone(allScopes)
	}
	if arg.ExpiresIn < 0 {
		adminError(w, http.StatusBadRequest, "expires_in must be >= 0")
		return
	}
	arg.Scopes = tokenScopes(s.accounts[arg.AccountID], arg.Scopes)
	tok := &Token{Token: newAccessToken(), Kind: "access", AccountID: arg.AccountID, AppKey: arg.AppKey, Scopes: arg.Scopes}
	if arg.ExpiresIn > 0 {
		tok.ExpiresAt = s.clock.Now().Add(time.Duration(arg.ExpiresIn) * time.Second)
	}
	var t tx
	t.put(tblToken, tok.Token, tok)
	if arg.AppKey != "" {
		t.put(tblGrant, arg.AppKey+"\x00"+arg.AccountID, true)
	}
	if !s.adminCommit(w, &t) {
		return
	}
	s.tokens[tok.Token] = tok
	if arg.AppKey != "" {
		s.grant(arg.AppKey, arg.AccountID)
	}
	res := map[string]any{"access_token": tok.Token, "account_id": tok.AccountID, "scopes": tok.Scopes}
	if !tok.ExpiresAt.IsZero() {
		res["expires_at"] = tok.ExpiresAt.Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, res)
}

// adminResetCursors forgets the change history of an account's namespaces,
// so that every cursor issued before answers 409 reset.
func (s *Server) adminResetCursors(w http.ResponseWriter, r *http.Request) {
	var arg struct {
		AccountID string `json:"account_id"`
	}
	if !decodeAdmin(w, r, &arg) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.accounts[arg.AccountID]
	if acct == nil {
		adminError(w, http.StatusBadRequest, "account %q does not exist", arg.AccountID)
		return
	}
	var t tx
	var touched []*Namespace
	for _, id := range []string{acct.RootNS, acct.HomeNS} {
		ns := s.namespaces[id]
		if ns == nil || slices.Contains(touched, ns) {
			continue
		}
		for _, c := range ns.log {
			t.del(tblChange, changeKey(ns.ID, c.Seq))
		}
		// Skip a sequence number so that even a cursor that is up to date
		// falls before LogStart-1, while cursors made from now on are valid.
		s.ctr.Seq++
		t.put(tblMeta, "counters", s.ctr)
		ns.LogStart = s.ctr.Seq + 1
		t.put(tblNS, ns.ID, ns)
		touched = append(touched, ns)
	}
	if !s.adminCommit(w, &t) {
		return
	}
	for _, ns := range touched {
		ns.log = nil
	}
	s.wake() // waiting long-polls answer reset now
	writeJSON(w, http.StatusOK, map[string]any{})
}
