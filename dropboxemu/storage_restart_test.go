package dropboxemu_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// startDiskEmulator serves a disk-backed emulator on dir. The returned stop
// shuts it down (also at the end of the test); a new one may then open dir.
func startDiskEmulator(t *testing.T, dir string, opts dropboxemu.Options) (*dropboxtest.Emulator, func()) {
	t.Helper()
	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		t.Fatalf("OpenDiskBackend: %v", err)
	}
	opts.Backend = b
	srv, err := dropboxemu.New(opts)
	if err != nil {
		b.Close()
		t.Fatalf("New on %s: %v", dir, err)
	}
	hs := httptest.NewServer(srv)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Drain()
			hs.Close()
			if err := srv.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &dropboxtest.Emulator{Server: srv, URL: hs.URL, HTTP: hs}, stop
}

// ok calls the emulator and fails the test unless it answers 200.
func ok(t *testing.T, emu *dropboxtest.Emulator, c rawCall) rawResult {
	t.Helper()
	r := do(t, emu, c)
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", c.Route, r.Status, r.Body)
	}
	return r
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// fileState is what a client can observe of a file.
type fileState struct {
	Meta    map[string]any
	Content []byte
}

func downloadFile(t *testing.T, emu *dropboxtest.Emulator, token, path string) fileState {
	t.Helper()
	r := ok(t, emu, rawCall{Route: "files/download", Token: token, Style: "download", Arg: map[string]any{"path": path}})
	var meta map[string]any
	if err := json.Unmarshal([]byte(r.Header.Get("Dropbox-API-Result")), &meta); err != nil {
		t.Fatalf("download %s: Dropbox-API-Result: %v", path, err)
	}
	return fileState{Meta: meta, Content: r.Body}
}

// listAll lists path to the end and returns every page.
func listAll(t *testing.T, emu *dropboxtest.Emulator, token string, arg map[string]any) []map[string]any {
	t.Helper()
	page := ok(t, emu, rawCall{Route: "files/list_folder", Token: token, Arg: arg}).json(t)
	pages := []map[string]any{page}
	for page["has_more"] == true {
		page = ok(t, emu, rawCall{Route: "files/list_folder/continue", Token: token, Arg: map[string]any{"cursor": page["cursor"]}}).json(t)
		pages = append(pages, page)
	}
	return pages
}

// continueAll follows cursor to the end and returns the entries and the last cursor.
func continueAll(t *testing.T, emu *dropboxtest.Emulator, token, cursor string) ([]any, string) {
	t.Helper()
	var entries []any
	for {
		page := ok(t, emu, rawCall{Route: "files/list_folder/continue", Token: token, Arg: map[string]any{"cursor": cursor}}).json(t)
		entries = append(entries, page["entries"].([]any)...)
		cursor = page["cursor"].(string)
		if page["has_more"] != true {
			return entries, cursor
		}
	}
}

// entryKeys summarises list entries as "tag path_lower id", sorted.
func entryKeys(entries []any) []string {
	var out []string
	for _, e := range entries {
		m := e.(map[string]any)
		id, _ := m["id"].(string)
		out = append(out, fmt.Sprintf("%s %s %s", m[".tag"], m["path_lower"], id))
	}
	slices.Sort(out)
	return out
}

// TestRestart fills a disk-backed emulator with every kind of state, stops
// it, opens a new one on the same folder and checks that clients see
// nothing change, and that what was in progress carries on.
func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})

	// Phase 1: accounts, apps, tokens, files, revisions, tombstones,
	// sessions, cursors, links, jobs.
	const redirect = "http://localhost/callback"
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "restartapp", AppSecret: "restartsecret", RedirectURIs: []string{redirect}})
	ada := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", DisplayName: "Ada Lovelace", AccountType: "pro", AppKey: "restartapp"})
	bob := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@example.com"})
	tok := ada.AccessToken
	conf := oauthConfig(emu.URL, "restartapp", "restartsecret", redirect)
	ctx := t.Context()
	offline, err := conf.Exchange(ctx, authorizeCode(t, http.DefaultClient, emu.URL, conf, ada.AccountID))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if offline.RefreshToken == "" {
		t.Fatal("no refresh token from an offline authorization")
	}
	pendingCode := authorizeCode(t, http.DefaultClient, emu.URL, conf, ada.AccountID) // exchanged after the restart

	upload := func(path string, data []byte, mode any) map[string]any {
		t.Helper()
		return ok(t, emu, rawCall{Route: "files/upload", Token: tok, Style: "upload",
			Arg: map[string]any{"path": path, "mode": mode}, Body: data}).json(t)
	}
	v1 := upload("/Docs/Report.txt", []byte("first version"), "add")
	upload("/Docs/Report.txt", []byte("second version, longer"), "overwrite")
	upload("/Docs/Sub/Ünïcødé 😀.bin", randomBytes(t, 5<<20+17), "add")
	upload("/Photos/Cat.jpg", randomBytes(t, 1000), "add")
	upload("/Photos/Dog.jpg", randomBytes(t, 2000), "add")
	upload("/Old/Gone.txt", []byte("soon deleted"), "add")
	ok(t, emu, rawCall{Route: "files/create_folder_v2", Token: tok, Arg: map[string]any{"path": "/Empty Folder"}})
	ok(t, emu, rawCall{Route: "files/delete_v2", Token: tok, Arg: map[string]any{"path": "/Old"}})
	ok(t, emu, rawCall{Route: "files/upload", Token: bob.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/bob.txt"}, Body: []byte("bob's")})

	// A sequential session two appends in, and a concurrent one missing its last part.
	part1, part2, part3 := randomBytes(t, 1<<20), randomBytes(t, 1<<20+3), randomBytes(t, 12345)
	seq := ok(t, emu, rawCall{Route: "files/upload_session/start", Token: tok, Style: "upload", Arg: map[string]any{}, Body: part1}).json(t)["session_id"].(string)
	ok(t, emu, rawCall{Route: "files/upload_session/append_v2", Token: tok, Style: "upload",
		Arg: map[string]any{"cursor": map[string]any{"session_id": seq, "offset": len(part1)}}, Body: part2})
	block := randomBytes(t, 4<<20)
	conc := ok(t, emu, rawCall{Route: "files/upload_session/start", Token: tok, Style: "upload",
		Arg: map[string]any{"session_type": "concurrent"}}).json(t)["session_id"].(string)
	ok(t, emu, rawCall{Route: "files/upload_session/append_v2", Token: tok, Style: "upload",
		Arg: map[string]any{"cursor": map[string]any{"session_id": conc, "offset": 0}}, Body: block})
	// A finished batch job whose result is collected after the restart.
	closed := ok(t, emu, rawCall{Route: "files/upload_session/start", Token: tok, Style: "upload",
		Arg: map[string]any{"close": true}, Body: []byte("batched")}).json(t)["session_id"].(string)
	launch := ok(t, emu, rawCall{Route: "files/upload_session/finish_batch", Token: tok, Arg: map[string]any{"entries": []any{
		map[string]any{"cursor": map[string]any{"session_id": closed, "offset": 7}, "commit": map[string]any{"path": "/Batched.txt"}},
	}}}).json(t)
	jobID, _ := launch["async_job_id"].(string)
	if jobID == "" {
		t.Fatalf("finish_batch = %v, want an async job", launch)
	}

	link := ok(t, emu, rawCall{Route: "files/get_temporary_link", Token: tok, Arg: map[string]any{"path": "/Photos/Cat.jpg"}}).json(t)["link"].(string)

	// Cursors: one drained, one in the middle of a listing, one "latest".
	rootArg := map[string]any{"path": "", "recursive": true, "include_deleted": true}
	before := listAll(t, emu, tok, rootArg)
	drained := before[len(before)-1]["cursor"].(string)
	firstPage := ok(t, emu, rawCall{Route: "files/list_folder", Token: tok, Arg: map[string]any{"path": "", "recursive": true, "limit": 2}}).json(t)
	if firstPage["has_more"] != true {
		t.Fatalf("a listing with limit 2 has no more: %v", firstPage)
	}
	midCursor := firstPage["cursor"].(string)
	restBefore, _ := continueAll(t, emu, tok, midCursor)
	latestDocs := ok(t, emu, rawCall{Route: "files/list_folder/get_latest_cursor", Token: tok, Arg: map[string]any{"path": "/docs"}}).json(t)["cursor"].(string)

	// Everything a client can see, to compare after the restart.
	paths := []string{"/Docs/Report.txt", "/Docs/Sub/Ünïcødé 😀.bin", "/Photos/Cat.jpg", "/Photos/Dog.jpg", "/Batched.txt"}
	files := map[string]fileState{}
	for _, p := range paths {
		files[p] = downloadFile(t, emu, tok, p)
	}
	oldRev := downloadFile(t, emu, tok, "rev:"+v1["rev"].(string))
	rawRPC := func(emu *dropboxtest.Emulator, token, route string, arg any) map[string]any {
		t.Helper()
		return ok(t, emu, rawCall{Route: route, Token: token, Arg: arg}).json(t)
	}
	account := rawRPC(emu, tok, "users/get_current_account", nil)
	usage := rawRPC(emu, tok, "users/get_space_usage", nil)
	deletedMeta := rawRPC(emu, tok, "files/get_metadata", map[string]any{"path": "/old/gone.txt", "include_deleted": true})
	var adminAccounts, adminApps map[string]any
	emu.Admin(t, http.MethodGet, "/_emulator/accounts", nil, &adminAccounts)
	emu.Admin(t, http.MethodGet, "/_emulator/apps", nil, &adminApps)

	stop()

	// Phase 2: a new emulator on the same folder.
	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})

	var accounts2, apps2 map[string]any
	emu.Admin(t, http.MethodGet, "/_emulator/accounts", nil, &accounts2)
	emu.Admin(t, http.MethodGet, "/_emulator/apps", nil, &apps2)
	if diff := cmp.Diff(adminAccounts, accounts2); diff != "" {
		t.Errorf("accounts after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(adminApps, apps2); diff != "" {
		t.Errorf("apps after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(account, rawRPC(emu, tok, "users/get_current_account", nil)); diff != "" {
		t.Errorf("get_current_account after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(usage, rawRPC(emu, tok, "users/get_space_usage", nil)); diff != "" {
		t.Errorf("get_space_usage after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(deletedMeta, rawRPC(emu, tok, "files/get_metadata", map[string]any{"path": "/old/gone.txt", "include_deleted": true})); diff != "" {
		t.Errorf("deleted metadata after restart (-before +after):\n%s", diff)
	}
	for _, p := range paths {
		got := downloadFile(t, emu, tok, p)
		if diff := cmp.Diff(files[p].Meta, got.Meta); diff != "" {
			t.Errorf("%s: metadata after restart (-before +after):\n%s", p, diff)
		}
		if !bytes.Equal(files[p].Content, got.Content) {
			t.Errorf("%s: %d bytes after restart differ from the %d before", p, len(got.Content), len(files[p].Content))
		}
	}
	if got := downloadFile(t, emu, tok, "rev:"+v1["rev"].(string)); !bytes.Equal(got.Content, oldRev.Content) || string(got.Content) != "first version" {
		t.Errorf("old revision after restart = %q", got.Content)
	}
	after := listAll(t, emu, tok, rootArg)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("listing after restart (-before +after):\n%s", diff)
	}
	restAfter, _ := continueAll(t, emu, tok, midCursor)
	if diff := cmp.Diff(restBefore, restAfter); diff != "" {
		t.Errorf("continuing a listing across the restart (-before +after):\n%s", diff)
	}

	// Tokens, codes and refresh tokens from before work.
	conf = oauthConfig(emu.URL, "restartapp", "restartsecret", redirect)
	if _, err := conf.Exchange(ctx, pendingCode); err != nil {
		t.Errorf("exchanging a code issued before the restart: %v", err)
	}
	fresh, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: offline.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refreshing a token issued before the restart: %v", err)
	}
	if got := rawRPC(emu, fresh.AccessToken, "users/get_current_account", nil)["account_id"]; got != ada.AccountID {
		t.Errorf("refreshed token is for %v, want %s", got, ada.AccountID)
	}
	if got := rawRPC(emu, offline.AccessToken, "check/user", map[string]any{"query": "still"}); got["result"] != "still" {
		t.Errorf("check/user with a pre-restart OAuth token = %v", got)
	}

	// The temporary link (its host is the old server's) and the job survive.
	linkURL, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(emu.URL + linkURL.Path)
	if err != nil {
		t.Fatal(err)
	}
	linkBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(linkBody, files["/Photos/Cat.jpg"].Content) {
		t.Errorf("temporary link after restart: %d, %d bytes", resp.StatusCode, len(linkBody))
	}
	check := rawRPC(emu, tok, "files/upload_session/finish_batch/check", map[string]any{"async_job_id": jobID})
	if check[".tag"] != "complete" || len(check["entries"].([]any)) != 1 {
		t.Errorf("finish_batch/check after restart = %v", check)
	}

	// The sessions carry on where they were.
	wrong := do(t, emu, rawCall{Route: "files/upload_session/append_v2", Token: tok, Style: "upload",
		Arg: map[string]any{"cursor": map[string]any{"session_id": seq, "offset": 0}}, Body: []byte("x")})
	if wrong.Status != http.StatusConflict || !strings.Contains(string(wrong.Body), fmt.Sprintf(`"correct_offset":%d`, len(part1)+len(part2))) {
		t.Errorf("append at a wrong offset after restart: %d %s", wrong.Status, wrong.Body)
	}
	fin := ok(t, emu, rawCall{Route: "files/upload_session/finish", Token: tok, Style: "upload", Body: part3, Arg: map[string]any{
		"cursor": map[string]any{"session_id": seq, "offset": len(part1) + len(part2)},
		"commit": map[string]any{"path": "/Resumed.bin"}}}).json(t)
	whole := slices.Concat(part1, part2, part3)
	if got := downloadFile(t, emu, tok, "/Resumed.bin"); !bytes.Equal(got.Content, whole) || got.Meta["content_hash"] != hashOfContent(whole) {
		t.Errorf("resumed session: %d bytes, hash %v; want %d bytes, %s", len(got.Content), got.Meta["content_hash"], len(whole), hashOfContent(whole))
	}
	ok(t, emu, rawCall{Route: "files/upload_session/append_v2", Token: tok, Style: "upload",
		Arg: map[string]any{"cursor": map[string]any{"session_id": conc, "offset": 4 << 20}, "close": true}, Body: []byte("tail")})
	ok(t, emu, rawCall{Route: "files/upload_session/finish", Token: tok, Style: "upload", Arg: map[string]any{
		"cursor": map[string]any{"session_id": conc, "offset": 4<<20 + 4}, "commit": map[string]any{"path": "/Concurrent.bin"}}})
	if got := downloadFile(t, emu, tok, "/Concurrent.bin"); !bytes.Equal(got.Content, slices.Concat(block, []byte("tail"))) {
		t.Errorf("concurrent session finished after restart: %d bytes", len(got.Content))
	}

	// New revisions and namespaces do not reuse numbers from before.
	over := ok(t, emu, rawCall{Route: "files/upload", Token: tok, Style: "upload",
		Arg: map[string]any{"path": "/Docs/Report.txt", "mode": "overwrite"}, Body: []byte("third")}).json(t)
	if over["rev"].(string) <= files["/Docs/Report.txt"].Meta["rev"].(string) || over["id"] != files["/Docs/Report.txt"].Meta["id"] {
		t.Errorf("overwrite after restart: rev %v id %v; before: rev %v id %v", over["rev"], over["id"],
			files["/Docs/Report.txt"].Meta["rev"], files["/Docs/Report.txt"].Meta["id"])
	}
	carol := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "carol@example.com"})
	if carol.RootNS == ada.RootNS || carol.RootNS == bob.RootNS || carol.UID == ada.UID || carol.UID == bob.UID {
		t.Errorf("an account made after the restart reuses a namespace or uid: %+v vs %+v, %+v", carol, ada, bob)
	}

	// Cursors from before the restart see exactly what changed after it.
	ok(t, emu, rawCall{Route: "files/delete_v2", Token: tok, Arg: map[string]any{"path": "/Photos/Dog.jpg"}})
	ok(t, emu, rawCall{Route: "files/move_v2", Token: tok, Arg: map[string]any{"from_path": "/Docs/Sub", "to_path": "/Archive/Sub"}})
	ids := map[string]string{}
	for _, p := range paths {
		ids[p] = files[p].Meta["id"].(string)
	}
	subID := rawRPC(emu, tok, "files/get_metadata", map[string]any{"path": "/Archive/Sub"})["id"].(string)
	archiveID := rawRPC(emu, tok, "files/get_metadata", map[string]any{"path": "/Archive"})["id"].(string)
	got, _ := continueAll(t, emu, tok, drained)
	want := []string{
		"deleted /docs/sub ",
		"deleted /photos/dog.jpg ",
		"file /archive/sub/ünïcødé 😀.bin " + ids["/Docs/Sub/Ünïcødé 😀.bin"],
		"file /concurrent.bin " + downloadFile(t, emu, tok, "/Concurrent.bin").Meta["id"].(string),
		"file /docs/report.txt " + ids["/Docs/Report.txt"],
		"file /resumed.bin " + fin["id"].(string),
		"folder /archive " + archiveID,
		"folder /archive/sub " + subID,
	}
	if diff := cmp.Diff(want, entryKeys(got)); diff != "" {
		t.Errorf("changes since a pre-restart cursor (-want +got):\n%s", diff)
	}
	gotDocs, _ := continueAll(t, emu, tok, latestDocs)
	wantDocs := []string{"deleted /docs/sub ", "file /docs/report.txt " + ids["/Docs/Report.txt"]}
	if diff := cmp.Diff(wantDocs, entryKeys(gotDocs)); diff != "" {
		t.Errorf("changes in /docs since a pre-restart latest cursor (-want +got):\n%s", diff)
	}
}

// oauthConfig is the OAuth client of app on the emulator at base.
func oauthConfig(base, appKey, appSecret, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: appKey, ClientSecret: appSecret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams}}
}

// authorizeCode goes through the authorize page as the user accountID does
// in a browser: it opens the page, picks the account, and returns the code
// from the redirect.
func authorizeCode(t *testing.T, client *http.Client, base string, conf *oauth2.Config, accountID string) string {
	t.Helper()
	authURL := conf.AuthCodeURL("state-123", oauth2.SetAuthURLParam("token_access_type", "offline"))
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatalf("authorize page: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(accountID)) {
		t.Fatalf("authorize page: %d, account %s offered: %v\n%s", resp.StatusCode, accountID, bytes.Contains(page, []byte(accountID)), page)
	}
	req, err := http.NewRequest(http.MethodGet, authURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	form := req.URL.Query()
	form.Set("account_id", accountID)
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = noFollow.PostForm(base+"/oauth2/authorize/decide", form)
	if err != nil {
		t.Fatalf("authorize decision: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize decision: %d %v %s", resp.StatusCode, err, body)
	}
	if !strings.HasPrefix(loc.String(), conf.RedirectURL+"?") || loc.Query().Get("state") != "state-123" {
		t.Fatalf("redirected to %s", loc)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in the redirect %s", loc)
	}
	return code
}

// hashOfContent is Dropbox's content_hash of b, computed independently of the
// emulator: SHA-256 over the SHA-256 digests of each 4 MiB block.
func hashOfContent(b []byte) string {
	var digests []byte
	for len(b) > 0 {
		n := min(len(b), 4<<20)
		d := sha256.Sum256(b[:n])
		digests = append(digests, d[:]...)
		b = b[n:]
	}
	sum := sha256.Sum256(digests)
	return hex.EncodeToString(sum[:])
}
