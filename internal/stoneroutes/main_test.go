package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestRouteTableUpToDate regenerates the emulator's route table from the
// Stone spec beside the repository (../shared/dropbox-api-spec, as laid out
// for developers and CI) and compares it with the committed file.
func TestRouteTableUpToDate(t *testing.T) {
	t.Parallel()
	spec := filepath.Join("..", "..", "..", "shared", "dropbox-api-spec")
	if _, err := os.Stat(spec); err != nil {
		t.Skipf("no Stone spec at %s: nothing to compare the route table with", spec)
	}
	got, err := generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "dropboxemu", "routes_spec.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("dropboxemu/routes_spec.go is stale: run go generate ./dropboxemu")
	}
}

func TestParseRoute(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stone := `namespace files

route list_folder/longpoll (ListFolderLongpollArg, ListFolderLongpollResult, ListFolderLongpollError)
    "doc"

    attrs
        auth = "noauth"
        host = "notify"
        scope = "files.metadata.read"

route copy:2 (RelocationArg, RelocationResult, RelocationError)
    "doc"

route copy (RelocationArg, Metadata, RelocationError) deprecated
`
	p := filepath.Join(dir, "files.stone")
	if err := os.WriteFile(p, []byte(stone), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := parse(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("parsed %d routes, want 3: %+v", len(rs), rs)
	}
	lp := rs[0]
	if lp.name != "files/list_folder/longpoll" || lp.auth != "noauth" || lp.host != "notify" || lp.scope != "files.metadata.read" || lp.style != "rpc" {
		t.Errorf("longpoll = %+v", lp)
	}
	if rs[1].name != "files/copy_v2" || rs[1].auth != "user" || rs[1].host != "api" || rs[1].deprecated {
		t.Errorf("copy:2 = %+v", rs[1])
	}
	if rs[2].name != "files/copy" || !rs[2].deprecated {
		t.Errorf("copy = %+v", rs[2])
	}
}
