package dropboxemu

// team/namespaces/list (team.stone): the namespaces a team can reach, by
// namespace id: the team space root and the team folders (namespace_type
// team_folder) and each member's home (team_member_folder, with its
// team_member_id).

import "slices"

func init() {
	register("team/namespaces/list", (*Server).teamNamespacesList)
	register("team/namespaces/list/continue", (*Server).teamNamespacesListContinue)
}

// teamNamespacesPageSize is how many namespaces one page holds: the
// argument's limit "has no effect" (team.stone), so pages are as large as
// it may be.
const teamNamespacesPageSize = teamListLimit

// namespaceMetadata is the spec's NamespaceMetadata.
type namespaceMetadata struct {
	Name          string         `json:"name"`
	NamespaceID   string         `json:"namespace_id"`
	NamespaceType map[string]any `json:"namespace_type"`
	TeamMemberID  string         `json:"team_member_id,omitempty"`
	QuotaLimit    int64          `json:"quota_limit"`
}

// namespaceOf renders ns, a namespace of tm. The caller holds s.mu.
func (s *Server) namespaceOf(tm *Team, ns *Namespace) namespaceMetadata {
	md := namespaceMetadata{NamespaceID: ns.ID, NamespaceType: u("team_folder")}
	switch {
	case ns.ID == tm.RootNS:
		md.Name = tm.Name
	case ns.Kind == "team_folder":
		if f := tm.folder(ns.ID); f != nil {
			md.Name = f.Name
		}
	case ns.Kind == "shared_folder":
		md.NamespaceType = u("shared_folder")
		if sf := s.sharing.folders[ns.ID]; sf != nil {
			md.Name = sf.Name
		}
	default: // a member's home
		md.NamespaceType = u("team_member_folder")
		if a := s.accounts[ns.Owner]; a != nil {
			md.Name, md.TeamMemberID = a.DisplayName, a.TeamMemberID
		}
	}
	return md
}

// teamReachable is what team/namespaces/list lists: the namespaces tm
// owns and, per the route's doc, the "shared folders containing team
// members", by namespace id. The caller holds s.mu.
func (s *Server) teamReachable(tm *Team) []*Namespace {
	all := s.teamNamespaces(tm)
	for _, sf := range s.sharing.folders {
		ns := s.namespaces[sf.ID]
		if ns == nil || ns.Kind != "shared_folder" || !slices.ContainsFunc(sf.Members, func(m *folderMember) bool {
			return m.AccountID != "" && tm.member(m.AccountID) != nil
		}) {
			continue
		}
		all = append(all, ns)
	}
	slices.SortFunc(all, func(a, b *Namespace) int { return compareRevs(a.ID, b.ID) })
	return slices.CompactFunc(all, func(a, b *Namespace) bool { return a.ID == b.ID })
}

// namespacesCursorPrefix starts the cursors of team/namespaces/list.
const namespacesCursorPrefix = "TMN"

// teamNamespacesListResult is the spec's TeamNamespacesListResult.
type teamNamespacesListResult struct {
	Namespaces []namespaceMetadata `json:"namespaces"`
	Cursor     string              `json:"cursor"`
	HasMore    bool                `json:"has_more"`
}

// namespacesPage lists tm's namespaces after cur, a page of
// teamNamespacesPageSize whatever the cursor's limit. The caller holds s.mu.
func (s *Server) namespacesPage(tm *Team, cur *teamCursor) any {
	all := s.teamReachable(tm)
	from, to, more := pageAfter(len(all), func(i int) string { return all[i].ID }, teamNamespacesPageSize, cur)
	res := teamNamespacesListResult{Namespaces: make([]namespaceMetadata, 0, to-from), HasMore: more}
	for _, ns := range all[from:to] {
		res.Namespaces = append(res.Namespaces, s.namespaceOf(tm, ns))
	}
	res.Cursor = encodeCursorToken(namespacesCursorPrefix, cur)
	return res
}

func (s *Server) teamNamespacesList(c *call) (any, error) {
	var arg struct {
		Limit *int64 `json:"limit,omitempty"`
	}
	return listTeam(s, c, &arg, &arg.Limit, s.namespacesPage)
}

func (s *Server) teamNamespacesListContinue(c *call) (any, error) {
	return continueTeam(s, c, namespacesCursorPrefix, s.namespacesPage)
}
