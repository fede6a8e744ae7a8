package stone

import (
	"fmt"
	"strings"
)

// tokenKind is the kind of a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokNewline
	tokIndent
	tokDedent
	tokIdent
	tokString
	tokNumber
	tokPunct // one of ( ) , = ? * : / . @ [ ] { }
)

func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of file"
	case tokNewline:
		return "end of line"
	case tokIndent:
		return "indent"
	case tokDedent:
		return "dedent"
	case tokIdent:
		return "identifier"
	case tokString:
		return "string"
	case tokNumber:
		return "number"
	}
	return "punctuation"
}

// token is one lexical token. For a string, text is the decoded value.
type token struct {
	kind tokenKind
	text string
	pos  Pos
}

func (t token) String() string {
	switch t.kind {
	case tokIdent, tokNumber, tokPunct:
		return fmt.Sprintf("%q", t.text)
	case tokString:
		return "string"
	}
	return t.kind.String()
}

// lex splits src into tokens. Like Python, it turns the indentation of
// each logical line into indent and dedent tokens, ends logical lines with
// newline tokens, and ignores line breaks inside brackets and strings,
// blank lines and # comments.
func lex(file string, src string) ([]token, error) {
	l := &lexer{file: file, src: src, line: 1, col: 1, indents: []int{0}}
	if err := l.run(); err != nil {
		return nil, err
	}
	return l.toks, nil
}

type lexer struct {
	file      string
	src       string
	off       int
	line, col int
	indents   []int
	depth     int // bracket nesting
	toks      []token
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) errorf(p Pos, format string, args ...any) error {
	return fmt.Errorf("%s: %s", p, fmt.Sprintf(format, args...))
}

// advance moves past n bytes, keeping line and column.
func (l *lexer) advance(n int) {
	for i := 0; i < n; i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

func (l *lexer) emit(kind tokenKind, text string, p Pos) {
	l.toks = append(l.toks, token{kind: kind, text: text, pos: p})
}

func (l *lexer) run() error {
	atLineStart := true
	for {
		if atLineStart && l.depth == 0 {
			if err := l.indentation(); err != nil {
				return err
			}
			atLineStart = false
		}
		if l.off >= len(l.src) {
			break
		}
		c := l.src[l.off]
		p := l.pos()
		switch {
		case c == '\n':
			l.advance(1)
			if l.depth == 0 {
				l.newline(p)
				atLineStart = true
			}
		case c == ' ' || c == '\t' || c == '\r':
			l.advance(1)
		case c == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		case c == '"' || c == '\'':
			s, err := l.str(c)
			if err != nil {
				return err
			}
			l.emit(tokString, s, p)
		case isLetter(c) || c == '_':
			n := 1
			for l.off+n < len(l.src) && (isLetter(l.src[l.off+n]) || isDigit(l.src[l.off+n]) || l.src[l.off+n] == '_') {
				n++
			}
			l.emit(tokIdent, l.src[l.off:l.off+n], p)
			l.advance(n)
		case isDigit(c) || c == '-' && l.off+1 < len(l.src) && isDigit(l.src[l.off+1]):
			n := l.number()
			l.emit(tokNumber, l.src[l.off:l.off+n], p)
			l.advance(n)
		case strings.IndexByte("(),=?*:/.@[]{}", c) >= 0:
			switch c {
			case '(', '[', '{':
				l.depth++
			case ')', ']', '}':
				if l.depth > 0 {
					l.depth--
				}
			}
			l.emit(tokPunct, string(c), p)
			l.advance(1)
		default:
			return l.errorf(p, "unexpected character %q", c)
		}
	}
	p := l.pos()
	l.newline(p)
	for len(l.indents) > 1 {
		l.indents = l.indents[:len(l.indents)-1]
		l.emit(tokDedent, "", p)
	}
	l.emit(tokEOF, "", p)
	return nil
}

// newline ends a logical line, unless it is empty.
func (l *lexer) newline(p Pos) {
	if n := len(l.toks); n > 0 && l.toks[n-1].kind != tokNewline && l.toks[n-1].kind != tokIndent && l.toks[n-1].kind != tokDedent {
		l.emit(tokNewline, "", p)
	}
}

// indentation reads the indentation of the next line that holds a token
// and emits indent or dedent tokens for it. Blank and comment-only lines
// are skipped.
func (l *lexer) indentation() error {
	for {
		width, n := 0, 0
		for l.off+n < len(l.src) {
			c := l.src[l.off+n]
			if c == ' ' {
				width++
			} else if c == '\t' {
				width += 8 - width%8
			} else if c != '\r' {
				break
			}
			n++
		}
		rest := l.src[l.off+n:]
		if rest == "" {
			l.advance(n)
			return nil
		}
		if rest[0] == '\n' || rest[0] == '#' {
			// Blank or comment-only line.
			l.advance(n)
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
			if l.off < len(l.src) {
				l.advance(1)
			}
			continue
		}
		l.advance(n)
		p := l.pos()
		top := l.indents[len(l.indents)-1]
		switch {
		case width > top:
			l.indents = append(l.indents, width)
			l.emit(tokIndent, "", p)
		case width < top:
			for width < l.indents[len(l.indents)-1] {
				l.indents = l.indents[:len(l.indents)-1]
				l.emit(tokDedent, "", p)
			}
			if width != l.indents[len(l.indents)-1] {
				return l.errorf(p, "indentation does not match any outer level")
			}
		}
		return nil
	}
}

// number returns the length of the number at the current offset.
func (l *lexer) number() int {
	s := l.src[l.off:]
	n := 0
	if s[0] == '-' {
		n++
	}
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n+1 < len(s) && s[n] == '.' && isDigit(s[n+1]) {
		n++
		for n < len(s) && isDigit(s[n]) {
			n++
		}
	}
	if n < len(s) && (s[n] == 'e' || s[n] == 'E') {
		m := n + 1
		if m < len(s) && (s[m] == '+' || s[m] == '-') {
			m++
		}
		if m < len(s) && isDigit(s[m]) {
			for m < len(s) && isDigit(s[m]) {
				m++
			}
			n = m
		}
	}
	return n
}

// str reads a quoted string, which may span lines, and returns its value
// with backslash escapes decoded.
func (l *lexer) str(quote byte) (string, error) {
	start := l.pos()
	l.advance(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return "", l.errorf(start, "string not terminated")
		}
		c := l.src[l.off]
		switch {
		case c == quote:
			l.advance(1)
			return b.String(), nil
		case c == '\\' && l.off+1 < len(l.src):
			e := l.src[l.off+1]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\', '"', '\'':
				b.WriteByte(e)
			default:
				// Unknown escapes stay as written (regex patterns: \d, \w).
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			l.advance(2)
		default:
			b.WriteByte(c)
			l.advance(1)
		}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
