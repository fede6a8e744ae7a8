package httpapi_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

// team is a team on the emulator with a team connection to it.
type team struct {
	dropboxtest.Team
	conn    string                // the team connection's ID
	members []dropboxtest.Account // the admin first
}

// teamConnection makes a team on the emulator with an admin and the
// members of emails, and a connection of the test's environment holding
// the team's token, stored as the connect flow stores a team connection
// (team_connect_test.go goes through the consent page instead): the team
// id as its account id, the authorizing admin's email.
func (s *service) teamConnection(name string, emails ...string) team {
	s.t.Helper()
	var apps struct {
		Data []httpapi.App `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/apps", nil, &apps)
	if len(apps.Data) == 0 {
		apps.Data = append(apps.Data, s.registerApp())
	}
	tm := team{Team: s.emu.CreateTeam(s.t, name)}
	for _, email := range emails {
		tm.members = append(tm.members, s.emu.CreateAccount(s.t, dropboxtest.AccountArg{Email: email, TeamID: tm.TeamID, AccountType: "business"}))
	}
	conn := &dropbridge.Connection{
		EnvironmentID: s.env.ID, AppID: apps.Data[0].ID, ExternalUserID: "team:" + name,
		AccountID: tm.TeamID, TeamID: tm.TeamID, Email: tm.members[0].Email, DisplayName: name,
		AccountType: "business", Scopes: []string{"team_info.read", "members.read", "team_data.member", "files.content.write"},
		Status: dropbridge.ConnectionActive, Token: dropbridge.Token{AccessToken: dropbridge.Secret(tm.AccessToken)},
	}
	if err := s.store.UpsertConnection(s.t.Context(), conn); err != nil {
		s.t.Fatal(err)
	}
	tm.conn = conn.ID
	return tm
}

// teamMembers lists every member through conn, limit a page.
func (s *service) teamMembers(conn string, limit int) []httpapi.TeamMember {
	s.t.Helper()
	var all []httpapi.TeamMember
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	for range 100 {
		var p struct {
			Data       []httpapi.TeamMember `json:"data"`
			NextCursor string               `json:"next_cursor"`
		}
		s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/team-members?"+q.Encode(), nil, &p)
		if len(p.Data) > limit {
			s.t.Errorf("page of %d members, limit %d", len(p.Data), limit)
		}
		all = append(all, p.Data...)
		if p.NextCursor == "" {
			return all
		}
		q = url.Values{"cursor": {p.NextCursor}}
	}
	s.t.Fatal("no end to the member list")
	return nil
}

// teamFolders lists every team folder through conn, limit a page, but the
// team space's root.
func (s *service) teamFolders(conn string, limit int) map[string]httpapi.TeamFolder {
	s.t.Helper()
	all := map[string]httpapi.TeamFolder{}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	for range 100 {
		var p struct {
			Data       []httpapi.TeamFolder `json:"data"`
			NextCursor string               `json:"next_cursor"`
		}
		s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/team-folders?"+q.Encode(), nil, &p)
		if len(p.Data) > limit {
			s.t.Errorf("page of %d team folders, limit %d", len(p.Data), limit)
		}
		for _, f := range p.Data {
			if !f.IsTeamSharedDropbox {
				all[f.Name] = f
			}
		}
		if p.NextCursor == "" {
			return all
		}
		q = url.Values{"cursor": {p.NextCursor}}
	}
	s.t.Fatal("no end to the team folder list")
	return nil
}

// accountCalls is how many users/get_current_account calls the emulator
// has answered.
func (s *service) accountCalls() int {
	s.t.Helper()
	var stats struct {
		Routes map[string]map[string]int `json:"routes"`
	}
	s.emu.Admin(s.t, http.MethodGet, "/_emulator/stats", nil, &stats)
	n := 0
	for _, c := range stats.Routes["users/get_current_account"] {
		n += c
	}
	return n
}

func TestTeamMembersAndFolders(t *testing.T) {
	t.Parallel()
	s := newService(t)
	emails := []string{"boss@acme.test", "ann@acme.test", "bob@acme.test", "cy@acme.test", "di@acme.test"}
	tm := s.teamConnection("Acme", emails...)

	members := s.teamMembers(tm.conn, 2)
	var got []string
	for _, m := range members {
		got = append(got, m.Email)
		if !strings.HasPrefix(m.TeamMemberID, "dbmid:") || m.Status != "active" || m.AccountID == "" {
			t.Errorf("member %+v", m)
		}
	}
	if diff := cmp.Diff(emails, got, sorted); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if i := slices.IndexFunc(members, func(m httpapi.TeamMember) bool { return m.Email == "boss@acme.test" }); i < 0 || len(members[i].Roles) == 0 {
		t.Errorf("the admin has no admin role: %+v", members)
	}

	base := "/v1/connections/" + tm.conn + "/team-folders"
	var projects, archive httpapi.TeamFolder
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"name": "Projects"}, &projects)
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"name": "Archive Me", "sync_setting": "not_synced"}, &archive)
	if projects.Status != "active" || projects.TeamFolderID == "" || archive.SyncSetting != "not_synced" {
		t.Errorf("created %+v and %+v", projects, archive)
	}
	for i := range 3 {
		s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"name": "Folder " + strconv.Itoa(i)}, nil)
	}
	folders := s.teamFolders(tm.conn, 2)
	if len(folders) != 5 || folders["Projects"] != projects {
		t.Errorf("team folders %v, want 5 with %+v", folders, projects)
	}
	wantProblem(t, "a second folder of a taken name", s.do(s.key, http.MethodPost, base, map[string]any{"name": "Projects"}), http.StatusConflict, "folder_name_already_used")

	var renamed httpapi.TeamFolder
	s.must(http.StatusOK, http.MethodPost, base+"/"+projects.TeamFolderID+"/rename", map[string]any{"name": "Projects 2026"}, &renamed)
	if renamed.Name != "Projects 2026" || renamed.TeamFolderID != projects.TeamFolderID {
		t.Errorf("renamed %+v", renamed)
	}
	var archived, activated, fetched httpapi.TeamFolder
	s.must(http.StatusOK, http.MethodPost, base+"/"+archive.TeamFolderID+"/archive", nil, &archived)
	if archived.Status != "archived" {
		t.Errorf("archived %+v", archived)
	}
	s.must(http.StatusOK, http.MethodGet, base+"/"+archive.TeamFolderID, nil, &fetched)
	if fetched != archived {
		t.Errorf("get after archive %+v, want %+v", fetched, archived)
	}
	wantProblem(t, "rename of an archived folder", s.do(s.key, http.MethodPost, base+"/"+archive.TeamFolderID+"/rename", map[string]any{"name": "X"}), http.StatusConflict, "status_error")
	s.must(http.StatusOK, http.MethodPost, base+"/"+archive.TeamFolderID+"/activate", nil, &activated)
	if activated.Status != "active" {
		t.Errorf("activated %+v", activated)
	}
	wantProblem(t, "get of no folder", s.do(s.key, http.MethodGet, base+"/999999999", nil), http.StatusNotFound, "")

	// Another environment's key sees no such connection.
	_, other := s.newEnvironment("other")
	wantProblem(t, "another environment's key", s.do(other, http.MethodGet, "/v1/connections/"+tm.conn+"/team-members", nil), http.StatusNotFound, "")
	wantProblem(t, "another environment's key", s.do(other, http.MethodPost, base, map[string]any{"name": "Theirs"}), http.StatusNotFound, "")
	if _, ok := s.teamFolders(tm.conn, 100)["Theirs"]; ok {
		t.Error("another environment's key created a team folder")
	}
}

func TestTeamConnectionActsAsMember(t *testing.T) {
	t.Parallel()
	s := newService(t)
	tm := s.teamConnection("Initech", "admin@initech.test", "peter@initech.test")
	peter := tm.members[1]
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+tm.conn+"/team-folders", map[string]any{"name": "TPS Reports"}, nil)
	files := "/v1/connections/" + tm.conn + "/files"

	// Without a member, a member's route is refused with what to do.
	r := s.do(s.key, http.MethodGet, files, nil)
	wantProblem(t, "files through a team connection without a member", r, http.StatusUnprocessableEntity, "")
	if !bytes.Contains(r.body, []byte(httpapi.MemberHeader)) {
		t.Errorf("the problem does not name %s: %s", httpapi.MemberHeader, r.body)
	}

	// As Peter, the connection sees his team space, team folder included,
	// and writes into it.
	content := []byte("cover sheet")
	q := url.Values{"path": {"/TPS Reports/q3.txt"}}
	r = s.send(http.MethodPut, files+"/content?"+q.Encode(), bytes.NewReader(content), int64(len(content)), httpapi.MemberHeader, peter.MemberID)
	if r.status != http.StatusOK {
		t.Fatalf("upload as a member: %d %s", r.status, r.body)
	}
	var p page
	r = s.do(s.key, http.MethodGet, files+"?recursive=true", nil, httpapi.MemberHeader, peter.MemberID)
	if r.status != http.StatusOK {
		t.Fatalf("list as a member: %d %s", r.status, r.body)
	}
	r.decode(t, &p)
	if got := names(p.Data); !slices.Contains(got, "folder /TPS Reports") || !slices.Contains(got, "file /TPS Reports/q3.txt") {
		t.Errorf("the member's listing %v lacks the team folder and the file", got)
	}
	// ... and so does Peter's own connection, through the connect flow.
	own := s.connect("peter", peter.Email)
	p = page{}
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+own+"/files?recursive=true", nil, &p)
	if got := names(p.Data); !slices.Contains(got, "file /TPS Reports/q3.txt") {
		t.Errorf("the member's own connection sees %v, not the team space", got)
	}
	// Finding the team space is done once per connection (and member).
	calls := s.accountCalls()
	for range 3 {
		s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+own+"/files", nil, nil)
		if r := s.do(s.key, http.MethodGet, files, nil, httpapi.MemberHeader, peter.MemberID); r.status != http.StatusOK {
			t.Fatalf("list as a member: %d %s", r.status, r.body)
		}
	}
	if n := s.accountCalls() - calls; n != 0 {
		t.Errorf("%d more users/get_current_account calls to list again", n)
	}

	// As an admin, on the routes that allow it; a member is no admin.
	r = s.do(s.key, http.MethodGet, files+"/metadata?path=ns:"+tm.RootNS+"%2FTPS%20Reports", nil, httpapi.AdminHeader, tm.members[0].MemberID)
	if r.status != http.StatusOK {
		t.Errorf("metadata as the admin: %d %s", r.status, r.body)
	}
	wantProblem(t, "a member as admin", s.do(s.key, http.MethodGet, files+"/metadata?path=%2FTPS%20Reports", nil, httpapi.AdminHeader, peter.MemberID), http.StatusNotFound, "")

	// Acting as someone the team does not have, or in a form Dropbox
	// does not take, or on a user's connection, is refused.
	wantProblem(t, "unknown member", s.do(s.key, http.MethodGet, files, nil, httpapi.MemberHeader, "dbmid:nobody"), http.StatusNotFound, "")
	wantProblem(t, "member by email", s.do(s.key, http.MethodGet, files, nil, httpapi.MemberHeader, peter.Email), http.StatusUnprocessableEntity, "")
	wantProblem(t, "member and admin", s.do(s.key, http.MethodGet, files, nil, httpapi.MemberHeader, peter.MemberID, httpapi.AdminHeader, tm.members[0].MemberID), http.StatusUnprocessableEntity, "")
	wantProblem(t, "member on a user's connection", s.do(s.key, http.MethodGet, "/v1/connections/"+own+"/files", nil, httpapi.MemberHeader, peter.MemberID), http.StatusUnprocessableEntity, "")
	wantProblem(t, "team route on a user's connection", s.do(s.key, http.MethodGet, "/v1/connections/"+own+"/team-members", nil), http.StatusUnprocessableEntity, "")

	// The connection still works for the team after all that.
	if got := s.teamMembers(tm.conn, 10); len(got) != 2 {
		t.Errorf("members %+v", got)
	}
	var conn httpapi.Connection
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+tm.conn, nil, &conn)
	if conn.Status != "active" {
		t.Errorf("team connection %s after refused members", conn.Status)
	}
}

func TestPersonalConnectionHasNoTeamSpace(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("solo@example.com")
	calls := s.accountCalls()
	s.put(conn, "/solo.txt", []byte("x"))
	var p page
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/files", nil, &p)
	if diff := cmp.Diff([]string{"file /solo.txt"}, names(p.Data)); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	if n := s.accountCalls() - calls; n != 0 {
		t.Errorf("%d users/get_current_account calls for a personal account's files", n)
	}
	wantProblem(t, "team members of a personal account", s.do(s.key, http.MethodGet, "/v1/connections/"+conn+"/team-folders", nil), http.StatusUnprocessableEntity, "")
}
