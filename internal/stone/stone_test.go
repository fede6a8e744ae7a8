package stone

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// specDir is Dropbox's Stone spec beside the repository, as laid out for
// developers and CI.
var specDir = filepath.Join("..", "..", "..", "shared", "dropbox-api-spec")

func loadSpec(t *testing.T) *Spec {
	t.Helper()
	if _, err := os.Stat(specDir); err != nil {
		t.Skipf("no Stone spec at %s", specDir)
	}
	s, err := Load(specDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fieldSummary is a field as "name Type = default".
func fieldSummary(f *Field) string {
	s := f.Name + " " + f.Type.String()
	if f.Default != nil {
		s += " = " + f.Default.String()
	}
	return s
}

func TestLoadWholeSpec(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	var names []string
	routes := 0
	for _, ns := range s.Namespaces {
		names = append(names, ns.Name)
		routes += len(ns.Routes)
	}
	for _, want := range []string{"async", "auth", "check", "common", "file_requests", "files", "paper", "sharing", "team", "users"} {
		if s.Namespace(want) == nil {
			t.Errorf("namespace %s missing; have %v", want, names)
		}
	}
	if routes < 250 {
		t.Errorf("parsed %d routes, want the spec's 270 or so", routes)
	}
	files := s.Namespace("files")
	if !strings.HasPrefix(files.Doc, "This namespace contains endpoints") {
		t.Errorf("files doc = %q", files.Doc)
	}
	if !contains(files.Imports, "async") || !contains(files.Imports, "common") {
		t.Errorf("files imports = %v", files.Imports)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSpecListFolderArg(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	st := s.Namespace("files").Struct("ListFolderArg")
	if st == nil {
		t.Fatal("files.ListFolderArg missing")
	}
	var got []string
	for _, f := range st.Fields {
		got = append(got, fieldSummary(f))
	}
	want := []string{
		"path PathROrId",
		"recursive Boolean = false",
		"include_media_info Boolean = false",
		"include_deleted Boolean = false",
		"include_has_explicit_shared_members Boolean = false",
		"include_mounted_folders Boolean = true",
		"limit UInt32(max_value=2000, min_value=1)?",
		"shared_link SharedLink?",
		"include_property_groups file_properties.TemplateFilterBase?",
		"include_non_downloadable_files Boolean = true",
		"include_restorable_info Boolean = false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	byName := map[string]*Field{}
	for _, f := range st.Fields {
		byName[f.Name] = f
	}
	if !Deprecated(byName["include_media_info"].Annotations) || Deprecated(byName["recursive"].Annotations) {
		t.Error("include_media_info should be the deprecated field")
	}
	if d := byName["recursive"].Doc; !strings.HasPrefix(d, "If true, the list folder operation will be applied recursively") || strings.Contains(d, "  ") {
		t.Errorf("recursive doc = %q", d)
	}
	lim := byName["limit"].Type
	if lim.Param("max_value").Text() != "2000" || lim.Param("min_value").Kind != LitInt || !lim.Nullable {
		t.Errorf("limit = %s", lim)
	}
	pg := byName["include_property_groups"].Type
	if pg.Decl == nil {
		t.Fatal("include_property_groups not resolved")
	}
	if ns, name := pg.Decl.Ident(); ns != "file_properties" || name != "TemplateFilterBase" {
		t.Errorf("include_property_groups resolves to %s.%s", ns, name)
	}
	path := Unalias(byName["path"].Type)
	if path.Name != TypeString || path.Param("pattern") == nil {
		t.Errorf("PathROrId unaliased = %s", path)
	}
}

func TestSpecMetadataSubtypes(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	for _, tc := range []struct {
		ns, name string
		closed   bool
		want     []string
	}{
		{"files", "Metadata", true, []string{"file FileMetadata", "folder FolderMetadata", "deleted DeletedMetadata"}},
		{"sharing", "SharedLinkMetadata", false, []string{"file FileLinkMetadata", "folder FolderLinkMetadata"}},
	} {
		st := s.Namespace(tc.ns).Struct(tc.name)
		var got []string
		for _, sub := range st.Subtypes {
			got = append(got, sub.Tag+" "+sub.Type.String())
			c, ok := sub.Type.Decl.(*Struct)
			if !ok || c.Extends.Decl != Decl(st) {
				t.Errorf("%s: subtype %s does not resolve to a struct extending it", tc.name, sub.Type)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s subtypes (-want +got):\n%s", tc.name, diff)
		}
		if st.SubtypesClosed != tc.closed {
			t.Errorf("%s closed = %v, want %v", tc.name, st.SubtypesClosed, tc.closed)
		}
	}
	fm := s.Namespace("files").Struct("FileMetadata")
	if fm.Fields[0].Name != "id" || fm.Extends.String() != "Metadata" {
		t.Errorf("FileMetadata: extends %s, first field %s", fm.Extends, fm.Fields[0].Name)
	}
	var cm *Field
	for _, f := range fm.Fields {
		if f.Name == "client_modified" {
			cm = f
		}
	}
	ts := Unalias(cm.Type)
	if ts.Name != TypeTimestamp || ts.Format() != "%Y-%m-%dT%H:%M:%SZ" || ts.Nullable {
		t.Errorf("client_modified = %s", ts)
	}
}

func TestSpecWriteMode(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	u := s.Namespace("files").Union("WriteMode")
	if !u.Closed || !strings.HasPrefix(u.Doc, "Your intent when writing a file") {
		t.Errorf("WriteMode closed=%v doc=%q", u.Closed, u.Doc)
	}
	var got []string
	for _, m := range u.Members {
		s := m.Name
		if m.Type != nil {
			s += " " + m.Type.String()
		}
		got = append(got, s)
	}
	if diff := cmp.Diff([]string{"add", "overwrite", "update Rev"}, got); diff != "" {
		t.Errorf("WriteMode members (-want +got):\n%s", diff)
	}
	ce := s.Namespace("files").Union("AddTagError")
	if ce.Extends.String() != "BaseTagError" || ce.Closed {
		t.Errorf("AddTagError extends %v closed %v", ce.Extends, ce.Closed)
	}
	mp := Unalias(s.Namespace("files").Union("LookupError").Members[0].Type)
	if mp.Name != TypeString || !mp.Nullable {
		t.Errorf("malformed_path unaliased = %s, want String?", mp)
	}
}

func TestSpecRoutes(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	files := s.Namespace("files")
	for _, tc := range []struct {
		name    string
		version int
		full    string
		host    string
		style   string
		auth    string
		scope   string
		admin   string
		app     bool
		dep     bool
		types   string
	}{
		{"list_folder/longpoll", 1, "files/list_folder/longpoll", "notify", "rpc", "noauth", "files.metadata.read", "whole_team", true, false,
			"ListFolderLongpollArg ListFolderLongpollResult ListFolderLongpollError"},
		{"delete", 2, "files/delete_v2", "api", "rpc", "user", "files.content.write", "team_admin", true, false,
			"DeleteArg DeleteResult DeleteError"},
		{"delete", 1, "files/delete", "api", "rpc", "user", "files.content.write", "team_admin", true, true,
			"DeleteArg Metadata DeleteError"},
		{"download", 1, "files/download", "content", "download", "user", "files.content.read", "whole_team", true, false,
			"DownloadArg FileMetadata DownloadError"},
		{"copy_batch/check", 2, "files/copy_batch/check_v2", "api", "rpc", "user", "files.content.write", "team_admin", true, false,
			"async.PollArg RelocationBatchV2JobStatus async.PollError"},
	} {
		r := files.Route(tc.name, tc.version)
		if r == nil {
			t.Errorf("route %s:%d missing", tc.name, tc.version)
			continue
		}
		got := []any{r.FullName(), r.Host(), r.Style(), r.Auth(), r.Scope(), r.SelectAdminMode(), r.AllowAppFolderApp(), r.Deprecated,
			r.Arg.String() + " " + r.Result.String() + " " + r.Error.String()}
		want := []any{tc.full, tc.host, tc.style, tc.auth, tc.scope, tc.admin, tc.app, tc.dep, tc.types}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.full, diff)
		}
	}
	if r := files.Route("list_folder", 1); r.Auth() != "app, user" || !strings.HasPrefix(r.Doc, "Starts returning the contents of a folder.") {
		t.Errorf("list_folder auth %q doc %q", r.Auth(), r.Doc)
	}
	if r := s.Namespace("files").Route("copy_batch/check", 2); r.Arg.Decl == nil || r.Error.Decl == nil {
		t.Error("async.PollArg / async.PollError not resolved")
	}
	if r := s.Namespace("team").Route("team_folder/get_info", 1); r.Result.Name != TypeList || r.Result.Elem().Decl == nil {
		t.Errorf("team_folder/get_info result %s", r.Result)
	}
}

func TestParseSyntax(t *testing.T) {
	t.Parallel()
	src := `namespace demo
    "A demo
    namespace."

import other

# A comment line.
annotation Deprecated = Deprecated()
annotation Internal = Omitted("internal")

alias Cursor = String(min_length=1) # trailing comment
alias Stamp = Timestamp("%Y-%m-%dT%H:%M:%SZ")?

route things/list:3 (ListArg, List(Thing, min_items=1), other.Err) deprecated by things/list:4
    "Lists \"things\"."

    attrs
        host = "content"
        style = "download"
        is_preview = true

union_closed Mode
    "How."
    add
    update String
        "With a rev."
    nested other.Err?
    other*

union Wider extends Mode
    more Map(String, List(Int64))

struct Base
    union*
        thing Thing
    name String
        @Deprecated
        "The name."
    when Stamp
    secret Bytes
        @Internal
    mode Mode = add
    count UInt64 = 100
    ratio Float64 = -1.5
    label String = "x"
    gone String? = null
    kind Kind
        union_closed
            "An inline union."
            a
            b Int32

    example default
        name = "n"
        mode = add

struct Thing extends Base
    "A thing."
    size UInt32

struct ListArg
    limit UInt32(min_value=1, max_value=2000) = 100
`
	f, err := ParseFile("demo.stone", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ns := f.Namespace
	if ns.Name != "demo" || ns.Doc != "A demo\nnamespace." || !contains(ns.Imports, "other") {
		t.Errorf("namespace %q doc %q imports %v", ns.Name, ns.Doc, ns.Imports)
	}
	r := ns.Routes[0]
	if r.FullName() != "demo/things/list_v3" || !r.Deprecated || r.DeprecatedBy == nil || *r.DeprecatedBy != (RouteRef{"things/list", 4}) {
		t.Errorf("route %s deprecated %v by %+v", r.FullName(), r.Deprecated, r.DeprecatedBy)
	}
	if r.Doc != `Lists "things".` || r.Host() != "content" || r.Style() != "download" || r.Auth() != "user" || !r.IsPreview() {
		t.Errorf("route doc %q attrs %v", r.Doc, r.Attrs)
	}
	if got := r.Result.String(); got != "List(Thing, min_items=1)" {
		t.Errorf("result = %s", got)
	}
	if got := ns.Alias("Stamp").Type; got.Format() != "%Y-%m-%dT%H:%M:%SZ" || !got.Nullable {
		t.Errorf("Stamp = %s", got)
	}
	mode := ns.Union("Mode")
	var members []string
	for _, m := range mode.Members {
		s := m.Name
		if m.Type != nil {
			s += " " + m.Type.String()
		}
		if m.CatchAll {
			s += "*"
		}
		members = append(members, s)
	}
	if diff := cmp.Diff([]string{"add", "update String", "nested other.Err?", "other*"}, members); diff != "" {
		t.Errorf("Mode members (-want +got):\n%s", diff)
	}
	w := ns.Union("Wider")
	if w.Closed || w.Extends.Name != "Mode" || w.Members[0].Type.String() != "Map(String, List(Int64))" {
		t.Errorf("Wider = %+v", w)
	}
	base := ns.Struct("Base")
	if !base.CatchAll || base.SubtypesClosed || len(base.Subtypes) != 1 || base.Subtypes[0].Tag != "thing" {
		t.Errorf("Base subtypes %+v catch-all %v", base.Subtypes, base.CatchAll)
	}
	var fields []string
	for _, f := range base.Fields {
		fields = append(fields, fieldSummary(f))
	}
	want := []string{"name String", "when Stamp", "secret Bytes", "mode Mode = add", "count UInt64 = 100",
		`ratio Float64 = -1.5`, `label String = "x"`, "gone String? = null", "kind Kind"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("Base fields (-want +got):\n%s", diff)
	}
	kinds := []LiteralKind{base.Fields[3].Default.Kind, base.Fields[4].Default.Kind, base.Fields[5].Default.Kind, base.Fields[6].Default.Kind, base.Fields[7].Default.Kind}
	if diff := cmp.Diff([]LiteralKind{LitIdent, LitInt, LitFloat, LitString, LitNull}, kinds); diff != "" {
		t.Errorf("default kinds (-want +got):\n%s", diff)
	}
	if base.Fields[0].Doc != "The name." || len(base.Fields[0].Annotations) != 1 {
		t.Errorf("name field = %+v", base.Fields[0])
	}
	kind := ns.Union("Kind")
	if kind == nil || !kind.Closed || kind.Doc != "An inline union." || len(kind.Members) != 2 {
		t.Fatalf("inline union Kind = %+v", kind)
	}

	// Resolving needs the imported namespace.
	other, err := ParseFile("other.stone", []byte("namespace other\n\nunion Err\n    oops\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := Merge(f, other)
	if err := spec.Resolve(); err != nil {
		t.Fatal(err)
	}
	if !Deprecated(base.Fields[0].Annotations) || Omitted(base.Fields[2].Annotations) != "internal" || Omitted(base.Fields[0].Annotations) != "" {
		t.Error("annotations not resolved")
	}
	if base.Fields[1].Type.Decl != Decl(ns.Alias("Stamp")) || r.Error.Decl != Decl(other.Namespace.Union("Err")) {
		t.Error("type references not resolved")
	}
	if u := Unalias(base.Fields[1].Type); u.Name != TypeTimestamp || !u.Nullable {
		t.Errorf("Unalias(Stamp) = %s", u)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src, want string
	}{
		{"struct A\n", "1:1: expected \"namespace\""},
		{"namespace a\n\nstruct A\n    x String(\n", "expected"},
		{"namespace a\n\nunion U\n    a\n  b\n", "indentation does not match"},
		{"namespace a\n\nstruct A\n    doc \"unterminated\n", "string not terminated"},
		{"namespace a\n\nwidget A\n", "3:1: expected a declaration"},
		{"namespace a\n\nroute r:x (Void, Void, Void)\n", "expected number"},
	} {
		_, err := ParseFile("a.stone", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFile(%q) = %v, want an error with %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct {
		src, want string
	}{
		{"namespace a\n\nstruct A\n    b Missing\n", "unknown type Missing"},
		{"namespace a\n\nstruct A\n    b other.B\n", "does not import"},
		{"namespace a\n\nstruct A\n    b List(String, String)\n", "List takes one element type"},
		{"namespace a\n\nstruct A\n    x String\nunion A\n    y\n", "declared twice"},
		{"namespace a\n\nunion U extends S\n    x\nstruct S\n    y String\n", "not a union"},
		{"namespace a\n\nstruct S\n    y String\n        @Nope\n", "unknown annotation Nope"},
	} {
		f, err := ParseFile("a.stone", []byte(tc.src))
		if err != nil {
			t.Errorf("ParseFile(%q): %v", tc.src, err)
			continue
		}
		err = Merge(f).Resolve()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%q) = %v, want an error with %q", tc.src, err, tc.want)
		}
	}
}
