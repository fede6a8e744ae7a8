package main

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// initialisms are the snake_case words written in capitals in Go names.
var initialisms = map[string]string{
	"id": "ID", "ids": "IDs", "url": "URL", "urls": "URLs", "api": "API", "uid": "UID",
	"http": "HTTP", "json": "JSON", "ip": "IP", "html": "HTML",
}

// camel turns a snake_case name into an exported Go name with the usual
// initialisms: account_id -> AccountID, path_lower -> PathLower.
func camel(snake string) string {
	var b strings.Builder
	for _, w := range strings.Split(snake, "_") {
		if w == "" {
			continue
		}
		if up, ok := initialisms[w]; ok {
			b.WriteString(up)
			continue
		}
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// methodName is a route's Go method name: its path segments CamelCased,
// with a V<N> suffix for versions above 1 (copy_batch/check:2 ->
// CopyBatchCheckV2).
func methodName(path string, version int) string {
	var b strings.Builder
	for _, seg := range strings.Split(path, "/") {
		b.WriteString(camel(seg))
	}
	if version > 1 {
		b.WriteString("V" + strconv.Itoa(version))
	}
	return b.String()
}

var (
	// :field:`x`, :route:`x`, :type:`X`, :val:`x`, :link:`text url`.
	stoneRefRE = regexp.MustCompile(":(field|route|type|val|link):`([^`]*)`")
	// A reference with its opening backquote missing, as in
	// ":route:list/continue`" (file_requests.stone).
	looseRefRE = regexp.MustCompile(":(field|route|type|val|link):([^\\s`]+)`?")
	spacesRE   = regexp.MustCompile(`\s+`)
)

// refResolver turns the text of a :type: or :field: reference into the Go
// name it stands for, reporting whether it could.
type refResolver func(kind, text string) (string, bool)

// plainDoc turns a Stone doc string into plain text: references become
// their names, links "text (url)". Only the first paragraph is kept; its
// lines are joined, and a first word in lower case letters only is
// capitalised, since the text follows a sentence of the generator's.
func plainDoc(doc string) string { return plainDocWith(doc, nil) }

// plainDocWith is plainDoc with resolve, when not nil, naming the Go
// types and fields that :type: and :field: references stand for.
func plainDocWith(doc string, resolve refResolver) string {
	if i := strings.Index(doc, "\n\n"); i >= 0 {
		doc = doc[:i]
	}
	ref := func(kind, text string) string {
		switch kind {
		case "link":
			if i := strings.LastIndex(text, " "); i > 0 {
				return text[:i] + " (" + text[i+1:] + ")"
			}
			return text
		case "route":
			// search:2 -> search_v2, as in the URL.
			if i := strings.LastIndex(text, ":"); i > 0 && text[i+1:] != "1" {
				return text[:i] + "_v" + text[i+1:]
			} else if i > 0 {
				return text[:i]
			}
		case "type", "field":
			if resolve != nil {
				if name, ok := resolve(kind, text); ok {
					return name
				}
			}
		}
		return text
	}
	doc = stoneRefRE.ReplaceAllStringFunc(doc, func(m string) string {
		sub := stoneRefRE.FindStringSubmatch(m)
		return ref(sub[1], sub[2])
	})
	doc = looseRefRE.ReplaceAllStringFunc(doc, func(m string) string {
		sub := looseRefRE.FindStringSubmatch(m)
		return ref(sub[1], sub[2])
	})
	return capitalise(strings.TrimSpace(spacesRE.ReplaceAllString(doc, " ")))
}

// lowerWordRE is a first word of lower case letters only followed by a
// space or a comma: an English word, not an identifier such as
// path_lower, eTag or list/continue.
var lowerWordRE = regexp.MustCompile(`^[a-z]+[ ,]`)

// capitalise upper-cases the first letter of s when its first word is in
// lower case letters only.
func capitalise(s string) string {
	if lowerWordRE.MatchString(s) {
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// sentence makes s end with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	switch s[len(s)-1] {
	case '.', '!', '?', ':':
		return s
	}
	return s + "."
}

// comment formats paragraphs as a // comment wrapped at about 90 columns,
// indented by indent.
func comment(indent string, paragraphs ...string) string {
	var b strings.Builder
	first := true
	for _, p := range paragraphs {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !first {
			b.WriteString(indent + "//\n")
		}
		first = false
		line := ""
		for _, w := range strings.Fields(p) {
			if line != "" && len(indent)+3+len(line)+1+len(w) > 90 {
				b.WriteString(indent + "// " + line + "\n")
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		if line != "" {
			b.WriteString(indent + "// " + line + "\n")
		}
	}
	return b.String()
}
