package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dropbridge/dropbridge/httpapi"
)

// foldersPage is a page of shared folders.
type foldersPage struct {
	Data       []httpapi.SharedFolder `json:"data"`
	NextCursor string                 `json:"next_cursor"`
}

// membersPage is a page of a shared folder's members.
type membersPage struct {
	Data       []httpapi.FolderMember `json:"data"`
	NextCursor string                 `json:"next_cursor"`
}

// member is what a test compares of a member.
type member struct{ Tag, Email, Access string }

// allMembers lists the members of a shared folder through conn, a page of
// limit at a time.
func (s *service) allMembers(conn, sfID, limit string) []member {
	s.t.Helper()
	var out []member
	for cursor, pages := "", 0; ; pages++ {
		q := url.Values{"limit": {limit}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var p membersPage
		s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/shared-folders/"+sfID+"/members?"+q.Encode(), nil, &p)
		for _, m := range p.Data {
			out = append(out, member{m.Tag, m.Email, m.AccessType})
		}
		if cursor = p.NextCursor; cursor == "" {
			return out
		}
		if pages > 20 {
			s.t.Fatal("the member listing does not end")
		}
	}
}

// byMember sorts members.
var byMember = cmpopts.SortSlices(func(a, b member) bool { return a.Email < b.Email })

func TestSharedFolders(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ada, _ := s.connected("ada@example.com")
	bob, bobAcct := s.connected("bob@example.com")
	_, cyAcct := s.connected("cy@example.com")
	base := "/v1/connections/" + ada
	s.put(ada, "/Project/plan.txt", []byte("plan"))

	// Share, with a repeat that the Idempotency-Key answers.
	body := map[string]any{"path": "/Project", "acl_update_policy": "editors", "shared_link_policy": "anyone"}
	first := s.do(s.key, http.MethodPost, base+"/shared-folders", body, "Idempotency-Key", "share-1")
	repeat := s.do(s.key, http.MethodPost, base+"/shared-folders", body, "Idempotency-Key", "share-1")
	if first.status != http.StatusCreated || repeat.status != http.StatusCreated || string(first.body) != string(repeat.body) {
		t.Fatalf("share: %d %s, then %d %s", first.status, first.body, repeat.status, repeat.body)
	}
	var sf httpapi.SharedFolder
	first.decode(t, &sf)
	if sf.SharedFolderID == "" || sf.Name != "Project" || sf.AccessType != "owner" || sf.PathDisplay != "/Project" ||
		sf.Policy.AclUpdatePolicy != "editors" || sf.Policy.SharedLinkPolicy != "anyone" || sf.FolderID == "" {
		t.Errorf("shared folder = %+v", sf)
	}
	sfBase := base + "/shared-folders/" + sf.SharedFolderID
	wantProblem(t, "share it again", s.do(s.key, http.MethodPost, base+"/shared-folders", map[string]any{"path": "/Project"}),
		http.StatusConflict, "bad_path/already_shared")
	wantProblem(t, "share a file", s.do(s.key, http.MethodPost, base+"/shared-folders", map[string]any{"path": "/Project/plan.txt"}),
		http.StatusConflict, "bad_path")

	var got httpapi.SharedFolder
	s.must(http.StatusOK, http.MethodGet, sfBase+"?actions=unshare,invite_editor", nil, &got)
	if diff := cmp.Diff(sf, got, cmpopts.IgnoreFields(httpapi.SharedFolder{}, "Permissions")); diff != "" {
		t.Errorf("get the shared folder (-shared +got):\n%s", diff)
	}
	want := []httpapi.Permission{{Action: "unshare", Allow: true}, {Action: "invite_editor", Allow: true}}
	if diff := cmp.Diff(want, got.Permissions); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}

	// A second shared folder, and the listing a page at a time.
	var second httpapi.SharedFolder
	s.must(http.StatusCreated, http.MethodPost, base+"/shared-folders", map[string]any{"path": "/Second"}, &second)
	var ids []string
	pages := 0
	for cursor := ""; ; {
		q := "?limit=1"
		if cursor != "" {
			q = "?cursor=" + url.QueryEscape(cursor)
		}
		var p foldersPage
		s.must(http.StatusOK, http.MethodGet, base+"/shared-folders"+q, nil, &p)
		for _, f := range p.Data {
			ids = append(ids, f.SharedFolderID)
		}
		pages++
		if cursor = p.NextCursor; cursor == "" || pages > 5 {
			break
		}
	}
	if diff := cmp.Diff([]string{sf.SharedFolderID, second.SharedFolderID}, ids, sorted); diff != "" || pages < 2 {
		t.Errorf("shared folders in %d pages (-want +got):\n%s", pages, diff)
	}

	// Members: Bob by email, Cy by account ID; an invitee without an
	// account.
	s.must(http.StatusNoContent, http.MethodPost, sfBase+"/members", map[string]any{
		"members": []map[string]any{
			{"email": "bob@example.com", "access_level": "editor"},
			{"email": "dee@example.com"},
		},
		"quiet": true,
	}, nil)
	s.must(http.StatusNoContent, http.MethodPost, sfBase+"/members", map[string]any{
		"members": []map[string]any{{"dropbox_id": cyAcct.AccountID, "access_level": "viewer"}}, "custom_message": "Have a look",
	}, nil)
	wantMembers := []member{
		{"user", "ada@example.com", "owner"}, {"user", "bob@example.com", "editor"},
		{"user", "cy@example.com", "viewer"}, {"invitee", "dee@example.com", "viewer"},
	}
	if diff := cmp.Diff(wantMembers, s.allMembers(ada, sf.SharedFolderID, "1"), byMember); diff != "" {
		t.Errorf("members, a page of one at a time (-want +got):\n%s", diff)
	}
	wantProblem(t, "add an unknown account", s.do(s.key, http.MethodPost, sfBase+"/members",
		map[string]any{"members": []map[string]any{{"dropbox_id": "dbid:nobody"}}}), http.StatusConflict, "bad_member/invalid_dropbox_id")

	// Bob sees the folder, mounts it, unmounts it.
	var bobs foldersPage
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+bob+"/shared-folders", nil, &bobs)
	if len(bobs.Data) != 1 || bobs.Data[0].SharedFolderID != sf.SharedFolderID || bobs.Data[0].AccessType != "editor" || bobs.Data[0].PathLower != "" {
		t.Errorf("Bob's shared folders before mounting = %+v", bobs.Data)
	}
	bobBase := "/v1/connections/" + bob + "/shared-folders/" + sf.SharedFolderID
	var mounted httpapi.SharedFolder
	s.must(http.StatusOK, http.MethodPost, bobBase+"/mount", nil, &mounted)
	if mounted.PathDisplay != "/Project" {
		t.Errorf("mounted = %+v", mounted)
	}
	var files page
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+bob+"/files?recursive=true", nil, &files)
	if diff := cmp.Diff([]string{"folder /Project", "file /Project/plan.txt"}, names(files.Data), sorted); diff != "" {
		t.Errorf("Bob's files after mounting (-want +got):\n%s", diff)
	}
	wantProblem(t, "mount again", s.do(s.key, http.MethodPost, bobBase+"/mount", nil), http.StatusConflict, "already_mounted")
	s.must(http.StatusNoContent, http.MethodPost, bobBase+"/unmount", nil, nil)
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+bob+"/files", nil, &files)
	if len(files.Data) != 0 {
		t.Errorf("Bob's files after unmounting = %v", names(files.Data))
	}
	wantProblem(t, "Bob unshares", s.do(s.key, http.MethodPost, bobBase+"/unshare", nil), http.StatusConflict, "no_permission")

	// Access changes and removals (the latter through Dropbox's jobs).
	var access httpapi.MemberAccess
	s.must(http.StatusOK, http.MethodPost, sfBase+"/members/update", map[string]any{
		"member": map[string]any{"dropbox_id": bobAcct.AccountID}, "access_level": "viewer",
	}, &access)
	s.must(http.StatusNoContent, http.MethodPost, sfBase+"/members/remove", map[string]any{"member": map[string]any{"email": "cy@example.com"}}, nil)
	wantMembers = []member{{"user", "ada@example.com", "owner"}, {"user", "bob@example.com", "viewer"}, {"invitee", "dee@example.com", "viewer"}}
	if diff := cmp.Diff(wantMembers, s.allMembers(ada, sf.SharedFolderID, "100"), byMember); diff != "" {
		t.Errorf("members after the changes (-want +got):\n%s", diff)
	}
	wantProblem(t, "remove the owner", s.do(s.key, http.MethodPost, sfBase+"/members/remove",
		map[string]any{"member": map[string]any{"email": "ada@example.com"}}), http.StatusConflict, "folder_owner")
	wantProblem(t, "remove a stranger", s.do(s.key, http.MethodPost, sfBase+"/members/remove",
		map[string]any{"member": map[string]any{"email": "nobody@example.com"}}), http.StatusNotFound, "member_error")

	// Unshare: the owner keeps a plain folder.
	s.must(http.StatusNoContent, http.MethodPost, sfBase+"/unshare", map[string]any{"leave_a_copy": false}, nil)
	var plain httpapi.Entry
	s.must(http.StatusOK, http.MethodGet, base+"/files/metadata?path=/Project", nil, &plain)
	if plain.SharedFolderID != "" || plain.Tag != "folder" {
		t.Errorf("the folder after unsharing = %+v", plain)
	}
	wantProblem(t, "get the unshared folder", s.do(s.key, http.MethodGet, sfBase, nil), http.StatusNotFound, "invalid_id")
	var left foldersPage
	s.must(http.StatusOK, http.MethodGet, base+"/shared-folders", nil, &left)
	if len(left.Data) != 1 || left.Data[0].SharedFolderID != second.SharedFolderID {
		t.Errorf("shared folders after unsharing = %+v", left.Data)
	}
}

func TestSharedFoldersBadInputAndOtherEnvironments(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	other, _ := s.connected("bob@example.com")
	base := "/v1/connections/" + conn
	var sf httpapi.SharedFolder
	s.must(http.StatusCreated, http.MethodPost, base+"/shared-folders", map[string]any{"path": "/Shared"}, &sf)
	s.must(http.StatusCreated, http.MethodPost, base+"/shared-folders", map[string]any{"path": "/Shared2"}, nil)
	var fp foldersPage
	s.must(http.StatusOK, http.MethodGet, base+"/shared-folders?limit=1", nil, &fp)
	if fp.NextCursor == "" {
		t.Fatal("no next_cursor with limit 1 on two shared folders")
	}
	sfBase := base + "/shared-folders/" + sf.SharedFolderID
	var mp membersPage
	s.must(http.StatusNoContent, http.MethodPost, sfBase+"/members", map[string]any{"members": []map[string]any{{"email": "bob@example.com"}}}, nil)
	s.must(http.StatusOK, http.MethodGet, sfBase+"/members?limit=1", nil, &mp)
	if mp.NextCursor == "" {
		t.Fatal("no next_cursor with limit 1 on two members")
	}

	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		tag          string
	}{
		{"share without path", http.MethodPost, base + "/shared-folders", map[string]any{}, 422, ""},
		{"share with an unknown policy", http.MethodPost, base + "/shared-folders", map[string]any{"path": "/x", "acl_update_policy": "anyone"}, 422, ""},
		{"share inside a shared folder", http.MethodPost, base + "/shared-folders", map[string]any{"path": "/Shared/inner"}, 409, "bad_path/inside_shared_folder"},
		{"folders cursor of another connection", http.MethodGet, "/v1/connections/" + other + "/shared-folders?cursor=" + fp.NextCursor, nil, 422, ""},
		{"folders cursor for members", http.MethodGet, sfBase + "/members?cursor=" + fp.NextCursor, nil, 422, ""},
		{"members cursor of another folder", http.MethodGet, base + "/shared-folders/1" + sf.SharedFolderID + "/members?cursor=" + mp.NextCursor, nil, 422, ""},
		{"limit 0", http.MethodGet, base + "/shared-folders?limit=0", nil, 422, ""},
		{"unknown action", http.MethodGet, sfBase + "?actions=fly", nil, 422, ""},
		{"unknown shared folder", http.MethodGet, base + "/shared-folders/999999", nil, 404, "invalid_id"},
		{"add no one", http.MethodPost, sfBase + "/members", map[string]any{"members": []map[string]any{}}, 422, ""},
		{"member named twice over", http.MethodPost, sfBase + "/members", map[string]any{"members": []map[string]any{{"email": "c@example.com", "dropbox_id": "dbid:x"}}}, 422, ""},
		{"member named by nothing", http.MethodPost, sfBase + "/members", map[string]any{"members": []map[string]any{{"access_level": "editor"}}}, 422, ""},
		{"member with a bad email", http.MethodPost, sfBase + "/members", map[string]any{"members": []map[string]any{{"email": "nobody"}}}, 422, ""},
		{"member made owner", http.MethodPost, sfBase + "/members", map[string]any{"members": []map[string]any{{"email": "c@example.com", "access_level": "owner"}}}, 422, ""},
		{"update without access_level", http.MethodPost, sfBase + "/members/update", map[string]any{"member": map[string]any{"email": "bob@example.com"}}, 422, ""},
		{"update a stranger", http.MethodPost, sfBase + "/members/update", map[string]any{"member": map[string]any{"email": "zed@example.com"}, "access_level": "editor"}, 404, "member_error"},
		{"remove without member", http.MethodPost, sfBase + "/members/remove", map[string]any{}, 422, ""},
		{"unmount what is not mounted elsewhere", http.MethodPost, "/v1/connections/" + other + "/shared-folders/" + sf.SharedFolderID + "/unmount", nil, 409, "access_error/unmounted"},
		{"unknown connection", http.MethodGet, "/v1/connections/conn_nope/shared-folders", nil, 404, ""},
	}
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				wantProblem(t, tc.name, s.do(s.key, tc.method, tc.path, tc.body), tc.status, tc.tag)
			})
		}
	})

	_, otherKey := s.newEnvironment("other")
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, base + "/shared-folders", map[string]any{"path": "/x"}},
		{http.MethodGet, base + "/shared-folders", nil},
		{http.MethodGet, sfBase, nil},
		{http.MethodPost, sfBase + "/unshare", nil},
		{http.MethodPost, sfBase + "/mount", nil},
		{http.MethodPost, sfBase + "/unmount", nil},
		{http.MethodGet, sfBase + "/members", nil},
		{http.MethodPost, sfBase + "/members", map[string]any{"members": []map[string]any{{"email": "c@example.com"}}}},
		{http.MethodPost, sfBase + "/members/update", map[string]any{"member": map[string]any{"email": "bob@example.com"}, "access_level": "editor"}},
		{http.MethodPost, sfBase + "/members/remove", map[string]any{"member": map[string]any{"email": "bob@example.com"}}},
	} {
		wantProblem(t, "another environment: "+tc.method+" "+tc.path, s.do(otherKey, tc.method, tc.path, tc.body), http.StatusNotFound, "")
	}

	// Nothing changed.
	want := []member{{"user", "ada@example.com", "owner"}, {"user", "bob@example.com", "viewer"}}
	if diff := cmp.Diff(want, s.allMembers(conn, sf.SharedFolderID, "100"), byMember); diff != "" {
		t.Errorf("members after bad requests (-want +got):\n%s", diff)
	}
	var entries page
	s.must(http.StatusOK, http.MethodGet, base+"/files", nil, &entries)
	if diff := cmp.Diff([]string{"folder /Shared", "folder /Shared2"}, names(entries.Data), sorted); diff != "" {
		t.Errorf("files after bad requests (-want +got):\n%s", diff)
	}
}
