package dropboxemu

import (
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

func init() {
	register("files/paper/create", (*Server).paperCreate)
	register("files/paper/update", (*Server).paperUpdate)
}

// Paper limits. Dropbox publishes only the 1 MB image limit (for HTML data
// URIs); the document limit is the emulator's choice.
const (
	paperMaxDoc   = 10 << 20
	paperMaxImage = 1 << 20
)

// A Paper document is stored as an ordinary .paper file whose content is
// the document in a canonical Markdown form: imports are converted to it,
// files/export hands it out as is (markdown) or rendered (html). Its
// paper_revision is the number of content revisions the file has had.

// paperImportFormat checks an ImportFormat argument.
func (c *call) paperImportFormat(t *Tag) (string, error) {
	if t == nil {
		return "", c.badArg("import_format: expected string or object, got null")
	}
	switch t.Name {
	case "html", "markdown", "plain_text":
		return t.Name, nil
	}
	return "", c.badArg("import_format: unknown tag '%s'", t.Name)
}

// readPaperDoc reads an upload body of at most paperMaxDoc bytes
// (doc_length_exceeded) and converts it from format to the canonical
// Markdown (a PaperContentError member when it cannot).
func readPaperDoc(c *call, format string) (string, error) {
	if c.r.ContentLength > paperMaxDoc {
		return "", routeError(u("doc_length_exceeded"))
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, paperMaxDoc))
	if err != nil {
		return "", bodyReadError(err, u("doc_length_exceeded"))
	}
	md, cerr := paperImport(format, data)
	if cerr != nil {
		return "", routeError(cerr)
	}
	return md, nil
}

// paperImport converts a document to the canonical Markdown, or returns a
// PaperContentError value.
func paperImport(format string, data []byte) (string, map[string]any) {
	if !utf8.Valid(data) {
		return "", u("content_malformed")
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	var md string
	switch format {
	case "markdown":
		md = text
	case "plain_text":
		var paras []string
		for _, line := range strings.Split(text, "\n") {
			if line = strings.TrimRight(line, " \t"); line != "" {
				paras = append(paras, markdownEscape(line, true))
			}
		}
		md = strings.Join(paras, "\n\n")
	case "html":
		var err map[string]any
		if md, err = htmlToMarkdown(text); err != nil {
			return "", err
		}
	}
	return canonicalMarkdown(md), nil
}

// canonicalMarkdown trims trailing blanks from lines and the document, and
// ends a non-empty document with one newline.
func canonicalMarkdown(md string) string {
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		if !strings.HasSuffix(l, "  ") { // two spaces are a hard line break
			lines[i] = strings.TrimRight(l, " \t")
		}
	}
	md = strings.Trim(strings.Join(lines, "\n"), "\n")
	if md == "" {
		return ""
	}
	return md + "\n"
}

// markdownEscape escapes the characters Markdown would read as syntax.
func markdownEscape(s string, lineStart bool) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\', '*', '_', '`', '[', ']', '<', '>':
			b.WriteByte('\\')
		case '#', '-', '+':
			if lineStart && i == 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	out := b.String()
	if lineStart {
		// "1. " at the start of a line would be a list item.
		if reOrderedItem.MatchString(out) {
			dot := strings.IndexByte(out, '.')
			out = out[:dot] + `\` + out[dot:]
		}
	}
	return out
}

var reOrderedItem = regexp.MustCompile(`^\d+\.(\s|$)`)

// htmlTag is a start or end tag.
type htmlTag struct {
	name        string // lower case
	closing     bool   // </name>
	selfClosing bool   // <name/>
	attrs       map[string]string
}

// parseHTMLTag parses the tag at the start of s ("<" first) and returns it
// and its length; ok is false when s does not start with a complete tag.
func parseHTMLTag(s string) (tag htmlTag, n int, ok bool) {
	i := 1
	if i < len(s) && s[i] == '/' {
		tag.closing = true
		i++
	}
	start := i
	for i < len(s) && (isASCIILetter(s[i]) || i > start && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == start {
		return tag, 0, false
	}
	tag.name = strings.ToLower(s[start:i])
	tag.attrs = map[string]string{}
	for {
		for i < len(s) && isHTMLSpace(rune(s[i])) {
			i++
		}
		switch {
		case i >= len(s):
			return tag, 0, false
		case s[i] == '>':
			return tag, i + 1, true
		case strings.HasPrefix(s[i:], "/>"):
			tag.selfClosing = true
			return tag, i + 2, true
		}
		// An attribute: name, then maybe = and a quoted or bare value.
		ns := i
		for i < len(s) && !isHTMLSpace(rune(s[i])) && s[i] != '=' && s[i] != '>' && !strings.HasPrefix(s[i:], "/>") {
			i++
		}
		name := strings.ToLower(s[ns:i])
		if name == "" { // a stray "/" or "="
			i++
			continue
		}
		for i < len(s) && isHTMLSpace(rune(s[i])) {
			i++
		}
		value := ""
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && isHTMLSpace(rune(s[i])) {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				end := strings.IndexByte(s[i+1:], s[i])
				if end < 0 {
					return tag, 0, false
				}
				value = s[i+1 : i+1+end]
				i += end + 2
			} else {
				vs := i
				for i < len(s) && !isHTMLSpace(rune(s[i])) && s[i] != '>' {
					i++
				}
				value = s[vs:i]
			}
		}
		tag.attrs[name] = html.UnescapeString(value)
	}
}

// htmlToMarkdown converts the common structure of an HTML document
// (headings, paragraphs, lists, emphasis, code, links, images, quotes,
// rules) to Markdown. Other tags are dropped, their text kept. A tag that
// never closes its "<...>" makes the content malformed. Script, style
// and title contents are dropped.
func htmlToMarkdown(doc string) (string, map[string]any) {
	type list struct {
		ordered bool
		n       int
	}
	var (
		out     strings.Builder // finished blocks
		inline  strings.Builder // the block being built
		lists   []list
		pre     int
		skip    int // inside script or style
		quote   int
		href    []string
		heading int
	)
	flush := func() {
		text := strings.TrimSpace(inline.String())
		inline.Reset()
		if text == "" {
			return
		}
		prefix := ""
		switch {
		case heading > 0:
			prefix = strings.Repeat("#", heading) + " "
		case len(lists) > 0:
			l := &lists[len(lists)-1]
			indent := strings.Repeat("   ", len(lists)-1)
			if l.ordered {
				l.n++
				prefix = fmt.Sprintf("%s%d. ", indent, l.n)
			} else {
				prefix = indent + "- "
			}
		}
		block := prefix + text
		if quote > 0 {
			block = "> " + strings.ReplaceAll(block, "\n", "\n> ")
		}
		out.WriteString(block)
		if len(lists) > 0 {
			out.WriteString("\n")
		} else {
			out.WriteString("\n\n")
		}
	}
	space := func() {
		s := inline.String()
		if s != "" && !strings.HasSuffix(s, " ") && !strings.HasSuffix(s, "\n") {
			inline.WriteByte(' ')
		}
	}
	for rest := doc; rest != ""; {
		lt := strings.IndexByte(rest, '<')
		if lt != 0 {
			text := rest
			if lt > 0 {
				text = rest[:lt]
			}
			rest = rest[len(text):]
			if skip > 0 {
				continue
			}
			text = html.UnescapeString(text)
			if pre > 0 {
				inline.WriteString(text)
				continue
			}
			if strings.TrimSpace(text) == "" && text != "" {
				space()
				continue
			}
			for i, word := range strings.Fields(text) {
				if i > 0 || strings.IndexFunc(text[:1], isHTMLSpace) == 0 {
					space()
				}
				inline.WriteString(markdownEscape(word, false))
			}
			if strings.LastIndexFunc(text, isHTMLSpace) == len(text)-1 && strings.TrimSpace(text) != "" {
				space()
			}
			continue
		}
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest, "-->")
			if end < 0 {
				return "", u("content_malformed")
			}
			rest = rest[end+3:]
			continue
		case strings.HasPrefix(rest, "<!"), strings.HasPrefix(rest, "<?"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return "", u("content_malformed")
			}
			rest = rest[end+1:]
			continue
		}
		tag, n, ok := parseHTMLTag(rest)
		if !ok {
			if len(rest) > 1 && (rest[1] == '/' || isASCIILetter(rest[1])) {
				return "", u("content_malformed") // an unterminated tag
			}
			if skip == 0 {
				inline.WriteString(markdownEscape("<", false))
			}
			rest = rest[1:]
			continue
		}
		rest = rest[n:]
		closing, name, attrs := tag.closing, tag.name, tag.attrs
		if name == "script" || name == "style" || name == "title" {
			if closing {
				skip = max(0, skip-1)
			} else if !tag.selfClosing {
				skip++
			}
			continue
		}
		if skip > 0 {
			continue
		}
		switch name {
		case "h1", "h2", "h3", "h4", "h5", "h6":
			flush()
			if closing {
				heading = 0
			} else {
				heading = int(name[1] - '0')
			}
		case "p", "div", "section", "article", "header", "footer", "main", "table", "tr":
			flush()
		case "br":
			inline.WriteString("  \n")
		case "hr":
			flush()
			out.WriteString("---\n\n")
		case "ul", "ol":
			flush()
			if closing {
				if len(lists) > 0 {
					lists = lists[:len(lists)-1]
				}
				if len(lists) == 0 {
					out.WriteString("\n")
				}
			} else {
				lists = append(lists, list{ordered: name == "ol"})
			}
		case "li":
			flush()
		case "blockquote":
			flush()
			if closing {
				quote = max(0, quote-1)
			} else {
				quote++
			}
		case "pre":
			if closing {
				pre = max(0, pre-1)
				code := strings.Trim(inline.String(), "\n")
				inline.Reset()
				out.WriteString("```\n" + code + "\n```\n\n")
			} else {
				flush()
				pre++
			}
		case "strong", "b":
			inline.WriteString("**")
		case "em", "i":
			inline.WriteString("*")
		case "code":
			if pre == 0 {
				inline.WriteString("`")
			}
		case "a":
			if closing {
				if len(href) > 0 {
					inline.WriteString("](" + href[len(href)-1] + ")")
					href = href[:len(href)-1]
				}
			} else {
				href = append(href, attrs["href"])
				inline.WriteString("[")
			}
		case "img":
			src := attrs["src"]
			if data, ok := strings.CutPrefix(src, "data:"); ok {
				meta, payload, _ := strings.Cut(data, ",")
				size := len(payload)
				if strings.HasSuffix(meta, ";base64") {
					size = base64.StdEncoding.DecodedLen(len(strings.TrimRight(payload, "=")))
				}
				if size > paperMaxImage {
					return "", u("image_size_exceeded")
				}
			}
			inline.WriteString("![" + markdownEscape(attrs["alt"], false) + "](" + src + ")")
		}
	}
	flush()
	return out.String(), nil
}

func isHTMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' }

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// markdownToHTML renders the canonical Markdown of a Paper document as an
// HTML document titled title.
func markdownToHTML(title, md string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>")
	b.WriteString(html.EscapeString(title))
	b.WriteString("</title>\n</head>\n<body>\n")
	b.WriteString(renderMarkdownBlocks(strings.Split(strings.TrimRight(md, "\n"), "\n")))
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

var (
	reMDHeading = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	reMDRule    = regexp.MustCompile(`^\s{0,3}([-*_])(\s*[-*_]){2,}\s*$`)
	reMDBullet  = regexp.MustCompile(`^(\s*)[-*+]\s+(.*)$`)
	reMDOrdered = regexp.MustCompile(`^(\s*)\d+[.)]\s+(.*)$`)
)

// renderMarkdownBlocks renders Markdown lines as HTML blocks.
func renderMarkdownBlocks(lines []string) string {
	var b strings.Builder
	var para []string
	endPara := func() {
		if len(para) == 0 {
			return
		}
		b.WriteString("<p>")
		for i, l := range para {
			if i > 0 {
				b.WriteString("\n")
			}
			if i < len(para)-1 && (strings.HasSuffix(l, "  ") || strings.HasSuffix(l, `\`)) {
				b.WriteString(renderInline(strings.TrimRight(strings.TrimSuffix(l, `\`), " ")) + "<br>")
			} else {
				b.WriteString(renderInline(strings.TrimSpace(l)))
			}
		}
		b.WriteString("</p>\n")
		para = nil
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			endPara()
		case strings.HasPrefix(trimmed, "```"):
			endPara()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
		case reMDHeading.MatchString(line):
			endPara()
			m := reMDHeading.FindStringSubmatch(line)
			n := len(m[1])
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", n, renderInline(m[2]), n)
		case reMDRule.MatchString(line):
			endPara()
			b.WriteString("<hr>\n")
		case strings.HasPrefix(trimmed, ">"):
			endPara()
			var quoted []string
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), ">"); i++ {
				q := strings.TrimPrefix(strings.TrimSpace(lines[i]), ">")
				quoted = append(quoted, strings.TrimPrefix(q, " "))
			}
			i--
			b.WriteString("<blockquote>\n" + renderMarkdownBlocks(quoted) + "</blockquote>\n")
		case reMDBullet.MatchString(line) || reMDOrdered.MatchString(line):
			endPara()
			var items []string
			for ; i < len(lines) && (reMDBullet.MatchString(lines[i]) || reMDOrdered.MatchString(lines[i]) ||
				strings.TrimSpace(lines[i]) != "" && strings.HasPrefix(lines[i], " ")); i++ {
				items = append(items, lines[i])
			}
			i--
			b.WriteString(renderMarkdownList(items))
		default:
			para = append(para, line)
		}
	}
	endPara()
	return b.String()
}

// renderMarkdownList renders consecutive list lines; deeper indentation
// nests a list in the item above it.
func renderMarkdownList(lines []string) string {
	type level struct {
		indent int
		tag    string
	}
	var b strings.Builder
	var stack []level
	openItem := false
	for _, line := range lines {
		var m []string
		tag := "ul"
		if m = reMDBullet.FindStringSubmatch(line); m == nil {
			if m = reMDOrdered.FindStringSubmatch(line); m == nil {
				// A continuation line of the item above.
				b.WriteString(" " + renderInline(strings.TrimSpace(line)))
				continue
			}
			tag = "ol"
		}
		indent := len(m[1])
		for len(stack) > 0 && indent < stack[len(stack)-1].indent {
			b.WriteString("</li>\n</" + stack[len(stack)-1].tag + ">\n")
			stack = stack[:len(stack)-1]
		}
		switch {
		case len(stack) == 0 || indent > stack[len(stack)-1].indent:
			if openItem && len(stack) > 0 {
				b.WriteString("\n")
			}
			stack = append(stack, level{indent, tag})
			b.WriteString("<" + tag + ">\n")
		default:
			b.WriteString("</li>\n")
		}
		b.WriteString("<li>" + renderInline(m[2]))
		openItem = true
	}
	for len(stack) > 0 {
		b.WriteString("</li>\n</" + stack[len(stack)-1].tag + ">\n")
		stack = stack[:len(stack)-1]
	}
	return b.String()
}

// renderInline renders Markdown inline syntax (escapes, code, strong,
// emphasis, links, images) as HTML, escaping everything else.
func renderInline(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("\\`*_{}[]()#+-.!<>|~", s[i+1]) >= 0:
			b.WriteString(html.EscapeString(s[i+1 : i+2]))
			i += 2
			continue
		case c == '`':
			if end := strings.IndexByte(s[i+1:], '`'); end >= 0 {
				b.WriteString("<code>" + html.EscapeString(s[i+1:i+1+end]) + "</code>")
				i += end + 2
				continue
			}
		case c == '*' || c == '_':
			delim := s[i : i+1]
			if strings.HasPrefix(s[i:], delim+delim) {
				delim += delim
			}
			if end := strings.Index(s[i+len(delim):], delim); end > 0 {
				inner := s[i+len(delim) : i+len(delim)+end]
				tag := "em"
				if len(delim) == 2 {
					tag = "strong"
				}
				b.WriteString("<" + tag + ">" + renderInline(inner) + "</" + tag + ">")
				i += len(delim)*2 + end
				continue
			}
		case c == '!' && strings.HasPrefix(s[i:], "!["):
			if alt, url, n, ok := markdownLink(s[i+1:]); ok {
				fmt.Fprintf(&b, `<img src="%s" alt="%s">`, html.EscapeString(url), html.EscapeString(alt))
				i += 1 + n
				continue
			}
		case c == '[':
			if text, url, n, ok := markdownLink(s[i:]); ok {
				fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(url), renderInline(text))
				i += n
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(html.EscapeString(string(r)))
		i += size
	}
	return b.String()
}

// markdownLink parses "[text](url)" at the start of s and returns its
// parts and length.
func markdownLink(s string) (text, url string, n int, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				if i+1 >= len(s) || s[i+1] != '(' {
					return "", "", 0, false
				}
				end := strings.IndexByte(s[i+2:], ')')
				if end < 0 {
					return "", "", 0, false
				}
				return s[1:i], s[i+2 : i+2+end], i + 3 + end, true
			}
		}
	}
	return "", "", 0, false
}

// paperRevision is the paper_revision of a Paper file: how many content
// revisions it has had up to and including rev. The caller holds s.mu.
func (s *Server) paperRevision(e *Entry) int64 {
	for i, r := range s.revsByID[e.ID] {
		if r == e.Rev {
			return int64(i + 1)
		}
	}
	return int64(len(s.revsByID[e.ID]))
}

// paperWrite stores md as the content of the Paper file at tgt: a new file
// when tgt is free, else a new revision of the file there (keeping its id).
// It returns a WriteError value on failure. The caller holds s.mu and
// commits t; on failure nothing has changed.
func (s *Server) paperWrite(t *tx, acct *Account, tgt target, md string) (*Entry, map[string]any, error) {
	data := []byte(md)
	hash := contentHashOf(data)
	existing := tgt.entry
	if existing != nil && existing.ContentHash == hash {
		return existing, nil, nil
	}
	var freed int64
	if existing != nil {
		freed = existing.Size
	}
	if s.usage(acct)+int64(len(data))-freed > acct.Quota {
		return nil, u("insufficient_space"), nil
	}
	fc, err := s.storeBlob(data, hash)
	if err != nil {
		return nil, nil, err
	}
	s.ensureParents(t, tgt.ns, tgt.lower, tgt.display)
	now := s.clock.Now().Truncate(time.Second)
	e := &Entry{NS: tgt.ns.ID, PathLower: tgt.lower, PathDisplay: tgt.display, Size: fc.Size,
		ContentHash: hash, Content: fc.Segments, ClientModified: now, ServerModified: now}
	if existing != nil {
		e.ID, e.PathDisplay = existing.ID, existing.PathDisplay
	} else {
		e.ID = newFileID()
	}
	s.storeRevision(t, tgt.ns, e, acct)
	return e, nil, nil
}

// paperCall runs a Paper write: it takes the namespace write slot (see
// writeTx), reads the document from the body and converts it from format
// (readPaperDoc), then runs do with the Markdown under s.mu and commits its
// tx as lockedTx does.
func (s *Server) paperCall(c *call, format string, do func(t *tx, md string) (any, error)) (any, error) {
	release, lerr := s.limits.beginWrite(c.acct.base())
	if lerr != nil {
		return nil, lerr
	}
	defer release()
	md, err := readPaperDoc(c, format)
	if err != nil {
		return nil, err
	}
	return lockedTx(s, func(t *tx) (any, error) { return do(t, md) })
}

type paperCreateArg struct {
	Path         string `json:"path"`
	ImportFormat *Tag   `json:"import_format" union:"html markdown plain_text"`
}

func (s *Server) paperCreate(c *call) (any, error) {
	var arg paperCreateArg
	if err := c.decode(&arg, "path", "import_format"); err != nil {
		return nil, err
	}
	p, malformed, err := c.pathArg("path", arg.Path, "Path")
	if err != nil {
		return nil, err
	}
	format, err := c.paperImportFormat(arg.ImportFormat)
	if err != nil {
		return nil, err
	}
	if malformed != nil {
		return nil, routeError(u("invalid_path"))
	}
	if !isPaper(lowerPath(arg.Path)) {
		return nil, routeError(u("invalid_file_extension"))
	}
	return s.paperCall(c, format, func(t *tx, md string) (any, error) {
		tgt, wf := s.writeTarget(c.acct, p)
		if wf != nil {
			return nil, routeError(u("invalid_path"))
		}
		if tgt.entry != nil {
			// Paper never replaces: it numbers the new document's name.
			tgt = s.freeName(tgt, "")
		}
		e, werr, err := s.paperWrite(t, c.acct, tgt, md)
		if err != nil {
			return nil, err
		}
		if werr != nil {
			return nil, routeError(u("invalid_path"))
		}
		return paperCreateResult{
			URL:           s.baseURL(c.r) + "/cloud_docs/view/" + strings.TrimPrefix(e.ID, "id:"),
			ResultPath:    e.PathDisplay,
			FileID:        e.ID,
			PaperRevision: s.paperRevision(e),
		}, nil
	})
}

// paperCreateResult is the spec's PaperCreateResult, in its field order.
type paperCreateResult struct {
	URL           string `json:"url"`
	ResultPath    string `json:"result_path"`
	FileID        string `json:"file_id"`
	PaperRevision int64  `json:"paper_revision"`
}

type paperUpdateArg struct {
	Path            string `json:"path"`
	ImportFormat    *Tag   `json:"import_format" union:"html markdown plain_text"`
	DocUpdatePolicy *Tag   `json:"doc_update_policy" union:"update overwrite prepend append"`
	PaperRevision   *int64 `json:"paper_revision,omitempty"`
}

func (s *Server) paperUpdate(c *call) (any, error) {
	var arg paperUpdateArg
	if err := c.decode(&arg, "path", "import_format", "doc_update_policy"); err != nil {
		return nil, err
	}
	p, malformed, err := c.pathArg("path", arg.Path, "WritePathOrId")
	if err != nil {
		return nil, err
	}
	format, err := c.paperImportFormat(arg.ImportFormat)
	if err != nil {
		return nil, err
	}
	if arg.DocUpdatePolicy == nil {
		return nil, c.badArg("doc_update_policy: expected string or object, got null")
	}
	policy := arg.DocUpdatePolicy.Name
	switch policy {
	case "update", "overwrite", "prepend", "append":
	default:
		return nil, c.badArg("doc_update_policy: unknown tag '%s'", policy)
	}
	if malformed != nil {
		return nil, routeError(uv("path", malformed))
	}
	return s.paperCall(c, format, func(t *tx, md string) (any, error) {
		tgt, perr := s.paperDoc(c.acct, p)
		if perr != nil {
			return nil, routeError(perr)
		}
		e := tgt.entry
		current := s.paperRevision(e)
		if policy == "update" && (arg.PaperRevision == nil || *arg.PaperRevision != current) {
			return nil, routeError(u("revision_mismatch"))
		}
		if policy == "prepend" || policy == "append" {
			old, err := s.readContent(e.Content, e.Size)
			if err != nil {
				return nil, err
			}
			parts := []string{strings.TrimRight(string(old), "\n"), strings.TrimRight(md, "\n")}
			if policy == "prepend" {
				parts[0], parts[1] = parts[1], parts[0]
			}
			md = canonicalMarkdown(strings.Join(parts, "\n\n"))
		}
		if len(md) > paperMaxDoc {
			return nil, routeError(u("doc_length_exceeded"))
		}
		ne, werr, err := s.paperWrite(t, c.acct, tgt, md)
		if err != nil {
			return nil, err
		}
		if werr != nil {
			return nil, routeError(uv("path", u("not_found")))
		}
		return map[string]any{"paper_revision": s.paperRevision(ne)}, nil
	})
}

// paperDoc resolves the Paper document at p, or returns a PaperUpdateError
// value. The caller holds s.mu.
func (s *Server) paperDoc(acct *Account, p parsedPath) (target, map[string]any) {
	tgt, lerr := s.resolve(acct, p)
	if lerr != nil {
		if p.Kind == pathID && p.Rest == "" && len(s.revsByID[p.Ref]) > 0 {
			if e := s.revs[s.revsByID[p.Ref][0]]; e != nil && isPaper(e.PathLower) {
				if ns := s.namespaces[e.NS]; ns != nil && s.canSee(acct, ns) {
					return target{}, u("doc_deleted")
				}
			}
		}
		return target{}, uv("path", lerr)
	}
	e := tgt.entry
	switch {
	case e == nil && tgt.lower != "" && tgt.ns.tombstones[tgt.lower] != nil && isPaper(tgt.lower):
		return target{}, u("doc_deleted")
	case e == nil:
		return target{}, uv("path", lookupNotFound)
	case e.Folder:
		return target{}, uv("path", lookupNotFile)
	case !isPaper(e.PathLower):
		return target{}, uv("path", u("unsupported_content_type"))
	}
	return tgt, nil
}
