package dropboxemu

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// pathKind says how a path argument names its target.
type pathKind int

const (
	pathRoot  pathKind = iota // "" (the root)
	pathPlain                 // "/a/b"
	pathID                    // "id:abc" or "id:abc/rest"
	pathNS                    // "ns:123" or "ns:123/rest"
	pathRev                   // "rev:abc" (download only)
)

// parsedPath is a syntactically valid path argument.
type parsedPath struct {
	Kind pathKind
	Ref  string // the id ("id:abc"), namespace id ("123") or rev
	Rest string // display form below Ref, "" or "/x/y"
}

// reRev is the character set of a Rev (files.stone: at least 9 of them).
var reRev = regexp.MustCompile(`^[0-9a-f]+$`)

// pathError says why a path is malformed. Dropbox's malformed_path errors
// carry no reason, so it stays on this side of the wire.
type pathError struct{ reason string }

func (e *pathError) Error() string { return e.reason }

// parsePath validates a path argument. write selects the WritePath pattern,
// which does not accept the root.
func parsePath(p string, write bool) (parsedPath, error) {
	if !utf8.ValidString(p) {
		return parsedPath{}, &pathError{"path is not valid UTF-8"}
	}
	switch {
	case p == "":
		if write {
			return parsedPath{}, &pathError{"the root folder cannot be written"}
		}
		return parsedPath{Kind: pathRoot}, nil
	case strings.HasPrefix(p, "id:"):
		ref, rest, slash := strings.Cut(p, "/")
		if len(ref) <= len("id:") {
			return parsedPath{}, &pathError{"empty id"}
		}
		return refPath(pathID, ref, rest, slash)
	case strings.HasPrefix(p, "ns:"):
		ref, rest, slash := strings.Cut(p[3:], "/")
		if ref == "" || strings.Trim(ref, "0123456789") != "" {
			return parsedPath{}, &pathError{"bad namespace id"}
		}
		return refPath(pathNS, ref, rest, slash)
	case strings.HasPrefix(p, "rev:"):
		if write || !reRev.MatchString(p[4:]) {
			return parsedPath{}, &pathError{"bad rev"}
		}
		return parsedPath{Kind: pathRev, Ref: p[4:]}, nil
	case p[0] == '/':
		if p == "/" {
			// Dropbox wants "" for the root; "/" is a malformed path.
			return parsedPath{}, &pathError{`use "" for the root folder, not "/"`}
		}
		if err := checkComponents(p); err != nil {
			return parsedPath{}, err
		}
		return parsedPath{Kind: pathPlain, Rest: p}, nil
	}
	return parsedPath{}, &pathError{"path must start with \"/\", \"id:\" or \"ns:\""}
}

// refPath is a path of kind pathID or pathNS: ref, and rest, what stood
// after the slash that ends ref, if there was one (slash).
func refPath(kind pathKind, ref, rest string, slash bool) (parsedPath, error) {
	if slash {
		// "id:abc/" keeps its trailing slash, which checkComponents refuses.
		rest = "/" + rest
	}
	if err := checkComponents(rest); err != nil {
		return parsedPath{}, err
	}
	return parsedPath{Kind: kind, Ref: ref, Rest: rest}, nil
}

// checkComponents rejects the path shapes Dropbox refuses: empty components
// ("//", a trailing slash), "." and "..", and control characters.
func checkComponents(p string) error {
	if p == "" {
		return nil
	}
	if strings.HasSuffix(p, "/") {
		return &pathError{"trailing slash"}
	}
	for _, c := range strings.Split(p[1:], "/") {
		if c == "" {
			return &pathError{"empty path component"}
		}
		if c == "." || c == ".." {
			return &pathError{`path components "." and ".." are not allowed`}
		}
		if strings.TrimRight(c, " ") != c {
			return &pathError{"a path component may not end with a space"}
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff {
				return &pathError{"path contains a control character"}
			}
		}
	}
	return nil
}

// lowerPath is the case-folded key of a display path.
func lowerPath(p string) string { return strings.ToLower(p) }

// splitPath returns the parent ("" for top level) and the last component.
func splitPath(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// isWithin reports whether p is root or below it (both lower-cased).
func isWithin(p, root string) bool {
	if root == "" {
		return true
	}
	return p == root || (len(p) > len(root) && p[len(root)] == '/' && p[:len(root)] == root)
}

// disallowedName reports names Dropbox refuses to store (WriteError.disallowed_name).
func disallowedName(name string) bool {
	switch strings.ToLower(name) {
	case "desktop.ini", "thumbs.db", ".ds_store", "icon\r", ".dropbox", ".dropbox.attr":
		return true
	}
	return false
}
