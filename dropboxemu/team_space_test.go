package dropboxemu_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/google/go-cmp/cmp"
)

// rootConfig is cfg with Dropbox-API-Path-Root set to the member's root
// namespace (the team space).
func rootConfig(cfg dropbox.Config, rootNS string) dropbox.Config {
	cfg.PathRoot = fmt.Sprintf(`{".tag":"root","root":%q}`, rootNS)
	return cfg
}

// listAllPaths lists path recursively with fc and returns the path_display
// of every entry, and the final cursor.
func listAllPaths(t *testing.T, fc files.Client, path string) ([]string, string) {
	t.Helper()
	res, err := fc.ListFolder(&files.ListFolderArg{Path: path, Recursive: true, IncludeMountedFolders: true, IncludeNonDownloadableFiles: true})
	if err != nil {
		t.Fatalf("list_folder %q: %v", path, err)
	}
	var out []string
	for {
		for _, e := range res.Entries {
			out = append(out, entryPath(e))
		}
		if !res.HasMore {
			return out, res.Cursor
		}
		if res, err = fc.ListFolderContinue(files.NewListFolderContinueArg(res.Cursor)); err != nil {
			t.Fatal(err)
		}
	}
}

func entryPath(e files.IsMetadata) string {
	switch m := e.(type) {
	case *files.FileMetadata:
		return m.PathDisplay
	case *files.FolderMetadata:
		return m.PathDisplay + "/"
	case *files.DeletedMetadata:
		return "-" + m.PathDisplay
	}
	return "?"
}

// continuePaths follows cursor to the end and returns what changed.
func continuePaths(t *testing.T, fc files.Client, cursor string) ([]string, string) {
	t.Helper()
	var out []string
	for {
		res, err := fc.ListFolderContinue(files.NewListFolderContinueArg(cursor))
		if err != nil {
			t.Fatalf("continue: %v", err)
		}
		for _, e := range res.Entries {
			out = append(out, entryPath(e))
		}
		cursor = res.Cursor
		if !res.HasMore {
			return out, cursor
		}
	}
}

// TestTeamSpace: team folders and each member's own folder appear at the
// top of the team space, seen through Dropbox-API-Path-Root; changes in a
// team folder reach every member's cursor; archive, activate and rename
// show up as Dropbox shows them.
func TestTeamSpace(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	tc := f.client()
	tf, err := tc.TeamFolderCreate(team.NewTeamFolderCreateArg("Projects"))
	if err != nil {
		t.Fatalf("team_folder/create: %v", err)
	}
	adaHome := files.New(sdkConfig(f.emu, f.ada.AccessToken))
	ada := files.New(rootConfig(sdkConfig(f.emu, f.ada.AccessToken), f.ada.RootNS))
	bob := files.New(rootConfig(sdkConfig(f.emu, f.bob.AccessToken), f.bob.RootNS))
	bobHome := files.New(sdkConfig(f.emu, f.bob.AccessToken))

	if _, err := adaHome.Upload(files.NewUploadArg("/mine.txt"), bytes.NewReader([]byte("ada's"))); err != nil {
		t.Fatal(err)
	}
	up, err := ada.Upload(files.NewUploadArg("/Projects/plan.txt"), bytes.NewReader([]byte("plan")))
	if err != nil {
		t.Fatalf("upload into the team folder: %v", err)
	}
	if up.PathDisplay != "/Projects/plan.txt" || up.PathLower != "/projects/plan.txt" {
		t.Errorf("upload result path = %q, %q", up.PathDisplay, up.PathLower)
	}

	// Each member sees the team folder and their own folder, not the other's.
	adaPaths, _ := listAllPaths(t, ada, "")
	if want := []string{"/Ada Lovelace/", "/Ada Lovelace/mine.txt", "/Projects/", "/Projects/plan.txt"}; !cmp.Equal(adaPaths, want) {
		t.Errorf("Ada's team space:\n%s", cmp.Diff(want, adaPaths))
	}
	bobPaths, bobCursor := listAllPaths(t, bob, "")
	if want := []string{"/Bob Builder/", "/Projects/", "/Projects/plan.txt"}; !cmp.Equal(bobPaths, want) {
		t.Errorf("Bob's team space:\n%s", cmp.Diff(want, bobPaths))
	}
	// Without the path root, paths are the member's home.
	if homePaths, _ := listAllPaths(t, bobHome, ""); len(homePaths) != 0 {
		t.Errorf("Bob's home = %v, want empty", homePaths)
	}
	m, err := ada.GetMetadata(files.NewGetMetadataArg("/Ada Lovelace/mine.txt"))
	if err != nil || m.(*files.FileMetadata).PathDisplay != "/Ada Lovelace/mine.txt" {
		t.Errorf("get_metadata through the member folder: %v %+v", err, m)
	}
	if _, err := bob.GetMetadata(files.NewGetMetadataArg("/Ada Lovelace/mine.txt")); err == nil {
		t.Error("Bob reads Ada's member folder")
	}
	// Listing the team folder itself starts with it, as a recursive listing does.
	if got, _ := listAllPaths(t, bob, "/projects"); !cmp.Equal(got, []string{"/Projects/", "/Projects/plan.txt"}) {
		t.Errorf("listing the team folder = %v", got)
	}

	// Ada's change in the team folder reaches Bob's cursor, under his paths.
	if _, err := ada.Upload(files.NewUploadArg("/Projects/second.txt"), bytes.NewReader([]byte("2"))); err != nil {
		t.Fatal(err)
	}
	got, bobCursor := continuePaths(t, bob, bobCursor)
	if want := []string{"/Projects/second.txt"}; !cmp.Equal(got, want) {
		t.Errorf("Bob's continue after Ada's upload:\n%s", cmp.Diff(want, got))
	}

	// Archived: out of the tree; activated: back with what is in it.
	if _, err := tc.TeamFolderArchive(&team.TeamFolderArchiveArg{TeamFolderIdArg: team.TeamFolderIdArg{TeamFolderId: tf.TeamFolderId}, ForceAsyncOff: true}); err != nil {
		t.Fatalf("archive: %v", err)
	}
	got, bobCursor = continuePaths(t, bob, bobCursor)
	if want := []string{"-/Projects"}; !cmp.Equal(got, want) {
		t.Errorf("after archive:\n%s", cmp.Diff(want, got))
	}
	if _, err := bob.GetMetadata(files.NewGetMetadataArg("/Projects/plan.txt")); err == nil {
		t.Error("an archived team folder is still readable")
	}
	if _, err := tc.TeamFolderActivate(team.NewTeamFolderIdArg(tf.TeamFolderId)); err != nil {
		t.Fatalf("activate: %v", err)
	}
	got, bobCursor = continuePaths(t, bob, bobCursor)
	slices.Sort(got)
	if want := []string{"/Projects/", "/Projects/plan.txt", "/Projects/second.txt"}; !cmp.Equal(got, want) {
		t.Errorf("after activate:\n%s", cmp.Diff(want, got))
	}

	// Renamed: the old path goes, the new one comes with its contents.
	if _, err := tc.TeamFolderRename(team.NewTeamFolderRenameArg(tf.TeamFolderId, "Work")); err != nil {
		t.Fatalf("rename: %v", err)
	}
	got, _ = continuePaths(t, bob, bobCursor)
	if len(got) == 0 || got[0] != "-/Projects" || !slices.Contains(got, "/Work/") || !slices.Contains(got, "/Work/plan.txt") {
		t.Errorf("after rename: %v", got)
	}
	if _, err := bob.GetMetadata(files.NewGetMetadataArg("/work/second.txt")); err != nil {
		t.Errorf("renamed team folder: %v", err)
	}
}

// TestTeamSpaceMountsProtected: a member cannot delete or move a team
// folder or their member folder with the files routes (WriteError.team_folder);
// the team folder stays for everyone.
func TestTeamSpaceMountsProtected(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	if _, err := f.client().TeamFolderCreate(team.NewTeamFolderCreateArg("Projects")); err != nil {
		t.Fatal(err)
	}
	bob := files.New(rootConfig(sdkConfig(f.emu, f.bob.AccessToken), f.bob.RootNS))
	for _, p := range []string{"/Projects", "/Bob Builder"} {
		_, err := bob.DeleteV2(files.NewDeleteArg(p))
		var derr files.DeleteV2APIError
		if !asErr(err, &derr) || derr.EndpointError == nil || derr.EndpointError.PathWrite == nil || derr.EndpointError.PathWrite.Tag != files.WriteErrorTeamFolder {
			t.Errorf("delete %s: %v, want path_write/team_folder", p, err)
		}
		_, err = bob.MoveV2(files.NewRelocationArg(p, p+" renamed"))
		var merr files.MoveV2APIError
		if !asErr(err, &merr) || merr.EndpointError == nil || merr.EndpointError.FromWrite == nil || merr.EndpointError.FromWrite.Tag != files.WriteErrorTeamFolder {
			t.Errorf("move %s: %v, want from_write/team_folder", p, err)
		}
	}
	ada := files.New(rootConfig(sdkConfig(f.emu, f.ada.AccessToken), f.ada.RootNS))
	if _, err := ada.GetMetadata(files.NewGetMetadataArg("/Projects")); err != nil {
		t.Errorf("the team folder is gone for Ada: %v", err)
	}
}
