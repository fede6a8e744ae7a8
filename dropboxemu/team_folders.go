package dropboxemu

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Team folders (team.stone): top-level team-owned folders, each a
// namespace of kind "team_folder" owned by the team. A team folder is
// active, archived (hidden from members, kept for the team folder
// manager), or archive_in_progress while an asynchronous archive runs.
// The team space root is listed as a team folder too
// (is_team_shared_dropbox), which none of the routes may change.

func init() {
	register("team/team_folder/create", (*Server).teamFolderCreate)
	register("team/team_folder/rename", (*Server).teamFolderRename)
	register("team/team_folder/list", (*Server).teamFolderList)
	register("team/team_folder/list/continue", (*Server).teamFolderListContinue)
	register("team/team_folder/get_info", (*Server).teamFolderGetInfo)
	register("team/team_folder/activate", (*Server).teamFolderActivate)
	register("team/team_folder/archive", (*Server).teamFolderArchive)
	register("team/team_folder/archive/check", (*Server).teamFolderArchiveCheck)
	register("team/team_folder/permanently_delete", (*Server).teamFolderPermanentlyDelete)
}

// The TeamFolderStatus members a team folder may be in.
const (
	folderActive            = "active"
	folderArchived          = "archived"
	folderArchiveInProgress = "archive_in_progress"
)

// teamFolder is a team folder of a Team; its id is its namespace's.
type teamFolder struct {
	ID          string    `json:"team_folder_id"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	SyncSetting string    `json:"sync_setting"` // a SyncSetting member
	Created     time.Time `json:"created"`
}

// teamFolderMetadata is the spec's TeamFolderMetadata.
type teamFolderMetadata struct {
	TeamFolderID        string         `json:"team_folder_id"`
	Name                string         `json:"name"`
	Status              map[string]any `json:"status"`
	IsTeamSharedDropbox bool           `json:"is_team_shared_dropbox"`
	SyncSetting         map[string]any `json:"sync_setting"`
	ContentSyncSettings []any          `json:"content_sync_settings"`
	QuotaLimit          int64          `json:"quota_limit"`
}

// taggedFolderMetadata is a union member holding TeamFolderMetadata, whose
// fields sit beside ".tag" (TeamFolderArchiveLaunch.complete,
// TeamFolderGetInfoItem.team_folder_metadata).
type taggedFolderMetadata struct {
	Tag string `json:".tag"`
	teamFolderMetadata
}

func (f *teamFolder) metadata() teamFolderMetadata {
	return teamFolderMetadata{TeamFolderID: f.ID, Name: f.Name, Status: u(f.Status),
		SyncSetting: u(f.SyncSetting), ContentSyncSettings: []any{}}
}

// rootFolderMetadata is the team space root as a team folder.
func rootFolderMetadata(tm *Team) teamFolderMetadata {
	return teamFolderMetadata{TeamFolderID: tm.RootNS, Name: tm.Name, Status: u(folderActive),
		IsTeamSharedDropbox: true, SyncSetting: u("default"), ContentSyncSettings: []any{}}
}

// teamFolderMeta renders the team folder id of tm, the team space root
// included; ok is false when tm has no such folder.
func teamFolderMeta(tm *Team, id string) (md teamFolderMetadata, ok bool) {
	if id == tm.RootNS {
		return rootFolderMetadata(tm), true
	}
	if f := tm.folder(id); f != nil {
		return f.metadata(), true
	}
	return teamFolderMetadata{}, false
}

// folder returns the team folder id of tm (not the team space root), or nil.
func (tm *Team) folder(id string) *teamFolder {
	for _, f := range tm.Folders {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// reSharedFolderID is the whole-string form of SharedFolderId's pattern.
var reSharedFolderID = regexp.MustCompile(`\A(?:[-_0-9a-zA-Z:]+)\z`)

// checkSharedFolderID checks a common.SharedFolderId argument.
func (c *call) checkSharedFolderID(field, v string) error {
	return c.checkString(field, v, 0, 0, "[-_0-9a-zA-Z:]+", reSharedFolderID)
}

// Team folder route errors (BaseTeamFolderError and its extensions).
var (
	errTeamFolderNotFound = routeError(uv("access_error", u("invalid_team_folder_id")))
	errTeamSharedDropbox  = routeError(uv("team_shared_dropbox_error", u("disallowed")))
)

func teamFolderStatusError(status string) error {
	return routeError(uv("status_error", u(status)))
}

// folderNameProblem checks a new name for a team folder of tm (except the
// folder except, being renamed) and returns the TeamFolderCreateError or
// TeamFolderRenameError for it. A name is taken by another team folder,
// archived ones included, by a member's folder or by anything else at the
// top of the team space. The caller holds s.mu.
func (s *Server) folderNameProblem(tm *Team, name, except string) error {
	switch {
	case name == "" || strings.Contains(name, "/") || checkComponents("/"+name) != nil:
		return routeError(u("invalid_folder_name"))
	case disallowedName(name):
		return routeError(u("folder_name_reserved"))
	}
	for _, f := range tm.Folders {
		if f.ID != except && strings.EqualFold(f.Name, name) {
			return routeError(u("folder_name_already_used"))
		}
	}
	for _, m := range tm.Members {
		if a := s.accounts[m.AccountID]; a != nil && strings.EqualFold(a.DisplayName, name) {
			return routeError(u("folder_name_already_used"))
		}
	}
	// What is at the top of the team space, but the folder's own mount
	// there (a case-only rename).
	if root := s.namespaces[tm.RootNS]; root != nil {
		if e := root.child("", lowerPath(name)); e != nil && (except == "" || e.Mount != except) {
			return routeError(u("folder_name_already_used"))
		}
	}
	return nil
}

func (s *Server) teamFolderCreate(c *call) (any, error) {
	var arg struct {
		Name        string `json:"name"`
		SyncSetting *Tag   `json:"sync_setting,omitempty" union:"default not_synced"`
	}
	if err := c.decode(&arg, "name"); err != nil {
		return nil, err
	}
	sync := "default"
	if arg.SyncSetting != nil {
		sync = arg.SyncSetting.Name
	}
	return teamTx(s, c, func(t *tx, tm *Team) (any, error) {
		if err := s.folderNameProblem(tm, arg.Name, ""); err != nil {
			return nil, err
		}
		ns := newNamespace(s.nextNS(t), "team_folder", tm.ID)
		f := &teamFolder{ID: ns.ID, Name: arg.Name, Status: folderActive, SyncSetting: sync, Created: s.clock.Now()}
		s.namespaces[ns.ID] = ns
		tm.Folders = append(tm.Folders, f)
		t.put(tblNS, ns.ID, ns)
		if root := s.namespaces[tm.RootNS]; root != nil {
			s.mountAt(t, root, f.Name, ns.ID, "") // every member sees it
		}
		t.put(tblTeam, tm.ID, tm)
		return f.metadata(), nil
	})
}

// teamFolderIDArg decodes a TeamFolderIdArg (or an extension of it with
// the other fields of arg) and checks its team_folder_id.
func (c *call) teamFolderIDArg(arg any, id *string, required ...string) error {
	if err := c.decode(arg, append([]string{"team_folder_id"}, required...)...); err != nil {
		return err
	}
	return c.checkSharedFolderID("team_folder_id", *id)
}

// changeTeamFolder runs change on the team folder id of the call's team
// (not the team space root: team_shared_dropbox_error) when it is in the
// status want (else status_error with its status) and answers its
// metadata. change records its changes in t.
func (s *Server) changeTeamFolder(c *call, id, want string, change func(t *tx, tm *Team, f *teamFolder) error) (any, error) {
	return teamTx(s, c, func(t *tx, tm *Team) (any, error) {
		if id == tm.RootNS {
			return nil, errTeamSharedDropbox
		}
		f := tm.folder(id)
		if f == nil {
			return nil, errTeamFolderNotFound
		}
		if f.Status != want {
			return nil, teamFolderStatusError(f.Status)
		}
		if err := change(t, tm, f); err != nil {
			return nil, err
		}
		return f.metadata(), nil
	})
}

func (s *Server) teamFolderRename(c *call) (any, error) {
	var arg struct {
		TeamFolderID string `json:"team_folder_id"`
		Name         string `json:"name"`
	}
	if err := c.teamFolderIDArg(&arg, &arg.TeamFolderID, "name"); err != nil {
		return nil, err
	}
	return s.changeTeamFolder(c, arg.TeamFolderID, folderActive, func(t *tx, tm *Team, f *teamFolder) error {
		if arg.Name == f.Name {
			return nil
		}
		if err := s.folderNameProblem(tm, arg.Name, f.ID); err != nil {
			return err
		}
		f.Name = arg.Name
		t.put(tblTeam, tm.ID, tm)
		if root := s.namespaces[tm.RootNS]; root != nil {
			s.renameMount(t, root, f.ID, f.Name)
		}
		return nil
	})
}

func (s *Server) teamFolderActivate(c *call) (any, error) {
	var arg struct {
		TeamFolderID string `json:"team_folder_id"`
	}
	if err := c.teamFolderIDArg(&arg, &arg.TeamFolderID); err != nil {
		return nil, err
	}
	return s.changeTeamFolder(c, arg.TeamFolderID, folderArchived, func(t *tx, tm *Team, f *teamFolder) error {
		f.Status = folderActive
		t.put(tblTeam, tm.ID, tm)
		if root := s.namespaces[tm.RootNS]; root != nil && mountOf(root, f.ID) == nil {
			s.mountAt(t, root, f.Name, f.ID, "")
		}
		return nil
	})
}

// teamFolderArchive archives an active team folder: at once with
// force_async_off, else through a job of team_folder/archive/check. The
// folder is archive_in_progress until the check that answers complete
// (with Options.JobPolls 0, archived at once).
func (s *Server) teamFolderArchive(c *call) (any, error) {
	var arg struct {
		TeamFolderID  string `json:"team_folder_id"`
		ForceAsyncOff bool   `json:"force_async_off,omitempty"`
	}
	if err := c.teamFolderIDArg(&arg, &arg.TeamFolderID); err != nil {
		return nil, err
	}
	var launch any
	md, err := s.changeTeamFolder(c, arg.TeamFolderID, folderActive, func(t *tx, tm *Team, f *teamFolder) error {
		status := folderArchived
		if !arg.ForceAsyncOff && s.opts.JobPolls > 0 {
			status = folderArchiveInProgress
		}
		if !arg.ForceAsyncOff {
			md := f.metadata()
			md.Status = u(status)
			raw, err := json.Marshal(md)
			if err != nil {
				return err
			}
			j := &job{ID: newJobID(), Route: c.route, AccountID: tm.ID, Result: raw, Pending: s.opts.JobPolls,
				Created: s.clock.Now()}
			s.jobs[j.ID] = j
			t.put(tblJob, j.ID, j)
			launch = uv("async_job_id", j.ID)
		}
		f.Status = status
		t.put(tblTeam, tm.ID, tm)
		// An archived folder is out of the members' tree.
		if root := s.namespaces[tm.RootNS]; root != nil {
			s.unmount(t, root, f.ID)
		}
		return nil
	})
	if err != nil || launch != nil {
		return launch, err
	}
	return taggedFolderMetadata{Tag: "complete", teamFolderMetadata: md.(teamFolderMetadata)}, nil
}

// teamFolderArchiveCheck answers the job of a team_folder/archive of the
// call's team: in_progress for the first Options.JobPolls checks, then
// complete with the folder archived. Jobs are those of archive/check
// (job.AccountID holds the team id).
func (s *Server) teamFolderArchiveCheck(c *call) (any, error) {
	jobID, err := c.asyncJobIDArg()
	if err != nil {
		return nil, err
	}
	return teamTx(s, c, func(t *tx, tm *Team) (any, error) {
		j := s.jobs[jobID]
		if j == nil || j.Route != "team/team_folder/archive" || j.AccountID != tm.ID {
			return nil, routeError(u("invalid_async_job_id"))
		}
		if j.Pending > 0 {
			j.Pending--
			t.put(tblJob, j.ID, j)
			return u("in_progress"), nil
		}
		var md teamFolderMetadata
		if err := json.Unmarshal(j.Result, &md); err != nil {
			return nil, err
		}
		// The folder as it is now; the job's last answer once it is gone.
		if f := tm.folder(md.TeamFolderID); f != nil {
			if f.Status == folderArchiveInProgress {
				f.Status = folderArchived
				t.put(tblTeam, tm.ID, tm)
			}
			md = f.metadata()
			raw, err := json.Marshal(md)
			if err != nil {
				return nil, err
			}
			if string(raw) != string(j.Result) {
				j.Result = raw
				t.put(tblJob, j.ID, j)
			}
		}
		return taggedFolderMetadata{Tag: "complete", teamFolderMetadata: md}, nil
	})
}

// teamFolderPermanentlyDelete deletes an archived team folder and its
// namespace for good: entries, history, revisions and tags.
func (s *Server) teamFolderPermanentlyDelete(c *call) (any, error) {
	var arg struct {
		TeamFolderID string `json:"team_folder_id"`
	}
	if err := c.teamFolderIDArg(&arg, &arg.TeamFolderID); err != nil {
		return nil, err
	}
	_, err := s.changeTeamFolder(c, arg.TeamFolderID, folderArchived, func(t *tx, tm *Team, f *teamFolder) error {
		for i, x := range tm.Folders {
			if x == f {
				tm.Folders = append(tm.Folders[:i:i], tm.Folders[i+1:]...)
				break
			}
		}
		t.put(tblTeam, tm.ID, tm)
		if ns := s.namespaces[f.ID]; ns != nil {
			s.dropNamespace(t, ns)
		}
		return nil
	})
	return nil, err
}

// dropNamespace forgets ns and everything in it. The caller holds s.mu
// and commits t.
func (s *Server) dropNamespace(t *tx, ns *Namespace) {
	for _, other := range s.namespaces {
		if other != ns {
			s.unmount(t, other, ns.ID)
		}
	}
	for _, e := range ns.byID {
		t.del(tblEntry, nsKey(ns.ID, e.ID))
	}
	for _, ch := range ns.log {
		t.del(tblChange, changeKey(ns.ID, ch.Seq))
	}
	for p := range ns.tombstones {
		t.del(tblTombstone, nsKey(ns.ID, p))
	}
	var revs []string
	for rev, r := range s.revs {
		if r.NS == ns.ID {
			revs = append(revs, rev)
		}
	}
	for _, rev := range revs {
		s.dropRevision(t, rev)
	}
	prefix := nsKey(ns.ID, "")
	for k := range s.tags {
		if strings.HasPrefix(k, prefix) {
			delete(s.tags, k)
			t.del(tblTags, k)
		}
	}
	t.del(tblNS, ns.ID)
	delete(s.namespaces, ns.ID)
	s.wake() // long-polls on it answer (and find it gone)
}

// teamFolderCursorPrefix starts the cursors of team_folder/list: team
// folders are listed by id, the team space root first.
const teamFolderCursorPrefix = "TMF"

// teamFolderListResult is the spec's TeamFolderListResult.
type teamFolderListResult struct {
	TeamFolders []teamFolderMetadata `json:"team_folders"`
	Cursor      string               `json:"cursor"`
	HasMore     bool                 `json:"has_more"`
}

// teamFoldersPage lists the team folders of tm after cur. The caller holds s.mu.
func teamFoldersPage(tm *Team, cur *teamCursor) any {
	all := make([]teamFolderMetadata, 0, 1+len(tm.Folders))
	all = append(all, rootFolderMetadata(tm))
	for _, f := range tm.Folders {
		all = append(all, f.metadata())
	}
	from, to, more := pageAfter(len(all), func(i int) string { return all[i].TeamFolderID }, cur.Limit, cur)
	return teamFolderListResult{TeamFolders: all[from:to], HasMore: more,
		Cursor: encodeCursorToken(teamFolderCursorPrefix, cur)}
}

func (s *Server) teamFolderList(c *call) (any, error) {
	var arg struct {
		Limit *int64 `json:"limit,omitempty"`
	}
	return listTeam(s, c, &arg, &arg.Limit, teamFoldersPage)
}

func (s *Server) teamFolderListContinue(c *call) (any, error) {
	return continueTeam(s, c, teamFolderCursorPrefix, teamFoldersPage)
}

func (s *Server) teamFolderGetInfo(c *call) (any, error) {
	var arg struct {
		TeamFolderIDs []string `json:"team_folder_ids"`
	}
	if err := c.decode(&arg, "team_folder_ids"); err != nil {
		return nil, err
	}
	if err := c.checkList("team_folder_ids", len(arg.TeamFolderIDs), 1, 0, pyStrings(arg.TeamFolderIDs)); err != nil {
		return nil, err
	}
	for _, id := range arg.TeamFolderIDs {
		if err := c.checkSharedFolderID("team_folder_ids", id); err != nil {
			return nil, err
		}
	}
	return readTeam(s, c, func(tm *Team) (any, error) {
		out := make([]any, 0, len(arg.TeamFolderIDs))
		for _, id := range arg.TeamFolderIDs {
			if md, ok := teamFolderMeta(tm, id); ok {
				out = append(out, taggedFolderMetadata{Tag: "team_folder_metadata", teamFolderMetadata: md})
			} else {
				out = append(out, uv("id_not_found", id))
			}
		}
		return out, nil
	})
}
