package stone

import (
	"fmt"
	"strconv"
	"strings"
)

// File is the syntax tree of one .stone file: the declarations of its
// namespace, not yet resolved.
type File struct {
	Namespace *Namespace
}

// ParseFile parses the Stone source src of the file called name.
func ParseFile(name string, src []byte) (*File, error) {
	toks, err := lex(name, string(src))
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	ns, err := p.file()
	if err != nil {
		return nil, err
	}
	return &File{Namespace: ns}, nil
}

type parser struct {
	toks []token
	i    int
	ns   *Namespace
}

func (p *parser) peek() token        { return p.toks[p.i] }
func (p *parser) peekAt(n int) token { return p.toks[min(p.i+n, len(p.toks)-1)] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return fmt.Errorf("%s: %s", t.pos, fmt.Sprintf(format, args...))
}

// is reports whether the next token has kind k and, for identifiers and
// punctuation, text s (any text when s is "").
func (p *parser) is(k tokenKind, s string) bool {
	t := p.peek()
	return t.kind == k && (s == "" || t.text == s)
}

// accept consumes the next token if it matches.
func (p *parser) accept(k tokenKind, s string) bool {
	if p.is(k, s) {
		p.next()
		return true
	}
	return false
}

// expect consumes the next token, which must match.
func (p *parser) expect(k tokenKind, s string) (token, error) {
	t := p.peek()
	if !p.is(k, s) {
		want := k.String()
		if s != "" {
			want = strconv.Quote(s)
		}
		return t, p.errorf(t, "expected %s, found %s", want, t)
	}
	return p.next(), nil
}

func (p *parser) ident() (token, error) { return p.expect(tokIdent, "") }

// endLine consumes the end of a logical line.
func (p *parser) endLine() error {
	if p.is(tokEOF, "") {
		return nil
	}
	_, err := p.expect(tokNewline, "")
	return err
}

// block parses an optional indented block after a header line, calling
// item for each logical line in it, positioned on the line's first token.
func (p *parser) block(item func() error) error {
	if err := p.endLine(); err != nil {
		return err
	}
	if !p.accept(tokIndent, "") {
		return nil
	}
	for !p.accept(tokDedent, "") {
		if p.is(tokEOF, "") {
			return p.errorf(p.peek(), "unexpected end of file in block")
		}
		if err := item(); err != nil {
			return err
		}
	}
	return nil
}

// skipLine skips the rest of the current logical line and any block
// under it.
func (p *parser) skipLine() error {
	for !p.is(tokNewline, "") && !p.is(tokEOF, "") {
		p.next()
	}
	p.accept(tokNewline, "")
	if p.accept(tokIndent, "") {
		depth := 1
		for depth > 0 {
			switch p.next().kind {
			case tokIndent:
				depth++
			case tokDedent:
				depth--
			case tokEOF:
				return p.errorf(p.peek(), "unexpected end of file")
			}
		}
	}
	return nil
}

// doc reads a doc string line.
func (p *parser) doc() (string, error) {
	t, err := p.expect(tokString, "")
	if err != nil {
		return "", err
	}
	return cleanDoc(t.text), p.endLine()
}

// cleanDoc removes the indentation of a doc string's continuation lines.
func cleanDoc(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func appendDoc(doc, more string) string {
	if doc == "" {
		return more
	}
	return doc + "\n\n" + more
}

func (p *parser) file() (*Namespace, error) {
	for p.accept(tokNewline, "") {
	}
	t, err := p.expect(tokIdent, "namespace")
	if err != nil {
		return nil, err
	}
	_ = t
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	p.ns = &Namespace{Name: name.text}
	err = p.block(func() error {
		if !p.is(tokString, "") {
			return p.errorf(p.peek(), "expected the namespace's doc string, found %s", p.peek())
		}
		d, err := p.doc()
		p.ns.Doc = appendDoc(p.ns.Doc, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	for !p.is(tokEOF, "") {
		if p.accept(tokNewline, "") {
			continue
		}
		t := p.peek()
		if t.kind != tokIdent {
			return nil, p.errorf(t, "expected a declaration, found %s", t)
		}
		switch t.text {
		case "import":
			p.next()
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			p.ns.Imports = append(p.ns.Imports, n.text)
			err = p.endLine()
		case "alias":
			err = p.alias()
		case "struct":
			err = p.structDecl()
		case "union", "union_closed":
			err = p.unionDecl()
		case "route":
			err = p.route()
		case "annotation":
			err = p.annotation()
		case "annotation_type":
			err = p.skipLine()
		default:
			return nil, p.errorf(t, "expected a declaration, found %s", t)
		}
		if err != nil {
			return nil, err
		}
	}
	return p.ns, nil
}

// annotation parses "annotation Name = Kind(args)".
func (p *parser) annotation() error {
	start := p.next()
	name, err := p.ident()
	if err != nil {
		return err
	}
	if _, err := p.expect(tokPunct, "="); err != nil {
		return err
	}
	kind, err := p.ident()
	if err != nil {
		return err
	}
	a := &Annotation{Namespace: p.ns.Name, Name: name.text, Kind: kind.text, Pos: start.pos}
	if p.accept(tokPunct, ".") {
		// A qualified annotation type: ns.Type.
		k, err := p.ident()
		if err != nil {
			return err
		}
		a.Kind = k.text
	}
	if p.accept(tokPunct, "(") {
		for !p.accept(tokPunct, ")") {
			if p.is(tokIdent, "") && p.peekAt(1).kind == tokPunct && p.peekAt(1).text == "=" {
				p.next()
				p.next()
			}
			l, err := p.literal()
			if err != nil {
				return err
			}
			a.Args = append(a.Args, l)
			if !p.accept(tokPunct, ",") && !p.is(tokPunct, ")") {
				return p.errorf(p.peek(), "expected \",\" or \")\", found %s", p.peek())
			}
		}
	}
	p.ns.Annotations = append(p.ns.Annotations, a)
	return p.skipLine()
}

// annotationRef parses "@Name" or "@ns.Name" as a line.
func (p *parser) annotationRef() (*AnnotationRef, error) {
	at, err := p.expect(tokPunct, "@")
	if err != nil {
		return nil, err
	}
	n, err := p.ident()
	if err != nil {
		return nil, err
	}
	r := &AnnotationRef{Name: n.text, Pos: at.pos}
	if p.accept(tokPunct, ".") {
		m, err := p.ident()
		if err != nil {
			return nil, err
		}
		r.Namespace, r.Name = r.Name, m.text
	}
	return r, p.endLine()
}

// alias parses "alias Name = Type" and its block.
func (p *parser) alias() error {
	start := p.next()
	name, err := p.ident()
	if err != nil {
		return err
	}
	if _, err := p.expect(tokPunct, "="); err != nil {
		return err
	}
	typ, err := p.typeRef()
	if err != nil {
		return err
	}
	a := &Alias{Namespace: p.ns.Name, Name: name.text, Type: typ, Pos: start.pos}
	err = p.block(func() error {
		switch {
		case p.is(tokString, ""):
			d, err := p.doc()
			a.Doc = appendDoc(a.Doc, d)
			return err
		case p.is(tokPunct, "@"):
			r, err := p.annotationRef()
			if err == nil {
				a.Annotations = append(a.Annotations, r)
			}
			return err
		}
		return p.skipLine()
	})
	p.ns.Aliases = append(p.ns.Aliases, a)
	return err
}

// extends parses an optional "extends Type".
func (p *parser) extends() (*TypeRef, error) {
	if !p.accept(tokIdent, "extends") {
		return nil, nil
	}
	return p.typeRef()
}

// structDecl parses a struct with its doc, subtypes, fields and examples.
func (p *parser) structDecl() error {
	start := p.next()
	name, err := p.ident()
	if err != nil {
		return err
	}
	s := &Struct{Namespace: p.ns.Name, Name: name.text, Pos: start.pos}
	if s.Extends, err = p.extends(); err != nil {
		return err
	}
	err = p.block(func() error {
		t := p.peek()
		switch {
		case t.kind == tokString:
			d, err := p.doc()
			s.Doc = appendDoc(s.Doc, d)
			return err
		case t.kind == tokPunct && t.text == "@":
			_, err := p.annotationRef()
			return err
		case t.kind != tokIdent:
			return p.errorf(t, "expected a field, found %s", t)
		case t.text == "example":
			return p.skipLine()
		case (t.text == "union" || t.text == "union_closed") && (p.peekAt(1).kind == tokNewline || p.peekAt(1).text == "*"):
			p.next()
			s.SubtypesClosed = t.text == "union_closed"
			s.CatchAll = p.accept(tokPunct, "*")
			return p.block(func() error {
				tag, err := p.ident()
				if err != nil {
					return err
				}
				typ, err := p.typeRef()
				if err != nil {
					return err
				}
				s.Subtypes = append(s.Subtypes, &Subtype{Tag: tag.text, Type: typ, Pos: tag.pos})
				return p.skipLine()
			})
		}
		f, err := p.field()
		if err == nil {
			s.Fields = append(s.Fields, f)
		}
		return err
	})
	p.ns.Structs = append(p.ns.Structs, s)
	return err
}

// field parses "name Type [= default]" and its block.
func (p *parser) field() (*Field, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	typ, err := p.typeRef()
	if err != nil {
		return nil, err
	}
	f := &Field{Name: name.text, Type: typ, Pos: name.pos}
	if p.accept(tokPunct, "=") {
		if f.Default, err = p.literal(); err != nil {
			return nil, err
		}
	}
	err = p.block(func() error {
		switch {
		case p.is(tokString, ""):
			d, err := p.doc()
			f.Doc = appendDoc(f.Doc, d)
			return err
		case (p.is(tokIdent, "union") || p.is(tokIdent, "union_closed")) && p.peekAt(1).kind == tokNewline:
			// An inline union declaration: the field's type is declared here.
			t := p.next()
			if typ.Namespace != "" || typ.Builtin() {
				return p.errorf(t, "inline union for field %s must name a new type, not %s", f.Name, typ)
			}
			return p.unionBody(&Union{Namespace: p.ns.Name, Name: typ.Name, Closed: t.text == "union_closed", Pos: t.pos})
		case p.is(tokPunct, "@"):
			r, err := p.annotationRef()
			if err == nil {
				f.Annotations = append(f.Annotations, r)
			}
			return err
		}
		return p.skipLine()
	})
	return f, err
}

// unionDecl parses a union or union_closed with its members.
func (p *parser) unionDecl() error {
	start := p.next()
	name, err := p.ident()
	if err != nil {
		return err
	}
	u := &Union{Namespace: p.ns.Name, Name: name.text, Closed: start.text == "union_closed", Pos: start.pos}
	if u.Extends, err = p.extends(); err != nil {
		return err
	}
	return p.unionBody(u)
}

// unionBody parses the block of a union: doc, members and examples, and
// adds the union to the namespace.
func (p *parser) unionBody(u *Union) error {
	err := p.block(func() error {
		t := p.peek()
		switch {
		case t.kind == tokString:
			d, err := p.doc()
			u.Doc = appendDoc(u.Doc, d)
			return err
		case t.kind == tokPunct && t.text == "@":
			_, err := p.annotationRef()
			return err
		case t.kind != tokIdent:
			return p.errorf(t, "expected a union member, found %s", t)
		case t.text == "example":
			return p.skipLine()
		}
		m, err := p.member()
		if err == nil {
			u.Members = append(u.Members, m)
		}
		return err
	})
	p.ns.Unions = append(p.ns.Unions, u)
	return err
}

// member parses "name[*] [Type]" and its block.
func (p *parser) member() (*Member, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	m := &Member{Name: name.text, Pos: name.pos}
	m.CatchAll = p.accept(tokPunct, "*")
	if !p.is(tokNewline, "") && !p.is(tokEOF, "") {
		if m.Type, err = p.typeRef(); err != nil {
			return nil, err
		}
		if p.accept(tokPunct, "=") {
			if m.Default, err = p.literal(); err != nil {
				return nil, err
			}
		}
	}
	err = p.block(func() error {
		switch {
		case p.is(tokString, ""):
			d, err := p.doc()
			m.Doc = appendDoc(m.Doc, d)
			return err
		case p.is(tokPunct, "@"):
			r, err := p.annotationRef()
			if err == nil {
				m.Annotations = append(m.Annotations, r)
			}
			return err
		}
		return p.skipLine()
	})
	return m, err
}

// routeName parses a route's name and version: "list_folder/continue",
// "delete:2".
func (p *parser) routeName() (string, int, error) {
	n, err := p.ident()
	if err != nil {
		return "", 0, err
	}
	name := n.text
	for p.accept(tokPunct, "/") {
		n, err := p.ident()
		if err != nil {
			return "", 0, err
		}
		name += "/" + n.text
	}
	version := 1
	if p.accept(tokPunct, ":") {
		v, err := p.expect(tokNumber, "")
		if err != nil {
			return "", 0, err
		}
		if version, err = strconv.Atoi(v.text); err != nil || version < 1 {
			return "", 0, p.errorf(v, "bad route version %s", v.text)
		}
	}
	return name, version, nil
}

// route parses a route declaration, its doc and attrs.
func (p *parser) route() error {
	start := p.next()
	name, version, err := p.routeName()
	if err != nil {
		return err
	}
	r := &Route{Namespace: p.ns.Name, Name: name, Version: version, Attrs: map[string]*Literal{}, Pos: start.pos}
	if _, err := p.expect(tokPunct, "("); err != nil {
		return err
	}
	for i, dst := range []**TypeRef{&r.Arg, &r.Result, &r.Error} {
		if i > 0 {
			if _, err := p.expect(tokPunct, ","); err != nil {
				return err
			}
		}
		if *dst, err = p.typeRef(); err != nil {
			return err
		}
	}
	if _, err := p.expect(tokPunct, ")"); err != nil {
		return err
	}
	if p.accept(tokIdent, "deprecated") {
		r.Deprecated = true
		if p.accept(tokIdent, "by") {
			n, v, err := p.routeName()
			if err != nil {
				return err
			}
			r.DeprecatedBy = &RouteRef{Name: n, Version: v}
		}
	}
	err = p.block(func() error {
		switch {
		case p.is(tokString, ""):
			d, err := p.doc()
			r.Doc = appendDoc(r.Doc, d)
			return err
		case p.is(tokIdent, "attrs"):
			p.next()
			return p.block(func() error {
				k, err := p.ident()
				if err != nil {
					return err
				}
				if _, err := p.expect(tokPunct, "="); err != nil {
					return err
				}
				v, err := p.literal()
				if err != nil {
					return err
				}
				r.Attrs[k.text] = v
				return p.endLine()
			})
		}
		return p.skipLine()
	})
	p.ns.Routes = append(p.ns.Routes, r)
	return err
}

// typeRef parses a type reference: Name, ns.Name, Name(args), and a
// trailing "?".
func (p *parser) typeRef() (*TypeRef, error) {
	n, err := p.ident()
	if err != nil {
		return nil, err
	}
	t := &TypeRef{Name: n.text, Pos: n.pos}
	if p.accept(tokPunct, ".") {
		m, err := p.ident()
		if err != nil {
			return nil, err
		}
		t.Namespace, t.Name = t.Name, m.text
	}
	if p.accept(tokPunct, "(") {
		for !p.accept(tokPunct, ")") {
			a := &Arg{}
			switch {
			case p.is(tokIdent, "") && p.peekAt(1).kind == tokPunct && p.peekAt(1).text == "=":
				a.Name = p.next().text
				p.next()
				if a.Value, err = p.literal(); err != nil {
					return nil, err
				}
			case p.is(tokString, "") || p.is(tokNumber, ""):
				if a.Value, err = p.literal(); err != nil {
					return nil, err
				}
			default:
				if a.Type, err = p.typeRef(); err != nil {
					return nil, err
				}
			}
			t.Args = append(t.Args, a)
			if !p.accept(tokPunct, ",") && !p.is(tokPunct, ")") {
				return nil, p.errorf(p.peek(), "expected \",\" or \")\", found %s", p.peek())
			}
		}
	}
	t.Nullable = p.accept(tokPunct, "?")
	return t, nil
}

// literal parses a value: a string, a number, true, false, null or a
// union tag (add, ns.tag).
func (p *parser) literal() (*Literal, error) {
	t := p.next()
	l := &Literal{Value: t.text, Pos: t.pos}
	switch t.kind {
	case tokString:
		l.Kind = LitString
	case tokNumber:
		l.Kind = LitInt
		if strings.ContainsAny(t.text, ".eE") {
			l.Kind = LitFloat
		}
	case tokIdent:
		switch t.text {
		case "true", "false":
			l.Kind = LitBool
		case "null":
			l.Kind = LitNull
		default:
			l.Kind = LitIdent
			for p.accept(tokPunct, ".") {
				n, err := p.ident()
				if err != nil {
					return nil, err
				}
				l.Value += "." + n.text
			}
		}
	default:
		return nil, p.errorf(t, "expected a value, found %s", t)
	}
	return l, nil
}
