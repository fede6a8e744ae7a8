package dropboxemu_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/sharing"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// Helpers of the shared link tests, all named link*.

// linkUser is an account with its Go SDK clients.
type linkUser struct {
	acct dropboxtest.Account
	fc   files.ContextClient
	sc   sharing.ContextClient
}

// linkAccount makes an account of the given plan on emu.
func linkAccount(t *testing.T, emu *dropboxtest.Emulator, email, accountType string) linkUser {
	t.Helper()
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: email, AccountType: accountType})
	cfg := sdkConfig(emu, acct.AccessToken)
	return linkUser{acct: acct, fc: files.NewContext(cfg), sc: sharing.NewContext(cfg)}
}

// linkSetup starts an emulator with one account of the given plan.
func linkSetup(t *testing.T, accountType string) (*dropboxtest.Emulator, linkUser) {
	t.Helper()
	emu := dropboxtest.NewEmulator(t)
	return emu, linkAccount(t, emu, "owner@example.com", accountType)
}

// linkBase returns the fields every SharedLinkMetadata has.
func linkBase(t *testing.T, m sharing.IsSharedLinkMetadata) *sharing.SharedLinkMetadata {
	t.Helper()
	switch m := m.(type) {
	case *sharing.FileLinkMetadata:
		return &m.SharedLinkMetadata
	case *sharing.FolderLinkMetadata:
		return &m.SharedLinkMetadata
	}
	t.Fatalf("link metadata is %T", m)
	return nil
}

// linkCreate makes a link to path and fails the test on error.
func linkCreate(t *testing.T, u linkUser, path string, st *sharing.SharedLinkSettings) sharing.IsSharedLinkMetadata {
	t.Helper()
	arg := sharing.NewCreateSharedLinkWithSettingsArg(path)
	arg.Settings = st
	m, err := u.sc.CreateSharedLinkWithSettingsContext(t.Context(), arg)
	if err != nil {
		t.Fatalf("create_shared_link_with_settings %s: %v", path, err)
	}
	return m
}

// linkURL makes a link to path and returns its URL.
func linkURL(t *testing.T, u linkUser, path string, st *sharing.SharedLinkSettings) string {
	t.Helper()
	return linkBase(t, linkCreate(t, u, path, st)).Url
}

// linkCreateErr makes a link that must fail and returns the route error.
func linkCreateErr(t *testing.T, u linkUser, path string, st *sharing.SharedLinkSettings) *sharing.CreateSharedLinkWithSettingsError {
	t.Helper()
	arg := sharing.NewCreateSharedLinkWithSettingsArg(path)
	arg.Settings = st
	_, err := u.sc.CreateSharedLinkWithSettingsContext(t.Context(), arg)
	return coreAPIErr[sharing.CreateSharedLinkWithSettingsAPIError](t, err).EndpointError
}

func linkVis(tag string) *sharing.RequestedVisibility {
	return &sharing.RequestedVisibility{Tagged: dropbox.Tagged{Tag: tag}}
}

func linkTime(t time.Time) *dropbox.DBXTime {
	d := dropbox.DBXTime(t.UTC().Truncate(time.Second))
	return &d
}

// linkMeta calls get_shared_link_metadata as u.
func linkMeta(t *testing.T, u linkUser, arg *sharing.GetSharedLinkMetadataArg) (sharing.IsSharedLinkMetadata, string) {
	t.Helper()
	m, err := u.sc.GetSharedLinkMetadataContext(t.Context(), arg)
	if err != nil {
		return nil, coreAPIErr[sharing.GetSharedLinkMetadataAPIError](t, err).EndpointError.Tag
	}
	return m, ""
}

// linkFile calls get_shared_link_file as u and reads the bytes.
func linkFile(t *testing.T, u linkUser, arg *sharing.GetSharedLinkMetadataArg) (sharing.IsSharedLinkMetadata, []byte, string) {
	t.Helper()
	m, body, err := u.sc.GetSharedLinkFileContext(t.Context(), arg)
	if err != nil {
		return nil, nil, coreAPIErr[sharing.GetSharedLinkFileAPIError](t, err).EndpointError.Tag
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read get_shared_link_file body: %v", err)
	}
	return m, b, ""
}

// linkList lists u's links (arg nil: all of them, following the cursor).
func linkList(t *testing.T, u linkUser, arg *sharing.ListSharedLinksArg) []string {
	t.Helper()
	all := arg == nil
	if all {
		arg = sharing.NewListSharedLinksArg()
	}
	var urls []string
	for range 100 {
		res, err := u.sc.ListSharedLinksContext(t.Context(), arg)
		if err != nil {
			t.Fatalf("list_shared_links: %v", err)
		}
		for _, m := range res.Links {
			urls = append(urls, linkBase(t, m).Url)
		}
		if !res.HasMore {
			return urls
		}
		arg = &sharing.ListSharedLinksArg{Cursor: res.Cursor}
	}
	t.Fatal("list_shared_links never ends")
	return nil
}

// linkWith returns u with the query parameter key set to value.
func linkWith(t *testing.T, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// linkRaw is a raw call's decoded JSON answer, failing unless it is status.
func linkRaw(t *testing.T, emu *dropboxtest.Emulator, token, route string, arg any, status int) map[string]any {
	t.Helper()
	r := do(t, emu, rawCall{Route: route, Token: token, Arg: arg})
	if r.Status != status {
		t.Fatalf("%s: %d %s, want %d", route, r.Status, r.Body, status)
	}
	return r.json(t)
}

var (
	reFileLink   = regexp.MustCompile(`^/scl/fi/[0-9a-z]{21}/[^/?]+\?rlkey=[0-9a-z]{25}&dl=0$`)
	reFolderLink = regexp.MustCompile(`^/scl/fo/[0-9a-z]{21}/A[-_0-9A-Za-z]{22}\?rlkey=[0-9a-z]{25}&dl=0$`)
)

// linkPermsJSON is link_permissions as Dropbox writes them for the owner
// of a public link outside a team, on a basic (paid=false) or paid plan.
func linkPermsJSON(t *testing.T, paid bool) map[string]any {
	t.Helper()
	pw := `"allowed":false,"disallowed_reason":{".tag":"user_account_type"}`
	if paid {
		pw = `"allowed":true`
	}
	return coreJSON(t, fmt.Sprintf(`{"resolved_visibility":{".tag":"public"},"requested_visibility":{".tag":"public"},"can_revoke":true,
		"visibility_policies":[{"policy":{".tag":"public"},"resolved_policy":{".tag":"public"},"allowed":true},
			{"policy":{".tag":"team_only"},"resolved_policy":{".tag":"team_only"},"allowed":false,"disallowed_reason":{".tag":"user_not_on_team"}},
			{"policy":{".tag":"password"},"resolved_policy":{".tag":"password"},%[1]s}],
		"can_set_expiry":%[2]t,"can_remove_expiry":true,"allow_download":true,"can_allow_download":true,"can_disallow_download":%[2]t,
		"allow_comments":true,"team_restricts_comments":false,
		"audience_options":[{"audience":{".tag":"public"},"allowed":true},
			{"audience":{".tag":"team"},"allowed":false,"disallowed_reason":{".tag":"user_not_on_team"}},
			{"audience":{".tag":"no_one"},"allowed":true}],
		"can_set_password":%[2]t,"can_remove_password":true,"require_password":false,"can_use_extended_sharing_controls":%[2]t}`, pw, paid))
}

// A link to a file and to a folder: Dropbox's URL shapes, the metadata
// through the SDK, and the JSON on the wire, fields in Dropbox's order.
func TestSharedLinkCreate(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	up := corePut(t, u.fc, "/Docs/Report 2024.txt", []byte("quarterly"))
	dir := coreMkdir(t, u.fc, "/Docs/Photos")

	fm, ok := linkCreate(t, u, "/docs/report 2024.TXT", nil).(*sharing.FileLinkMetadata)
	if !ok {
		t.Fatal("a link to a file is not FileLinkMetadata")
	}
	rel, found := strings.CutPrefix(fm.Url, emu.URL)
	if !found || !reFileLink.MatchString(rel) || !strings.Contains(rel, "/Report%202024.txt?") {
		t.Errorf("file link url = %q, want %s/scl/fi/{id}/Report%%202024.txt?rlkey={key}&dl=0", fm.Url, emu.URL)
	}
	got := []any{fm.Id, fm.Name, fm.PathLower, fm.Rev, fm.Size, time.Time(fm.ClientModified), fm.Expires == nil, fm.PreviewType,
		fm.LinkPermissions.CanRevoke, fm.LinkPermissions.RequestedVisibility.Tag, fm.LinkPermissions.CanSetExpiry}
	want := []any{up.Id, "Report 2024.txt", "/docs/report 2024.txt", up.Rev, uint64(9), time.Time(up.ClientModified), true, "text",
		true, "public", true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("file link metadata (-want +got):\n%s", diff)
	}
	if fm.CreatedTimestamp == nil {
		t.Error("file link has no created_timestamp")
	}

	dm, ok := linkCreate(t, u, "/Docs/Photos", nil).(*sharing.FolderLinkMetadata)
	if !ok {
		t.Fatal("a link to a folder is not FolderLinkMetadata")
	}
	if rel, found := strings.CutPrefix(dm.Url, emu.URL); !found || !reFolderLink.MatchString(rel) {
		t.Errorf("folder link url = %q, want %s/scl/fo/{id}/{key}?rlkey={key}&dl=0", dm.Url, emu.URL)
	}
	if dm.Id != dir.Id || dm.Name != "Photos" || dm.PathLower != "/docs/photos" || dm.Url == fm.Url {
		t.Errorf("folder link = %+v", dm.SharedLinkMetadata)
	}

	// The wire: key order and every link permission.
	corePut(t, u.fc, "/wire.txt", []byte("w"))
	raw := do(t, emu, rawCall{Route: "sharing/create_shared_link_with_settings", Token: u.acct.AccessToken, Arg: map[string]any{"path": "/wire.txt"}})
	if raw.Status != http.StatusOK {
		t.Fatalf("create: %d %s", raw.Status, raw.Body)
	}
	wantKeys := []string{".tag", "url", "id", "name", "path_lower", "link_permissions", "preview_type", "created_timestamp",
		"client_modified", "server_modified", "rev", "size"}
	if diff := cmp.Diff(wantKeys, keyOrder(t, raw.Body)); diff != "" {
		t.Errorf("file link key order (-want +got):\n%s", diff)
	}
	wantPermKeys := []string{"resolved_visibility", "requested_visibility", "can_revoke", "visibility_policies", "can_set_expiry",
		"can_remove_expiry", "allow_download", "can_allow_download", "can_disallow_download", "allow_comments", "team_restricts_comments",
		"audience_options", "can_set_password", "can_remove_password", "require_password", "can_use_extended_sharing_controls"}
	if diff := cmp.Diff(wantPermKeys, keyOrder(t, raw.Body, "link_permissions")); diff != "" {
		t.Errorf("link_permissions key order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(linkPermsJSON(t, true), raw.json(t)["link_permissions"]); diff != "" {
		t.Errorf("pro link_permissions (-want +got):\n%s", diff)
	}
	folderRaw := linkRaw(t, emu, u.acct.AccessToken, "sharing/list_shared_links", map[string]any{"path": "/docs/photos"}, http.StatusOK)
	if l := folderRaw["links"].([]any)[0].(map[string]any); l[".tag"] != "folder" || l["size"] != nil || l["preview_type"] != nil {
		t.Errorf("folder link on the wire: %v", l)
	}
}

// Creating a link again answers shared_link_already_exists, with the
// existing link's metadata unless the settings asked for differ.
func TestSharedLinkAlreadyExists(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	corePut(t, u.fc, "/a.txt", []byte("a"))
	first := linkURL(t, u, "/a.txt", nil)

	for _, st := range []*sharing.SharedLinkSettings{nil, {}, {RequestedVisibility: linkVis("public")}} {
		e := linkCreateErr(t, u, "/A.TXT", st)
		if e.Tag != "shared_link_already_exists" || e.SharedLinkAlreadyExists == nil || e.SharedLinkAlreadyExists.Tag != "metadata" {
			t.Fatalf("create again with %+v: %+v", st, e)
		}
		if got := linkBase(t, e.SharedLinkAlreadyExists.Metadata).Url; got != first {
			t.Errorf("existing link in the error = %q, want %q", got, first)
		}
	}
	// Other settings: the error comes without metadata, and the link is
	// left as it was.
	r := do(t, emu, rawCall{Route: "sharing/create_shared_link_with_settings", Token: u.acct.AccessToken,
		Arg: map[string]any{"path": "/a.txt", "settings": map[string]any{"requested_visibility": "password", "link_password": "pw"}}})
	if diff := cmp.Diff(coreJSON(t, `{".tag":"shared_link_already_exists"}`), coreErrorBody(t, r, http.StatusConflict)); diff != "" {
		t.Errorf("already exists with other settings (-want +got):\n%s", diff)
	}
	r = do(t, emu, rawCall{Route: "sharing/create_shared_link_with_settings", Token: u.acct.AccessToken, Arg: map[string]any{"path": "/a.txt"}})
	if body := coreErrorBody(t, r, http.StatusConflict); !strings.HasPrefix(string(r.Body), `{"error_summary":"shared_link_already_exists/metadata/`) ||
		body["shared_link_already_exists"].(map[string]any)["metadata"].(map[string]any)[".tag"] != "file" {
		t.Errorf("already exists on the wire: %s", r.Body)
	}
	if m, _ := linkMeta(t, u, sharing.NewGetSharedLinkMetadataArg(first)); linkBase(t, m).LinkPermissions.RequirePassword {
		t.Error("a refused create changed the link's settings")
	}
	// Once the link has those settings, asking for them again matches.
	if _, err := u.sc.ModifySharedLinkSettingsContext(t.Context(), sharing.NewModifySharedLinkSettingsArgs(first,
		&sharing.SharedLinkSettings{RequestedVisibility: linkVis("password"), LinkPassword: "pw"})); err != nil {
		t.Fatalf("modify: %v", err)
	}
	e := linkCreateErr(t, u, "/a.txt", &sharing.SharedLinkSettings{RequestedVisibility: linkVis("password"), LinkPassword: "pw"})
	if e.SharedLinkAlreadyExists == nil || e.SharedLinkAlreadyExists.Metadata == nil {
		t.Errorf("same settings as the link: %+v, want the metadata", e)
	}
	if got := linkList(t, u, nil); len(got) != 1 {
		t.Errorf("links = %v, want just one", got)
	}
}

// What each plan may set: Basic accounts only public links without expiry,
// password or download restrictions; team audiences need a team.
func TestSharedLinkSettingsByPlan(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	future := time.Now().Add(48 * time.Hour)
	cases := []struct {
		name       string
		st         *sharing.SharedLinkSettings
		basic, pro string // settings_error tag, "" for success
		resolved   string // resolved_visibility on success
	}{
		{"expires", &sharing.SharedLinkSettings{Expires: linkTime(future)}, "not_authorized", "", "public"},
		{"expires in the past", &sharing.SharedLinkSettings{Expires: linkTime(time.Now().Add(-time.Hour))}, "not_authorized", "invalid_settings", ""},
		{"password", &sharing.SharedLinkSettings{RequestedVisibility: linkVis("password"), LinkPassword: "hunter2"}, "not_authorized", "", "password"},
		{"password without one", &sharing.SharedLinkSettings{RequestedVisibility: linkVis("password")}, "not_authorized", "invalid_settings", ""},
		{"require_password", &sharing.SharedLinkSettings{RequirePassword: true, LinkPassword: "hunter2"}, "not_authorized", "", "password"},
		{"require_password without one", &sharing.SharedLinkSettings{RequirePassword: true}, "not_authorized", "invalid_settings", ""},
		{"team_only", &sharing.SharedLinkSettings{RequestedVisibility: linkVis("team_only")}, "not_authorized", "not_authorized", ""},
		{"audience team", &sharing.SharedLinkSettings{Audience: &sharing.LinkAudience{Tagged: dropbox.Tagged{Tag: "team"}}}, "not_authorized", "not_authorized", ""},
		{"audience no_one", &sharing.SharedLinkSettings{Audience: &sharing.LinkAudience{Tagged: dropbox.Tagged{Tag: "no_one"}}}, "", "", "no_one"},
		{"access editor", &sharing.SharedLinkSettings{Access: &sharing.RequestedLinkAccessLevel{Tagged: dropbox.Tagged{Tag: "editor"}}}, "", "", "public"},
		{"public", &sharing.SharedLinkSettings{RequestedVisibility: linkVis("public")}, "", "", "public"},
	}
	for _, plan := range []string{"basic", "pro"} {
		u := linkAccount(t, emu, plan+"@example.com", plan)
		for i, tc := range cases {
			path := fmt.Sprintf("/f%d.txt", i)
			corePut(t, u.fc, path, []byte("x"))
			want := tc.basic
			if plan == "pro" {
				want = tc.pro
			}
			arg := sharing.NewCreateSharedLinkWithSettingsArg(path)
			arg.Settings = tc.st
			m, err := u.sc.CreateSharedLinkWithSettingsContext(t.Context(), arg)
			if want != "" {
				e := coreAPIErr[sharing.CreateSharedLinkWithSettingsAPIError](t, err).EndpointError
				if e.Tag != "settings_error" || e.SettingsError.Tag != want {
					t.Errorf("%s %s: %+v, want settings_error/%s", plan, tc.name, e, want)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %s: %v", plan, tc.name, err)
				continue
			}
			b := linkBase(t, m)
			if b.LinkPermissions.ResolvedVisibility.Tag != tc.resolved {
				t.Errorf("%s %s: resolved_visibility %s, want %s", plan, tc.name, b.LinkPermissions.ResolvedVisibility.Tag, tc.resolved)
			}
			if tc.st.Expires != nil && (b.Expires == nil || !time.Time(*b.Expires).Equal(time.Time(*tc.st.Expires))) {
				t.Errorf("%s %s: expires %v", plan, tc.name, b.Expires)
			}
		}
		// allow_download false (the SDK cannot send false): paid plans only.
		corePut(t, u.fc, "/nodl.txt", []byte("x"))
		r := do(t, emu, rawCall{Route: "sharing/create_shared_link_with_settings", Token: u.acct.AccessToken,
			Arg: map[string]any{"path": "/nodl.txt", "settings": map[string]any{"allow_download": false}}})
		if plan == "basic" {
			if diff := cmp.Diff(coreJSON(t, `{".tag":"settings_error","settings_error":{".tag":"not_authorized"}}`), coreErrorBody(t, r, http.StatusConflict)); diff != "" {
				t.Errorf("basic allow_download false (-want +got):\n%s", diff)
			}
		} else if r.Status != http.StatusOK || r.json(t)["link_permissions"].(map[string]any)["allow_download"] != false {
			t.Errorf("pro allow_download false: %d %s", r.Status, r.Body)
		}
	}
	// A basic account's permissions, as Dropbox writes them.
	basic := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "wire@example.com", AccountType: "basic"})
	ok(t, emu, rawCall{Route: "files/upload", Token: basic.AccessToken, Style: "upload", Arg: map[string]any{"path": "/b.txt"}, Body: []byte("b")})
	res := linkRaw(t, emu, basic.AccessToken, "sharing/create_shared_link_with_settings", map[string]any{"path": "/b.txt"}, http.StatusOK)
	if diff := cmp.Diff(linkPermsJSON(t, false), res["link_permissions"]); diff != "" {
		t.Errorf("basic link_permissions (-want +got):\n%s", diff)
	}
}

// Bad arguments: 400s in Stone's words, LookupErrors, scopes.
func TestSharedLinkCreateErrors(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	corePut(t, u.fc, "/f.txt", []byte("f"))
	if e := linkCreateErr(t, u, "/missing.txt", nil); e.Tag != "path" || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("missing path: %+v", e)
	}
	if e := linkCreateErr(t, u, "/f.txt/inside", nil); e.Tag != "path" || e.Path.Tag != files.LookupErrorNotFolder {
		t.Errorf("below a file: %+v", e)
	}
	r := do(t, emu, rawCall{Route: "sharing/create_shared_link_with_settings", Token: u.acct.AccessToken, Arg: map[string]any{"path": "/a/"}})
	if diff := cmp.Diff(coreJSON(t, `{".tag":"path","path":{".tag":"malformed_path"}}`), coreErrorBody(t, r, http.StatusConflict)); diff != "" {
		t.Errorf("malformed path (-want +got):\n%s", diff)
	}
	create, list, modify := "sharing/create_shared_link_with_settings", "sharing/list_shared_links", "sharing/modify_shared_link_settings"
	pathPattern := `'/(.|[\r\n])*'`
	checkBadArgs(t, emu, u.acct.AccessToken, []badArg{
		{"no path", create, "", `{}`, "missing required field 'path'"},
		{"root", create, "", `{"path":""}`, "path: The root folder is unsupported."},
		{"unknown setting", create, "", `{"path":"/f.txt","settings":{"color":"red"}}`, "settings: unknown field 'color'"},
		{"bad expiry", create, "", `{"path":"/f.txt","settings":{"expires":"tomorrow"}}`,
			"settings.expires: time data 'tomorrow' does not match format '%Y-%m-%dT%H:%M:%SZ'"},
		{"bad visibility", create, "", `{"path":"/f.txt","settings":{"requested_visibility":"secret"}}`,
			"settings.requested_visibility: unknown tag 'secret'"},
		{"bad audience", create, "", `{"path":"/f.txt","settings":{"audience":{".tag":"everyone"}}}`, "settings.audience: unknown tag 'everyone'"},
		{"no settings", modify, "", `{"url":"https://www.dropbox.com/scl/fi/x/y?rlkey=z"}`, "missing required field 'settings'"},
		{"no url", "sharing/get_shared_link_metadata", "", `{}`, "missing required field 'url'"},
		{"relative path", "sharing/get_shared_link_metadata", "", `{"url":"https://x/scl/fo/a/b?rlkey=c","path":"sub"}`,
			"path: 'sub' did not match pattern " + pathPattern},
		{"relative path in a download", "sharing/get_shared_link_file", "download", `{"url":"https://x/scl/fo/a/b?rlkey=c","path":"sub"}`,
			"path: 'sub' did not match pattern " + pathPattern},
		{"unknown field", "sharing/revoke_shared_link", "", `{"link":"x"}`, "unknown field 'link'"},
	})
	r = do(t, emu, rawCall{Route: list, Token: u.acct.AccessToken, Arg: `{"cursor":"nonsense"}`})
	if r.Status != http.StatusBadRequest || string(r.Body) != `Error in call to API function "sharing/list_shared_links": Invalid "cursor" parameter: "nonsense"` {
		t.Errorf("bad cursor: %d %s", r.Status, r.Body)
	}
	// A token without sharing.write may read links but not make them.
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": u.acct.AccountID, "scopes": []string{"sharing.read"}}, &tok)
	r = do(t, emu, rawCall{Route: create, Token: tok.AccessToken, Arg: map[string]any{"path": "/f.txt"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), `"required_scope":"sharing.write"`) {
		t.Errorf("create without sharing.write: %d %s", r.Status, r.Body)
	}
	linkRaw(t, emu, tok.AccessToken, list, map[string]any{}, http.StatusOK)
}

// list_shared_links: every link of the account, or those that give access
// to a path (its own and its folders', unless direct_only).
func TestSharedLinkList(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	coreMkdir(t, u.fc, "/a/b")
	f := corePut(t, u.fc, "/a/b/f.txt", []byte("f"))
	corePut(t, u.fc, "/other.txt", []byte("o"))
	la := linkURL(t, u, "/a", nil)
	lb := linkURL(t, u, "/a/b", nil)
	lf := linkURL(t, u, "/a/b/f.txt", nil)
	lo := linkURL(t, u, "/other.txt", nil)

	if diff := cmp.Diff([]string{la, lb, lf, lo}, linkList(t, u, nil)); diff != "" {
		t.Errorf("all links (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		path   string
		direct bool
		want   []string
	}{
		{"/a/b/f.txt", false, []string{lf, lb, la}},
		{"/A/B/F.TXT", true, []string{lf}},
		{f.Id, false, []string{lf, lb, la}},
		{"/a/b", false, []string{lb, la}},
		{"/other.txt", false, []string{lo}},
	} {
		res, err := u.sc.ListSharedLinksContext(t.Context(), &sharing.ListSharedLinksArg{Path: tc.path, DirectOnly: tc.direct})
		if err != nil {
			t.Fatalf("list %s: %v", tc.path, err)
		}
		var got []string
		for _, m := range res.Links {
			got = append(got, linkBase(t, m).Url)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || res.HasMore || res.Cursor != "" {
			t.Errorf("list %s direct_only=%t (-want +got):\n%s (has_more %t, cursor %q)", tc.path, tc.direct, diff, res.HasMore, res.Cursor)
		}
	}
	_, err := u.sc.ListSharedLinksContext(t.Context(), &sharing.ListSharedLinksArg{Path: "/nope"})
	if e := coreAPIErr[sharing.ListSharedLinksAPIError](t, err).EndpointError; e.Tag != "path" || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("list a missing path: %+v", e)
	}
	// The wire: no cursor with a path; a cursor without.
	withPath := do(t, emu, rawCall{Route: "sharing/list_shared_links", Token: u.acct.AccessToken, Arg: map[string]any{"path": "/other.txt"}})
	if diff := cmp.Diff([]string{"links", "has_more"}, keyOrder(t, withPath.Body)); diff != "" {
		t.Errorf("list with a path, keys (-want +got):\n%s", diff)
	}
	all := do(t, emu, rawCall{Route: "sharing/list_shared_links", Token: u.acct.AccessToken, Arg: map[string]any{}})
	if diff := cmp.Diff([]string{"links", "has_more", "cursor"}, keyOrder(t, all.Body)); diff != "" {
		t.Errorf("list all, keys (-want +got):\n%s", diff)
	}
	// Links are the owner's own, and so are cursors.
	other := linkAccount(t, emu, "other@example.com", "pro")
	if got := linkList(t, other, nil); len(got) != 0 {
		t.Errorf("another account lists %v", got)
	}
	cursor := all.json(t)["cursor"].(string)
	r := do(t, emu, rawCall{Route: "sharing/list_shared_links", Token: other.acct.AccessToken, Arg: map[string]any{"cursor": cursor}})
	if r.Status != http.StatusBadRequest {
		t.Errorf("another account's cursor: %d %s", r.Status, r.Body)
	}
	// The cursor of the last page lists what came after it.
	corePut(t, u.fc, "/later.txt", []byte("l"))
	later := linkURL(t, u, "/later.txt", nil)
	res, err := u.sc.ListSharedLinksContext(t.Context(), &sharing.ListSharedLinksArg{Cursor: cursor})
	if err != nil || len(res.Links) != 1 || linkBase(t, res.Links[0]).Url != later || res.HasMore {
		t.Errorf("list after the last cursor: %v %+v", err, res)
	}
}

// Pages of list_shared_links hold 200 links; the cursor walks them all once.
func TestSharedLinkListPaging(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	var want []string
	for i := range 203 {
		path := fmt.Sprintf("/p%03d.txt", i)
		ok(t, emu, rawCall{Route: "files/upload", Token: u.acct.AccessToken, Style: "upload", Arg: map[string]any{"path": path}, Body: []byte{byte(i)}})
		res := linkRaw(t, emu, u.acct.AccessToken, "sharing/create_shared_link_with_settings", map[string]any{"path": path}, http.StatusOK)
		want = append(want, res["url"].(string))
	}
	first, err := u.sc.ListSharedLinksContext(t.Context(), sharing.NewListSharedLinksArg())
	if err != nil || len(first.Links) != 200 || !first.HasMore || first.Cursor == "" {
		t.Fatalf("first page: %v, %d links, has_more %t", err, len(first.Links), first.HasMore)
	}
	if diff := cmp.Diff(want, linkList(t, u, nil)); diff != "" {
		t.Errorf("paged list (-want +got):\n%s", diff)
	}
}

// A link follows its file or folder across moves and renames, and stops
// working when it is deleted; a restore brings it back.
func TestSharedLinkFollowsMoveAndDelete(t *testing.T) {
	t.Parallel()
	_, u := linkSetup(t, "pro")
	data := coreRandom(7, 5000)
	corePut(t, u.fc, "/in/doc.txt", data)
	corePut(t, u.fc, "/in/sub/x.txt", []byte("x"))
	fileURL := linkURL(t, u, "/in/doc.txt", nil)
	folderURL := linkURL(t, u, "/in", nil)

	if _, err := u.fc.MoveV2Context(t.Context(), files.NewRelocationArg("/in/doc.txt", "/out/Renamed.txt")); err != nil {
		t.Fatalf("move: %v", err)
	}
	if _, err := u.fc.MoveV2Context(t.Context(), files.NewRelocationArg("/in", "/Moved")); err != nil {
		t.Fatalf("move folder: %v", err)
	}
	m, tag := linkMeta(t, u, sharing.NewGetSharedLinkMetadataArg(fileURL))
	if tag != "" || linkBase(t, m).PathLower != "/out/renamed.txt" || linkBase(t, m).Name != "Renamed.txt" || linkBase(t, m).Url != fileURL {
		t.Fatalf("metadata after the move: %s %+v", tag, m)
	}
	if got := linkList(t, u, &sharing.ListSharedLinksArg{Path: "/out/renamed.txt"}); !slices.Equal(got, []string{fileURL}) {
		t.Errorf("links of the new path = %v", got)
	}
	if status, _, body := coreHTTP(t, http.MethodGet, linkWith(t, fileURL, "dl", "1"), nil, nil); status != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("moved file through its link: %d, %d bytes", status, len(body))
	}
	_, b, tag := linkFile(t, u, &sharing.GetSharedLinkMetadataArg{Url: folderURL, Path: "/sub/x.txt"})
	if tag != "" || string(b) != "x" {
		t.Errorf("file below a moved folder link: %s %q", tag, b)
	}
	fm, _ := linkMeta(t, u, sharing.NewGetSharedLinkMetadataArg(folderURL))
	if linkBase(t, fm).PathLower != "/moved" {
		t.Errorf("moved folder link path_lower = %q", linkBase(t, fm).PathLower)
	}

	// Deleted: gone everywhere.
	del, err := u.fc.DeleteV2Context(t.Context(), files.NewDeleteArg("/out/Renamed.txt"))
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, tag := linkMeta(t, u, sharing.NewGetSharedLinkMetadataArg(fileURL)); tag != "shared_link_not_found" {
		t.Errorf("metadata of a deleted file's link: %q", tag)
	}
	if _, _, tag := linkFile(t, u, sharing.NewGetSharedLinkMetadataArg(fileURL)); tag != "shared_link_not_found" {
		t.Errorf("get_shared_link_file of a deleted file's link: %q", tag)
	}
	if status, _, _ := coreHTTP(t, http.MethodGet, linkWith(t, fileURL, "dl", "1"), nil, nil); status != http.StatusNotFound {
		t.Errorf("deleted file through its link: %d, want 404", status)
	}
	if got := linkList(t, u, nil); !slices.Equal(got, []string{folderURL}) {
		t.Errorf("links after the delete = %v", got)
	}
	// Restored (same id): the link works again.
	meta := del.Metadata.(*files.FileMetadata)
	if _, err := u.fc.RestoreContext(t.Context(), files.NewRestoreArg("/out/Renamed.txt", meta.Rev)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if _, tag := linkMeta(t, u, sharing.NewGetSharedLinkMetadataArg(fileURL)); tag != "" {
		t.Errorf("metadata of a restored file's link: %q", tag)
	}
	if _, err := u.fc.DeleteV2Context(t.Context(), files.NewDeleteArg("/Moved")); err != nil {
		t.Fatalf("delete folder: %v", err)
	}
	if _, _, tag := linkFile(t, u, &sharing.GetSharedLinkMetadataArg{Url: folderURL, Path: "/sub/x.txt"}); tag != "shared_link_not_found" {
		t.Errorf("file below a deleted folder link: %q", tag)
	}
	if err := u.sc.RevokeSharedLinkContext(t.Context(), sharing.NewRevokeSharedLinkArg(folderURL)); coreAPIErr[sharing.RevokeSharedLinkAPIError](t, err).EndpointError.Tag != "shared_link_not_found" {
		t.Errorf("revoke a deleted folder's link: %v", err)
	}
}

// modify_shared_link_settings: expiry, passwords and their plan limits;
// only the owner may.
func TestSharedLinkModify(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	pro := linkAccount(t, emu, "pro@example.com", "pro")
	corePut(t, pro.fc, "/m.txt", []byte("m"))
	link := linkURL(t, pro, "/m.txt", nil)
	modify := func(u linkUser, st *sharing.SharedLinkSettings, remove bool) (*sharing.SharedLinkMetadata, *sharing.ModifySharedLinkSettingsError) {
		t.Helper()
		arg := sharing.NewModifySharedLinkSettingsArgs(link, st)
		arg.RemoveExpiration = remove
		m, err := u.sc.ModifySharedLinkSettingsContext(t.Context(), arg)
		if err != nil {
			return nil, coreAPIErr[sharing.ModifySharedLinkSettingsAPIError](t, err).EndpointError
		}
		return linkBase(t, m), nil
	}
	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	m, e := modify(pro, &sharing.SharedLinkSettings{Expires: linkTime(exp)}, false)
	if e != nil || m.Expires == nil || !time.Time(*m.Expires).Equal(exp) || m.Url != link {
		t.Fatalf("set expiry: %+v %+v", e, m)
	}
	if m, e = modify(pro, &sharing.SharedLinkSettings{}, true); e != nil || m.Expires != nil {
		t.Errorf("remove expiry: %+v %+v", e, m)
	}
	m, e = modify(pro, &sharing.SharedLinkSettings{RequestedVisibility: linkVis("password"), LinkPassword: "s3cret"}, false)
	if e != nil || !m.LinkPermissions.RequirePassword || m.LinkPermissions.ResolvedVisibility.Tag != "password" {
		t.Errorf("set password: %+v %+v", e, m)
	}
	if m, e = modify(pro, &sharing.SharedLinkSettings{RequestedVisibility: linkVis("public")}, false); e != nil || m.LinkPermissions.RequirePassword {
		t.Errorf("remove password: %+v %+v", e, m)
	}
	for _, tc := range []struct {
		name string
		st   *sharing.SharedLinkSettings
	}{
		{"nothing to change", &sharing.SharedLinkSettings{}},
		{"expiry in the past", &sharing.SharedLinkSettings{Expires: linkTime(time.Now().Add(-time.Minute))}},
		{"password without one", &sharing.SharedLinkSettings{RequirePassword: true}},
		{"another access level", &sharing.SharedLinkSettings{Access: &sharing.RequestedLinkAccessLevel{Tagged: dropbox.Tagged{Tag: "editor"}}}},
	} {
		if _, e := modify(pro, tc.st, false); e == nil || e.Tag != "settings_error" || e.SettingsError.Tag != "invalid_settings" {
			t.Errorf("%s: %+v, want settings_error/invalid_settings", tc.name, e)
		}
	}
	// The owner alone; unknown links are not found.
	other := linkAccount(t, emu, "other@example.com", "pro")
	if _, e := modify(other, &sharing.SharedLinkSettings{RequestedVisibility: linkVis("public")}, false); e == nil || e.Tag != "shared_link_access_denied" {
		t.Errorf("another account modifies: %+v", e)
	}
	_, err := pro.sc.ModifySharedLinkSettingsContext(t.Context(), sharing.NewModifySharedLinkSettingsArgs(strings.Replace(link, "rlkey=", "rlkey=x", 1),
		&sharing.SharedLinkSettings{RequestedVisibility: linkVis("public")}))
	if e := coreAPIErr[sharing.ModifySharedLinkSettingsAPIError](t, err).EndpointError; e.Tag != "shared_link_not_found" {
		t.Errorf("modify with a wrong rlkey: %+v", e)
	}
	// A basic account may remove an expiry but set neither expiry nor password.
	basic := linkAccount(t, emu, "basic@example.com", "basic")
	corePut(t, basic.fc, "/b.txt", []byte("b"))
	link = linkURL(t, basic, "/b.txt", nil)
	for _, st := range []*sharing.SharedLinkSettings{{Expires: linkTime(exp)}, {RequirePassword: true, LinkPassword: "x"}} {
		if _, e := modify(basic, st, false); e == nil || e.Tag != "settings_error" || e.SettingsError.Tag != "not_authorized" {
			t.Errorf("basic modifies %+v: %+v, want settings_error/not_authorized", st, e)
		}
	}
	if _, e := modify(basic, &sharing.SharedLinkSettings{}, true); e != nil {
		t.Errorf("basic removes the expiry: %+v", e)
	}
}

// revoke_shared_link: the link stops working for good.
func TestSharedLinkRevoke(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "basic")
	corePut(t, u.fc, "/r.txt", []byte("r"))
	link := linkURL(t, u, "/r.txt", nil)
	other := linkAccount(t, emu, "other@example.com", "basic")
	revoke := func(u linkUser, link string) string {
		t.Helper()
		err := u.sc.RevokeSharedLinkContext(t.Context(), sharing.NewRevokeSharedLinkArg(link))
		if err == nil {
			return ""
		}
		return coreAPIErr[sharing.RevokeSharedLinkAPIError](t, err).EndpointError.Tag
	}
	if tag := revoke(other, link); tag != "shared_link_access_denied" {
		t.Errorf("another account revokes: %q", tag)
	}
	if tag := revoke(u, "https://www.dropbox.com/al0w4e11j0e1kp3/r.txt?dl=0"); tag != "shared_link_malformed" {
		t.Errorf("revoke a URL that is no link: %q", tag)
	}
	if tag := revoke(u, "https://www.dropbox.com/s/al0w4e11j0e1kp3/r.txt?dl=0"); tag != "shared_link_not_found" {
		t.Errorf("revoke an unknown link: %q", tag)
	}
	r := do(t, emu, rawCall{Route: "sharing/revoke_shared_link", Token: u.acct.AccessToken, Arg: map[string]any{"url": link}})
	if r.Status != http.StatusOK || string(r.Body) != "null" {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if tag := revoke(u, link); tag != "shared_link_not_found" {
		t.Errorf("revoke twice: %q", tag)
	}
	if _, tag := linkMeta(t, u, sharing.NewGetSharedLinkMetadataArg(link)); tag != "shared_link_not_found" {
		t.Errorf("metadata of a revoked link: %q", tag)
	}
	if status, _, _ := coreHTTP(t, http.MethodGet, linkWith(t, link, "dl", "1"), nil, nil); status != http.StatusNotFound {
		t.Errorf("revoked link served: %d, want 404", status)
	}
	if got := linkList(t, u, nil); len(got) != 0 {
		t.Errorf("links after revoke: %v", got)
	}
	if again := linkURL(t, u, "/r.txt", nil); again == link {
		t.Error("a new link after revoke has the revoked link's URL")
	}
}

// get_shared_link_metadata as others see it: no path_lower, no revoke;
// passwords, audiences, app authentication, paths below folder links, and
// URLs on any host.
func TestSharedLinkMetadataViewers(t *testing.T) {
	t.Parallel()
	emu, owner := linkSetup(t, "pro")
	corePut(t, owner.fc, "/Share/sub/f.txt", []byte("f"))
	corePut(t, owner.fc, "/secret.txt", []byte("s"))
	corePut(t, owner.fc, "/nobody.txt", []byte("n"))
	folder := linkURL(t, owner, "/Share", nil)
	secret := linkURL(t, owner, "/secret.txt", &sharing.SharedLinkSettings{RequirePassword: true, LinkPassword: "pw"})
	nobody := linkURL(t, owner, "/nobody.txt", &sharing.SharedLinkSettings{Audience: &sharing.LinkAudience{Tagged: dropbox.Tagged{Tag: "no_one"}}})
	viewer := linkAccount(t, emu, "viewer@example.com", "basic")

	m, tag := linkMeta(t, viewer, sharing.NewGetSharedLinkMetadataArg(folder))
	if tag != "" {
		t.Fatalf("viewer reads a folder link: %s", tag)
	}
	b := linkBase(t, m)
	if b.PathLower != "" || b.LinkPermissions.CanRevoke || b.LinkPermissions.RevokeFailureReason == nil ||
		b.LinkPermissions.RevokeFailureReason.Tag != "owner_only" || b.LinkPermissions.RequestedVisibility != nil || b.Name != "Share" {
		t.Errorf("viewer's view of a folder link: %+v %+v", b, b.LinkPermissions)
	}
	m, tag = linkMeta(t, viewer, &sharing.GetSharedLinkMetadataArg{Url: folder, Path: "/SUB/f.txt"})
	if fm, ok := m.(*sharing.FileLinkMetadata); tag != "" || !ok || fm.Name != "f.txt" || fm.Size != 1 || fm.Url != folder {
		t.Errorf("file below a folder link: %s %+v", tag, m)
	}
	if _, tag = linkMeta(t, viewer, &sharing.GetSharedLinkMetadataArg{Url: folder, Path: "/sub/none.txt"}); tag != "shared_link_not_found" {
		t.Errorf("missing path below a folder link: %q", tag)
	}
	if m, tag = linkMeta(t, owner, &sharing.GetSharedLinkMetadataArg{Url: folder, Path: "/sub"}); tag != "" || linkBase(t, m).PathLower != "/share/sub" {
		t.Errorf("owner reads a folder below a folder link: %s %+v", tag, m)
	}
	// Passwords.
	for pw, want := range map[string]string{"": "shared_link_access_denied", "nope": "shared_link_access_denied", "pw": ""} {
		if _, tag := linkMeta(t, viewer, &sharing.GetSharedLinkMetadataArg{Url: secret, LinkPassword: pw}); tag != want {
			t.Errorf("password %q: %q, want %q", pw, tag, want)
		}
	}
	if _, tag := linkMeta(t, owner, sharing.NewGetSharedLinkMetadataArg(secret)); tag != "" {
		t.Errorf("the owner needs no password: %q", tag)
	}
	if _, tag := linkMeta(t, viewer, sharing.NewGetSharedLinkMetadataArg(nobody)); tag != "shared_link_access_denied" {
		t.Errorf("no_one link for a viewer: %q", tag)
	}
	// Any host: the same link on www.dropbox.com.
	onDropbox := "https://www.dropbox.com" + strings.TrimPrefix(folder, emu.URL)
	if _, tag := linkMeta(t, viewer, sharing.NewGetSharedLinkMetadataArg(onDropbox)); tag != "" {
		t.Errorf("link on www.dropbox.com: %q", tag)
	}
	for _, bad := range []string{"not a url", "https://www.dropbox.com/scl/fi/abc/x.txt?rlkey=zzz", strings.Replace(folder, "rlkey=", "rlkey=x", 1)} {
		if _, tag := linkMeta(t, viewer, sharing.NewGetSharedLinkMetadataArg(bad)); tag != "shared_link_not_found" {
			t.Errorf("metadata of %q: %q", bad, tag)
		}
	}
	// App authentication.
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "linkapp", AppSecret: "linksecret", RedirectURIs: []string{"http://localhost/cb"}})
	basicAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("linkapp:linksecret"))
	r := do(t, emu, rawCall{Route: "sharing/get_shared_link_metadata", Arg: map[string]any{"url": folder}, Header: map[string]string{"Authorization": basicAuth}})
	if r.Status != http.StatusOK {
		t.Fatalf("app auth: %d %s", r.Status, r.Body)
	}
	if got := r.json(t); got["path_lower"] != nil || got["name"] != "Share" || got["link_permissions"].(map[string]any)["can_revoke"] != false {
		t.Errorf("app auth metadata: %v", got)
	}
}

// get_shared_link_file: the bytes, with the link's metadata in the
// Dropbox-API-Result header, and its errors.
func TestSharedLinkGetFile(t *testing.T) {
	t.Parallel()
	emu, owner := linkSetup(t, "pro")
	data := coreRandom(3, 10000)
	corePut(t, owner.fc, "/f.bin", data)
	corePut(t, owner.fc, "/dir/sub/inner.txt", []byte("inner"))
	corePut(t, owner.fc, "/doc.paper", []byte("# p"))
	corePut(t, owner.fc, "/locked.txt", []byte("locked"))
	file := linkURL(t, owner, "/f.bin", nil)
	dir := linkURL(t, owner, "/dir", nil)
	paper := linkURL(t, owner, "/doc.paper", nil)
	locked := linkURL(t, owner, "/locked.txt", &sharing.SharedLinkSettings{RequirePassword: true, LinkPassword: "pw"})
	viewer := linkAccount(t, emu, "viewer@example.com", "basic")

	m, b, tag := linkFile(t, viewer, sharing.NewGetSharedLinkMetadataArg(file))
	if fm, ok := m.(*sharing.FileLinkMetadata); tag != "" || !ok || !bytes.Equal(b, data) || fm.Name != "f.bin" || fm.Size != 10000 || fm.Url != file {
		t.Fatalf("get_shared_link_file: %s %T, %d bytes", tag, m, len(b))
	}
	if _, b, tag = linkFile(t, viewer, &sharing.GetSharedLinkMetadataArg{Url: dir, Path: "/sub/inner.txt"}); tag != "" || string(b) != "inner" {
		t.Errorf("file below a folder link: %s %q", tag, b)
	}
	for _, tc := range []struct {
		arg  *sharing.GetSharedLinkMetadataArg
		want string
	}{
		{sharing.NewGetSharedLinkMetadataArg(dir), "shared_link_is_directory"},
		{&sharing.GetSharedLinkMetadataArg{Url: dir, Path: "/sub"}, "shared_link_is_directory"},
		{&sharing.GetSharedLinkMetadataArg{Url: dir, Path: "/missing"}, "shared_link_not_found"},
		{&sharing.GetSharedLinkMetadataArg{Url: file, Path: "/x"}, "shared_link_not_found"},
		{sharing.NewGetSharedLinkMetadataArg(paper), "unsupported_link_type"},
		{sharing.NewGetSharedLinkMetadataArg(locked), "shared_link_access_denied"},
		{&sharing.GetSharedLinkMetadataArg{Url: locked, LinkPassword: "wrong"}, "shared_link_access_denied"},
		{&sharing.GetSharedLinkMetadataArg{Url: locked, LinkPassword: "pw"}, ""},
		{sharing.NewGetSharedLinkMetadataArg("https://www.dropbox.com/scl/fi/none/x?rlkey=y&dl=0"), "shared_link_not_found"},
	} {
		if _, _, tag := linkFile(t, viewer, tc.arg); tag != tc.want {
			t.Errorf("get_shared_link_file %+v: %q, want %q", tc.arg, tag, tc.want)
		}
	}
	// Downloads turned off: others may not, the owner may.
	nodl := linkRaw(t, emu, owner.acct.AccessToken, "sharing/create_shared_link_with_settings",
		map[string]any{"path": "/dir/sub/inner.txt", "settings": map[string]any{"allow_download": false}}, http.StatusOK)["url"].(string)
	if _, _, tag := linkFile(t, viewer, sharing.NewGetSharedLinkMetadataArg(nodl)); tag != "shared_link_access_denied" {
		t.Errorf("no-download link for a viewer: %q", tag)
	}
	if _, _, tag := linkFile(t, owner, sharing.NewGetSharedLinkMetadataArg(nodl)); tag != "" {
		t.Errorf("no-download link for the owner: %q", tag)
	}
	// The raw wire: the result header, and Range.
	r := do(t, emu, rawCall{Route: "sharing/get_shared_link_file", Token: viewer.acct.AccessToken, Style: "download",
		Arg: map[string]any{"url": file}, Header: map[string]string{"Range": "bytes=100-199"}})
	var res map[string]any
	if err := json.Unmarshal([]byte(r.Header.Get("Dropbox-API-Result")), &res); err != nil || r.Status != http.StatusPartialContent ||
		!bytes.Equal(r.Body, data[100:200]) || res[".tag"] != "file" || res["url"] != file {
		t.Errorf("ranged get_shared_link_file: %d %v %q, %d bytes", r.Status, err, r.Header.Get("Dropbox-API-Result"), len(r.Body))
	}
}

// A file link served over HTTP: the page, the bytes, Range, raw=1, HEAD,
// on any Host, and the 404s.
func TestSharedLinkServeFile(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	data := coreRandom(11, 3000)
	corePut(t, u.fc, "/Pics/Photo 1.png", data)
	link := linkURL(t, u, "/Pics/Photo 1.png", nil)

	dl := linkWith(t, link, "dl", "1")
	status, h, page := coreHTTP(t, http.MethodGet, link, nil, nil)
	wantHref := strings.Replace(strings.TrimPrefix(link, emu.URL), "dl=0", "dl=1", 1)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !bytes.Contains(page, []byte("Photo 1.png")) ||
		!slices.Contains(linkHrefs(page), wantHref) {
		t.Errorf("dl=0 page: %d %q, want a link to %s\n%s", status, h.Get("Content-Type"), wantHref, page)
	}
	status, h, body := coreHTTP(t, http.MethodGet, dl, nil, nil)
	if status != http.StatusOK || !bytes.Equal(body, data) || h.Get("Content-Type") != "image/png" ||
		h.Get("Content-Disposition") != "attachment; filename*=UTF-8''Photo%201.png" {
		t.Errorf("dl=1: %d %q %q, %d bytes", status, h.Get("Content-Type"), h.Get("Content-Disposition"), len(body))
	}
	status, h, body = coreHTTP(t, http.MethodGet, dl, map[string]string{"Range": "bytes=10-19"}, nil)
	if status != http.StatusPartialContent || !bytes.Equal(body, data[10:20]) || h.Get("Content-Range") != "bytes 10-19/3000" {
		t.Errorf("ranged dl=1: %d %q, %d bytes", status, h.Get("Content-Range"), len(body))
	}
	status, h, body = coreHTTP(t, http.MethodGet, linkWith(t, link, "raw", "1"), nil, nil)
	if status != http.StatusOK || !bytes.Equal(body, data) || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") {
		t.Errorf("raw=1: %d %q", status, h.Get("Content-Disposition"))
	}
	status, h, body = coreHTTP(t, http.MethodHead, dl, nil, nil)
	if status != http.StatusOK || len(body) != 0 || h.Get("Content-Length") != "3000" {
		t.Errorf("HEAD dl=1: %d %q, %d bytes", status, h.Get("Content-Length"), len(body))
	}
	// Whatever the Host header says.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, dl, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "www.dropbox.com"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("dl=1 with Host www.dropbox.com: %d", resp.StatusCode)
	}
	// What is not a live link is a 404.
	p, _ := url.Parse(link)
	comps := strings.Split(p.Path, "/") // "", scl, fi, id, name
	for name, bad := range map[string]string{
		"wrong rlkey":  strings.Replace(dl, "rlkey=", "rlkey=0", 1),
		"no rlkey":     emu.URL + p.Path + "?dl=1",
		"unknown id":   emu.URL + "/scl/fi/nosuchlink/x.png?rlkey=abc&dl=1",
		"folder shape": emu.URL + "/scl/fo/" + comps[3] + "/x?" + p.RawQuery,
	} {
		if status, h, _ := coreHTTP(t, http.MethodGet, bad, nil, nil); status != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q, want a 404 page", name, status, h.Get("Content-Type"))
		}
	}
	if status, _, _ := coreHTTP(t, http.MethodPut, dl, nil, []byte("x")); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", status)
	}
	if status, _, _ := coreHTTP(t, http.MethodPost, dl, nil, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("POST to a link without password: %d", status)
	}
	// Downloads turned off: the page stays, the bytes do not.
	corePut(t, u.fc, "/view-only.txt", []byte("v"))
	nodl := linkRaw(t, emu, u.acct.AccessToken, "sharing/create_shared_link_with_settings",
		map[string]any{"path": "/view-only.txt", "settings": map[string]any{"allow_download": false}}, http.StatusOK)["url"].(string)
	if status, _, _ := coreHTTP(t, http.MethodGet, nodl, nil, nil); status != http.StatusOK {
		t.Errorf("no-download link page: %d", status)
	}
	if status, _, _ := coreHTTP(t, http.MethodGet, linkWith(t, nodl, "dl", "1"), nil, nil); status != http.StatusForbidden {
		t.Errorf("no-download link, dl=1: %d, want 403", status)
	}
}

// linkHrefs returns the targets of the links on an HTML page.
func linkHrefs(page []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="([^"]+)"`).FindAllSubmatch(page, -1) {
		out = append(out, html.UnescapeString(string(m[1])))
	}
	return out
}

// A folder link served over HTTP: listings that lead to the files, and
// the folder as a zip.
func TestSharedLinkServeFolder(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	corePut(t, u.fc, "/Share/a.txt", []byte("alpha"))
	corePut(t, u.fc, "/Share/Sub Dir/b.txt", []byte("bravo"))
	corePut(t, u.fc, "/Share/Sub Dir/deep/c.txt", []byte("charlie"))
	link := linkURL(t, u, "/Share", nil)

	status, _, page := coreHTTP(t, http.MethodGet, link, nil, nil)
	if status != http.StatusOK || !bytes.Contains(page, []byte("a.txt")) || !bytes.Contains(page, []byte("Sub Dir/")) {
		t.Fatalf("folder page: %d\n%s", status, page)
	}
	// Follow the page's links: into Sub Dir, then the download of b.txt.
	var sub string
	for _, href := range linkHrefs(page) {
		if strings.Contains(href, "/Sub%20Dir?") && strings.HasSuffix(href, "dl=0") {
			sub = emu.URL + href
		}
	}
	if sub == "" {
		t.Fatalf("no link to Sub Dir on the page:\n%s", page)
	}
	status, _, page = coreHTTP(t, http.MethodGet, sub, nil, nil)
	if status != http.StatusOK || !bytes.Contains(page, []byte("b.txt")) || !bytes.Contains(page, []byte("deep/")) || bytes.Contains(page, []byte("a.txt")) {
		t.Fatalf("Sub Dir page: %d\n%s", status, page)
	}
	var got []string
	for _, href := range linkHrefs(page) {
		if strings.HasSuffix(href, "dl=1") && strings.Contains(href, "/b.txt?") {
			_, _, body := coreHTTP(t, http.MethodGet, emu.URL+href, nil, nil)
			got = append(got, string(body))
		}
	}
	if !slices.Equal(got, []string{"bravo"}) {
		t.Errorf("downloads of b.txt from the page: %q", got)
	}
	if status, _, _ := coreHTTP(t, http.MethodGet, strings.Replace(sub, "/Sub%20Dir?", "/Nope?", 1), nil, nil); status != http.StatusNotFound {
		t.Errorf("missing path below a folder link: %d", status)
	}
	// dl=1: the folder as a zip.
	status, h, body := coreHTTP(t, http.MethodGet, linkWith(t, link, "dl", "1"), nil, nil)
	if status != http.StatusOK || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("folder dl=1: %d %q", status, h.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("folder zip: %v", err)
	}
	contents := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		contents[f.Name] = string(b)
	}
	want := map[string]string{"Share/": "", "Share/a.txt": "alpha", "Share/Sub Dir/": "", "Share/Sub Dir/b.txt": "bravo",
		"Share/Sub Dir/deep/": "", "Share/Sub Dir/deep/c.txt": "charlie"}
	if diff := cmp.Diff(want, contents); diff != "" {
		t.Errorf("folder zip (-want +got):\n%s", diff)
	}
}

// A password-protected link asks for its password; the right one sets a
// cookie that lets the browser in until the password changes.
func TestSharedLinkServePassword(t *testing.T) {
	t.Parallel()
	_, u := linkSetup(t, "pro")
	corePut(t, u.fc, "/p.txt", []byte("top secret bytes"))
	link := linkURL(t, u, "/p.txt", &sharing.SharedLinkSettings{RequestedVisibility: linkVis("password"), LinkPassword: "open sesame"})
	dl := linkWith(t, link, "dl", "1")

	status, _, page := coreHTTP(t, http.MethodGet, dl, nil, nil)
	if status != http.StatusUnauthorized || !bytes.Contains(page, []byte(`type="password"`)) || bytes.Contains(page, []byte("top secret")) {
		t.Fatalf("password link without the password: %d\n%s", status, page)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	post := func(pw string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, dl, strings.NewReader(url.Values{"password": {pw}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req) // follows the 303 back to the link
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	get := func() (int, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, dl, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, page := post("sesame"); status != http.StatusUnauthorized || !bytes.Contains(page, []byte("Incorrect password")) {
		t.Errorf("wrong password: %d\n%s", status, page)
	}
	if status, body := post("open sesame"); status != http.StatusOK || string(body) != "top secret bytes" {
		t.Fatalf("right password: %d %q", status, body)
	}
	if status, body := get(); status != http.StatusOK || string(body) != "top secret bytes" {
		t.Errorf("with the cookie: %d %q", status, body)
	}
	// A new password locks the old cookie out.
	if _, err := u.sc.ModifySharedLinkSettingsContext(t.Context(), sharing.NewModifySharedLinkSettingsArgs(link,
		&sharing.SharedLinkSettings{LinkPassword: "new one"})); err != nil {
		t.Fatalf("modify: %v", err)
	}
	if status, _ := get(); status != http.StatusUnauthorized {
		t.Errorf("old cookie after a password change: %d, want 401", status)
	}
	if status, body := post("new one"); status != http.StatusOK || string(body) != "top secret bytes" {
		t.Errorf("new password: %d %q", status, body)
	}
}

// Links stop working at their expiry on the emulator's clock; the owner
// can still see and extend them.
func TestSharedLinkServeExpiry(t *testing.T) {
	t.Parallel()
	emu, u := linkSetup(t, "pro")
	corePut(t, u.fc, "/e.txt", []byte("soon gone"))
	link := linkURL(t, u, "/e.txt", &sharing.SharedLinkSettings{Expires: linkTime(time.Now().Add(time.Hour))})
	dl := linkWith(t, link, "dl", "1")
	viewer := linkAccount(t, emu, "viewer@example.com", "basic")
	if status, _, body := coreHTTP(t, http.MethodGet, dl, nil, nil); status != http.StatusOK || string(body) != "soon gone" {
		t.Fatalf("before expiry: %d %q", status, body)
	}
	emu.Advance(t, 2*time.Hour)
	if status, h, _ := coreHTTP(t, http.MethodGet, dl, nil, nil); status != http.StatusGone || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("after expiry: %d %q, want a 410 page", status, h.Get("Content-Type"))
	}
	if _, tag := linkMeta(t, viewer, sharing.NewGetSharedLinkMetadataArg(link)); tag != "shared_link_not_found" {
		t.Errorf("expired link metadata for a viewer: %q", tag)
	}
	if _, _, tag := linkFile(t, viewer, sharing.NewGetSharedLinkMetadataArg(link)); tag != "shared_link_not_found" {
		t.Errorf("expired link file for a viewer: %q", tag)
	}
	if m, tag := linkMeta(t, u, sharing.NewGetSharedLinkMetadataArg(link)); tag != "" || linkBase(t, m).Expires == nil {
		t.Errorf("expired link metadata for the owner: %q", tag)
	}
	arg := sharing.NewModifySharedLinkSettingsArgs(link, &sharing.SharedLinkSettings{})
	arg.RemoveExpiration = true
	if _, err := u.sc.ModifySharedLinkSettingsContext(t.Context(), arg); err != nil {
		t.Fatalf("remove expiration: %v", err)
	}
	if status, _, _ := coreHTTP(t, http.MethodGet, dl, nil, nil); status != http.StatusOK {
		t.Errorf("after removing the expiry: %d", status)
	}
}

// Links are stored: they survive a restart of a disk-backed emulator,
// passwords and revocations included.
func TestSharedLinkSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "disk@example.com", AccountType: "pro"})
	u := linkUser{acct: acct, fc: files.NewContext(sdkConfig(emu, acct.AccessToken)), sc: sharing.NewContext(sdkConfig(emu, acct.AccessToken))}
	corePut(t, u.fc, "/keep/k.txt", []byte("kept"))
	corePut(t, u.fc, "/pw.txt", []byte("secret"))
	corePut(t, u.fc, "/gone.txt", []byte("g"))
	rel := func(link string) string { return strings.TrimPrefix(link, emu.URL) }
	folder := rel(linkURL(t, u, "/keep", nil))
	pw := rel(linkURL(t, u, "/pw.txt", &sharing.SharedLinkSettings{RequirePassword: true, LinkPassword: "pw"}))
	gone := rel(linkURL(t, u, "/gone.txt", nil))
	stop()

	emu, stop = startDiskEmulator(t, dir, dropboxemu.Options{})
	u.sc = sharing.NewContext(sdkConfig(emu, acct.AccessToken))
	var got []string
	for _, l := range linkList(t, u, nil) {
		got = append(got, strings.TrimPrefix(l, emu.URL))
	}
	if diff := cmp.Diff([]string{folder, pw, gone}, got); diff != "" {
		t.Errorf("links after a restart (-want +got):\n%s", diff)
	}
	if _, b, tag := linkFile(t, u, &sharing.GetSharedLinkMetadataArg{Url: emu.URL + folder, Path: "/k.txt"}); tag != "" || string(b) != "kept" {
		t.Errorf("folder link after a restart: %q %q", tag, b)
	}
	viewer := linkAccount(t, emu, "viewer@example.com", "basic")
	if _, b, tag := linkFile(t, viewer, &sharing.GetSharedLinkMetadataArg{Url: emu.URL + pw, LinkPassword: "pw"}); tag != "" || string(b) != "secret" {
		t.Errorf("password link after a restart: %q %q", tag, b)
	}
	if _, _, tag := linkFile(t, viewer, &sharing.GetSharedLinkMetadataArg{Url: emu.URL + pw, LinkPassword: "nope"}); tag != "shared_link_access_denied" {
		t.Errorf("wrong password after a restart: %q", tag)
	}
	if err := u.sc.RevokeSharedLinkContext(t.Context(), sharing.NewRevokeSharedLinkArg(emu.URL+gone)); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	stop()

	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})
	if status, _, _ := coreHTTP(t, http.MethodGet, emu.URL+strings.Replace(gone, "dl=0", "dl=1", 1), nil, nil); status != http.StatusNotFound {
		t.Errorf("revoked link after a restart: %d, want 404", status)
	}
	if status, _, body := coreHTTP(t, http.MethodGet, linkWith(t, emu.URL+strings.Replace(folder, "?", "/k.txt?", 1), "dl", "1"), nil, nil); status != http.StatusOK || string(body) != "kept" {
		t.Errorf("folder link served after two restarts: %d %q", status, body)
	}
}
