package main

import (
	"strconv"

	"github.com/dropbridge/dropbridge/internal/stone"
)

// shape is how a Stone type is held in Go.
type shape int

const (
	shScalar  shape = iota // string, bool, numbers
	shTime                 // time.Time
	shBytes                // []byte
	shList                 // []T
	shMap                  // map[string]T
	shStruct               // a plain struct
	shWrapper              // a struct with enumerated subtypes
	shUnion                // a union
)

// shapeOf returns the shape of t, aliases resolved.
func (g *gen) shapeOf(t *stone.TypeRef) shape {
	t = stone.Unalias(t)
	if t.Builtin() {
		switch t.Name {
		case stone.TypeTimestamp:
			return shTime
		case stone.TypeBytes:
			return shBytes
		case stone.TypeList:
			return shList
		case stone.TypeMap:
			return shMap
		}
		return shScalar
	}
	switch g.types[t.Decl].kind {
	case kWrapper:
		return shWrapper
	case kUnion:
		return shUnion
	}
	return shStruct
}

// pointerWhenNullable reports whether a nullable value of shape s is held
// by pointer (slices and maps have nil of their own).
func pointerWhenNullable(s shape) bool { return s != shList && s != shMap && s != shBytes }

// goType returns the Go type of t, without the pointer a nullable value
// takes: "string", "[]Metadata", "map[string]string", "time.Time".
func (g *gen) goType(t *stone.TypeRef) string {
	t = stone.Unalias(t)
	if !t.Builtin() {
		return g.types[t.Decl].goName
	}
	switch t.Name {
	case stone.TypeString:
		return "string"
	case stone.TypeBoolean:
		return "bool"
	case stone.TypeBytes:
		return "[]byte"
	case stone.TypeInt32:
		return "int32"
	case stone.TypeInt64:
		return "int64"
	case stone.TypeUInt32:
		return "uint32"
	case stone.TypeUInt64:
		return "uint64"
	case stone.TypeFloat32:
		return "float32"
	case stone.TypeFloat64:
		return "float64"
	case stone.TypeTimestamp:
		return "time.Time"
	case stone.TypeList:
		return "[]" + g.elemType(t.Elem())
	case stone.TypeMap:
		return "map[string]" + g.elemType(t.Value())
	}
	g.fail("%s: no Go type for %s", t.Pos, t)
	return "any"
}

// elemType is the Go type of a List element or Map value: a pointer when
// it is nullable.
func (g *gen) elemType(t *stone.TypeRef) string {
	u := stone.Unalias(t)
	s := g.goType(u)
	if u.Nullable && pointerWhenNullable(g.shapeOf(u)) {
		s = "*" + s
	}
	if sh := g.shapeOf(u); sh == shTime {
		g.note("%s: a Timestamp inside a List or Map is written in Go's RFC 3339 form, not Dropbox's (none is reachable today)", t.Pos)
	}
	return s
}

// isNumeric reports whether t is a number type.
func isNumeric(t *stone.TypeRef) bool {
	switch t.Name {
	case stone.TypeInt32, stone.TypeInt64, stone.TypeUInt32, stone.TypeUInt64, stone.TypeFloat32, stone.TypeFloat64:
		return t.Builtin()
	}
	return false
}

// fieldOut is how a struct field is written.
type fieldOut struct {
	f      *stone.Field
	goName string
	goType string // with the pointer, if any
	tag    string // the json struct tag's value
	stamp  bool   // a timestamp, written by the struct's MarshalJSON
	ptr    bool
	sh     shape
}

// structField decides the Go shape of a struct field:
//   - required, not nullable, no default: the value;
//   - nullable: a pointer (a slice or map as is) with omitempty;
//   - with a default: the value with omitzero, except a Boolean that
//     defaults to true and a number that defaults to non-zero, which are
//     pointers with omitempty so that false and 0 can be sent.
func (g *gen) structField(f *stone.Field) fieldOut {
	t := stone.Unalias(f.Type)
	sh := g.shapeOf(t)
	out := fieldOut{f: f, goName: camel(f.Name), goType: g.goType(t), tag: f.Name, sh: sh, stamp: sh == shTime}
	nullable := t.Nullable || f.Default != nil && f.Default.Kind == stone.LitNull
	switch {
	case nullable:
		out.tag += ",omitempty"
		out.ptr = pointerWhenNullable(sh)
	case f.Default != nil:
		nonZeroDefault := false
		switch {
		case t.Builtin() && t.Name == stone.TypeBoolean:
			nonZeroDefault = f.Default.Value == "true"
		case isNumeric(t):
			v, err := strconv.ParseFloat(f.Default.Value, 64)
			nonZeroDefault = err != nil || v != 0
		}
		if nonZeroDefault {
			out.tag += ",omitempty"
			out.ptr = true
		} else {
			out.tag += ",omitzero"
		}
	}
	if out.ptr {
		out.goType = "*" + out.goType
	}
	return out
}

// memberMode is how a union member's value is written.
type memberMode int

const (
	mVoid   memberMode = iota // no value
	mInline                   // a struct's fields beside ".tag"
	mKeyed                    // the value under the member's own key
)

// memberOut is how a union member is written.
type memberOut struct {
	m         *stone.Member
	goName    string
	constName string
	goType    string // with the pointer, if any
	mode      memberMode
	nullable  bool
	stamp     bool
	sh        shape
}

// unionMember decides the Go shape of a union member: a struct (that
// enumerates no subtypes) is inlined beside ".tag" and held by pointer;
// anything else goes under the member's key: unions and structs with
// subtypes by pointer, nullable scalars by pointer, the rest as values.
func (g *gen) unionMember(ti *typeInfo, m *stone.Member) memberOut {
	out := memberOut{m: m, goName: camel(m.Name), constName: ti.goName + camel(m.Name)}
	if m.Type == nil {
		return out
	}
	t := stone.Unalias(m.Type)
	out.sh = g.shapeOf(t)
	out.goType = g.goType(t)
	out.nullable = t.Nullable
	out.mode = mKeyed
	switch out.sh {
	case shStruct:
		out.mode = mInline
		out.goType = "*" + out.goType
	case shUnion, shWrapper:
		out.goType = "*" + out.goType
	case shScalar, shTime:
		if t.Nullable {
			out.goType = "*" + out.goType
		}
		out.stamp = out.sh == shTime
	}
	return out
}
