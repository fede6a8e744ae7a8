package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/internal/stone"
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
		"An additional call to :route:list/continue` can retrieve them.":   "An additional call to list/continue can retrieve them.",
		"check documentation for ResolvedVisibility.":                      "Check documentation for ResolvedVisibility.",
		"dropbox paper doc.":               "Dropbox paper doc.",
		"path_lower is set.":               "path_lower is set.",
		"eTag is set.":                     "eTag is set.",
		":route:`list/continue` pages on.": "list/continue pages on.",
	} {
		if got := plainDoc(in); got != want {
			t.Errorf("plainDoc(%q) = %q, want %q", in, got, want)
		}
	}
}

// parseGenerated parses the generated files whose names have prefix,
// with their comments.
func parseGenerated(t *testing.T, files map[string][]byte, prefix string) map[string]*ast.File {
	t.Helper()
	out := map[string]*ast.File{}
	fset := token.NewFileSet()
	for name, src := range files {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		out[name] = f
	}
	if len(out) == 0 {
		t.Fatalf("no generated file starts with %q", prefix)
	}
	return out
}

// generated runs the generator over the spec into package dropbox.
func generated(t *testing.T) (map[string][]byte, []string) {
	t.Helper()
	needSpec(t)
	files, notes, err := generate(specDir, pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	return files, notes
}

// TestAccessorsCoverPointerFields checks that every pointer field of a
// generated type has its GetX accessor on the pointer, and nothing else
// has one.
func TestAccessorsCoverPointerFields(t *testing.T) {
	t.Parallel()
	files, notes := generated(t)
	for _, n := range notes {
		if strings.HasPrefix(n, "skipped accessor") {
			t.Errorf("unexpected note: %s", n)
		}
	}
	var want []string // "Type.GetField"
	for _, f := range parseGenerated(t, files, "types_") {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fd := range st.Fields.List {
					if _, ptr := fd.Type.(*ast.StarExpr); !ptr {
						continue
					}
					for _, n := range fd.Names {
						want = append(want, ts.Name.Name+".Get"+n.Name)
					}
				}
			}
		}
	}
	var got []string
	for name, f := range parseGenerated(t, files, "accessors_") {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
				continue
			}
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				t.Errorf("%s holds something other than a method", name)
				continue
			}
			if _, ptr := fd.Recv.List[0].Type.(*ast.StarExpr); !ptr {
				t.Errorf("%s: %s has a value receiver; accessors take nil receivers", name, fd.Name.Name)
			}
			got = append(got, receiverType(fd.Recv)+"."+fd.Name.Name)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if len(want) < 100 {
		t.Fatalf("only %d pointer fields found: the test does not see the generated types", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accessors (-want +got):\n%s", diff)
	}
}

// TestAccessorSource checks the generated body of accessors of each kind.
func TestAccessorSource(t *testing.T) {
	t.Parallel()
	files, _ := generated(t)
	var all strings.Builder
	for name, src := range files {
		if strings.HasPrefix(name, "accessors_") {
			all.Write(src)
		}
	}
	for _, want := range []string{
		// A Boolean with a spec default of true.
		"func (s *ListFolderArg) GetIncludeMountedFolders() bool {\n\tif s == nil || s.IncludeMountedFolders == nil {\n\t\treturn true\n\t}\n\treturn *s.IncludeMountedFolders\n}\n",
		// A nullable number without a default.
		"func (s *ListFolderArg) GetLimit() uint32 {\n\tif s == nil || s.Limit == nil {\n\t\treturn 0\n\t}\n\treturn *s.Limit\n}\n",
		// A nullable struct: the pointer itself.
		"func (s *ListFolderArg) GetSharedLink() *SharedLink {\n\tif s == nil {\n\t\treturn nil\n\t}\n\treturn s.SharedLink\n}\n",
		// A nullable timestamp.
		"func (s *UploadArg) GetClientModified() time.Time {\n\tif s == nil || s.ClientModified == nil {\n\t\treturn time.Time{}\n\t}\n\treturn *s.ClientModified\n}\n",
		// A nullable string member of a union.
		"func (u *LookupError) GetMalformedPath() string {\n\tif u == nil || u.MalformedPath == nil {\n\t\treturn \"\"\n\t}\n\treturn *u.MalformedPath\n}\n",
		// A subtype of a struct with subtypes.
		"func (m *Metadata) GetFile() *FileMetadata {\n\tif m == nil {\n\t\treturn nil\n\t}\n\treturn m.File\n}\n",
		// The doc says which default it returns.
		"// GetIncludeMountedFolders returns the IncludeMountedFolders field of s, or the spec's\n// default true when s or the field is nil.\n",
	} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("no accessor:\n%s", want)
		}
	}
}

func TestDefaultExpr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		elem string
		def  *stone.Literal
		want string // "" for the zero value
	}{
		{"bool", &stone.Literal{Kind: stone.LitBool, Value: "true"}, "true"},
		{"bool", &stone.Literal{Kind: stone.LitBool, Value: "false"}, ""},
		{"uint32", &stone.Literal{Kind: stone.LitInt, Value: "1000"}, "1000"},
		{"uint64", &stone.Literal{Kind: stone.LitInt, Value: "0"}, ""},
		{"float64", &stone.Literal{Kind: stone.LitFloat, Value: "14400.0"}, "14400.0"},
		{"string", &stone.Literal{Kind: stone.LitString, Value: "a\"b"}, `"a\"b"`},
		{"string", &stone.Literal{Kind: stone.LitString, Value: ""}, ""},
		{"string", &stone.Literal{Kind: stone.LitNull, Value: "null"}, ""},
		{"uint32", nil, ""},
	} {
		got, ok := defaultExpr(tc.elem, tc.def)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("defaultExpr(%s, %+v) = %q, %v; want %q", tc.elem, tc.def, got, ok, tc.want)
		}
	}
}

// TestRouteTable checks that routesByName has every route of Routes()
// under its name, each the route variable with that name.
func TestRouteTable(t *testing.T) {
	t.Parallel()
	files, _ := generated(t)
	varRoute := map[string]string{} // routeFilesDeleteV2 -> files/delete_v2
	var table map[string]string     // name -> variable
	var list []string
	for _, f := range parseGenerated(t, files, "routes") {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				if len(n.Names) != 1 || len(n.Values) != 1 {
					return true
				}
				switch v := n.Values[0].(type) {
				case *ast.UnaryExpr: // &route{name: ...}
					if cl, ok := v.X.(*ast.CompositeLit); ok {
						for _, e := range cl.Elts {
							kv := e.(*ast.KeyValueExpr)
							if kv.Key.(*ast.Ident).Name == "name" {
								varRoute[n.Names[0].Name] = unquote(t, kv.Value)
							}
						}
					}
				case *ast.CompositeLit:
					if n.Names[0].Name != "routesByName" {
						return true
					}
					table = map[string]string{}
					for _, e := range v.Elts {
						kv := e.(*ast.KeyValueExpr)
						table[unquote(t, kv.Key)] = kv.Value.(*ast.Ident).Name
					}
				}
			case *ast.FuncDecl:
				if n.Name.Name == "Routes" {
					ast.Inspect(n.Body, func(n ast.Node) bool {
						if lit, ok := n.(*ast.BasicLit); ok {
							list = append(list, unquote(t, lit))
						}
						return true
					})
				}
			}
			return true
		})
	}
	if table == nil || len(list) == 0 {
		t.Fatal("routes.go has no routesByName or no Routes()")
	}
	if len(table) != len(list) || len(varRoute) != len(list) {
		t.Errorf("%d routes in Routes(), %d in routesByName, %d route variables", len(list), len(table), len(varRoute))
	}
	for _, name := range list {
		v, ok := table[name]
		if !ok {
			t.Errorf("%s is not in routesByName", name)
			continue
		}
		if varRoute[v] != name {
			t.Errorf("routesByName[%q] is %s, the route %q", name, v, varRoute[v])
		}
	}
}

func unquote(t *testing.T, e ast.Expr) string {
	t.Helper()
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		t.Fatalf("not a string literal: %#v", e)
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGeneratedDocs checks the doc comments of the generated files: every
// exported identifier (and method) has one that starts with its name, and
// no comment keeps Stone markup.
func TestGeneratedDocs(t *testing.T) {
	t.Parallel()
	files, _ := generated(t)
	markup := regexp.MustCompile(`:(field|route|type|val|link):`)
	for name, f := range parseGenerated(t, files, "") {
		check := func(ident string, doc *ast.CommentGroup) {
			if !ast.IsExported(ident) {
				return
			}
			if text := doc.Text(); !strings.HasPrefix(text, ident+" ") {
				t.Errorf("%s: the doc of %s does not start with its name: %q", name, ident, text)
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				check(d.Name.Name, d.Doc)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					doc := d.Doc
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Doc != nil {
							doc = s.Doc
						}
						check(s.Name.Name, doc)
					case *ast.ValueSpec:
						if s.Doc != nil || len(d.Specs) > 1 {
							doc = s.Doc
						}
						for _, n := range s.Names {
							check(n.Name, doc)
						}
					}
				}
			}
		}
		for _, cg := range f.Comments {
			if m := markup.FindString(cg.Text()); m != "" {
				t.Errorf("%s: a comment keeps Stone markup %s: %q", name, m, cg.Text())
			}
		}
	}
}

// TestDocReferences checks that references to reachable types, fields
// and members become their Go names, and that the rest keep their spec
// text.
func TestDocReferences(t *testing.T) {
	t.Parallel()
	needSpec(t)
	spec, err := stone.Load(specDir)
	if err != nil {
		t.Fatal(err)
	}
	names, err := readRouteList(routeList)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGen(spec, names, nil)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"If :field:`ListFolderResult.has_more` is true":          "If ListFolderResult.HasMore is true",
		"Set :field:`UploadSessionStartArg.session_type`.":       "Set UploadSessionStartArg.SessionType.",
		"Or :field:`files.UploadSessionType.concurrent`.":        "Or UploadSessionTypeConcurrent.",
		"See :type:`WriteMode`.":                                 "See WriteMode.",
		"See :type:`file_properties.LookupError`.":               "See FilePropertiesLookupError.",
		"See :type:`LookupError`, reachable in two namespaces.":  "See LookupError, reachable in two namespaces.",
		"Maybe :field:`LookupError.not_found`.":                  "Maybe LookupError.not_found.",
		"Set :field:`recursive` here.":                           "Set recursive here.",
		"See :type:`NoSuchType` and :field:`ListFolderArg.nope`": "See NoSuchType and ListFolderArg.nope",
		"Read :field:`Metadata.path_lower`.":                     "Read Metadata.PathLower.",
	} {
		if got := g.plainDoc(in); got != want {
			t.Errorf("plainDoc(%q) = %q, want %q", in, got, want)
		}
	}
}
