package dropboxemu

import (
	"regexp"
	"slices"
	"strings"
)

func init() {
	register("files/tags/add", (*Server).tagsAdd)
	register("files/tags/remove", (*Server).tagsRemove)
	register("files/tags/get", (*Server).tagsGet)
}

// maxTagsPerItem is how many tags one file or folder may carry (the
// tags/add documentation).
const maxTagsPerItem = 20

type tagArg struct {
	Path    string `json:"path"`
	TagText string `json:"tag_text"`
}

// reTagText is TagText's pattern [\w]+ with Python's Unicode \w.
var reTagText = regexp.MustCompile(`\A[\p{L}\p{N}_]+\z`)

// tagText checks a TagText (String(min_length=1, max_length=32,
// pattern="[\w]+"), where \w is Python's Unicode word class: letters,
// numbers and "_") and returns it lower-cased, as Dropbox stores tags.
func (c *call) tagText(v string) (string, error) {
	if err := c.checkString("tag_text", v, 1, 32, `[\w]+`, reTagText); err != nil {
		return "", err
	}
	return strings.ToLower(v), nil
}

// tagTarget resolves a tag route's path to the item it names, or returns
// a LookupError value. The caller holds s.mu.
func (s *Server) tagTarget(c *call, p parsedPath) (*Namespace, *Entry, map[string]any) {
	t, lerr := s.resolve(c.acct, p)
	if lerr != nil {
		return nil, nil, lerr
	}
	if t.entry == nil {
		return nil, nil, lookupNotFound
	}
	return t.ns, t.entry, nil
}

// tagCall serves tags/add and tags/remove: it checks the argument, then
// changes the item's tags with change, which returns a route error value
// or the new tag list.
func (s *Server) tagCall(c *call, change func(tags []string, tag string) ([]string, map[string]any)) (any, error) {
	var arg tagArg
	if err := c.decode(&arg, "path", "tag_text"); err != nil {
		return nil, err
	}
	p, malformed, err := c.pathArg("path", arg.Path, "Path")
	if err != nil {
		return nil, err
	}
	tag, err := c.tagText(arg.TagText)
	if err != nil {
		return nil, err
	}
	if malformed != nil {
		return nil, routeError(uv("path", malformed))
	}
	return writeTx(s, c, func(t *tx) (any, error) {
		ns, e, lookup := s.tagTarget(c, p)
		if lookup != nil {
			return nil, routeError(uv("path", lookup))
		}
		// Tags are keyed by the item's id, so they follow it through moves.
		key := nsKey(ns.ID, e.ID)
		old := s.tags[key]
		tags, rerr := change(slices.Clone(old), tag)
		if rerr != nil {
			return nil, routeError(rerr)
		}
		switch {
		case slices.Equal(tags, old):
		case len(tags) == 0:
			delete(s.tags, key)
			t.del(tblTags, key)
		default:
			s.tags[key] = tags
			t.put(tblTags, key, tags)
		}
		return nil, nil
	})
}

func (s *Server) tagsAdd(c *call) (any, error) {
	return s.tagCall(c, func(tags []string, tag string) ([]string, map[string]any) {
		if slices.Contains(tags, tag) {
			return tags, nil
		}
		if len(tags) >= maxTagsPerItem {
			return nil, u("too_many_tags")
		}
		return append(tags, tag), nil
	})
}

func (s *Server) tagsRemove(c *call) (any, error) {
	return s.tagCall(c, func(tags []string, tag string) ([]string, map[string]any) {
		i := slices.Index(tags, tag)
		if i < 0 {
			return nil, u("tag_not_present")
		}
		return slices.Delete(tags, i, i+1), nil
	})
}

func (s *Server) tagsGet(c *call) (any, error) {
	var arg struct {
		Paths []string `json:"paths"`
	}
	if err := c.decode(&arg, "paths"); err != nil {
		return nil, err
	}
	parsed := make([]parsedPath, len(arg.Paths))
	var malformed map[string]any
	for i, raw := range arg.Paths {
		p, bad, err := c.pathArg("paths", raw, "Path")
		if err != nil {
			return nil, err
		}
		if bad != nil && malformed == nil {
			malformed = bad
		}
		parsed[i] = p
	}
	if malformed != nil {
		return nil, routeError(uv("path", malformed))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]any, 0, len(parsed))
	for i, p := range parsed {
		ns, e, lookup := s.tagTarget(c, p)
		if lookup != nil {
			return nil, routeError(uv("path", lookup))
		}
		tags := make([]any, 0)
		for _, tag := range s.tags[nsKey(ns.ID, e.ID)] {
			tags = append(tags, uf("user_generated_tag", map[string]any{"tag_text": tag}))
		}
		out = append(out, map[string]any{"path": arg.Paths[i], "tags": tags})
	}
	return map[string]any{"paths_to_tags": out}, nil
}
