package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	methodRE = regexp.MustCompile(`\nfunc \(s \*\w+Service\) `)
	specDir  = filepath.Join("..", "..", "..", "shared", "dropbox-api-spec")
	pkgDir   = filepath.Join("..", "..", "dropbox")
)

func needSpec(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(specDir); err != nil {
		t.Skipf("no Stone spec at %s: nothing to generate from", specDir)
	}
}

// TestGeneratedUpToDate regenerates package dropbox's typed surface into a
// temporary folder and compares it with the committed files.
func TestGeneratedUpToDate(t *testing.T) {
	t.Parallel()
	needSpec(t)
	files, _, err := generate(specDir, pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := write(tmp, files); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(pkgDir, name))
		if err != nil {
			t.Errorf("dropbox/%s is missing: run go run ./internal/stoneclient -spec ../shared/dropbox-api-spec -out dropbox", name)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("dropbox/%s is stale: run go run ./internal/stoneclient -spec ../shared/dropbox-api-spec -out dropbox", name)
		}
	}
	stale, err := staleFiles(pkgDir, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("generated files the generator no longer writes: %v", stale)
	}
}

// TestEveryRouteHasAMethod checks that each route of routes.txt is in
// Routes() and has a method on its service.
func TestEveryRouteHasAMethod(t *testing.T) {
	t.Parallel()
	needSpec(t)
	files, _, err := generate(specDir, pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	names, err := readRouteList(routeList)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("routes.txt is empty")
	}
	routesGo := string(files["routes.go"])
	var all strings.Builder
	for _, src := range files {
		all.Write(src)
	}
	for _, name := range names {
		if !strings.Contains(routesGo, "\t\t\""+name+"\",\n") {
			t.Errorf("%s is not in Routes()", name)
		}
		if !strings.Contains(all.String(), "&route{name: \""+name+"\",") {
			t.Errorf("%s has no route variable", name)
		}
	}
	if n := len(methodRE.FindAllString(all.String(), -1)); n != len(names) {
		t.Errorf("%d service methods for %d routes", n, len(names))
	}
}

func TestServiceAndMethodNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ns, name string
		version  int
		field    string
		method   string
	}{
		{"files", "list_folder/continue", 1, "Files", "ListFolderContinue"},
		{"files", "delete", 2, "Files", "DeleteV2"},
		{"files", "copy_batch/check", 2, "Files", "CopyBatchCheckV2"},
		{"files", "paper/create", 1, "Paper", "Create"},
		{"file_requests", "list", 2, "FileRequests", "ListV2"},
		{"team", "team_folder/get_info", 1, "Team", "TeamFolderGetInfo"},
		{"users", "get_current_account", 1, "Users", "GetCurrentAccount"},
	} {
		field, _ := serviceFor(tc.ns, tc.name)
		path := tc.name
		if field == "Paper" {
			path = strings.TrimPrefix(path, "paper/")
		}
		got := []string{field, methodName(path, tc.version)}
		if diff := cmp.Diff([]string{tc.field, tc.method}, got); diff != "" {
			t.Errorf("%s/%s:%d (-want +got):\n%s", tc.ns, tc.name, tc.version, diff)
		}
	}
}

func TestCamel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"account_id":         "AccountID",
		"path_lower":         "PathLower",
		"shared_folder_id":   "SharedFolderID",
		"preview_url":        "PreviewURL",
		"api_version":        "APIVersion",
		"uid":                "UID",
		"http_status":        "HTTPStatus",
		"is_json":            "IsJSON",
		"ip_address":         "IPAddress",
		"html":               "HTML",
		"member_ids":         "MemberIDs",
		"w32h32":             "W32h32",
		"quality_80":         "Quality80",
		"include_deleted":    "IncludeDeleted",
		"content_hash":       "ContentHash",
		"id":                 "ID",
		"idle":               "Idle",
		"team_member_id":     "TeamMemberID",
		"user_generated_tag": "UserGeneratedTag",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlainDoc(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Fetches the next page from :route:`search:2`.":                    "Fetches the next page from search_v2.",
		"See :route:`list_folder:1` and :field:`ListFolderArg.recursive`.": "See list_folder and ListFolderArg.recursive.",
		"Set :field:`mode` to :val:`true`, see :type:`WriteMode`.":         "Set mode to true, see WriteMode.",
		"Read the :link:`Path formats documentation https://x.example/p`.": "Read the Path formats documentation (https://x.example/p).",
		"First line\nsecond line.\n\nSecond paragraph.":                    "First line second line.",
	} {
		if got := plainDoc(in); got != want {
			t.Errorf("plainDoc(%q) = %q, want %q", in, got, want)
		}
	}
}
