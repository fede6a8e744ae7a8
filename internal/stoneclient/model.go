package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dropbridge/dropbridge/internal/stone"
)

// dropboxTimestamp is the one Timestamp format the generated code writes.
const dropboxTimestamp = "%Y-%m-%dT%H:%M:%SZ"

// gen holds what the generator knows: the covered routes, the types they
// reach with their Go names, and what it noticed on the way.
type gen struct {
	spec     *stone.Spec
	services []*service
	routes   []*routeInfo
	types    map[stone.Decl]*typeInfo
	order    []*typeInfo       // reachable types in discovery order
	taken    map[string]string // package-level identifier -> who declares it
	methods  map[string]string // hand-written methods: "Type.Method" -> file
	notes    []string          // collisions, skipped getters, what could not be represented
	errs     []error
}

// service is one Client field with the routes it calls.
type service struct {
	field    string // "Files"
	typeName string // "FilesService"
	file     string // "routes_files.go"
	what     string // "the files namespace", for docs
	routes   []*routeInfo
}

// routeInfo is one covered route.
type routeInfo struct {
	r       *stone.Route
	full    string // "files/delete_v2"
	svc     *service
	method  string // "DeleteV2"
	varName string // "routeFilesDeleteV2"
}

// kind is how a reachable type is represented in Go.
type kind int

const (
	kStruct  kind = iota // a plain struct, fields flattened
	kWrapper             // a struct with enumerated subtypes: Tag and one pointer per leaf
	kUnion               // a union: Tag and one field per member with a value
)

// typeInfo is a reachable struct or union.
type typeInfo struct {
	decl     stone.Decl
	ns, name string
	goName   string
	kind     kind
	st       *stone.Struct
	un       *stone.Union
	// routeError is set for the error type of a covered route; tagPath
	// for it and every union its tag path passes through.
	routeError bool
	tagPath    bool
}

func (g *gen) note(format string, args ...any) {
	g.notes = append(g.notes, fmt.Sprintf(format, args...))
}

func (g *gen) fail(format string, args ...any) {
	g.errs = append(g.errs, fmt.Errorf(format, args...))
}

// readRouteList reads the route names to cover, one a line.
func readRouteList(src []byte) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		names = append(names, l)
	}
	return names, sc.Err()
}

// serviceFor returns the service a route belongs to, by namespace, with
// files/paper/* going to Paper.
func serviceFor(ns, name string) (field, file string) {
	if ns == "files" && strings.HasPrefix(name, "paper/") {
		return "Paper", "paper"
	}
	return camel(ns), ns
}

// newGen loads the spec's covered routes and everything they reach.
// hand holds what the hand-written files of the package declare, which
// generated names must not take; nil for none.
func newGen(spec *stone.Spec, routeNames []string, hand *handwritten) (*gen, error) {
	g := &gen{spec: spec, types: map[stone.Decl]*typeInfo{}, taken: map[string]string{}, methods: map[string]string{}}
	if hand != nil {
		for k, v := range hand.idents {
			g.taken[k] = v
		}
		for k, v := range hand.methods {
			g.methods[k] = v
		}
	}
	byFull := map[string]*stone.Route{}
	for _, ns := range spec.Namespaces {
		for _, r := range ns.Routes {
			byFull[r.FullName()] = r
		}
	}
	svcs := map[string]*service{}
	seen := map[string]bool{}
	for _, name := range routeNames {
		if seen[name] {
			continue
		}
		seen[name] = true
		r, ok := byFull[name]
		if !ok {
			g.fail("route %s is not in the spec", name)
			continue
		}
		field, file := serviceFor(r.Namespace, r.Name)
		svc := svcs[field]
		if svc == nil {
			what := "the " + r.Namespace + " namespace"
			if field == "Paper" {
				what = "files/paper/*"
			}
			svc = &service{field: field, typeName: field + "Service", file: "routes_" + file + ".go", what: what}
			svcs[field] = svc
			g.services = append(g.services, svc)
		}
		path := r.Name
		if field == "Paper" {
			path = strings.TrimPrefix(path, "paper/")
		}
		ri := &routeInfo{r: r, full: name, svc: svc, method: methodName(path, r.Version),
			varName: "route" + methodName(r.Namespace+"/"+r.Name, r.Version)}
		svc.routes = append(svc.routes, ri)
		g.routes = append(g.routes, ri)
	}
	methods := map[string]string{}
	for _, ri := range g.routes {
		key := ri.svc.typeName + "." + ri.method
		if prev, ok := methods[key]; ok {
			g.fail("method collision: %s is the method of %s and of %s", key, prev, ri.full)
		}
		methods[key] = ri.full
	}
	sort.Slice(g.routes, func(i, j int) bool { return g.routes[i].full < g.routes[j].full })
	sort.Slice(g.services, func(i, j int) bool { return g.services[i].field < g.services[j].field })
	for _, s := range g.services {
		sort.Slice(s.routes, func(i, j int) bool { return s.routes[i].full < s.routes[j].full })
	}

	for _, ri := range g.routes {
		g.visit(ri.r.Arg)
		g.visit(ri.r.Result)
		g.visit(ri.r.Error)
		if e := stone.Unalias(ri.r.Error); !e.Builtin() {
			ti := g.types[e.Decl]
			if ti.kind == kWrapper {
				g.fail("route %s: error type %s is a struct with subtypes, which cannot be an error", ri.full, e)
				continue
			}
			ti.routeError = true
		} else if e.Name != stone.TypeVoid {
			g.fail("route %s: error type %s is not a union or struct", ri.full, e)
		}
	}
	g.markTagPaths()
	g.name()
	return g, errors.Join(g.errs...)
}

// visit marks the types t reaches: fields, members, parents, subtypes,
// through aliases and List/Map arguments.
func (g *gen) visit(t *stone.TypeRef) {
	t = stone.Unalias(t)
	if t.Builtin() {
		switch t.Name {
		case stone.TypeTimestamp:
			if f := t.Format(); f != dropboxTimestamp {
				g.fail("%s: Timestamp format %q is not supported (only %q)", t.Pos, f, dropboxTimestamp)
			}
		case stone.TypeMap:
			if k := stone.Unalias(t.Key()); k.Name != stone.TypeString || !k.Builtin() {
				g.fail("%s: Map keys must be strings, not %s", t.Pos, k)
			}
		}
		for _, a := range t.Args {
			if a.Type != nil {
				g.visit(a.Type)
			}
		}
		return
	}
	if _, ok := g.types[t.Decl]; ok {
		return
	}
	ns, name := t.Decl.Ident()
	ti := &typeInfo{decl: t.Decl, ns: ns, name: name}
	g.types[t.Decl] = ti
	g.order = append(g.order, ti)
	switch d := t.Decl.(type) {
	case *stone.Struct:
		ti.st, ti.kind = d, kStruct
		if len(d.Subtypes) > 0 {
			ti.kind = kWrapper
		}
		if d.Extends != nil {
			g.visit(d.Extends)
		}
		for _, f := range d.Fields {
			if g.omitted(ti, f.Name, f.Annotations) {
				continue
			}
			g.visit(f.Type)
		}
		for _, s := range d.Subtypes {
			g.visit(s.Type)
		}
	case *stone.Union:
		ti.un, ti.kind = d, kUnion
		if d.Extends != nil {
			g.visit(d.Extends)
		}
		for _, m := range d.Members {
			if m.Type != nil && !g.omitted(ti, m.Name, m.Annotations) {
				g.visit(m.Type)
			}
		}
	}
}

// omitted reports whether a field or member is omitted from the public
// API (@common.InternalOnly), noting it once.
func (g *gen) omitted(ti *typeInfo, name string, refs []*stone.AnnotationRef) bool {
	caller := stone.Omitted(refs)
	if caller == "" {
		return false
	}
	g.note("omitted %s.%s.%s: annotated Omitted(%q), not part of the public API", ti.ns, ti.name, name, caller)
	return true
}

// fields returns a struct's fields, the parents' first, without the
// omitted ones.
func (g *gen) fields(s *stone.Struct) []*stone.Field {
	var out []*stone.Field
	if s.Extends != nil {
		out = g.fields(s.Extends.Decl.(*stone.Struct))
	}
	for _, f := range s.Fields {
		if stone.Omitted(f.Annotations) == "" {
			out = append(out, f)
		}
	}
	return out
}

// members returns a union's members, the parents' first, without the
// omitted ones.
func (g *gen) members(u *stone.Union) []*stone.Member {
	var out []*stone.Member
	if u.Extends != nil {
		out = g.members(stone.Unalias(u.Extends).Decl.(*stone.Union))
	}
	for _, m := range u.Members {
		if stone.Omitted(m.Annotations) == "" {
			out = append(out, m)
		}
	}
	return out
}

// leaf is a concrete subtype of a struct with enumerated subtypes.
type leaf struct {
	tag string // the tag path on the wire: "file", or "a.b" for nested subtypes
	st  *stone.Struct
}

// leaves returns the leaf subtypes of s, depth first.
func leaves(s *stone.Struct) []leaf {
	var out []leaf
	for _, sub := range s.Subtypes {
		c := sub.Type.Decl.(*stone.Struct)
		if len(c.Subtypes) == 0 {
			out = append(out, leaf{tag: sub.Tag, st: c})
			continue
		}
		for _, l := range leaves(c) {
			out = append(out, leaf{tag: sub.Tag + "." + l.tag, st: l.st})
		}
	}
	return out
}

// markTagPaths marks the unions whose tagPath the route errors' Error
// methods call: route errors, and the unions of their members and of
// the "reason" field of a struct member.
func (g *gen) markTagPaths() {
	var mark func(ti *typeInfo)
	mark = func(ti *typeInfo) {
		if ti.tagPath {
			return
		}
		ti.tagPath = true
		for _, m := range g.members(ti.un) {
			if next := g.tagPathNext(m); next != nil {
				mark(next)
			}
		}
	}
	for _, ti := range g.order {
		if !ti.routeError {
			continue
		}
		if ti.kind == kUnion {
			mark(ti)
			continue
		}
		for _, f := range g.unionFields(ti.st) {
			mark(g.types[stone.Unalias(f.Type).Decl])
		}
	}
}

// unionFields returns the fields of a struct that hold unions: what the
// Error method of a struct route error reports.
func (g *gen) unionFields(s *stone.Struct) []*stone.Field {
	var out []*stone.Field
	for _, f := range g.fields(s) {
		if g.shapeOf(f.Type) == shUnion {
			out = append(out, f)
		}
	}
	return out
}

// tagPathNext returns the union a member's tag path continues into: the
// member's own union type, or the "reason" union field of its struct.
func (g *gen) tagPathNext(m *stone.Member) *typeInfo {
	if m.Type == nil {
		return nil
	}
	t := stone.Unalias(m.Type)
	if t.Builtin() {
		return nil
	}
	ti := g.types[t.Decl]
	switch ti.kind {
	case kUnion:
		return ti
	case kStruct:
		if f := g.reasonField(ti.st); f != nil {
			return g.types[stone.Unalias(f.Type).Decl]
		}
	}
	return nil
}

// reasonField returns a struct's "reason" field when it is a union.
func (g *gen) reasonField(s *stone.Struct) *stone.Field {
	for _, f := range g.fields(s) {
		if f.Name != "reason" {
			continue
		}
		t := stone.Unalias(f.Type)
		if !t.Builtin() {
			if _, ok := t.Decl.(*stone.Union); ok {
				return f
			}
		}
	}
	return nil
}

// nsRank orders namespaces for name collisions: files, then sharing,
// then the rest by name.
func nsRank(ns string) string {
	switch ns {
	case "files":
		return "0"
	case "sharing":
		return "1"
	}
	return "2" + ns
}

// name gives every reachable type, tag constant and route variable its Go
// name and records the collisions.
func (g *gen) name() {
	byName := map[string][]*typeInfo{}
	for _, ti := range g.order {
		byName[ti.name] = append(byName[ti.name], ti)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		tis := byName[n]
		sort.Slice(tis, func(i, j int) bool { return nsRank(tis[i].ns) < nsRank(tis[j].ns) })
		for i, ti := range tis {
			ti.goName = n
			if i > 0 {
				ti.goName = camel(ti.ns) + n
				g.note("collision: %s.%s and %s.%s are both reachable; the %s one is %s", tis[0].ns, n, ti.ns, n, ti.ns, ti.goName)
			}
			if who, ok := g.taken[ti.goName]; ok {
				old := ti.goName
				ti.goName = camel(ti.ns) + n
				g.note("collision: %s.%s would be %s, which %s declares; it is %s", ti.ns, n, old, who, ti.goName)
			}
			g.claim(ti.goName, "type "+ti.ns+"."+ti.name)
		}
	}
	for _, s := range g.services {
		g.claim(s.typeName, "service "+s.field)
	}
	for _, ri := range g.routes {
		g.claim(ri.varName, "route "+ri.full)
	}
	g.claim("Routes", "the generated route list")
	g.claim("routesByName", "the generated route table")
	for _, ti := range g.order {
		for _, c := range g.tagConsts(ti) {
			g.claim(c.name, fmt.Sprintf("tag %q of %s.%s", c.tag, ti.ns, ti.name))
		}
	}
}

// claim takes a package-level identifier, failing on a collision.
func (g *gen) claim(ident, who string) {
	if prev, ok := g.taken[ident]; ok {
		g.fail("identifier collision: %s is declared by %s and by %s", ident, prev, who)
		return
	}
	g.taken[ident] = who
}

// tagConst is an exported constant for a union or subtype tag.
type tagConst struct {
	name, tag, doc string
	deprecated     bool
}

// tagConsts returns the tag constants of a union or wrapper.
func (g *gen) tagConsts(ti *typeInfo) []tagConst {
	var out []tagConst
	switch ti.kind {
	case kUnion:
		for _, m := range g.members(ti.un) {
			out = append(out, tagConst{name: ti.goName + camel(m.Name), tag: m.Name, doc: m.Doc, deprecated: stone.Deprecated(m.Annotations)})
		}
	case kWrapper:
		for _, l := range leaves(ti.st) {
			out = append(out, tagConst{name: ti.goName + camel(strings.ReplaceAll(l.tag, ".", "_")), tag: l.tag, doc: l.st.Doc})
		}
	}
	return out
}

// handwritten is what the Go files of package dropbox that the generator
// did not write declare: package-level identifiers and methods, each with
// its file.
type handwritten struct {
	idents  map[string]string // "Client" -> "client.go"
	methods map[string]string // "FileMetadata.Pretty" -> "pretty.go"
}

// readHandwritten returns what the Go files of dir that the generator did
// not write declare.
func readHandwritten(dir string) (*handwritten, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("list package files: %w", err)
	}
	out := &handwritten{idents: map[string]string{}, methods: map[string]string{}}
	fset := token.NewFileSet()
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read package file: %w", err)
		}
		if bytes.HasPrefix(src, []byte(header)) {
			continue
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse package file: %w", err)
		}
		if f.Name.Name != "dropbox" {
			continue
		}
		base := filepath.Base(p)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					out.idents[d.Name.Name] = base
				} else if recv := receiverType(d.Recv); recv != "" {
					out.methods[recv+"."+d.Name.Name] = base
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						out.idents[s.Name.Name] = base
					case *ast.ValueSpec:
						for _, n := range s.Names {
							out.idents[n.Name] = base
						}
					}
				}
			}
		}
	}
	return out, nil
}

// receiverType returns the name of a method's receiver type, without the
// pointer or type arguments.
func receiverType(recv *ast.FieldList) string {
	if recv == nil || len(recv.List) != 1 {
		return ""
	}
	t := recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
