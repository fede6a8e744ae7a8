package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dropbridge/dropbridge/internal/stone"
)

// accessor is a nil-safe GetX method for a pointer field of a generated
// type, go-github style: it returns the field's value (a scalar or a
// time.Time, dereferenced) or the field itself (a struct, union or struct
// with subtypes, still a pointer, so that calls chain), and the zero value
// or the spec's default when the receiver or the field is nil.
type accessor struct {
	name       string // "GetLimit"
	field      string // "Limit"
	elem       string // the field's type without its pointer: "uint32"
	deref      bool   // returns *field (scalars and times) rather than the pointer
	fallback   string // the Go expression returned for a nil receiver or field
	defaulted  bool   // fallback is the spec's default, not the zero value
	what       string // "field" or "member", for the doc
	tag        string // the tag constant that sets a union or subtype member
	deprecated bool
}

// accessorFiles writes accessors_<namespace>.go for every namespace with a
// type that has pointer fields.
func (g *gen) accessorFiles() map[string]*goFile {
	files := map[string]*goFile{}
	byNS := map[string][]*typeInfo{}
	for _, ti := range g.order {
		byNS[ti.ns] = append(byNS[ti.ns], ti)
	}
	for ns, tis := range byNS {
		sort.Slice(tis, func(i, j int) bool { return tis[i].goName < tis[j].goName })
		f := newGoFile("accessors_" + ns + ".go")
		for _, ti := range tis {
			recv := map[kind]string{kStruct: "s", kWrapper: "m", kUnion: "u"}[ti.kind]
			for _, a := range g.accessors(ti) {
				emitAccessor(f, ti.goName, recv, a)
			}
		}
		if f.body.Len() > 0 {
			files[f.name] = f
		}
	}
	return files
}

// accessors returns the accessors of a type, in field order: one for each
// pointer field of a struct, each pointer member field of a union and each
// subtype field of a struct with subtypes. An accessor whose name a field
// or method of the type already has is skipped with a note.
func (g *gen) accessors(ti *typeInfo) []accessor {
	var out []accessor
	taken := map[string]string{} // names of ti's fields and methods -> what they are
	switch ti.kind {
	case kStruct:
		var fields []fieldOut
		for _, fd := range g.fields(ti.st) {
			o := g.structField(fd)
			fields = append(fields, o)
			taken[o.goName] = "a field"
		}
		for _, o := range fields {
			if !o.ptr {
				continue
			}
			a := accessor{name: "Get" + o.goName, field: o.goName, what: "field", deprecated: stone.Deprecated(o.f.Annotations)}
			g.accessorType(&a, strings.TrimPrefix(o.goType, "*"), o.sh, o.f.Default)
			out = append(out, a)
		}
	case kWrapper:
		for _, fd := range g.fields(ti.st) {
			taken[camel(fd.Name)] = "a getter"
		}
		consts := g.tagConsts(ti)
		for i, l := range leaves(ti.st) {
			name := camel(strings.ReplaceAll(l.tag, ".", "_"))
			taken[name] = "a field"
			out = append(out, accessor{name: "Get" + name, field: name, elem: g.types[l.st].goName, fallback: "nil", what: "member", tag: consts[i].name})
		}
	case kUnion:
		var members []memberOut
		for _, m := range g.members(ti.un) {
			mo := g.unionMember(ti, m)
			members = append(members, mo)
			if mo.mode != mVoid {
				taken[mo.goName] = "a field"
			}
		}
		for _, mo := range members {
			if mo.mode == mVoid || !strings.HasPrefix(mo.goType, "*") {
				continue
			}
			a := accessor{name: "Get" + mo.goName, field: mo.goName, what: "member", tag: mo.constName, deprecated: stone.Deprecated(mo.m.Annotations)}
			g.accessorType(&a, strings.TrimPrefix(mo.goType, "*"), mo.sh, mo.m.Default)
			out = append(out, a)
		}
	}
	kept := out[:0]
	for _, a := range out {
		if what, ok := taken[a.name]; ok {
			g.note("skipped accessor %s.%s: the name is taken by %s of %s", ti.goName, a.name, what, ti.goName)
			continue
		}
		if file, ok := g.methods[ti.goName+"."+a.name]; ok {
			g.note("skipped accessor %s.%s: %s declares it", ti.goName, a.name, file)
			continue
		}
		kept = append(kept, a)
	}
	return kept
}

// accessorType sets what an accessor returns for a field of type *elem:
// the value for a scalar or time, with its spec default (def) when the
// field is nil, or the pointer itself for a struct, union or struct with
// subtypes.
func (g *gen) accessorType(a *accessor, elem string, sh shape, def *stone.Literal) {
	a.elem = elem
	switch sh {
	case shScalar, shTime:
	default:
		a.fallback = "nil"
		return
	}
	a.deref = true
	if v, ok := defaultExpr(elem, def); ok {
		a.fallback, a.defaulted = v, true
		return
	}
	switch {
	case sh == shTime:
		a.fallback = "time.Time{}"
	case elem == "string":
		a.fallback = `""`
	case elem == "bool":
		a.fallback = "false"
	default:
		a.fallback = "0"
	}
}

// defaultExpr returns the Go expression of a scalar field's spec default,
// when it has one that is not its zero value.
func defaultExpr(elem string, def *stone.Literal) (string, bool) {
	if def == nil {
		return "", false
	}
	switch def.Kind {
	case stone.LitBool:
		if elem == "bool" && def.Value == "true" {
			return "true", true
		}
	case stone.LitInt, stone.LitFloat:
		if v, err := strconv.ParseFloat(def.Value, 64); err == nil && v != 0 && elem != "string" && elem != "bool" {
			return def.Value, true
		}
	case stone.LitString:
		if elem == "string" && def.Value != "" {
			return strconv.Quote(def.Value), true
		}
	}
	return "", false
}

// emitAccessor writes one accessor of typeName, whose methods take recv
// as their receiver's name.
func emitAccessor(f *goFile, typeName, recv string, a accessor) {
	var lead string
	switch {
	case a.deref && a.defaulted:
		lead = fmt.Sprintf("%s returns the %s %s of %s, or the spec's default %s when %s or the %s is nil.",
			a.name, a.field, a.what, recv, a.fallback, recv, a.what)
	case a.deref:
		zero := a.fallback
		if zero == "time.Time{}" {
			zero = "the zero time.Time"
		}
		lead = fmt.Sprintf("%s returns the %s %s of %s, or %s when %s or the %s is nil.",
			a.name, a.field, a.what, recv, zero, recv, a.what)
	default:
		lead = fmt.Sprintf("%s returns the %s %s of %s, or nil when %s is nil.",
			a.name, a.field, a.what, recv, recv)
	}
	if a.tag != "" {
		lead += fmt.Sprintf(" The %s is set with Tag %s.", a.what, a.tag)
	}
	paras := []string{lead}
	if a.deprecated {
		paras = append(paras, "Deprecated: Dropbox deprecated this "+a.what+".")
	}
	if a.deref && strings.HasPrefix(a.elem, "time.") {
		f.use("time")
	}
	doc := comment("", paras...)
	if a.deref {
		f.p("\n%sfunc (%s *%s) %s() %s {\n\tif %s == nil || %s.%s == nil {\n\t\treturn %s\n\t}\n\treturn *%s.%s\n}\n",
			doc, recv, typeName, a.name, a.elem, recv, recv, a.field, a.fallback, recv, a.field)
		return
	}
	f.p("\n%sfunc (%s *%s) %s() *%s {\n\tif %s == nil {\n\t\treturn nil\n\t}\n\treturn %s.%s\n}\n",
		doc, recv, typeName, a.name, a.elem, recv, recv, a.field)
}
