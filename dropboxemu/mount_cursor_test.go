package dropboxemu_test

import (
	"bytes"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"
	"github.com/google/go-cmp/cmp"
)

// TestMountCursorOrder: a member's cursor taken before a shared folder is
// mounted in their tree sees the folder first, then what is in it (changes
// made inside before the mount come through the folder, not before it),
// then later changes inside.
func TestMountCursorOrder(t *testing.T) {
	t.Parallel()
	_, ada, bob, _ := sfSetup(t)
	for _, p := range []string{"/Trip/a.txt", "/Trip/b/c.txt"} {
		if _, err := ada.fc.Upload(files.NewUploadArg(p), bytes.NewReader([]byte(p))); err != nil {
			t.Fatal(err)
		}
	}
	_, bobCursor := listAllPaths(t, bob.fc, "")
	md := sfShare(t, ada, "/Trip")
	if _, err := ada.fc.Upload(files.NewUploadArg("/Trip/before-mount.txt"), bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	sfAdd(t, ada, md.SharedFolderId, sfMember("email", bob.acct.Email, "editor"))
	sfMount(t, bob, md.SharedFolderId)
	got, bobCursor := continuePaths(t, bob.fc, bobCursor)
	want := []string{"/Trip/", "/Trip/a.txt", "/Trip/b/", "/Trip/b/c.txt", "/Trip/before-mount.txt"}
	if !cmp.Equal(got, want) {
		t.Errorf("Bob's continue after the mount:\n%s", cmp.Diff(want, got))
	}
	if _, err := ada.fc.Upload(files.NewUploadArg("/Trip/after.txt"), bytes.NewReader([]byte("y"))); err != nil {
		t.Fatal(err)
	}
	if got, _ := continuePaths(t, bob.fc, bobCursor); !cmp.Equal(got, []string{"/Trip/after.txt"}) {
		t.Errorf("Bob's continue after Ada's upload = %v", got)
	}
}

// TestMountCursorReset: a cursor listing inside a folder that is then
// shared (its contents move to the shared folder's namespace) gets reset.
func TestMountCursorReset(t *testing.T) {
	t.Parallel()
	_, ada, _, _ := sfSetup(t)
	if _, err := ada.fc.Upload(files.NewUploadArg("/Docs/x.txt"), bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	_, cursor := listAllPaths(t, ada.fc, "/Docs")
	sfShare(t, ada, "/Docs")
	_, err := ada.fc.ListFolderContinue(files.NewListFolderContinueArg(cursor))
	var lerr files.ListFolderContinueAPIError
	if !asErr(err, &lerr) || lerr.EndpointError == nil || lerr.EndpointError.Tag != files.ListFolderContinueErrorReset {
		t.Fatalf("continue inside a folder since shared: %v, want reset", err)
	}
	// A fresh listing of the same path works, through the mount.
	if got, _ := listAllPaths(t, ada.fc, "/Docs"); !cmp.Equal(got, []string{"/Docs/", "/Docs/x.txt"}) {
		t.Errorf("listing the shared folder = %v", got)
	}
}

// TestMountedFoldersExcluded: include_mounted_folders=false lists a mount
// point but not what is in it.
func TestMountedFoldersExcluded(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	if _, err := f.client().TeamFolderCreate(team.NewTeamFolderCreateArg("Ops")); err != nil {
		t.Fatal(err)
	}
	ada := files.New(rootConfig(sdkConfig(f.emu, f.ada.AccessToken), f.ada.RootNS))
	if _, err := ada.Upload(files.NewUploadArg("/Ops/runbook.txt"), bytes.NewReader([]byte("r"))); err != nil {
		t.Fatal(err)
	}
	res, err := ada.ListFolder(&files.ListFolderArg{Path: "", Recursive: true, IncludeMountedFolders: false, IncludeNonDownloadableFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, entryPath(e))
	}
	if want := []string{"/Ada Lovelace/", "/Ops/"}; !cmp.Equal(got, want) {
		t.Errorf("without mounted folders:\n%s", cmp.Diff(want, got))
	}
}
