package dropboxemu_test

import (
	"archive/zip"
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/sharing"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// Tests of the tree walks that go into mounted namespaces: search, zips,
// include_deleted, shared link pages and list_folder with a shared link.
// Helpers are named mounted*.

// mountedShare is Ada's folder /Work/Trip, shared with Bob as an editor
// and mounted in his home as /Trip. Ada's files: /Work/Trip/plan notes.txt
// ("itinerary for the coast") and /Work/Trip/Sub/budget.txt; Bob's own
// file: /Bob plan.txt.
func mountedShare(t *testing.T) (emu *dropboxtest.Emulator, ada, bob sfUser, id string) {
	t.Helper()
	emu, ada, bob, _ = sfSetup(t)
	relUpload(t, ada.fc, "/Work/Trip/plan notes.txt", "itinerary for the coast")
	relUpload(t, ada.fc, "/Work/Trip/Sub/budget.txt", "money")
	relUpload(t, bob.fc, "/Bob plan.txt", "mine")
	md := sfShare(t, ada, "/Work/Trip")
	sfAdd(t, ada, md.SharedFolderId, sfMember("email", bob.acct.Email, "editor"))
	sfMount(t, bob, md.SharedFolderId)
	return emu, ada, bob, md.SharedFolderId
}

// mountedTeam is the team fixture with a team folder Projects holding
// roadmap.txt, and Ada's own file mine.txt in her member folder. It
// returns SDK configs for Ada and Bob that see the team space.
func mountedTeam(t *testing.T) (f *teamFixture, ada, bob dropbox.Config) {
	t.Helper()
	f = newTeamFixture(t)
	if _, err := f.client().TeamFolderCreate(team.NewTeamFolderCreateArg("Projects")); err != nil {
		t.Fatalf("team_folder/create: %v", err)
	}
	ada = rootConfig(sdkConfig(f.emu, f.ada.AccessToken), f.ada.RootNS)
	bob = rootConfig(sdkConfig(f.emu, f.bob.AccessToken), f.bob.RootNS)
	relUpload(t, files.New(ada), "/Projects/roadmap.txt", "the road ahead")
	relUpload(t, files.New(ada), "/Ada Lovelace/mine.txt", "roadmap of mine")
	return f, ada, bob
}

// mountedSearch runs search_v2 (two matches a page) and every continue
// below path, for deleted or active files, and returns the matches as
// featMatchPath renders them.
func mountedSearch(t *testing.T, fc files.ContextClient, query, path string, deleted bool) []string {
	t.Helper()
	opts := files.NewSearchOptions()
	opts.Path = path
	opts.MaxResults = 2
	if deleted {
		opts.FileStatus = &files.FileStatus{Tagged: dropbox.Tagged{Tag: files.FileStatusDeleted}}
	}
	return featSearch(t, fc, &files.SearchV2Arg{Query: query, Options: opts})
}

// TestMountedSearch: search finds what is in a shared folder mounted in
// the caller's tree, at the caller's paths, by name and by content, from
// the root, from the mount point and from inside it; deleted files there
// too.
func TestMountedSearch(t *testing.T) {
	t.Parallel()
	emu, adaU, bobU, _ := mountedShare(t)
	ada := files.NewContext(sdkConfig(emu, adaU.acct.AccessToken))
	bob := files.NewContext(sdkConfig(emu, bobU.acct.AccessToken))
	for _, tc := range []struct {
		who     files.ContextClient
		query   string
		path    string
		deleted bool
		want    []string
	}{
		{bob, "plan", "", false, []string{"file /Bob plan.txt filename", "file /Trip/plan notes.txt filename"}},
		{bob, "itinerary coast", "", false, []string{"file /Trip/plan notes.txt file_content"}},
		{bob, "trip", "", false, []string{"folder /Trip filename"}},
		{bob, "plan", "/trip", false, []string{"file /Trip/plan notes.txt filename"}},
		{bob, "budget", "/Trip/Sub", false, []string{"file /Trip/Sub/budget.txt filename"}},
		{bob, "money", "/Trip", false, []string{"file /Trip/Sub/budget.txt file_content"}},
		{ada, "plan", "", false, []string{"file /Work/Trip/plan notes.txt filename"}},
		{ada, "budget", "/Work", false, []string{"file /Work/Trip/Sub/budget.txt filename"}},
	} {
		if got := mountedSearch(t, tc.who, tc.query, tc.path, tc.deleted); !cmp.Equal(got, tc.want) {
			t.Errorf("searching %q in %q:\n%s", tc.query, tc.path, cmp.Diff(tc.want, got))
		}
	}

	// Deleted: the tombstones of the shared folder, seen from either tree.
	featDelete(t, ada, "/Work/Trip/Sub/budget.txt")
	featDelete(t, bob, "/Bob plan.txt")
	for _, tc := range []struct {
		who  files.ContextClient
		path string
		want []string
	}{
		{bob, "", []string{"deleted /Trip/Sub/budget.txt filename"}},
		{bob, "/Trip", []string{"deleted /Trip/Sub/budget.txt filename"}},
		{bob, "/Trip/Sub", []string{"deleted /Trip/Sub/budget.txt filename"}},
		{ada, "", []string{"deleted /Work/Trip/Sub/budget.txt filename"}},
	} {
		if got := mountedSearch(t, tc.who, "budget", tc.path, true); !cmp.Equal(got, tc.want) {
			t.Errorf("searching deleted in %q:\n%s", tc.path, cmp.Diff(tc.want, got))
		}
	}
	if got := mountedSearch(t, bob, "plan", "", true); !cmp.Equal(got, []string{"deleted /Bob plan.txt filename"}) {
		t.Errorf("Bob's own deleted file: %v", got)
	}
}

// TestMountedSearchTeamSpace: from the team space, search finds files in
// team folders and in the member's own folder, not in other members'.
func TestMountedSearchTeamSpace(t *testing.T) {
	t.Parallel()
	_, adaCfg, bobCfg := mountedTeam(t)
	ada, bob := files.NewContext(adaCfg), files.NewContext(bobCfg)
	if got, want := mountedSearch(t, ada, "roadmap", "", false), []string{
		"file /Projects/roadmap.txt filename", "file /Ada Lovelace/mine.txt file_content",
	}; !cmp.Equal(got, want) {
		t.Errorf("Ada's search:\n%s", cmp.Diff(want, got))
	}
	if got, want := mountedSearch(t, bob, "roadmap", "", false), []string{"file /Projects/roadmap.txt filename"}; !cmp.Equal(got, want) {
		t.Errorf("Bob's search:\n%s", cmp.Diff(want, got))
	}
	if got, want := mountedSearch(t, bob, "road", "/Projects", false), []string{"file /Projects/roadmap.txt filename_and_content"}; !cmp.Equal(got, want) {
		t.Errorf("Bob's search in the team folder:\n%s", cmp.Diff(want, got))
	}
}

// mountedZip downloads path as a zip with cfg and returns the path_display
// of the result's metadata and the zip's entries (name -> content).
func mountedZip(t *testing.T, cfg dropbox.Config, path string) (string, map[string]string) {
	t.Helper()
	res, content, _, err := featZip(t, files.NewContext(cfg), path)
	if err != nil {
		t.Fatalf("download_zip %s: %v", path, err)
	}
	return res.Metadata.PathDisplay, content
}

// TestMountedZip: zipping a mount point, a folder inside a mounted shared
// folder, or a folder holding a mount point includes what is mounted there.
func TestMountedZip(t *testing.T) {
	t.Parallel()
	emu, ada, bob, id := mountedShare(t)
	adaCfg, bobCfg := sdkConfig(emu, ada.acct.AccessToken), sdkConfig(emu, bob.acct.AccessToken)
	trip := map[string]string{"plan notes.txt": "itinerary for the coast", "Sub/": "", "Sub/budget.txt": "money"}
	prefixed := func(prefix string, m map[string]string) map[string]string {
		out := map[string]string{prefix + "/": ""}
		for k, v := range m {
			out[prefix+"/"+k] = v
		}
		return out
	}
	for _, tc := range []struct {
		cfg        dropbox.Config
		path, meta string
		want       map[string]string
	}{
		{bobCfg, "/trip", "/Trip", prefixed("Trip", trip)},
		{bobCfg, "/Trip/Sub", "/Trip/Sub", map[string]string{"Sub/": "", "Sub/budget.txt": "money"}},
		{adaCfg, "/Work/Trip", "/Work/Trip", prefixed("Trip", trip)},
		{adaCfg, "/Work", "/Work", prefixed("Work", prefixed("Trip", trip))},
	} {
		meta, got := mountedZip(t, tc.cfg, tc.path)
		if meta != tc.meta {
			t.Errorf("download_zip %s: metadata path %q, want %q", tc.path, meta, tc.meta)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("download_zip %s (-want +got):\n%s", tc.path, diff)
		}
	}
	// The mount point's metadata says it is the shared folder.
	res, _, _, err := featZip(t, files.NewContext(bobCfg), "/Trip")
	if err != nil || res.Metadata.SharingInfo == nil || res.Metadata.SharingInfo.SharedFolderId != id {
		t.Errorf("download_zip of the mount point: %v %+v", err, res)
	}
}

// TestMountedZipTeamSpace: from the team space, a team folder and the
// member's own folder zip with what is in them.
func TestMountedZipTeamSpace(t *testing.T) {
	t.Parallel()
	_, ada, bob := mountedTeam(t)
	for _, tc := range []struct {
		cfg  dropbox.Config
		path string
		want map[string]string
	}{
		{bob, "/Projects", map[string]string{"Projects/": "", "Projects/roadmap.txt": "the road ahead"}},
		{ada, "/Ada Lovelace", map[string]string{"Ada Lovelace/": "", "Ada Lovelace/mine.txt": "roadmap of mine"}},
	} {
		if _, got := mountedZip(t, tc.cfg, tc.path); !cmp.Equal(got, tc.want) {
			t.Errorf("download_zip %s (-want +got):\n%s", tc.path, cmp.Diff(tc.want, got))
		}
	}
	if _, _, err := files.New(bob).DownloadZip(files.NewDownloadZipArg("/Ada Lovelace")); err == nil {
		t.Error("Bob zips Ada's member folder")
	}
}

// mountedListAll lists with arg and follows the cursor until has_more is
// false: the entries, the final cursor, or list_folder's error.
func mountedListAll(t *testing.T, fc files.Client, arg *files.ListFolderArg) ([]files.IsMetadata, string, error) {
	t.Helper()
	res, err := fc.ListFolder(arg)
	if err != nil {
		return nil, "", err
	}
	var out []files.IsMetadata
	for range 100 {
		out = append(out, res.Entries...)
		if !res.HasMore {
			return out, res.Cursor, nil
		}
		if res, err = fc.ListFolderContinue(files.NewListFolderContinueArg(res.Cursor)); err != nil {
			t.Fatalf("list_folder/continue: %v", err)
		}
	}
	t.Fatal("list_folder/continue never ends")
	return nil, "", nil
}

// mountedList is mountedListAll's entries as entryPath renders them.
func mountedList(t *testing.T, fc files.Client, arg *files.ListFolderArg) []string {
	t.Helper()
	entries, _, err := mountedListAll(t, fc, arg)
	if err != nil {
		t.Fatalf("list_folder %q: %v", arg.Path, err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, entryPath(e))
	}
	return out
}

// mountedDeletedArg lists path with include_deleted, one entry a page.
func mountedDeletedArg(path string, recursive bool) *files.ListFolderArg {
	arg := files.NewListFolderArg(path)
	arg.Recursive = recursive
	arg.IncludeDeleted = true
	arg.Limit = 1
	return arg
}

// TestMountedListDeleted: include_deleted lists the deleted paths of the
// shared folders mounted in the listing too, at the caller's paths, in
// path order across pages.
func TestMountedListDeleted(t *testing.T) {
	t.Parallel()
	_, ada, bob, _ := mountedShare(t)
	relUpload(t, bob.fc, "/Zed.txt", "z")
	for _, del := range []struct {
		u    sfUser
		path string
	}{{ada, "/Work/Trip/Sub/budget.txt"}, {ada, "/Work/Trip/plan notes.txt"}, {bob, "/Bob plan.txt"}, {bob, "/Zed.txt"}} {
		if _, err := del.u.fc.DeleteV2(files.NewDeleteArg(del.path)); err != nil {
			t.Fatalf("delete %s: %v", del.path, err)
		}
	}
	for _, tc := range []struct {
		who       sfUser
		path      string
		recursive bool
		want      []string
	}{
		{bob, "", true, []string{"/Trip/", "/Trip/Sub/", "-/Bob plan.txt", "-/Trip/plan notes.txt", "-/Trip/Sub/budget.txt", "-/Zed.txt"}},
		{bob, "", false, []string{"/Trip/", "-/Bob plan.txt", "-/Zed.txt"}},
		{bob, "/Trip", false, []string{"/Trip/Sub/", "-/Trip/plan notes.txt"}},
		{bob, "/Trip/Sub", true, []string{"/Trip/Sub/", "-/Trip/Sub/budget.txt"}},
		{ada, "/Work", true, []string{"/Work/", "/Work/Trip/", "/Work/Trip/Sub/", "-/Work/Trip/plan notes.txt", "-/Work/Trip/Sub/budget.txt"}},
	} {
		if got := mountedList(t, tc.who.fc, mountedDeletedArg(tc.path, tc.recursive)); !cmp.Equal(got, tc.want) {
			t.Errorf("%s listing %q (recursive %v):\n%s", tc.who.acct.Email, tc.path, tc.recursive, cmp.Diff(tc.want, got))
		}
	}
}

// TestMountedListDeletedTeamSpace: include_deleted in the team space lists
// what was deleted in team folders, and in the member's own folder for
// that member alone.
func TestMountedListDeletedTeamSpace(t *testing.T) {
	t.Parallel()
	_, adaCfg, bobCfg := mountedTeam(t)
	ada, bob := files.New(adaCfg), files.New(bobCfg)
	for _, p := range []string{"/Projects/roadmap.txt", "/Ada Lovelace/mine.txt"} {
		if _, err := ada.DeleteV2(files.NewDeleteArg(p)); err != nil {
			t.Fatalf("delete %s: %v", p, err)
		}
	}
	if got, want := mountedList(t, ada, mountedDeletedArg("", true)), []string{
		"/Ada Lovelace/", "/Projects/", "-/Ada Lovelace/mine.txt", "-/Projects/roadmap.txt",
	}; !cmp.Equal(got, want) {
		t.Errorf("Ada's listing:\n%s", cmp.Diff(want, got))
	}
	if got, want := mountedList(t, bob, mountedDeletedArg("", true)), []string{
		"/Bob Builder/", "/Projects/", "-/Projects/roadmap.txt",
	}; !cmp.Equal(got, want) {
		t.Errorf("Bob's listing:\n%s", cmp.Diff(want, got))
	}
}

// mountedPage fetches the page of a folder link (at rel below it, "" or
// "/a/b") and returns the names of its items, folders with a "/".
func mountedPage(t *testing.T, link, rel string) []string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	u.Path += rel
	status, _, page := coreHTTP(t, http.MethodGet, u.String(), nil, nil)
	if status != http.StatusOK {
		t.Fatalf("link page %s: %d\n%s", u, status, page)
	}
	names := []string{}
	for _, m := range regexp.MustCompile(`<tr><td><a href="[^"]*">([^<]+)</a>`).FindAllSubmatch(page, -1) {
		names = append(names, html.UnescapeString(string(m[1])))
	}
	return names
}

// mountedLinkFile reads the file at path below the folder link as u
// through get_shared_link_file, and checks that get_shared_link_metadata
// names the same file.
func mountedLinkFile(t *testing.T, u sfUser, link, path string) string {
	t.Helper()
	arg := sharing.NewGetSharedLinkMetadataArg(link)
	arg.Path = path
	md, rc, err := u.sc.GetSharedLinkFile(arg)
	if err != nil {
		t.Fatalf("get_shared_link_file %s: %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := u.sc.GetSharedLinkMetadata(arg)
	if err != nil {
		t.Fatalf("get_shared_link_metadata %s: %v", path, err)
	}
	f, ok := meta.(*sharing.FileLinkMetadata)
	if !ok || f.Name != md.(*sharing.FileLinkMetadata).Name || f.Size != uint64(len(b)) {
		t.Errorf("get_shared_link_metadata %s = %+v, want the file read", path, meta)
	}
	return string(b)
}

// mountedLink makes a link to path as u and returns its URL.
func mountedLink(t *testing.T, sc sharing.Client, path string) string {
	t.Helper()
	m, err := sc.CreateSharedLinkWithSettings(sharing.NewCreateSharedLinkWithSettingsArg(path))
	if err != nil {
		t.Fatalf("create_shared_link_with_settings %s: %v", path, err)
	}
	return m.(*sharing.FolderLinkMetadata).Url
}

// TestMountedLinkServe: a link to a folder holding a mounted shared folder,
// or to the mount point itself, lists and serves what is mounted there as
// the link's owner sees it: pages, files, metadata and the zip.
func TestMountedLinkServe(t *testing.T) {
	t.Parallel()
	emu, ada, bob, _ := mountedShare(t)
	cy := sfAccount(t, emu, "cy2@example.com", "Cy Two", "basic")
	work := mountedLink(t, ada.sc, "/Work")
	trip := mountedLink(t, bob.sc, "/Trip")
	for _, tc := range []struct {
		link, rel string
		want      []string
	}{
		{work, "", []string{"Trip/"}},
		{work, "/Trip", []string{"plan notes.txt", "Sub/"}},
		{work, "/trip/sub", []string{"budget.txt"}},
		{trip, "", []string{"plan notes.txt", "Sub/"}},
		{trip, "/Sub", []string{"budget.txt"}},
	} {
		if got := mountedPage(t, tc.link, tc.rel); !cmp.Equal(got, tc.want) {
			t.Errorf("page of %s%s:\n%s", tc.link, tc.rel, cmp.Diff(tc.want, got))
		}
	}
	if got := mountedLinkFile(t, cy, work, "/Trip/plan notes.txt"); got != "itinerary for the coast" {
		t.Errorf("file below Ada's link = %q", got)
	}
	if got := mountedLinkFile(t, cy, trip, "/Sub/budget.txt"); got != "money" {
		t.Errorf("file below Bob's link = %q", got)
	}
	// dl=1: the zip holds what is mounted.
	status, _, body := coreHTTP(t, http.MethodGet, linkWith(t, work, "dl", "1"), nil, nil)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if status != http.StatusOK || err != nil {
		t.Fatalf("zip of Ada's link: %d %v", status, err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if want := []string{"Work/", "Work/Trip/", "Work/Trip/plan notes.txt", "Work/Trip/Sub/", "Work/Trip/Sub/budget.txt"}; !cmp.Equal(names, want) {
		t.Errorf("zip of Ada's link:\n%s", cmp.Diff(want, names))
	}
}

// TestMountedLinkServeTeamSpace: links made in the team space to a team
// folder and to the member's own folder show what is in them.
func TestMountedLinkServeTeamSpace(t *testing.T) {
	t.Parallel()
	_, adaCfg, _ := mountedTeam(t)
	ada := sfUser{sc: sharing.New(adaCfg)}
	projects := mountedLink(t, ada.sc, "/Projects")
	own := mountedLink(t, ada.sc, "/Ada Lovelace")
	if got := mountedPage(t, projects, ""); !cmp.Equal(got, []string{"roadmap.txt"}) {
		t.Errorf("page of the team folder's link: %v", got)
	}
	if got := mountedPage(t, own, ""); !cmp.Equal(got, []string{"mine.txt"}) {
		t.Errorf("page of the member folder's link: %v", got)
	}
	if got := mountedLinkFile(t, ada, own, "/mine.txt"); got != "roadmap of mine" {
		t.Errorf("file below the member folder's link = %q", got)
	}
}

// mountedLinkEntry renders an entry of a shared link listing as
// "<tag> <name>", with " (path X)" when it carries a path.
func mountedLinkEntry(e files.IsMetadata) string {
	var tag, name, lower, display string
	switch m := e.(type) {
	case *files.FileMetadata:
		tag, name, lower, display = "file", m.Name, m.PathLower, m.PathDisplay
	case *files.FolderMetadata:
		tag, name, lower, display = "folder", m.Name, m.PathLower, m.PathDisplay
	case *files.DeletedMetadata:
		tag, name, lower, display = "deleted", m.Name, m.PathLower, m.PathDisplay
	}
	if lower != "" || display != "" {
		return tag + " " + name + " (path " + lower + " " + display + ")"
	}
	return tag + " " + name
}

// mountedLinkList lists the folder behind link (path below it) with fc,
// one entry a page, following the cursor; it returns the entries as
// mountedLinkEntry renders them, the final cursor, or the error.
func mountedLinkList(t *testing.T, fc files.Client, link, password, path string) ([]string, string, error) {
	t.Helper()
	arg := files.NewListFolderArg(path)
	arg.SharedLink = &files.SharedLink{Url: link, Password: password}
	arg.Limit = 1
	entries, cursor, err := mountedListAll(t, fc, arg)
	out := []string{}
	for _, e := range entries {
		out = append(out, mountedLinkEntry(e))
	}
	return out, cursor, err
}

// mountedLookupErr fails the test unless err is list_folder's
// path/<tag> error.
func mountedLookupErr(t *testing.T, what string, err error, tag string) {
	t.Helper()
	var lerr files.ListFolderAPIError
	if !asErr(err, &lerr) || lerr.EndpointError == nil || lerr.EndpointError.Path == nil || lerr.EndpointError.Path.Tag != tag {
		t.Errorf("%s: %v, want path/%s", what, err, tag)
	}
}

// TestMountedListSharedLink: list_folder with shared_link lists the folder
// behind a folder link, or a folder below it, as the link's owner sees it
// (mounted shared folders included), with entries that carry no paths;
// with user or app authentication; its cursor pages and follows changes.
func TestMountedListSharedLink(t *testing.T) {
	t.Parallel()
	emu, ada, bob, _ := mountedShare(t)
	cy := sfAccount(t, emu, "cy2@example.com", "Cy Two", "basic")
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "lk", AppSecret: "ls"})
	app := files.New(appAuthConfig(emu, "lk", "ls"))
	work := mountedLink(t, ada.sc, "/Work")
	trip := mountedLink(t, bob.sc, "/Trip")
	tripItems := []string{"file plan notes.txt", "folder Sub"}
	for _, tc := range []struct {
		who        string
		fc         files.Client
		link, path string
		want       []string
	}{
		{"Cy", cy.fc, work, "", []string{"folder Trip"}},
		{"Cy", cy.fc, work, "/trip", tripItems},
		{"the app", app, work, "/Trip", tripItems},
		{"the app", app, work, "/Trip/Sub", []string{"file budget.txt"}},
		{"Ada", ada.fc, work, "/Trip", tripItems},
		{"Cy", cy.fc, trip, "", tripItems},
		{"the app", app, trip, "/sub", []string{"file budget.txt"}},
	} {
		got, _, err := mountedLinkList(t, tc.fc, tc.link, "", tc.path)
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("%s listing %q below %s: %v\n%s", tc.who, tc.path, tc.link, err, cmp.Diff(tc.want, got))
		}
	}
	// On the wire: no path_lower, no path_display.
	r := do(t, emu, rawCall{Route: "files/list_folder", Token: cy.acct.AccessToken,
		Arg: map[string]any{"path": "/Trip", "shared_link": map[string]any{"url": work}}})
	if r.Status != http.StatusOK || bytes.Contains(r.Body, []byte("path_")) || !bytes.Contains(r.Body, []byte(`"name":"plan notes.txt"`)) {
		t.Errorf("raw list_folder with shared_link: %d %s", r.Status, r.Body)
	}

	// The cursor follows changes in the listed folder, still without paths.
	_, cursor, err := mountedLinkList(t, app, work, "", "/Trip")
	if err != nil {
		t.Fatal(err)
	}
	relUpload(t, bob.fc, "/Trip/new.txt", "n")
	relUpload(t, bob.fc, "/Trip/Sub/deeper.txt", "d")
	if res, err := app.ListFolderContinue(files.NewListFolderContinueArg(cursor)); err != nil || len(res.Entries) != 1 || mountedLinkEntry(res.Entries[0]) != "file new.txt" {
		t.Errorf("continue after an upload: %v %+v", err, res)
	}
	// An app cannot follow an account's own cursor.
	_, own := listAllPaths(t, cy.fc, "")
	_, err = app.ListFolderContinue(files.NewListFolderContinueArg(own))
	featBadRequest(t, err)

	// Errors: missing paths, files, other links, recursive listings.
	_, _, err = mountedLinkList(t, cy.fc, work, "", "/Nope")
	mountedLookupErr(t, "a missing path below the link", err, "not_found")
	_, _, err = mountedLinkList(t, cy.fc, work, "", "/Trip/plan notes.txt")
	mountedLookupErr(t, "a file below the link", err, "not_folder")
	file := linkBase(t, linkCreate(t, linkUser{sc: sharing.NewContext(sdkConfig(emu, ada.acct.AccessToken))}, "/Work/Trip/plan notes.txt", nil)).Url
	_, _, err = mountedLinkList(t, cy.fc, file, "", "")
	mountedLookupErr(t, "a file link", err, "not_folder")
	_, _, err = mountedLinkList(t, cy.fc, emu.URL+"/scl/fo/nope/nope?rlkey=x", "", "")
	mountedLookupErr(t, "an unknown link", err, "not_found")
	arg := files.NewListFolderArg("")
	arg.SharedLink = &files.SharedLink{Url: work}
	arg.Recursive = true
	_, err = cy.fc.ListFolder(arg)
	featBadRequest(t, err)
}

// TestMountedListSharedLinkAccess: a link listing respects the link's
// password, expiry and revocation, for new listings and for its cursors.
func TestMountedListSharedLinkAccess(t *testing.T) {
	t.Parallel()
	emu, ada, _, _ := mountedShare(t)
	cy := sfAccount(t, emu, "cy2@example.com", "Cy Two", "basic")
	sc := linkUser{sc: sharing.NewContext(sdkConfig(emu, ada.acct.AccessToken))}
	locked := linkURL(t, sc, "/Work/Trip", &sharing.SharedLinkSettings{RequirePassword: true, LinkPassword: "open sesame"})
	for _, pw := range []string{"", "wrong"} {
		_, _, err := mountedLinkList(t, cy.fc, locked, pw, "")
		mountedLookupErr(t, "password "+pw, err, "not_found")
	}
	want := []string{"file plan notes.txt", "folder Sub"}
	if got, _, err := mountedLinkList(t, cy.fc, locked, "open sesame", ""); err != nil || !cmp.Equal(got, want) {
		t.Errorf("with the password: %v %v", err, got)
	}
	if got, _, err := mountedLinkList(t, ada.fc, locked, "", ""); err != nil || !cmp.Equal(got, want) {
		t.Errorf("the owner without the password: %v %v", err, got)
	}
	// A new password ends the cursors made with the old one.
	_, cursor, err := mountedLinkList(t, cy.fc, locked, "open sesame", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.sc.ModifySharedLinkSettingsContext(t.Context(), sharing.NewModifySharedLinkSettingsArgs(locked,
		&sharing.SharedLinkSettings{RequirePassword: true, LinkPassword: "new"})); err != nil {
		t.Fatal(err)
	}
	mountedReset(t, cy.fc, cursor, "after a password change")

	// Expiry.
	soon := linkURL(t, sc, "/Work", &sharing.SharedLinkSettings{Expires: linkTime(time.Now().Add(time.Hour))})
	_, cursor, err = mountedLinkList(t, cy.fc, soon, "", "/Trip")
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(t, 2*time.Hour)
	_, _, err = mountedLinkList(t, cy.fc, soon, "", "")
	mountedLookupErr(t, "an expired link", err, "not_found")
	mountedReset(t, cy.fc, cursor, "after expiry")

	// Revocation.
	_, cursor, err = mountedLinkList(t, cy.fc, locked, "new", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.sc.RevokeSharedLinkContext(t.Context(), sharing.NewRevokeSharedLinkArg(locked)); err != nil {
		t.Fatal(err)
	}
	_, _, err = mountedLinkList(t, cy.fc, locked, "new", "")
	mountedLookupErr(t, "a revoked link", err, "not_found")
	mountedReset(t, cy.fc, cursor, "after revocation")
}

// mountedReset fails the test unless continuing cursor gives reset.
func mountedReset(t *testing.T, fc files.Client, cursor, what string) {
	t.Helper()
	_, err := fc.ListFolderContinue(files.NewListFolderContinueArg(cursor))
	var lerr files.ListFolderContinueAPIError
	if !asErr(err, &lerr) || lerr.EndpointError == nil || lerr.EndpointError.Tag != files.ListFolderContinueErrorReset {
		t.Errorf("continue %s: %v, want reset", what, err)
	}
}

// TestMountedListSharedLinkTeamSpace: a link to a team folder lists it for
// someone outside the team's tree.
func TestMountedListSharedLinkTeamSpace(t *testing.T) {
	t.Parallel()
	f, adaCfg, _ := mountedTeam(t)
	projects := mountedLink(t, sharing.New(adaCfg), "/Projects")
	own := mountedLink(t, sharing.New(adaCfg), "/Ada Lovelace")
	bobHome := files.New(sdkConfig(f.emu, f.bob.AccessToken))
	if got, _, err := mountedLinkList(t, bobHome, projects, "", ""); err != nil || !cmp.Equal(got, []string{"file roadmap.txt"}) {
		t.Errorf("the team folder through its link: %v %v", err, got)
	}
	if got, _, err := mountedLinkList(t, bobHome, own, "", ""); err != nil || !cmp.Equal(got, []string{"file mine.txt"}) {
		t.Errorf("Ada's member folder through its link: %v %v", err, got)
	}
}
