package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dropbridge/dropbridge/internal/stone"
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
	src := `namespace files

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
	f, err := stone.ParseFile("files.stone", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rs := f.Namespace.Routes
	if len(rs) != 3 {
		t.Fatalf("parsed %d routes, want 3: %+v", len(rs), rs)
	}
	lp := rs[0]
	if lp.FullName() != "files/list_folder/longpoll" || lp.Auth() != "noauth" || lp.Host() != "notify" || lp.Scope() != "files.metadata.read" || lp.Style() != "rpc" {
		t.Errorf("longpoll = %+v", lp)
	}
	if rs[1].FullName() != "files/copy_v2" || rs[1].Auth() != "user" || rs[1].Host() != "api" || rs[1].Deprecated {
		t.Errorf("copy:2 = %+v", rs[1])
	}
	if rs[2].FullName() != "files/copy" || !rs[2].Deprecated {
		t.Errorf("copy = %+v", rs[2])
	}
}
