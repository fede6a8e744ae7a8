// Package stone parses Dropbox's Stone interface description language
// (https://github.com/dropbox/stone) into a syntax tree: namespaces with
// their routes, structs, unions and aliases, each with its doc string.
// Annotations are read far enough to mark deprecated and omitted fields;
// examples are skipped.
//
// Load parses every .stone file of a folder and resolves the type
// references between namespaces; ParseFile parses one file without
// resolving.
package stone

import (
	"fmt"
	"strconv"
	"strings"
)

// Pos is a place in a .stone file.
type Pos struct {
	File string
	Line int // 1-based
	Col  int // 1-based
}

// String formats p as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Spec is a whole Stone spec: every namespace, sorted by name.
type Spec struct {
	Namespaces []*Namespace
}

// Namespace returns the namespace called name, or nil.
func (s *Spec) Namespace(name string) *Namespace {
	for _, ns := range s.Namespaces {
		if ns.Name == name {
			return ns
		}
	}
	return nil
}

// Namespace is one Stone namespace, possibly declared in several files.
// Declarations keep the order of the source.
type Namespace struct {
	Name        string
	Doc         string
	Imports     []string
	Routes      []*Route
	Structs     []*Struct
	Unions      []*Union
	Aliases     []*Alias
	Annotations []*Annotation
}

// Struct returns the struct called name, or nil.
func (ns *Namespace) Struct(name string) *Struct {
	for _, s := range ns.Structs {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Union returns the union called name, or nil.
func (ns *Namespace) Union(name string) *Union {
	for _, u := range ns.Unions {
		if u.Name == name {
			return u
		}
	}
	return nil
}

// Alias returns the alias called name, or nil.
func (ns *Namespace) Alias(name string) *Alias {
	for _, a := range ns.Aliases {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Route returns the route called name ("list_folder/continue") in the
// given version (1 for an unversioned route), or nil.
func (ns *Namespace) Route(name string, version int) *Route {
	for _, r := range ns.Routes {
		if r.Name == name && r.Version == version {
			return r
		}
	}
	return nil
}

// Decl returns the struct, union or alias called name, or nil.
func (ns *Namespace) Decl(name string) Decl {
	if s := ns.Struct(name); s != nil {
		return s
	}
	if u := ns.Union(name); u != nil {
		return u
	}
	if a := ns.Alias(name); a != nil {
		return a
	}
	return nil
}

// Decl is a user-defined type: a *Struct, *Union or *Alias.
type Decl interface {
	// Ident returns the declaration's namespace and name.
	Ident() (namespace, name string)
}

// Route is one route of a namespace.
type Route struct {
	Namespace string
	Name      string // "list_folder/continue"
	Version   int    // 1 unless declared as name:N
	Arg       *TypeRef
	Result    *TypeRef
	Error     *TypeRef
	Doc       string
	// Deprecated is set by the "deprecated" keyword; DeprecatedBy names
	// the route that replaces it ("deprecated by delete:2"), if given.
	Deprecated   bool
	DeprecatedBy *RouteRef
	// Attrs holds the attrs block as written, by key.
	Attrs map[string]*Literal
	Pos   Pos
}

// FullName is the route's URL path below /2/: namespace, name and a
// "_vN" suffix for versions above 1 ("files/delete_v2").
func (r *Route) FullName() string {
	n := r.Namespace + "/" + r.Name
	if r.Version > 1 {
		n += "_v" + strconv.Itoa(r.Version)
	}
	return n
}

// attr returns the attribute key as a string, or def when it is absent.
func (r *Route) attr(key, def string) string {
	if l, ok := r.Attrs[key]; ok {
		return l.Text()
	}
	return def
}

// Host is the route's host attribute: "api" (the default), "content" or "notify".
func (r *Route) Host() string { return r.attr("host", "api") }

// Style is the route's style attribute: "rpc" (the default), "upload" or "download".
func (r *Route) Style() string { return r.attr("style", "rpc") }

// Auth is the route's auth attribute as written ("user", the default,
// "team", "app", "noauth", "app, user", ...).
func (r *Route) Auth() string { return r.attr("auth", "user") }

// Scope is the route's scope attribute, or "" if it has none.
func (r *Route) Scope() string { return r.attr("scope", "") }

// SelectAdminMode is the route's select_admin_mode attribute
// ("whole_team", "team_admin"), or "".
func (r *Route) SelectAdminMode() string { return r.attr("select_admin_mode", "") }

// AllowAppFolderApp reports the route's allow_app_folder_app attribute
// (default false).
func (r *Route) AllowAppFolderApp() bool { return r.attr("allow_app_folder_app", "false") == "true" }

// IsPreview reports the route's is_preview attribute (default false).
func (r *Route) IsPreview() bool { return r.attr("is_preview", "false") == "true" }

// RouteRef names a route and version, as in "deprecated by delete:2".
type RouteRef struct {
	Name    string
	Version int
}

// Struct is a struct declaration.
type Struct struct {
	Namespace string
	Name      string
	Doc       string
	Extends   *TypeRef // nil when it extends nothing
	Fields    []*Field // its own fields, without the parent's
	// Subtypes are the enumerated subtypes of its union block, if any.
	Subtypes []*Subtype
	// SubtypesClosed is set by "union_closed"; CatchAll by "union*"
	// (a value may be of the struct itself). A plain "union" sets neither.
	SubtypesClosed bool
	CatchAll       bool
	Pos            Pos
}

// Ident returns the struct's namespace and name.
func (s *Struct) Ident() (string, string) { return s.Namespace, s.Name }

// Subtype is one member of a struct's enumerated subtypes.
type Subtype struct {
	Tag  string
	Type *TypeRef
	Pos  Pos
}

// Field is a struct field.
type Field struct {
	Name    string
	Type    *TypeRef
	Default *Literal // nil without a default
	Doc     string
	// Annotations are the annotations applied to the field (@common.Deprecated).
	Annotations []*AnnotationRef
	Pos         Pos
}

// Union is a union declaration, open ("union") or closed ("union_closed").
type Union struct {
	Namespace string
	Name      string
	Doc       string
	Closed    bool
	Extends   *TypeRef // nil when it extends nothing
	Members   []*Member
	Pos       Pos
}

// Ident returns the union's namespace and name.
func (u *Union) Ident() (string, string) { return u.Namespace, u.Name }

// Member is a union member; Type is nil for a void member.
type Member struct {
	Name        string
	Type        *TypeRef
	CatchAll    bool     // declared as "name*"
	Default     *Literal // a default value of the member's type, rare
	Doc         string
	Annotations []*AnnotationRef
	Pos         Pos
}

// Alias is an alias declaration: alias Name = Type.
type Alias struct {
	Namespace   string
	Name        string
	Type        *TypeRef
	Doc         string
	Annotations []*AnnotationRef
	Pos         Pos
}

// Ident returns the alias's namespace and name.
func (a *Alias) Ident() (string, string) { return a.Namespace, a.Name }

// Annotation is an annotation declaration: annotation Name = Kind(args).
type Annotation struct {
	Namespace string
	Name      string
	Kind      string // "Deprecated", "Omitted", "Preview", "Redacted", ...
	Args      []*Literal
	Pos       Pos
}

// AnnotationRef is the use of an annotation: @Name or @ns.Name. Resolve
// sets Decl.
type AnnotationRef struct {
	Namespace string
	Name      string
	Decl      *Annotation
	Pos       Pos
}

// Deprecated reports whether one of refs is a Deprecated annotation.
func Deprecated(refs []*AnnotationRef) bool { return hasKind(refs, "Deprecated") }

// Omitted returns the caller an Omitted annotation among refs restricts
// an item to ("internal"), or "".
func Omitted(refs []*AnnotationRef) string {
	for _, r := range refs {
		if r.Decl != nil && r.Decl.Kind == "Omitted" {
			if len(r.Decl.Args) > 0 {
				return r.Decl.Args[0].Text()
			}
			return "?"
		}
	}
	return ""
}

func hasKind(refs []*AnnotationRef, kind string) bool {
	for _, r := range refs {
		if r.Decl != nil && r.Decl.Kind == kind {
			return true
		}
	}
	return false
}

// Built-in type names.
const (
	TypeString    = "String"
	TypeBoolean   = "Boolean"
	TypeBytes     = "Bytes"
	TypeInt32     = "Int32"
	TypeInt64     = "Int64"
	TypeUInt32    = "UInt32"
	TypeUInt64    = "UInt64"
	TypeFloat32   = "Float32"
	TypeFloat64   = "Float64"
	TypeTimestamp = "Timestamp"
	TypeList      = "List"
	TypeMap       = "Map"
	TypeVoid      = "Void"
)

var builtins = map[string]bool{
	TypeString: true, TypeBoolean: true, TypeBytes: true, TypeInt32: true, TypeInt64: true,
	TypeUInt32: true, TypeUInt64: true, TypeFloat32: true, TypeFloat64: true,
	TypeTimestamp: true, TypeList: true, TypeMap: true, TypeVoid: true,
}

// TypeRef is a reference to a type: a built-in (String(pattern="..."),
// List(T, min_items=1), Map(K, V), Timestamp("%Y-%m-%d")) or a declared
// type (Name, ns.Name), nullable when followed by "?".
type TypeRef struct {
	Namespace string // as written; "" when unqualified
	Name      string
	Args      []*Arg
	Nullable  bool
	// Decl is the struct, union or alias referred to; set by Resolve for
	// declared types, nil for built-ins.
	Decl Decl
	Pos  Pos
}

// Arg is an argument of a type reference: a type (List's element), a
// positional value (Timestamp's format) or a named value (pattern="...").
type Arg struct {
	Name  string   // "" when positional
	Type  *TypeRef // set for a type argument
	Value *Literal // set for a value argument
}

// Builtin reports whether t names a built-in type.
func (t *TypeRef) Builtin() bool { return t.Namespace == "" && builtins[t.Name] }

// Elem returns a List's element type.
func (t *TypeRef) Elem() *TypeRef { return t.typeArg(0) }

// Key returns a Map's key type.
func (t *TypeRef) Key() *TypeRef { return t.typeArg(0) }

// Value returns a Map's value type.
func (t *TypeRef) Value() *TypeRef { return t.typeArg(1) }

func (t *TypeRef) typeArg(i int) *TypeRef {
	n := 0
	for _, a := range t.Args {
		if a.Type != nil {
			if n == i {
				return a.Type
			}
			n++
		}
	}
	return nil
}

// Format returns a Timestamp's format argument ("%Y-%m-%dT%H:%M:%SZ").
func (t *TypeRef) Format() string {
	for _, a := range t.Args {
		if a.Name == "" && a.Value != nil {
			return a.Value.Text()
		}
	}
	return ""
}

// Param returns the named argument name (pattern, min_items, ...), or nil.
func (t *TypeRef) Param(name string) *Literal {
	for _, a := range t.Args {
		if a.Name == name {
			return a.Value
		}
	}
	return nil
}

// String formats t as Stone source: "async.PollArg", "List(Metadata)",
// "String(pattern=\"x\")?".
func (t *TypeRef) String() string {
	var b strings.Builder
	if t.Namespace != "" {
		b.WriteString(t.Namespace + ".")
	}
	b.WriteString(t.Name)
	if len(t.Args) > 0 {
		b.WriteByte('(')
		for i, a := range t.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			if a.Name != "" {
				b.WriteString(a.Name + "=")
			}
			if a.Type != nil {
				b.WriteString(a.Type.String())
			} else {
				b.WriteString(a.Value.String())
			}
		}
		b.WriteByte(')')
	}
	if t.Nullable {
		b.WriteByte('?')
	}
	return b.String()
}

// LiteralKind is the kind of a literal value.
type LiteralKind int

// Kinds of literals.
const (
	LitString LiteralKind = iota // "text"
	LitInt                       // 100, -1
	LitFloat                     // 1.5
	LitBool                      // true, false
	LitNull                      // null
	LitIdent                     // a union tag: add, ns.tag
)

// Literal is a value in the source: a default, an attribute or a type
// argument.
type Literal struct {
	Kind LiteralKind
	// Value is the string's decoded text, the number or identifier as
	// written, "true"/"false", or "null".
	Value string
	Pos   Pos
}

// Text returns the literal's value: a string's decoded text, else the
// source text.
func (l *Literal) Text() string { return l.Value }

// String formats l as Stone source.
func (l *Literal) String() string {
	if l.Kind == LitString {
		return strconv.Quote(l.Value)
	}
	return l.Value
}
