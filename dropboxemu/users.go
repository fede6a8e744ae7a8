package dropboxemu

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

func init() {
	register("users/get_current_account", (*Server).getCurrentAccount)
	register("users/get_space_usage", (*Server).getSpaceUsage)
	register("users/get_account", (*Server).getAccount)
	register("users/get_account_batch", (*Server).getAccountBatch)
	register("users/features/get_values", (*Server).featuresGetValues)
	register("check/user", (*Server).checkUser)
	register("check/app", (*Server).checkApp)
	register("auth/token/revoke", (*Server).tokenRevoke)
}

// nameOf splits a display name into the spec's Name.
func nameOf(a *Account) map[string]any {
	given, surname, _ := strings.Cut(a.DisplayName, " ")
	abbr := ""
	for _, w := range strings.Fields(a.DisplayName) {
		abbr += strings.ToUpper(string([]rune(w)[:1]))
	}
	return map[string]any{"given_name": given, "surname": surname, "familiar_name": given,
		"display_name": a.DisplayName, "abbreviated_name": abbr}
}

func (s *Server) getCurrentAccount(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := c.acct
	res := map[string]any{
		"account_id": a.ID, "name": nameOf(a), "email": a.Email, "email_verified": true, "disabled": a.Disabled,
		"locale": a.Locale, "referral_link": "https://db.tt/emulator", "is_paired": false,
		"account_type": u(a.AccountType),
		"root_info":    rootInfo(a),
	}
	if a.Country != "" {
		res["country"] = a.Country
	}
	return res, nil
}

// rootInfo renders the RootInfo of a: UserRootInfo when the account's root is
// its home, TeamRootInfo (with the home folder's path under the team root)
// when it lives in a team space.
func rootInfo(a *Account) map[string]any {
	if a.RootNS == a.HomeNS {
		return map[string]any{".tag": "user", "root_namespace_id": a.RootNS, "home_namespace_id": a.HomeNS}
	}
	return map[string]any{".tag": "team", "root_namespace_id": a.RootNS, "home_namespace_id": a.HomeNS,
		"home_path": "/" + a.DisplayName}
}

func (s *Server) getSpaceUsage(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return map[string]any{"used": s.usage(c.acct),
		"allocation": uf("individual", map[string]any{"allocated": c.acct.Quota})}, nil
}

// basicAccount renders a as BasicAccount seen by viewer. The spec makes
// is_teammate true for the viewer's own account.
func basicAccount(a, viewer *Account) map[string]any {
	m := map[string]any{"account_id": a.ID, "name": nameOf(a), "email": a.Email, "email_verified": true,
		"disabled": a.Disabled, "is_teammate": a.ID == viewer.ID || (viewer.TeamID != "" && a.TeamID == viewer.TeamID)}
	if m["is_teammate"] == true && a.TeamMemberID != "" {
		m["team_member_id"] = a.TeamMemberID
	}
	return m
}

func (s *Server) getAccount(c *call) (any, error) {
	var arg struct {
		AccountID string `json:"account_id"`
	}
	if err := c.decode(&arg, "account_id"); err != nil {
		return nil, err
	}
	if msg := accountIDProblem(arg.AccountID); msg != "" {
		return nil, c.badArg("account_id: %s", msg)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.accounts[arg.AccountID]
	if a == nil {
		return nil, routeError(u("no_account"))
	}
	return basicAccount(a, c.acct), nil
}

func (s *Server) getAccountBatch(c *call) (any, error) {
	var arg struct {
		AccountIDs []string `json:"account_ids"`
	}
	if err := c.decode(&arg, "account_ids"); err != nil {
		return nil, err
	}
	if len(arg.AccountIDs) == 0 {
		return nil, c.badArg("account_ids: [] has fewer than 1 items")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]any, 0, len(arg.AccountIDs))
	for _, id := range arg.AccountIDs {
		if msg := accountIDProblem(id); msg != "" {
			return nil, c.badArg("account_ids: %s", msg)
		}
		a := s.accounts[id]
		if a == nil {
			return nil, routeError(uv("no_account", id))
		}
		out = append(out, basicAccount(a, c.acct))
	}
	return out, nil
}

// accountIDProblem checks an AccountId (String(min_length=40,
// max_length=40)) and says what is wrong, in Stone's words.
func accountIDProblem(id string) string {
	n := utf8.RuneCountInString(id)
	switch {
	case n > 40:
		return fmt.Sprintf("'%s' must be at most 40 characters, got %d", id, n)
	case n < 40:
		return fmt.Sprintf("'%s' must be at least 40 characters, got %d", id, n)
	}
	return ""
}

func (s *Server) featuresGetValues(c *call) (any, error) {
	var arg struct {
		Features []Tag `json:"features"`
	}
	if err := c.decode(&arg, "features"); err != nil {
		return nil, err
	}
	if len(arg.Features) == 0 {
		return nil, routeError(u("empty_features_list"))
	}
	out := make([]any, 0, len(arg.Features))
	for _, f := range arg.Features {
		switch f.Name {
		// Every *Value union has the single member "enabled" (users.stone).
		case "paper_as_files":
			out = append(out, uv("paper_as_files", uv("enabled", true)))
		case "file_locking":
			out = append(out, uv("file_locking", uv("enabled", false)))
		case "team_shared_dropbox":
			out = append(out, uv("team_shared_dropbox", uv("enabled", c.acct.RootNS != c.acct.HomeNS)))
		case "distinct_member_home":
			out = append(out, uv("distinct_member_home", uv("enabled", c.acct.RootNS != c.acct.HomeNS)))
		default:
			return nil, c.badArg("features: unknown tag '%s'", f.Name)
		}
	}
	return map[string]any{"values": out}, nil
}

type echoArg struct {
	Query string `json:"query,omitempty"`
}

func (s *Server) checkUser(c *call) (any, error) {
	var arg echoArg
	if err := c.decode(&arg); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(arg.Query); n > 500 {
		return nil, c.badArg("query: '%.40s' must be at most 500 characters, got %d", arg.Query, n)
	}
	return map[string]string{"result": arg.Query}, nil
}

func (s *Server) checkApp(c *call) (any, error) {
	return s.checkUser(c)
}

func (s *Server) tokenRevoke(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t tx
	s.revokeToken(&t, c.tok)
	if err := s.commit(&t); err != nil {
		return nil, err
	}
	return nil, nil
}
