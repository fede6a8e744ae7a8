package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dropbridge/dropbridge/internal/stone"
)

// typeDoc is the doc comment of a generated type.
func (g *gen) typeDoc(ti *typeInfo, doc string, extra ...string) string {
	first := fmt.Sprintf("%s is the spec's %s.%s.", ti.goName, ti.ns, ti.name)
	if d := g.plainDoc(doc); d != "" {
		first += " " + sentence(d)
	}
	return comment("", append([]string{first}, extra...)...)
}

// defaultText describes a field's default for its doc.
func defaultText(f *stone.Field) string {
	if f.Default == nil || f.Default.Kind == stone.LitNull || f.Default.Kind == stone.LitString && f.Default.Value == "" {
		return ""
	}
	return "Defaults to " + f.Default.String() + "."
}

// tagList names the constants a Tag holds, for its doc.
func tagList(consts []tagConst, typeName string) string {
	if len(consts) > 5 {
		return "one of the " + typeName + "* constants"
	}
	var names []string
	for _, c := range consts {
		names = append(names, c.name)
	}
	switch len(names) {
	case 0:
		return "a tag"
	case 1:
		return names[0]
	}
	return "one of " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// typesFiles writes types_<namespace>.go for every namespace with
// reachable types.
func (g *gen) typesFiles() map[string]*goFile {
	files := map[string]*goFile{}
	byNS := map[string][]*typeInfo{}
	for _, ti := range g.order {
		byNS[ti.ns] = append(byNS[ti.ns], ti)
	}
	for ns, tis := range byNS {
		f := newGoFile("types_" + ns + ".go")
		sort.Slice(tis, func(i, j int) bool { return tis[i].goName < tis[j].goName })
		for _, ti := range tis {
			switch ti.kind {
			case kStruct:
				g.emitStruct(f, ti)
			case kWrapper:
				g.emitWrapper(f, ti)
			case kUnion:
				g.emitUnion(f, ti)
			}
		}
		files[f.name] = f
	}
	return files
}

// emitConsts writes a type's tag constants.
func (g *gen) emitConsts(f *goFile, typeName string, consts []tagConst) {
	if len(consts) == 0 {
		return
	}
	f.p("\n// Tags of %s.\nconst (\n", typeName)
	for _, c := range consts {
		text := fmt.Sprintf("%s is the %q tag of %s.", c.name, c.tag, typeName)
		if d := g.plainDoc(c.doc); d != "" {
			text += " " + sentence(d)
		}
		var paras = []string{text}
		if c.deprecated {
			paras = append(paras, "Deprecated: Dropbox deprecated this member.")
		}
		f.p("%s\t%s = %q\n", comment("\t", paras...), c.name, c.tag)
	}
	f.p(")\n")
}

// emitStruct writes a plain struct: its fields flattened, parents first,
// and a MarshalJSON when it holds timestamps.
func (g *gen) emitStruct(f *goFile, ti *typeInfo) {
	fields := g.fields(ti.st)
	var extra []string
	if ti.st.Extends != nil {
		parent := g.types[stone.Unalias(ti.st.Extends).Decl]
		extra = append(extra, fmt.Sprintf("It holds the fields of %s first, flattened.", parent.goName))
	}
	f.p("\n%stype %s struct {\n", g.typeDoc(ti, ti.st.Doc, extra...), ti.goName)
	var outs []fieldOut
	seen := map[string]bool{}
	for _, fd := range fields {
		o := g.structField(fd)
		if seen[o.goName] {
			g.fail("%s: field %s of %s collides with another field", fd.Pos, o.goName, ti.goName)
		}
		seen[o.goName] = true
		outs = append(outs, o)
		g.writeField(f, o)
	}
	f.p("}\n")
	g.emitStampMarshal(f, ti.goName, outs)
	if ti.routeError {
		g.emitStructError(f, ti)
	}
}

// emitStructError writes the Error method of a struct that is a route
// error: the tag paths of its union fields, each after the field's name.
func (g *gen) emitStructError(f *goFile, ti *typeInfo) {
	f.p("\n// Error returns the tag paths of the unions s holds, each after its field's\n// name: \"access_error/invalid_team_folder_id\".\nfunc (s *%s) Error() string {\n\tvar parts []string\n", ti.goName)
	for _, fd := range g.unionFields(ti.st) {
		o := g.structField(fd)
		if o.ptr {
			f.p("\tif s.%s != nil {\n\t\tparts = append(parts, unionError(%q, append([]string{%q}, s.%s.tagPath()...)))\n\t}\n", o.goName, ti.goName, fd.Name, o.goName)
		} else {
			f.p("\tparts = append(parts, unionError(%q, append([]string{%q}, s.%s.tagPath()...)))\n", ti.goName, fd.Name, o.goName)
		}
	}
	f.use("strings")
	f.p("\treturn strings.Join(parts, \", \")\n}\n")
}

// writeField writes one struct field with its doc.
func (g *gen) writeField(f *goFile, o fieldOut) {
	if o.sh == shTime {
		f.use("time")
	}
	var paras []string
	if d := sentence(g.plainDoc(o.f.Doc)); d != "" || defaultText(o.f) != "" {
		paras = append(paras, strings.TrimSpace(d+" "+defaultText(o.f)))
	}
	if stone.Deprecated(o.f.Annotations) {
		paras = append(paras, "Deprecated: Dropbox deprecated this field.")
	}
	f.p("%s\t%s %s `json:%q`\n", comment("\t", paras...), o.goName, o.goType, o.tag)
}

// emitStampMarshal writes a MarshalJSON that writes the timestamp fields
// in Dropbox's form, over the default encoding of the other fields.
func (g *gen) emitStampMarshal(f *goFile, typeName string, outs []fieldOut) {
	var stamps []fieldOut
	for _, o := range outs {
		if o.stamp {
			stamps = append(stamps, o)
		}
	}
	if len(stamps) == 0 {
		return
	}
	f.use("encoding/json")
	f.p("\n// MarshalJSON writes s with its timestamps in Dropbox's form, UTC to the\n// second: \"2006-01-02T15:04:05Z\".\n")
	f.p("func (s %s) MarshalJSON() ([]byte, error) {\n\ttype plain %s\n\treturn json.Marshal(struct {\n\t\tplain\n", typeName, typeName)
	var vals []string
	for _, o := range stamps {
		if o.ptr {
			tag := strings.Replace(o.tag, ",omitzero", "", 1)
			f.p("\t\t%s *stamp `json:%q`\n", o.goName, tag)
			vals = append(vals, fmt.Sprintf("(*stamp)(s.%s)", o.goName))
		} else {
			f.p("\t\t%s stamp `json:%q`\n", o.goName, o.tag)
			vals = append(vals, fmt.Sprintf("stamp(s.%s)", o.goName))
		}
	}
	f.p("\t}{plain(s), %s})\n}\n", strings.Join(vals, ", "))
}

// emitWrapper writes a struct with enumerated subtypes: Tag, a pointer
// per leaf subtype, JSON methods and getters for the base's fields.
func (g *gen) emitWrapper(f *goFile, ti *typeInfo) {
	ls := leaves(ti.st)
	consts := g.tagConsts(ti)
	var subNames []string
	for _, l := range ls {
		subNames = append(subNames, g.types[l.st].goName)
	}
	extra := []string{fmt.Sprintf("On the wire it is one of its subtypes (%s), with \".tag\" saying which; Tag and the one matching field hold it here. A tag this package does not know is kept in Tag with no field set.", strings.Join(subNames, ", "))}
	f.p("\n%stype %s struct {\n", g.typeDoc(ti, ti.st.Doc, extra...), ti.goName)
	f.p("%s\tTag string\n", comment("\t", "Tag says which subtype is held: "+tagList(consts, ti.goName)+"."))
	reserved := map[string]bool{"Tag": true, "MarshalJSON": true, "UnmarshalJSON": true, "IsZero": true}
	var fieldNames []string
	for i, l := range ls {
		name := camel(strings.ReplaceAll(l.tag, ".", "_"))
		fieldNames = append(fieldNames, name)
		if reserved[name] {
			g.fail("%s: subtype field %s of %s collides", ti.st.Pos, name, ti.goName)
		}
		reserved[name] = true
		f.p("%s\t%s *%s\n", comment("\t", fmt.Sprintf("%s is set with Tag %s.", name, consts[i].name)), name, subNames[i])
	}
	f.p("}\n")
	g.emitConsts(f, ti.goName, consts)

	f.p("\n// MarshalJSON writes m as its subtype's fields beside \".tag\".\nfunc (m %s) MarshalJSON() ([]byte, error) {\n\tswitch m.Tag {\n\tcase \"\":\n\t\treturn nil, errNoTag(%q)\n", ti.goName, ti.goName)
	for i := range ls {
		f.p("\tcase %s:\n\t\treturn marshalSubtype(%q, m.Tag, m.%s)\n", consts[i].name, ti.goName, fieldNames[i])
	}
	f.p("\t}\n\treturn nil, errUnknownTag(%q, m.Tag)\n}\n", ti.goName)

	f.p("\n// UnmarshalJSON reads m from its subtype's fields beside \".tag\"; a tag it\n// does not know is kept in Tag.\nfunc (m *%s) UnmarshalJSON(b []byte) error {\n", ti.goName)
	f.p("\ttag, err := decodeTag(%q, b)\n\tif err != nil || tag == \"\" {\n\t\treturn err\n\t}\n\t*m = %s{Tag: tag}\n\tswitch tag {\n", ti.goName, ti.goName)
	for i := range ls {
		f.p("\tcase %s:\n\t\treturn decodeInline(%q, b, &m.%s)\n", consts[i].name, ti.goName, fieldNames[i])
	}
	f.p("\t}\n\treturn nil\n}\n")
	f.p("\n// IsZero reports whether m holds nothing (its Tag is empty).\nfunc (m %s) IsZero() bool { return m.Tag == \"\" }\n", ti.goName)

	for _, fd := range g.fields(ti.st) {
		o := g.structField(fd)
		if reserved[o.goName] {
			g.note("skipped getter %s.%s: the name is taken by a field or method of %s", ti.goName, o.goName, ti.goName)
			continue
		}
		if o.sh == shTime {
			f.use("time")
		}
		paras := []string{fmt.Sprintf("%s returns the %s field of the subtype m holds, or its zero value when it holds none.", o.goName, fd.Name)}
		if stone.Deprecated(fd.Annotations) {
			paras = append(paras, "Deprecated: Dropbox deprecated this field.")
		}
		f.p("\n%sfunc (m %s) %s() (v %s) {\n\tswitch {\n", comment("", paras...), ti.goName, o.goName, o.goType)
		for _, name := range fieldNames {
			f.p("\tcase m.%s != nil:\n\t\treturn m.%s.%s\n", name, name, o.goName)
		}
		f.p("\t}\n\treturn v\n}\n")
	}
}

// emitUnion writes a union: Tag, a field per member with a value, tag
// constants, JSON methods, and for route errors the error interface.
func (g *gen) emitUnion(f *goFile, ti *typeInfo) {
	consts := g.tagConsts(ti)
	var members []memberOut
	reserved := map[string]bool{"Tag": true, "MarshalJSON": true, "UnmarshalJSON": true, "IsZero": true, "Error": true}
	for _, m := range g.members(ti.un) {
		mo := g.unionMember(ti, m)
		if mo.mode != mVoid {
			if reserved[mo.goName] {
				g.fail("%s: member field %s of %s collides", m.Pos, mo.goName, ti.goName)
			}
			reserved[mo.goName] = true
		}
		members = append(members, mo)
	}
	var extra []string
	if ti.un.Extends != nil {
		parent := g.types[stone.Unalias(ti.un.Extends).Decl]
		extra = append(extra, fmt.Sprintf("It has the members of %s first.", parent.goName))
	}
	open := "A tag this package does not know is kept in Tag."
	if ti.un.Closed {
		open = ""
	}
	extra = append(extra, "Tag says which member it is; the field of that member, if it has one, holds its value. "+open)
	if ti.routeError {
		extra = append(extra, fmt.Sprintf("As a route error it is an error: a 409 answer is an *APIError wrapping a *%s.", ti.goName))
	}
	f.p("\n%stype %s struct {\n", g.typeDoc(ti, ti.un.Doc, extra...), ti.goName)
	f.p("%s\tTag string\n", comment("\t", "Tag is "+tagList(consts, ti.goName)+"."))
	for _, mo := range members {
		if mo.mode == mVoid {
			continue
		}
		if mo.sh == shTime {
			f.use("time")
		}
		text := fmt.Sprintf("%s is set with Tag %s.", mo.goName, mo.constName)
		if d := g.plainDoc(mo.m.Doc); d != "" {
			text += " " + sentence(d)
		}
		paras := []string{text}
		if stone.Deprecated(mo.m.Annotations) {
			paras = append(paras, "Deprecated: Dropbox deprecated this member.")
		}
		f.p("%s\t%s %s\n", comment("\t", paras...), mo.goName, mo.goType)
	}
	f.p("}\n")
	g.emitConsts(f, ti.goName, consts)

	// MarshalJSON.
	f.p("\n// MarshalJSON writes u as {\".tag\": ...} with its member's value.\nfunc (u %s) MarshalJSON() ([]byte, error) {\n\tswitch u.Tag {\n\tcase \"\":\n\t\treturn nil, errNoTag(%q)\n", ti.goName, ti.goName)
	for _, mo := range members {
		switch mo.mode {
		case mInline:
			f.p("\tcase %s:\n\t\treturn marshalInline(u.Tag, u.%s)\n", mo.constName, mo.goName)
		case mKeyed:
			val := "u." + mo.goName
			if mo.stamp {
				if mo.nullable {
					val = "(*stamp)(" + val + ")"
				} else {
					val = "stamp(" + val + ")"
				}
			}
			f.p("\tcase %s:\n\t\treturn marshalKeyed(u.Tag, %q, %s)\n", mo.constName, mo.m.Name, val)
		}
	}
	f.p("\t}\n\treturn marshalTag(u.Tag)\n}\n")

	// UnmarshalJSON.
	usesFields := false
	for _, mo := range members {
		if mo.mode == mKeyed || mo.mode == mInline && mo.nullable {
			usesFields = true
		}
	}
	fieldsVar := "_"
	if usesFields {
		fieldsVar = "fields"
	}
	f.p("\n// UnmarshalJSON reads u from {\".tag\": ...} or a bare tag string.\nfunc (u *%s) UnmarshalJSON(b []byte) error {\n", ti.goName)
	f.p("\ttag, %s, err := decodeUnion(%q, b)\n\tif err != nil || tag == \"\" {\n\t\treturn err\n\t}\n\t*u = %s{Tag: tag}\n", fieldsVar, ti.goName, ti.goName)
	var cases strings.Builder
	for _, mo := range members {
		switch mo.mode {
		case mInline:
			if mo.nullable {
				fmt.Fprintf(&cases, "\tcase %s:\n\t\tif len(fields) > 1 {\n\t\t\treturn decodeInline(%q, b, &u.%s)\n\t\t}\n", mo.constName, ti.goName, mo.goName)
			} else {
				fmt.Fprintf(&cases, "\tcase %s:\n\t\treturn decodeInline(%q, b, &u.%s)\n", mo.constName, ti.goName, mo.goName)
			}
		case mKeyed:
			fmt.Fprintf(&cases, "\tcase %s:\n\t\treturn decodeMember(%q, fields, %q, &u.%s)\n", mo.constName, ti.goName, mo.m.Name, mo.goName)
		}
	}
	if cases.Len() > 0 {
		f.p("\tswitch tag {\n%s\t}\n", cases.String())
	}
	f.p("\treturn nil\n}\n")
	f.p("\n// IsZero reports whether u holds nothing (its Tag is empty).\nfunc (u %s) IsZero() bool { return u.Tag == \"\" }\n", ti.goName)

	if ti.tagPath {
		g.emitTagPath(f, ti, members)
	}
	if ti.routeError {
		f.p("\n// Error returns the tag path of u, such as \"path/not_found\", as in Dropbox's\n// error_summary.\nfunc (u *%s) Error() string { return unionError(%q, u.tagPath()) }\n", ti.goName, ti.goName)
	}
}

// emitTagPath writes tagPath: the tags from u down through nested union
// members and the "reason" of struct members.
func (g *gen) emitTagPath(f *goFile, ti *typeInfo, members []memberOut) {
	var cases strings.Builder
	for _, mo := range members {
		next := g.tagPathNext(mo.m)
		if next == nil {
			continue
		}
		switch mo.mode {
		case mKeyed:
			fmt.Fprintf(&cases, "\tcase %s:\n\t\tif u.%s != nil {\n\t\t\treturn append([]string{u.Tag}, u.%s.tagPath()...)\n\t\t}\n", mo.constName, mo.goName, mo.goName)
		case mInline:
			rf := g.reasonField(stone.Unalias(mo.m.Type).Decl.(*stone.Struct))
			ro := g.structField(rf)
			cond := "u." + mo.goName + " != nil"
			if ro.ptr {
				cond += " && u." + mo.goName + "." + ro.goName + " != nil"
			}
			fmt.Fprintf(&cases, "\tcase %s:\n\t\tif %s {\n\t\t\treturn append([]string{u.Tag}, u.%s.%s.tagPath()...)\n\t\t}\n", mo.constName, cond, mo.goName, ro.goName)
		}
	}
	f.p("\n// tagPath returns the tags of u and of the unions it holds, outermost first.\nfunc (u *%s) tagPath() []string {\n", ti.goName)
	if cases.Len() > 0 {
		f.p("\tswitch u.Tag {\n%s\t}\n", cases.String())
	}
	f.p("\treturn []string{u.Tag}\n}\n")
}
