package dropboxemu_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// adminRefused checks that an admin call fails with status and a message
// containing want.
func adminRefused(t *testing.T, emu *dropboxtest.Emulator, method, path string, body any, status, want string) {
	t.Helper()
	err := emu.AdminErr(method, path, body, nil)
	if err == nil || !strings.Contains(err.Error(), ": "+status+" ") || !strings.Contains(err.Error(), want) {
		t.Errorf("%s %s %v: %v, want %s saying %q", method, path, body, err, status, want)
	}
}

func TestAdminClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) {
		o.Now = func() time.Time { return start }
	}))
	var now struct {
		Now string `json:"now"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/clock", nil, &now)
	if now.Now != "2031-05-06T07:08:09Z" {
		t.Errorf("GET clock = %q", now.Now)
	}
	emu.Admin(t, http.MethodPost, "/_emulator/clock", map[string]any{"advance_seconds": 3600.5}, &now)
	if now.Now != "2031-05-06T08:08:09Z" {
		t.Errorf("after advancing 3600.5s: %q", now.Now)
	}
	emu.Advance(t, 24*time.Hour)
	emu.Admin(t, http.MethodGet, "/_emulator/clock", nil, &now)
	if now.Now != "2031-05-07T08:08:09Z" {
		t.Errorf("after advancing a day: %q", now.Now)
	}
	adminRefused(t, emu, http.MethodPost, "/_emulator/clock", map[string]any{"advance_seconds": -1}, "400", "does not go back")
	adminRefused(t, emu, http.MethodPost, "/_emulator/clock", map[string]any{"set": "2030-01-01T00:00:00Z"}, "400", "unknown field")

	// The emulator's timestamps follow the clock.
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	r := do(t, emu, rawCall{Route: "files/upload", Style: "upload", Token: acct.AccessToken, Arg: map[string]any{"path": "/a"}, Body: []byte("a")})
	if got := r.json(t)["server_modified"]; got != "2031-05-07T08:08:09Z" {
		t.Errorf("server_modified = %v, want the emulator's time", got)
	}
}

func TestAdminStats(t *testing.T) {
	t.Parallel()
	emu, acct, _ := newSDKAccount(t)
	faultCheck(t, emu, acct.AccessToken)
	faultCheck(t, emu, acct.AccessToken)
	faultCheck(t, emu, "sl.nope")
	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", Status: 429, Times: 1})
	faultCheck(t, emu, acct.AccessToken)
	do(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken, Arg: map[string]any{"path": "/nope"}})
	do(t, emu, rawCall{Route: "files/teleport", Token: acct.AccessToken, Arg: map[string]any{}})

	var stats struct {
		Routes map[string]map[string]int `json:"routes"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/stats", nil, &stats)
	want := map[string]map[string]int{
		"check/user":         {"200": 2, "401": 1, "429": 1},
		"files/get_metadata": {"409": 1},
		"files/teleport":     {"404": 1},
	}
	if diff := cmp.Diff(want, stats.Routes); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestAdminAccountsAndApps(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "zeta", AppSecret: "z", RedirectURIs: []string{"https://example.com/cb"}, Scopes: []string{"files.metadata.read"}})
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "alpha", AppSecret: "a"})
	zed := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "zed@example.com", DisplayName: "Zed", AccountType: "business"})
	amy := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "amy@example.com", AppKey: "alpha"})
	if zed.AccessToken == "" || !strings.HasPrefix(zed.AccountID, "dbid:") || len(zed.AccountID) != 40 || zed.RootNS == "" {
		t.Errorf("created account = %+v; want a token, a 40-character dbid: id and a namespace", zed)
	}

	var accts struct {
		Accounts []map[string]any `json:"accounts"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/accounts", nil, &accts)
	if len(accts.Accounts) != 2 {
		t.Fatalf("accounts = %v", accts.Accounts)
	}
	a, z := accts.Accounts[0], accts.Accounts[1] // sorted by email
	if a["account_id"] != amy.AccountID || a["display_name"] != "amy" || a["account_type"] != "basic" ||
		z["account_id"] != zed.AccountID || z["display_name"] != "Zed" || z["account_type"] != "business" ||
		z["root_namespace_id"] != zed.RootNS || z["uid"] != float64(zed.UID) {
		t.Errorf("accounts = %v", accts.Accounts)
	}
	for _, m := range accts.Accounts {
		if _, ok := m["access_token"]; ok {
			t.Errorf("the account listing carries tokens: %v", m)
		}
	}

	var apps struct {
		Apps []map[string]any `json:"apps"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/apps", nil, &apps)
	want := []map[string]any{
		{"app_key": "alpha", "app_secret": "a", "redirect_uris": []any{}},
		{"app_key": "zeta", "app_secret": "z", "redirect_uris": []any{"https://example.com/cb"},
			"scopes": []any{"account_info.read", "files.metadata.read"}},
	}
	if len(apps.Apps) == 2 {
		delete(apps.Apps[0], "scopes") // every scope: not worth spelling out
	}
	if diff := cmp.Diff(want, apps.Apps); diff != "" {
		t.Errorf("apps (-want +got):\n%s", diff)
	}
}

func TestAdminTokens(t *testing.T) {
	t.Parallel()
	start := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.Now = func() time.Time { return start } }))
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "app", AppSecret: "s"})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})

	var tok map[string]any
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": acct.AccountID,
		"app_key": "app", "scopes": []string{"account_info.read", "files.metadata.read"}, "expires_in": 600}, &tok)
	want := map[string]any{"access_token": tok["access_token"], "account_id": acct.AccountID,
		"scopes": []any{"account_info.read", "files.metadata.read"}, "expires_at": "2031-01-01T00:10:00Z"}
	if diff := cmp.Diff(want, tok); diff != "" || tok["access_token"] == "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	token := tok["access_token"].(string)
	if r := do(t, emu, rawCall{Route: "files/list_folder", Token: token, Arg: map[string]any{"path": ""}}); r.Status != 200 {
		t.Errorf("list_folder with files.metadata.read: %d %s", r.Status, r.Body)
	}
	if r := do(t, emu, rawCall{Route: "files/download", Style: "download", Token: token, Arg: map[string]any{"path": "/x"}}); r.Status != 401 {
		t.Errorf("download without files.content.read: %d, want 401", r.Status)
	}
	emu.Advance(t, 10*time.Minute)
	if r := do(t, emu, rawCall{Route: "files/list_folder", Token: token, Arg: map[string]any{"path": ""}}); r.Status != 401 ||
		!strings.Contains(string(r.Body), "expired_access_token") {
		t.Errorf("after expires_in: %d %s", r.Status, r.Body)
	}

	var forever map[string]any
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": acct.AccountID}, &forever)
	if _, ok := forever["expires_at"]; ok || len(forever["scopes"].([]any)) < 10 {
		t.Errorf("default token = %v, want every scope and no expiry", forever)
	}

	for _, tt := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"account_id": "dbid:nope"}, "does not exist"},
		{map[string]any{"account_id": acct.AccountID, "app_key": "nope"}, "does not exist"},
		{map[string]any{"account_id": acct.AccountID, "scopes": []string{"files.everything"}}, "unknown scope"},
		{map[string]any{"account_id": acct.AccountID, "expires_in": -1}, "expires_in must be >= 0"},
	} {
		adminRefused(t, emu, http.MethodPost, "/_emulator/tokens", tt.body, "400", tt.want)
	}
}

func TestAdminCursorsReset(t *testing.T) {
	t.Parallel()
	emu, acct, _ := newSDKAccount(t)
	other := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	cursorOf := func(token string) string {
		t.Helper()
		r := do(t, emu, rawCall{Route: "files/list_folder", Token: token, Arg: map[string]any{"path": "", "recursive": true}})
		if r.Status != 200 {
			t.Fatalf("list_folder: %d %s", r.Status, r.Body)
		}
		return r.json(t)["cursor"].(string)
	}
	cursor, otherCursor := cursorOf(acct.AccessToken), cursorOf(other.AccessToken)
	hookUpload(t, emu, acct.AccessToken, "/a.txt")
	emu.Admin(t, http.MethodPost, "/_emulator/cursors/reset", map[string]any{"account_id": acct.AccountID}, nil)

	r := do(t, emu, rawCall{Route: "files/list_folder/continue", Token: acct.AccessToken, Arg: map[string]any{"cursor": cursor}})
	if r.Status != 409 || !strings.Contains(string(r.Body), `"reset"`) {
		t.Errorf("continue after cursors/reset: %d %s, want 409 reset", r.Status, r.Body)
	}
	if r := do(t, emu, rawCall{Route: "files/list_folder/continue", Token: other.AccessToken, Arg: map[string]any{"cursor": otherCursor}}); r.Status != 200 {
		t.Errorf("another account's cursor: %d %s", r.Status, r.Body)
	}
	// A fresh listing works and sees the file.
	fresh := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{"path": ""}})
	if fresh.Status != 200 || !strings.Contains(string(fresh.Body), "/a.txt") {
		t.Errorf("list_folder after the reset: %d %s", fresh.Status, fresh.Body)
	}
	adminRefused(t, emu, http.MethodPost, "/_emulator/cursors/reset", map[string]any{"account_id": "dbid:nope"}, "400", "does not exist")
}

func TestAdminRefusesBadInput(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "app", AppSecret: "s"})
	emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	for _, tt := range []struct {
		method, path string
		body         any
		status, want string
	}{
		{http.MethodGet, "/_emulator/nothing", nil, "404", "no admin endpoint"},
		{http.MethodPut, "/_emulator/apps", nil, "404", "no admin endpoint"},
		{http.MethodPost, "/_emulator/apps", map[string]any{"app_key": "x"}, "400", "app_key and app_secret are required"},
		{http.MethodPost, "/_emulator/apps", map[string]any{"app_key": "app", "app_secret": "other"}, "409", "exists with another secret"},
		{http.MethodPost, "/_emulator/apps", map[string]any{"app_key": "x", "app_secret": "s", "redirect_uris": []string{"ftp://x"}}, "400", "redirect_uris"},
		{http.MethodPost, "/_emulator/apps", map[string]any{"app_key": "x", "app_secret": "s", "scopes": []string{"files.everything"}}, "400", "unknown scope"},
		{http.MethodPost, "/_emulator/apps", "not an object", "400", "bad JSON body"},
		{http.MethodPost, "/_emulator/accounts", map[string]any{"email": "not an email"}, "400", "not a valid address"},
		{http.MethodPost, "/_emulator/accounts", map[string]any{"email": "ADA@example.com"}, "400", "exists"},
		{http.MethodPost, "/_emulator/accounts", map[string]any{"email": "bob@example.com", "account_type": "gold"}, "400", "account_type"},
		{http.MethodPost, "/_emulator/accounts", map[string]any{"email": "bob@example.com", "app_key": "nope"}, "400", "does not exist"},
		{http.MethodPost, "/_emulator/accounts", map[string]any{"email": "bob@example.com", "favorite_color": "blue"}, "400", "unknown field"},
	} {
		adminRefused(t, emu, tt.method, tt.path, tt.body, tt.status, tt.want)
	}
	var accts struct {
		Accounts []map[string]any `json:"accounts"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/accounts", nil, &accts)
	if len(accts.Accounts) != 1 {
		t.Errorf("refused calls created accounts: %v", accts.Accounts)
	}
}

func TestAdminAccountQuota(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "small@example.com", Quota: 10})
	up := do(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/a.txt"}, Body: []byte("0123456789")})
	if up.Status != 200 {
		t.Fatalf("upload within quota: %d %s", up.Status, up.Body)
	}
	up = do(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/b.txt"}, Body: []byte("x")})
	if up.Status != 409 || !strings.Contains(string(up.Body), "insufficient_space") {
		t.Fatalf("upload beyond quota: %d %s", up.Status, up.Body)
	}
	if err := emu.AdminErr(http.MethodPost, "/_emulator/accounts", map[string]any{"email": "neg@example.com", "quota": -1}, nil); err == nil || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("negative quota: %v", err)
	}
}
