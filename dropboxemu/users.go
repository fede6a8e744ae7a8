package dropboxemu

import (
	"strings"
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

// accountName is the spec's Name.
type accountName struct {
	GivenName       string `json:"given_name"`
	Surname         string `json:"surname"`
	FamiliarName    string `json:"familiar_name"`
	DisplayName     string `json:"display_name"`
	AbbreviatedName string `json:"abbreviated_name"`
}

// The result structs below write their fields in the spec's order (parent
// struct fields first), as Dropbox does; maps would come out sorted.

// fullAccount is the spec's FullAccount.
type fullAccount struct {
	AccountID     string         `json:"account_id"`
	Name          accountName    `json:"name"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Disabled      bool           `json:"disabled"`
	Country       string         `json:"country,omitempty"`
	Locale        string         `json:"locale"`
	ReferralLink  string         `json:"referral_link"`
	Team          *fullTeam      `json:"team,omitempty"`
	TeamMemberID  string         `json:"team_member_id,omitempty"`
	IsPaired      bool           `json:"is_paired"`
	AccountType   map[string]any `json:"account_type"`
	RootInfo      rootInfo       `json:"root_info"`
}

// rootInfo is the spec's RootInfo: UserRootInfo or TeamRootInfo.
type rootInfo struct {
	Tag             string `json:".tag"`
	RootNamespaceID string `json:"root_namespace_id"`
	HomeNamespaceID string `json:"home_namespace_id"`
	HomePath        string `json:"home_path,omitempty"`
}

// basicAccount is the spec's BasicAccount.
type basicAccount struct {
	AccountID     string      `json:"account_id"`
	Name          accountName `json:"name"`
	Email         string      `json:"email"`
	EmailVerified bool        `json:"email_verified"`
	Disabled      bool        `json:"disabled"`
	IsTeammate    bool        `json:"is_teammate"`
	TeamMemberID  string      `json:"team_member_id,omitempty"`
}

// spaceUsage is the spec's SpaceUsage.
type spaceUsage struct {
	Used       int64 `json:"used"`
	Allocation any   `json:"allocation"` // IndividualSpaceAllocation or teamSpaceAllocation
}

// teamSpaceAllocation is SpaceAllocation.team, in the field order of
// TeamSpaceAllocation.
type teamSpaceAllocation struct {
	Tag            string         `json:".tag"`
	Used           int64          `json:"used"`
	Allocated      int64          `json:"allocated"`
	UserAllocated  int64          `json:"user_within_team_space_allocated"` // 0: no limit on the member
	UserLimitType  map[string]any `json:"user_within_team_space_limit_type"`
	UserUsedCached int64          `json:"user_within_team_space_used_cached"`
}

// nameOf splits a display name into the spec's Name.
func nameOf(a *Account) accountName {
	given, surname, _ := strings.Cut(a.DisplayName, " ")
	abbr := ""
	for _, w := range strings.Fields(a.DisplayName) {
		abbr += strings.ToUpper(string([]rune(w)[:1]))
	}
	return accountName{GivenName: given, Surname: surname, FamiliarName: given,
		DisplayName: a.DisplayName, AbbreviatedName: abbr}
}

func (s *Server) getCurrentAccount(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := c.acct
	fa := fullAccount{AccountID: a.ID, Name: nameOf(a), Email: a.Email, EmailVerified: true, Disabled: a.Disabled,
		Country: a.Country, Locale: a.Locale, ReferralLink: "https://db.tt/emulator", IsPaired: false,
		AccountType: u(a.AccountType), RootInfo: s.rootInfoOf(a)}
	if tm, m := s.teamOf(a); m != nil {
		fa.Team, fa.TeamMemberID = fullTeamOf(tm), m.MemberID
	}
	return fa, nil
}

// rootInfoOf renders the RootInfo of a: UserRootInfo when the account's root is
// its home, TeamRootInfo (with the home folder's path under the team root)
// when it lives in a team space. The home path is where the member folder
// is mounted, "/Name (1)" when the name was taken. The caller holds s.mu.
func (s *Server) rootInfoOf(a *Account) rootInfo {
	if a.RootNS == a.HomeNS {
		return rootInfo{Tag: "user", RootNamespaceID: a.RootNS, HomeNamespaceID: a.HomeNS}
	}
	home := "/" + a.DisplayName
	if root := s.namespaces[a.RootNS]; root != nil {
		if m := mountOf(root, a.HomeNS); m != nil {
			home = m.PathDisplay
		}
	}
	return rootInfo{Tag: "team", RootNamespaceID: a.RootNS, HomeNamespaceID: a.HomeNS, HomePath: home}
}

func (s *Server) getSpaceUsage(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	used := s.usage(c.acct)
	if tm, m := s.teamOf(c.acct); m != nil {
		// TeamSpaceAllocation: the team's space, no limit on the member.
		return spaceUsage{Used: used, Allocation: teamSpaceAllocation{Tag: "team", Used: s.teamUsage(tm),
			Allocated: tm.Quota, UserLimitType: u("off"), UserUsedCached: used}}, nil
	}
	return spaceUsage{Used: used, Allocation: uf("individual", map[string]any{"allocated": c.acct.Quota})}, nil
}

// basicAccountOf renders a as BasicAccount seen by viewer. The spec makes
// is_teammate true for the viewer's own account.
func basicAccountOf(a, viewer *Account) basicAccount {
	b := basicAccount{AccountID: a.ID, Name: nameOf(a), Email: a.Email, EmailVerified: true,
		Disabled: a.Disabled, IsTeammate: a.ID == viewer.ID || (viewer.TeamID != "" && a.TeamID == viewer.TeamID)}
	if b.IsTeammate {
		b.TeamMemberID = a.TeamMemberID
	}
	return b
}

func (s *Server) getAccount(c *call) (any, error) {
	var arg struct {
		AccountID string `json:"account_id"`
	}
	if err := c.decode(&arg, "account_id"); err != nil {
		return nil, err
	}
	if err := c.checkAccountID("account_id", arg.AccountID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.accounts[arg.AccountID]
	if a == nil {
		return nil, routeError(u("no_account"))
	}
	return basicAccountOf(a, c.acct), nil
}

func (s *Server) getAccountBatch(c *call) (any, error) {
	var arg struct {
		AccountIDs []string `json:"account_ids"`
	}
	if err := c.decode(&arg, "account_ids"); err != nil {
		return nil, err
	}
	if err := c.checkList("account_ids", len(arg.AccountIDs), 1, 0, pyStrings(arg.AccountIDs)); err != nil {
		return nil, err
	}
	// Every id is checked before any is looked up: a 400 comes before a 409.
	for _, id := range arg.AccountIDs {
		if err := c.checkAccountID("account_ids", id); err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]any, 0, len(arg.AccountIDs))
	for _, id := range arg.AccountIDs {
		a := s.accounts[id]
		if a == nil {
			return nil, routeError(uv("no_account", id))
		}
		out = append(out, basicAccountOf(a, c.acct))
	}
	return out, nil
}

// checkAccountID checks an AccountId: String(min_length=40, max_length=40).
func (c *call) checkAccountID(field, id string) error {
	return c.checkString(field, id, 40, 40, "", nil)
}

func (s *Server) featuresGetValues(c *call) (any, error) {
	var arg struct {
		Features []Tag `json:"features" union:"paper_as_files file_locking team_shared_dropbox distinct_member_home"`
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
	if err := c.checkString("query", arg.Query, 0, 500, "", nil); err != nil {
		return nil, err
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
