package dropboxemu

import (
	"bytes"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

func init() {
	register("files/search_v2", (*Server).searchV2)
	register("files/search/continue_v2", (*Server).searchContinueV2)
}

// Limits of search_v2 (files.stone and Dropbox's documentation).
const (
	searchMaxQuery      = 1000  // characters of SearchV2Arg.query
	searchDefaultMax    = 100   // SearchOptions.max_results default
	searchMaxResults    = 1000  // SearchOptions.max_results maximum
	searchMaxMatches    = 10000 // matches search_v2 + continue can return in all
	searchContentLimit  = 1 << 20
	searchCursorVersion = 1
)

type searchOptionsArg struct {
	Path           *string  `json:"path,omitempty"`
	MaxResults     *int64   `json:"max_results,omitempty"`
	OrderBy        *Tag     `json:"order_by,omitempty" union:"relevance last_modified_time"`
	FileStatus     *Tag     `json:"file_status,omitempty" union:"active deleted"`
	FilenameOnly   bool     `json:"filename_only,omitempty"`
	FileExtensions []string `json:"file_extensions,omitempty"`
	FileCategories []Tag    `json:"file_categories,omitempty" union:"image document pdf spreadsheet presentation audio video folder paper others"`
	AccountID      *string  `json:"account_id,omitempty"`
}

type searchV2Arg struct {
	Query             string            `json:"query"`
	Options           *searchOptionsArg `json:"options,omitempty"`
	MatchFieldOptions *struct {
		IncludeHighlights bool `json:"include_highlights,omitempty"`
	} `json:"match_field_options,omitempty"`
	IncludeHighlights *bool `json:"include_highlights,omitempty"` // deprecated alias
}

// searchCursor is what a search_v2 cursor holds: the whole query, so that
// continue runs it again and skips what was returned. Like Dropbox's, the
// pages are not a snapshot: changes in between may shift results.
type searchCursor struct {
	V          int      `json:"v"`
	Account    string   `json:"a"`
	Query      string   `json:"q"`
	NS         string   `json:"n"`
	Root       string   `json:"p"`
	Max        int      `json:"m"`
	ByTime     bool     `json:"t,omitempty"`
	Deleted    bool     `json:"d,omitempty"`
	NameOnly   bool     `json:"f,omitempty"`
	Exts       []string `json:"e,omitempty"`
	Cats       []string `json:"c,omitempty"`
	OnlyAcct   string   `json:"u,omitempty"`
	Highlights bool     `json:"h,omitempty"`
	Offset     int      `json:"k"`
}

const searchCursorPrefix = "AAS"

func encodeSearchCursor(c *searchCursor) string { return encodeCursorToken(searchCursorPrefix, c) }

func decodeSearchCursor(s string) (*searchCursor, bool) {
	var c searchCursor
	if !decodeCursorToken(searchCursorPrefix, s, &c) || c.V != searchCursorVersion || c.NS == "" || c.Max < 1 || c.Offset < 0 {
		return nil, false
	}
	return &c, true
}

// searchCategories are the FileCategory members and the extensions in each.
var searchCategories = map[string][]string{
	"image":        {"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "heic", "heif", "svg", "ppm", "ico", "psd", "raw", "cr2", "nef", "dng"},
	"document":     {"doc", "docx", "docm", "txt", "rtf", "odt", "pages", "md", "tex", "wpd", "gdoc"},
	"pdf":          {"pdf"},
	"spreadsheet":  {"xls", "xlsx", "xlsm", "csv", "tsv", "ods", "numbers", "gsheet"},
	"presentation": {"ppt", "pptx", "pptm", "pps", "ppsx", "key", "odp", "gslides"},
	"audio":        {"mp3", "wav", "mid", "midi", "aac", "flac", "m4a", "ogg", "oga", "wma", "aif", "aiff", "opus"},
	"video":        {"mov", "wmv", "mp4", "m4v", "avi", "mkv", "mpg", "mpeg", "webm", "3gp", "flv"},
	"folder":       nil,
	"paper":        {"paper"},
	"others":       nil,
}

// searchCategory returns the FileCategory of an entry.
func searchCategory(e *Entry) string {
	if e.Folder {
		return "folder"
	}
	ext := fileExt(e.PathLower)
	for cat, exts := range searchCategories {
		if slices.Contains(exts, ext) {
			return cat
		}
	}
	return "others"
}

// fileExt is the lower-cased extension of a path without the dot.
func fileExt(lower string) string {
	_, name := splitPath(lower)
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i+1:]
	}
	return ""
}

func (s *Server) searchV2(c *call) (any, error) {
	var arg searchV2Arg
	if err := c.decode(&arg, "query"); err != nil {
		return nil, err
	}
	if err := c.checkString("query", arg.Query, 0, searchMaxQuery, "", nil); err != nil {
		return nil, err
	}
	cur := &searchCursor{V: searchCursorVersion, Account: c.acct.ID, Query: arg.Query, Max: searchDefaultMax}
	if arg.IncludeHighlights != nil && *arg.IncludeHighlights {
		cur.Highlights = true
	}
	if arg.MatchFieldOptions != nil && arg.MatchFieldOptions.IncludeHighlights {
		cur.Highlights = true
	}
	var p parsedPath
	var malformed map[string]any
	if o := arg.Options; o != nil {
		if o.MaxResults != nil {
			if err := c.checkInt("options.max_results", *o.MaxResults, 1, searchMaxResults); err != nil {
				return nil, err
			}
			cur.Max = int(*o.MaxResults)
		}
		if o.OrderBy != nil {
			switch o.OrderBy.Name {
			case "relevance":
			case "last_modified_time":
				cur.ByTime = true
			default:
				return nil, c.badArg("options.order_by: unknown tag '%s'", o.OrderBy.Name)
			}
		}
		if o.FileStatus != nil {
			switch o.FileStatus.Name {
			case "active":
			case "deleted":
				cur.Deleted = true
			default:
				return nil, c.badArg("options.file_status: unknown tag '%s'", o.FileStatus.Name)
			}
		}
		cur.NameOnly = o.FilenameOnly
		for _, ext := range o.FileExtensions {
			cur.Exts = append(cur.Exts, strings.ToLower(strings.TrimPrefix(ext, ".")))
		}
		for _, cat := range o.FileCategories {
			if _, ok := searchCategories[cat.Name]; !ok {
				return nil, c.badArg("options.file_categories: unknown tag '%s'", cat.Name)
			}
			cur.Cats = append(cur.Cats, cat.Name)
		}
		if o.AccountID != nil {
			if err := c.checkString("options.account_id", *o.AccountID, 40, 40, "", nil); err != nil {
				return nil, err
			}
			cur.OnlyAcct = *o.AccountID
		}
		if o.Path != nil {
			var err error
			p, malformed, err = c.pathArg("options.path", *o.Path, "PathROrId")
			if err != nil {
				return nil, err
			}
		}
	}
	if malformed != nil {
		return nil, routeError(uv("path", malformed))
	}
	if len(searchWords(arg.Query)) == 0 {
		return nil, routeError(uv("invalid_argument", "the query has no words to search for"))
	}
	s.mu.RLock()
	t, lerr := s.resolveFolder(c.acct, p)
	if lerr != nil {
		s.mu.RUnlock()
		return nil, routeError(uv("path", lerr))
	}
	cur.NS, cur.Root = t.ns.ID, t.lower
	s.mu.RUnlock()
	return s.searchPage(c, cur)
}

func (s *Server) searchContinueV2(c *call) (any, error) {
	var arg struct {
		Cursor string `json:"cursor"`
	}
	if err := c.decode(&arg, "cursor"); err != nil {
		return nil, err
	}
	if err := c.checkString("cursor", arg.Cursor, 1, 0, "", nil); err != nil {
		return nil, err
	}
	cur, ok := decodeSearchCursor(arg.Cursor)
	if !ok {
		return nil, badInput(c.route, `Invalid "cursor" parameter: %q`, arg.Cursor)
	}
	if cur.Account != c.acct.ID {
		return nil, badInput(c.route, `Invalid "cursor" parameter: the cursor belongs to another account`)
	}
	return s.searchPage(c, cur)
}

// searchHit is one match before rendering, at its path in the caller's view.
type searchHit struct {
	entry   *Entry     // a live entry (placed in the view), or
	tomb    *Tombstone // a deleted path (in the view)
	name    bool       // matched on its name
	content bool       // matched on its content
	score   int        // lower is more relevant
}

func (h *searchHit) lower() string {
	if h.entry != nil {
		return h.entry.PathLower
	}
	return h.tomb.PathLower
}

func (h *searchHit) displayName() string {
	if h.entry != nil {
		return h.entry.Name()
	}
	_, n := splitPath(h.tomb.PathDisplay)
	return n
}

// searchV2Result and searchMatchV2 are the spec's SearchV2Result and
// SearchMatchV2, in their field order.
type searchV2Result struct {
	Matches []searchMatchV2 `json:"matches"`
	HasMore bool            `json:"has_more"`
	Cursor  string          `json:"cursor,omitempty"`
}

type searchMatchV2 struct {
	Metadata       map[string]any  `json:"metadata"`
	MatchType      map[string]any  `json:"match_type,omitempty"`
	HighlightSpans []highlightSpan `json:"highlight_spans,omitempty"`
}

// highlightSpan is the spec's HighlightSpan.
type highlightSpan struct {
	HighlightStr  string `json:"highlight_str"`
	IsHighlighted bool   `json:"is_highlighted"`
}

// searchPage runs the cursor's query and answers the page at its offset.
func (s *Server) searchPage(c *call, cur *searchCursor) (any, error) {
	hits, err := s.runSearch(c, cur)
	if err != nil {
		return nil, err
	}
	start := min(cur.Offset, len(hits))
	end := min(start+cur.Max, len(hits))
	words := searchWords(cur.Query)
	matches := make([]searchMatchV2, 0, end-start)
	for _, h := range hits[start:end] {
		var meta any
		if h.entry != nil {
			meta = metadata(h.entry)
		} else {
			meta = deletedMeta(h.tomb.PathLower, h.tomb.PathDisplay)
		}
		m := searchMatchV2{Metadata: uv("metadata", meta)}
		switch {
		case h.name && h.content:
			m.MatchType = u("filename_and_content")
		case h.content:
			m.MatchType = u("file_content")
		default:
			m.MatchType = u("filename")
		}
		if cur.Highlights {
			m.HighlightSpans = highlightSpans(h.displayName(), words, h.name)
		}
		matches = append(matches, m)
	}
	res := searchV2Result{Matches: matches, HasMore: end < len(hits)}
	if end < len(hits) {
		next := *cur
		next.Offset = end
		res.Cursor = encodeSearchCursor(&next)
	}
	return res, nil
}

// runSearch finds every match of cur's query, in result order, at most
// searchMaxMatches. It searches the caller's tree below the scope, the
// namespaces mounted there included, and places what it finds in the
// caller's view. Names are matched under the read lock; file contents are
// read after it, since blobs never change.
func (s *Server) runSearch(c *call, cur *searchCursor) ([]*searchHit, error) {
	words := searchWords(cur.Query)
	var hits []*searchHit
	// candidates are files whose content may match, with their name hit.
	type candidate struct {
		e   *Entry
		hit *searchHit
	}
	var candidates []candidate
	s.mu.RLock()
	ns := s.namespaces[cur.NS]
	if ns == nil || !s.canSee(c.acct, ns) || cur.OnlyAcct != "" && cur.OnlyAcct != c.acct.ID {
		s.mu.RUnlock()
		return nil, nil
	}
	v := s.viewOver(c.view(), ns.ID)
	if cur.Deleted {
		for _, tomb := range s.viewTombstones(v, s.scopesBelow(c.acct, ns, cur.Root), true) {
			_, name := splitPath(tomb.PathDisplay)
			if score, ok := nameScore(name, cur.Query, words); ok {
				hits = append(hits, &searchHit{tomb: tomb, name: true, score: score})
			}
		}
		s.mu.RUnlock()
	} else {
		s.walkView(c.acct, ns, cur.Root, true, nil, func(e *Entry) bool {
			if !searchFilter(cur, e) {
				return true
			}
			var hit *searchHit
			if score, ok := nameScore(e.Name(), cur.Query, words); ok {
				hit = &searchHit{entry: v.place(e), name: true, score: score}
				hits = append(hits, hit)
			}
			if !cur.NameOnly && searchableText(e) {
				candidates = append(candidates, candidate{e, hit})
			}
			return true
		})
		s.mu.RUnlock()
		for _, cand := range candidates {
			if err := c.ctx.Err(); err != nil {
				return nil, err
			}
			data, err := s.readContent(cand.e.Content, cand.e.Size)
			if err != nil {
				return nil, err
			}
			if !textMatches(data, words) {
				continue
			}
			if cand.hit != nil {
				cand.hit.content = true
				continue
			}
			hits = append(hits, &searchHit{entry: v.place(cand.e), content: true, score: 4}) // place needs no lock
		}
	}
	slices.SortStableFunc(hits, func(a, b *searchHit) int {
		if cur.ByTime {
			ta, tb := hitTime(a), hitTime(b)
			if !ta.Equal(tb) {
				return tb.Compare(ta) // newest first
			}
		} else if a.score != b.score {
			return a.score - b.score
		}
		return strings.Compare(a.lower(), b.lower())
	})
	if len(hits) > searchMaxMatches {
		hits = hits[:searchMaxMatches]
	}
	return hits, nil
}

// hitTime is what last_modified_time orders by; folders have none and come last.
func hitTime(h *searchHit) time.Time {
	if h.entry != nil {
		return h.entry.ServerModified
	}
	return h.tomb.DeletedAt
}

// searchFilter applies file_extensions and file_categories.
func searchFilter(cur *searchCursor, e *Entry) bool {
	if len(cur.Exts) > 0 && (e.Folder || !slices.Contains(cur.Exts, fileExt(e.PathLower))) {
		return false
	}
	if len(cur.Cats) > 0 && !slices.Contains(cur.Cats, searchCategory(e)) {
		return false
	}
	return true
}

// searchableText reports whether e is a file small enough to have its
// content searched (Paper documents are stored as Markdown text).
func searchableText(e *Entry) bool {
	return !e.Folder && e.Size > 0 && e.Size <= searchContentLimit
}

// textMatches reports whether data is text and its words match the query.
func textMatches(data []byte, words []string) bool {
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return false
	}
	return wordsMatch(searchWords(string(data)), words)
}

// searchWords splits text into lower-cased words: runs of letters and
// digits. Dropbox matches every word of the query against the words of a
// name, the last one as a prefix ("bat c" matches "bat cave", not "batman car").
func searchWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// wordsMatch reports whether every query word is one of have, the last
// one possibly as a prefix.
func wordsMatch(have, query []string) bool {
	if len(query) == 0 {
		return false
	}
	set := make(map[string]bool, len(have))
	for _, w := range have {
		set[w] = true
	}
	for i, q := range query {
		if set[q] {
			continue
		}
		if i == len(query)-1 && slices.ContainsFunc(have, func(w string) bool { return strings.HasPrefix(w, q) }) {
			continue
		}
		return false
	}
	return true
}

// nameScore matches a name against the query: 0 for the whole name (or
// the name without its extension), 1 when every word matches whole, 2 with
// the last word as a prefix.
func nameScore(name, query string, words []string) (int, bool) {
	have := searchWords(name)
	if !wordsMatch(have, words) {
		return 0, false
	}
	lname, lq := strings.ToLower(name), strings.ToLower(strings.TrimSpace(query))
	base := lname
	if i := strings.LastIndexByte(lname, '.'); i > 0 {
		base = lname[:i]
	}
	if lname == lq || base == lq {
		return 0, true
	}
	for _, q := range words {
		if !slices.Contains(have, q) {
			return 2, true
		}
	}
	return 1, true
}

// highlightSpans splits name into runs, highlighting the parts that match
// a query word (a whole word, or the prefix the last query word matched).
func highlightSpans(name string, words []string, nameMatched bool) []highlightSpan {
	type span struct {
		text string
		hl   bool
	}
	var spans []span
	add := func(text string, hl bool) {
		if text == "" {
			return
		}
		if n := len(spans); n > 0 && spans[n-1].hl == hl {
			spans[n-1].text += text
			return
		}
		spans = append(spans, span{text, hl})
	}
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }
	rest := name
	for rest != "" {
		r, size := utf8.DecodeRuneInString(rest)
		if !isWord(r) || !nameMatched {
			add(rest[:size], false)
			rest = rest[size:]
			continue
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return !isWord(r) })
		if end < 0 {
			end = len(rest)
		}
		word := rest[:end]
		lw := strings.ToLower(word)
		switch {
		case slices.Contains(words, lw):
			add(word, true)
		case len(words) > 0 && strings.HasPrefix(lw, words[len(words)-1]) && len(lw) == len(word):
			k := len(words[len(words)-1])
			add(word[:k], true)
			add(word[k:], false)
		default:
			add(word, false)
		}
		rest = rest[end:]
	}
	out := make([]highlightSpan, 0, len(spans))
	for _, sp := range spans {
		out = append(out, highlightSpan{HighlightStr: sp.text, IsHighlighted: sp.hl})
	}
	return out
}
