package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

// linksPage is a page of shared links.
type linksPage struct {
	Data       []httpapi.SharedLink `json:"data"`
	NextCursor string               `json:"next_cursor"`
}

// connectedBasic makes a Basic account with email and connects it, as
// connected does for Pro accounts.
func (s *service) connectedBasic(email string) string {
	s.t.Helper()
	s.emu.CreateAccount(s.t, dropboxtest.AccountArg{Email: email, AccountType: "basic"})
	var apps struct {
		Data []httpapi.App `json:"data"`
	}
	if s.must(http.StatusOK, http.MethodGet, "/v1/apps", nil, &apps); len(apps.Data) == 0 {
		s.registerApp()
	}
	return s.connect(email, email)
}

// linkURLs returns the URLs of links.
func linkURLs(ls []httpapi.SharedLink) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.URL)
	}
	return out
}

func TestSharedLinks(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn
	report := s.put(conn, "/Docs/report.txt", []byte("the report"))
	s.put(conn, "/Docs/plan.txt", []byte("the plan"))

	// A link with Dropbox's defaults; asking again answers the same link.
	var link httpapi.SharedLink
	s.must(http.StatusCreated, http.MethodPost, base+"/shared-links", map[string]any{"path": "/Docs/report.txt"}, &link)
	p := link.LinkPermissions
	if link.Tag != "file" || link.URL == "" || link.Name != "report.txt" || link.ID != report.ID || link.PathLower != "/docs/report.txt" ||
		link.Rev != report.Rev || link.Size == nil || *link.Size != 10 || link.Expires != nil {
		t.Errorf("created link = %+v", link)
	}
	if p.ResolvedVisibility != "public" || !p.CanRevoke || !p.CanSetExpiry || !p.CanSetPassword || p.RequirePassword || !p.AllowDownload {
		t.Errorf("link permissions = %+v", p)
	}
	var again httpapi.SharedLink
	s.must(http.StatusOK, http.MethodPost, base+"/shared-links", map[string]any{"path": "/docs/REPORT.txt"}, &again)
	if diff := cmp.Diff(link, again); diff != "" {
		t.Errorf("creating the link again (-first +again):\n%s", diff)
	}
	wantProblem(t, "a second link with other settings", s.do(s.key, http.MethodPost, base+"/shared-links",
		map[string]any{"path": "/Docs/report.txt", "audience": "no_one"}), http.StatusConflict, "shared_link_already_exists")

	// A link with an expiry and a password, on a Pro account.
	expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	var guarded httpapi.SharedLink
	s.must(http.StatusCreated, http.MethodPost, base+"/shared-links", map[string]any{
		"path": "/Docs/plan.txt", "expires": expires, "link_password": "open sesame", "allow_download": false,
	}, &guarded)
	gp := guarded.LinkPermissions
	if guarded.Expires == nil || !guarded.Expires.Equal(expires) || !gp.RequirePassword || gp.ResolvedVisibility != "password" || gp.AllowDownload {
		t.Errorf("link with settings = %+v", guarded)
	}
	if strings.Contains(s.logs.String(), "open sesame") {
		t.Errorf("the link's password is in the logs")
	}

	// A folder link; listings by path see it above the file.
	var folder httpapi.SharedLink
	s.must(http.StatusCreated, http.MethodPost, base+"/shared-links", map[string]any{"path": "/Docs", "access": "viewer"}, &folder)
	if folder.Tag != "folder" || folder.Name != "Docs" || folder.Size != nil {
		t.Errorf("folder link = %+v", folder)
	}
	var lp linksPage
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links", nil, &lp)
	if diff := cmp.Diff([]string{link.URL, guarded.URL, folder.URL}, linkURLs(lp.Data), sorted); diff != "" || lp.NextCursor != "" {
		t.Errorf("all links (-want +got):\n%s(next_cursor %q)", diff, lp.NextCursor)
	}
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links?path=/Docs/report.txt", nil, &lp)
	if diff := cmp.Diff([]string{link.URL, folder.URL}, linkURLs(lp.Data)); diff != "" {
		t.Errorf("links to the report (-want +got):\n%s", diff)
	}
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links?path=/Docs/report.txt&direct_only=true", nil, &lp)
	if diff := cmp.Diff([]string{link.URL}, linkURLs(lp.Data)); diff != "" {
		t.Errorf("the report's own links (-want +got):\n%s", diff)
	}

	// Metadata of a URL, and of a file below a folder link.
	var meta httpapi.SharedLink
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links/metadata?url="+url.QueryEscape(link.URL), nil, &meta)
	if diff := cmp.Diff(link, meta); diff != "" {
		t.Errorf("metadata of the link (-created +metadata):\n%s", diff)
	}
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links/metadata?"+url.Values{"url": {folder.URL}, "path": {"/plan.txt"}}.Encode(), nil, &meta)
	if meta.Tag != "file" || meta.Name != "plan.txt" {
		t.Errorf("metadata below the folder link = %+v", meta)
	}

	// Changes.
	var changed httpapi.SharedLink
	s.must(http.StatusOK, http.MethodPost, base+"/shared-links/modify", map[string]any{"url": link.URL, "audience": "no_one"}, &changed)
	if changed.URL != link.URL || changed.LinkPermissions.ResolvedVisibility != "no_one" {
		t.Errorf("link with audience no_one = %+v", changed)
	}
	s.must(http.StatusOK, http.MethodPost, base+"/shared-links/modify", map[string]any{
		"url": guarded.URL, "remove_password": true, "remove_expiration": true, "allow_download": true,
	}, &changed)
	if cp := changed.LinkPermissions; changed.Expires != nil || cp.RequirePassword || !cp.AllowDownload || cp.ResolvedVisibility != "public" {
		t.Errorf("link without password nor expiry = %+v", changed)
	}
	later := expires.Add(24 * time.Hour)
	s.must(http.StatusOK, http.MethodPost, base+"/shared-links/modify", map[string]any{"url": guarded.URL, "expires": later}, &changed)
	if changed.Expires == nil || !changed.Expires.Equal(later) {
		t.Errorf("link with a new expiry = %+v", changed)
	}
	wantProblem(t, "change the access level", s.do(s.key, http.MethodPost, base+"/shared-links/modify",
		map[string]any{"url": link.URL, "access": "editor"}), http.StatusConflict, "settings_error/invalid_settings")

	// Revoke, safe to repeat with an Idempotency-Key.
	first := s.do(s.key, http.MethodPost, base+"/shared-links/revoke", map[string]any{"url": link.URL}, "Idempotency-Key", "revoke-1")
	repeat := s.do(s.key, http.MethodPost, base+"/shared-links/revoke", map[string]any{"url": link.URL}, "Idempotency-Key", "revoke-1")
	if first.status != http.StatusNoContent || repeat.status != http.StatusNoContent || repeat.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("revoke: %d %s, then %d %s", first.status, first.body, repeat.status, repeat.body)
	}
	wantProblem(t, "revoke again", s.do(s.key, http.MethodPost, base+"/shared-links/revoke", map[string]any{"url": link.URL}),
		http.StatusNotFound, "shared_link_not_found")
	wantProblem(t, "metadata of a revoked link", s.do(s.key, http.MethodGet, base+"/shared-links/metadata?url="+url.QueryEscape(link.URL), nil),
		http.StatusNotFound, "shared_link_not_found")
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links?path=/Docs/report.txt&direct_only=true", nil, &lp)
	if len(lp.Data) != 0 {
		t.Errorf("links to the report after revoking = %v", linkURLs(lp.Data))
	}
	wantProblem(t, "link to nothing", s.do(s.key, http.MethodPost, base+"/shared-links", map[string]any{"path": "/nope.txt"}),
		http.StatusNotFound, "path/not_found")
}

// TestSharedLinkSettingsByPlan is the rule of the issue: a shared link
// with an expiry is made on a Pro account and refused, with a message that
// says why, on a Basic one, which then has no link.
func TestSharedLinkSettingsByPlan(t *testing.T) {
	t.Parallel()
	s := newService(t)
	pro, _ := s.connected("pro@example.com")
	basic := s.connectedBasic("basic@example.com")
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	for _, conn := range []string{pro, basic} {
		s.put(conn, "/shared.txt", []byte("share me"))
	}

	var link httpapi.SharedLink
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+pro+"/shared-links", map[string]any{"path": "/shared.txt", "expires": expires}, &link)
	if link.Expires == nil || !link.Expires.Equal(expires) {
		t.Errorf("Pro account's link with an expiry = %+v", link)
	}

	for _, settings := range []map[string]any{
		{"expires": expires},
		{"link_password": "secret-word"},
		{"allow_download": false},
		{"audience": "team"},
	} {
		body := map[string]any{"path": "/shared.txt"}
		for k, v := range settings {
			body[k] = v
		}
		r := s.do(s.key, http.MethodPost, "/v1/connections/"+basic+"/shared-links", body)
		wantProblem(t, fmt.Sprintf("Basic account's link with %v", settings), r, http.StatusConflict, "settings_error/not_authorized")
		var p httpapi.Problem
		r.decode(t, &p)
		if !strings.Contains(p.Detail, "paid Dropbox plan") || !strings.Contains(p.Detail, "Leave those settings out") {
			t.Errorf("the refusal does not say why nor what to do: %q", p.Detail)
		}
		if strings.Contains(string(r.body), "secret-word") {
			t.Errorf("the answer holds the password: %s", r.body)
		}
	}
	var lp linksPage
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+basic+"/shared-links", nil, &lp)
	if len(lp.Data) != 0 {
		t.Fatalf("the Basic account has links after refusals: %v", linkURLs(lp.Data))
	}

	// Without those settings the Basic account gets its link, and may not
	// add an expiry later either.
	var plain httpapi.SharedLink
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+basic+"/shared-links", map[string]any{"path": "/shared.txt"}, &plain)
	if plain.LinkPermissions.CanSetExpiry || plain.LinkPermissions.CanSetPassword {
		t.Errorf("Basic account's link permissions = %+v", plain.LinkPermissions)
	}
	wantProblem(t, "Basic account adds an expiry", s.do(s.key, http.MethodPost, "/v1/connections/"+basic+"/shared-links/modify",
		map[string]any{"url": plain.URL, "expires": expires}), http.StatusConflict, "settings_error/not_authorized")
}

func TestSharedLinksPaging(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, acct := s.connected("ada@example.com")
	// Dropbox's pages hold 200 links: make 201 straight at the emulator.
	c := dropbox.New(dropbox.WithBaseURL(s.emu.URL), dropbox.WithToken(acct.AccessToken))
	var paths []string
	for i := range 201 {
		paths = append(paths, fmt.Sprintf("/f%03d", i))
	}
	if _, err := c.Files.CreateFolderBatch(t.Context(), &dropbox.CreateFolderBatchArg{Paths: paths}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range paths {
		m, err := c.Sharing.CreateSharedLinkWithSettings(t.Context(), &dropbox.CreateSharedLinkWithSettingsArg{Path: p})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, m.Folder.URL)
	}

	var got []string
	pages := 0
	for cursor := ""; ; {
		var lp linksPage
		q := ""
		if cursor != "" {
			q = "?cursor=" + url.QueryEscape(cursor)
		}
		s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/shared-links"+q, nil, &lp)
		got = append(got, linkURLs(lp.Data)...)
		pages++
		if cursor = lp.NextCursor; cursor == "" || pages > 5 {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || pages != 2 {
		t.Errorf("paged links in %d pages (-want +got):\n%s", pages, diff)
	}
}

func TestSharedLinksBadInput(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, acct := s.connected("ada@example.com")
	other, _ := s.connected("bob@example.com")
	base := "/v1/connections/" + conn
	s.put(conn, "/a.txt", []byte("a"))
	var link httpapi.SharedLink
	s.must(http.StatusCreated, http.MethodPost, base+"/shared-links", map[string]any{"path": "/a.txt"}, &link)
	// A cursor of Dropbox's own, not wrapped by the API.
	c := dropbox.New(dropbox.WithBaseURL(s.emu.URL), dropbox.WithToken(acct.AccessToken))
	res, err := c.Sharing.ListSharedLinks(t.Context(), &dropbox.ListSharedLinksArg{})
	if err != nil || res.Cursor == nil {
		t.Fatalf("list_shared_links: %+v, %v", res, err)
	}
	var files page
	s.must(http.StatusCreated, http.MethodPost, base+"/folders", map[string]any{"path": "/d1"}, nil)
	s.must(http.StatusCreated, http.MethodPost, base+"/folders", map[string]any{"path": "/d2"}, nil)
	s.must(http.StatusOK, http.MethodGet, base+"/files?limit=1", nil, &files)

	past := time.Now().Add(-time.Hour).UTC()
	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		tag          string
	}{
		{"create without path", http.MethodPost, base + "/shared-links", map[string]any{}, 422, ""},
		{"unknown audience", http.MethodPost, base + "/shared-links", map[string]any{"path": "/a.txt", "audience": "everyone"}, 422, ""},
		{"expiry in the past", http.MethodPost, base + "/shared-links", map[string]any{"path": "/a.txt", "expires": past}, 409, "settings_error/invalid_settings"},
		{"malformed path", http.MethodPost, base + "/shared-links", map[string]any{"path": "/a//b"}, 422, "path/malformed_path"},
		{"Dropbox's own cursor", http.MethodGet, base + "/shared-links?cursor=" + url.QueryEscape(*res.Cursor), nil, 422, ""},
		{"cursor of another listing", http.MethodGet, base + "/shared-links?cursor=" + files.NextCursor, nil, 422, ""},
		{"cursor of another connection", http.MethodGet, "/v1/connections/" + other + "/shared-links?cursor=" + files.NextCursor, nil, 422, ""},
		{"direct_only without path", http.MethodGet, base + "/shared-links?direct_only=true", nil, 422, ""},
		{"metadata without url", http.MethodGet, base + "/shared-links/metadata", nil, 422, ""},
		{"metadata of no link", http.MethodGet, base + "/shared-links/metadata?url=" + url.QueryEscape("https://example.com/x"), nil, 404, "shared_link_not_found"},
		{"modify nothing", http.MethodPost, base + "/shared-links/modify", map[string]any{"url": link.URL}, 422, ""},
		{"modify with contradictions", http.MethodPost, base + "/shared-links/modify", map[string]any{"url": link.URL, "link_password": "x", "remove_password": true}, 422, ""},
		{"modify another's link", http.MethodPost, "/v1/connections/" + other + "/shared-links/modify", map[string]any{"url": link.URL, "audience": "public"}, 409, "shared_link_access_denied"},
		{"revoke another's link", http.MethodPost, "/v1/connections/" + other + "/shared-links/revoke", map[string]any{"url": link.URL}, 409, "shared_link_access_denied"},
		{"revoke without url", http.MethodPost, base + "/shared-links/revoke", map[string]any{}, 422, ""},
		{"unknown connection", http.MethodGet, "/v1/connections/conn_nope/shared-links", nil, 404, ""},
	}
	t.Run("requests", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				wantProblem(t, tc.name, s.do(s.key, tc.method, tc.path, tc.body), tc.status, tc.tag)
			})
		}
	})
	// Nothing changed.
	var lp linksPage
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links", nil, &lp)
	if diff := cmp.Diff([]httpapi.SharedLink{link}, lp.Data); diff != "" {
		t.Errorf("links after bad requests (-before +after):\n%s", diff)
	}
}

func TestSharedLinksOfAnotherEnvironment(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	s.put(conn, "/a.txt", []byte("a"))
	var link httpapi.SharedLink
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+conn+"/shared-links", map[string]any{"path": "/a.txt"}, &link)
	_, otherKey := s.newEnvironment("other")
	base := "/v1/connections/" + conn
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, base + "/shared-links", map[string]any{"path": "/a.txt"}},
		{http.MethodGet, base + "/shared-links", nil},
		{http.MethodGet, base + "/shared-links/metadata?url=" + url.QueryEscape(link.URL), nil},
		{http.MethodPost, base + "/shared-links/modify", map[string]any{"url": link.URL, "audience": "no_one"}},
		{http.MethodPost, base + "/shared-links/revoke", map[string]any{"url": link.URL}},
	} {
		wantProblem(t, tc.method+" "+tc.path, s.do(otherKey, tc.method, tc.path, tc.body), http.StatusNotFound, "")
	}
	var meta httpapi.SharedLink
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links/metadata?url="+url.QueryEscape(link.URL), nil, &meta)
	if diff := cmp.Diff(link, meta); diff != "" {
		t.Errorf("the link after another environment's calls (-before +after):\n%s", diff)
	}
}

func TestSharingOpenAPI(t *testing.T) {
	t.Parallel()
	s := newService(t)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	s.do("", http.MethodGet, "/v1/openapi.json", nil).decode(t, &doc)
	for path, methods := range map[string][]string{
		"/v1/connections/{id}/shared-links":                                     {"get", "post"},
		"/v1/connections/{id}/shared-links/metadata":                            {"get"},
		"/v1/connections/{id}/shared-links/modify":                              {"post"},
		"/v1/connections/{id}/shared-links/revoke":                              {"post"},
		"/v1/connections/{id}/shared-folders":                                   {"get", "post"},
		"/v1/connections/{id}/shared-folders/{shared_folder_id}":                {"get"},
		"/v1/connections/{id}/shared-folders/{shared_folder_id}/unshare":        {"post"},
		"/v1/connections/{id}/shared-folders/{shared_folder_id}/mount":          {"post"},
		"/v1/connections/{id}/shared-folders/{shared_folder_id}/unmount":        {"post"},
		"/v1/connections/{id}/shared-folders/{shared_folder_id}/members":        {"get", "post"},
		"/v1/connections/{id}/shared-folders/{shared_folder_id}/members/update": {"post"},
		"/v1/connections/{id}/shared-folders/{shared_folder_id}/members/remove": {"post"},
		"/v1/connections/{id}/file-requests":                                    {"get", "post"},
		"/v1/connections/{id}/file-requests/{request_id}":                       {"get", "patch", "delete"},
		"/v1/connections/{id}/file-requests/{request_id}/close":                 {"post"},
	} {
		for _, m := range methods {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("openapi.json lacks %s %s", m, path)
			}
		}
	}
}
