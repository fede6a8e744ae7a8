package dropboxemu

import (
	"regexp"
	"slices"
	"strings"
)

// The path patterns of files.stone, by alias name.
var pathPatterns = map[string]string{
	"Path":          `/(.|[\r\n])*`,
	"PathOrId":      `/(.|[\r\n])*|id:.*|(ns:[0-9]+(/(.|[\r\n])*)?)`,
	"PathR":         `(/(.|[\r\n])*)?|(ns:[0-9]+(/(.|[\r\n])*)?)`,
	"PathROrId":     `(/(.|[\r\n])*)?|id:.*|(ns:[0-9]+(/(.|[\r\n])*)?)`,
	"ReadPath":      `(/(.|[\r\n])*|id:.*)|(rev:[0-9a-f]{9,})|(ns:[0-9]+(/(.|[\r\n])*)?)`,
	"WritePath":     `(/(.|[\r\n])*)|(ns:[0-9]+(/(.|[\r\n])*)?)`,
	"WritePathOrId": `(/(.|[\r\n])*)|(ns:[0-9]+(/(.|[\r\n])*)?)|(id:.*)`,
}

var pathRegexps = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for k, p := range pathPatterns {
		m[k] = regexp.MustCompile(`^(?:` + p + `)$`)
	}
	return m
}()

// pathArg checks value of field against the spec pattern named alias (a 400
// when it does not match, as Dropbox answers; "/" and a root the pattern
// refuses get Dropbox's own 400 texts) and parses it. A path that
// matches the pattern but is still malformed gives malformed, the LookupError
// or WriteError malformed_path union value for the route's error.
func (c *call) pathArg(field, value, alias string) (p parsedPath, malformed map[string]any, err error) {
	switch {
	case value == "/":
		// Dropbox answers "/" with a 400 of its own, whatever the route.
		return p, nil, c.badArg(`%s: Specify the root folder as an empty string rather than as "/".`, field)
	case value == "" && !pathRegexps[alias].MatchString(value):
		return p, nil, c.badArg("%s: The root folder is unsupported.", field)
	}
	if !pathRegexps[alias].MatchString(value) {
		return p, nil, c.badArg("%s: '%s' did not match pattern '%s'", field, value, pathPatterns[alias])
	}
	write := strings.HasPrefix(alias, "Write")
	p, perr := parsePath(value, write)
	if perr != nil {
		// Dropbox sends the member without a value (MalformedPathError is
		// an optional string it leaves out).
		return p, u("malformed_path"), nil
	}
	return p, nil, nil
}

// routePath checks and parses value, the argument field "path", as
// pathArg does, for a route whose error union carries a LookupError or
// WriteError as its member "path": a malformed path is the route error
// {".tag":"path","path":{".tag":"malformed_path"}}.
func (c *call) routePath(value, alias string) (parsedPath, error) {
	p, malformed, err := c.pathArg("path", value, alias)
	if err != nil {
		return parsedPath{}, err
	}
	if malformed != nil {
		return parsedPath{}, routeError(uv("path", malformed))
	}
	return p, nil
}

// decodePathArg decodes the argument of such a route, whose one required
// field is "path", into arg, then checks that path (path points at the
// field in arg) with routePath. It suits the routes that check nothing
// else of the argument before the path's malformed_path.
func (c *call) decodePathArg(arg any, path *string, alias string) (parsedPath, error) {
	if err := c.decode(arg, "path"); err != nil {
		return parsedPath{}, err
	}
	return c.routePath(*path, alias)
}

// target is a resolved path: the namespace, the path in it (lower-cased,
// "" for the root), its display form and the entry there, if any.
type target struct {
	ns      *Namespace
	lower   string
	display string
	entry   *Entry
}

// lookupFail values are LookupError members.
var (
	lookupNotFound  = u("not_found")
	lookupNotFile   = u("not_file")
	lookupNotFolder = u("not_folder")
)

// resolve finds p in acct's view. It returns a LookupError value when an id
// or namespace is unknown or when a folder on the way is a file; a missing
// final component is not an error (t.entry is nil). The caller holds s.mu.
func (s *Server) resolve(acct *Account, p parsedPath) (target, map[string]any) {
	ns := s.namespaces[acct.base()]
	base := target{ns: ns}
	switch p.Kind {
	case pathRoot:
		return base, nil
	case pathID:
		e := s.findByID(acct, p.Ref)
		if e == nil {
			return target{}, lookupNotFound
		}
		base = target{ns: s.namespaces[e.NS], lower: e.PathLower, display: e.PathDisplay, entry: e}
		if p.Rest == "" {
			return base, nil
		}
		if !e.Folder {
			return target{}, lookupNotFolder
		}
		if e.Mount != "" {
			// Below a mount point (a shared folder's, by its folder id) is
			// the mounted namespace.
			base = s.inside(base)
		}
	case pathNS:
		other := s.namespaces[p.Ref]
		if other == nil || !s.canSee(acct, other) {
			return target{}, lookupNotFound
		}
		base = target{ns: other}
		if p.Rest == "" {
			return base, nil
		}
	case pathRev:
		return target{}, lookupNotFound
	}
	rest := p.Rest
	if p.Kind == pathPlain {
		rest = p.Rest
	}
	// Walk the components, keeping the display case of existing folders.
	t := base
	comps := strings.Split(rest[1:], "/")
	for i, comp := range comps {
		lower := t.lower + "/" + lowerPath(comp)
		e := t.ns.byPath[lower]
		if e == nil {
			display := t.display + "/" + strings.Join(comps[i:], "/")
			lowerAll := t.lower + "/" + lowerPath(strings.Join(comps[i:], "/"))
			return target{ns: t.ns, lower: lowerAll, display: display}, nil
		}
		if e.Mount != "" && !mountVisible(e, acct) {
			// Another member's mount: not there for this account.
			display := t.display + "/" + strings.Join(comps[i:], "/")
			lowerAll := t.lower + "/" + lowerPath(strings.Join(comps[i:], "/"))
			return target{ns: t.ns, lower: lowerAll, display: display}, nil
		}
		if i < len(comps)-1 && !e.Folder {
			return target{}, lookupNotFolder
		}
		t = target{ns: t.ns, lower: e.PathLower, display: e.PathDisplay, entry: e}
		if i < len(comps)-1 && e.Mount != "" {
			// Go on inside the mounted namespace.
			inner := s.namespaces[e.Mount]
			if inner == nil {
				return target{}, lookupNotFound
			}
			t = target{ns: inner}
		}
	}
	return t, nil
}

// inside returns, for a target that is a mount point, the root of the
// namespace mounted there (what a listing or a write below it works in);
// any other target as it is. The caller holds s.mu.
func (s *Server) inside(t target) target {
	if t.entry != nil && t.entry.Mount != "" {
		if inner := s.namespaces[t.entry.Mount]; inner != nil {
			return target{ns: inner}
		}
	}
	return t
}

// resolveFolder resolves p to a folder or the root, as a listing or a
// search scope: a LookupError value when p names nothing (not_found) or a
// file (not_folder). The caller holds s.mu.
func (s *Server) resolveFolder(acct *Account, p parsedPath) (target, map[string]any) {
	t, lerr := s.resolve(acct, p)
	if lerr == nil {
		t = s.inside(t)
	}
	switch {
	case lerr != nil:
		return target{}, lerr
	case t.lower != "" && t.entry == nil:
		return target{}, lookupNotFound
	case t.entry != nil && !t.entry.Folder:
		return target{}, lookupNotFolder
	}
	return t, nil
}

// findByID finds a live entry by id in the namespaces acct can see,
// looking first where its paths start; another account's mount point is
// not there.
func (s *Server) findByID(acct *Account, id string) *Entry {
	for _, nsID := range s.visibleNamespaces(acct) {
		if ns := s.namespaces[nsID]; ns != nil {
			if e := ns.byID[id]; e != nil && entryVisible(e, acct) {
				return e
			}
		}
	}
	return nil
}

// canSee reports whether acct may address namespace ns: its home, its root,
// and what is mounted in them for it.
func (s *Server) canSee(acct *Account, ns *Namespace) bool {
	return slices.Contains(s.visibleNamespaces(acct), ns.ID)
}

// visibleNamespaces lists the namespaces acct can see: its base, home and
// root first, then what is mounted in them. The caller holds s.mu.
func (s *Server) visibleNamespaces(acct *Account) []string {
	out := []string{acct.base()}
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	add(acct.HomeNS)
	add(acct.RootNS)
	for _, base := range []string{acct.HomeNS, acct.RootNS} {
		if len(s.namespaces) == 0 {
			break
		}
		ids := make([]string, 0, 4)
		for id := range s.viewFrom(acct, base).at {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			add(id)
		}
	}
	return out
}

// existingAncestorFile returns the lowest existing ancestor of lower that is
// a file, or nil.
func existingAncestorFile(ns *Namespace, lower string) *Entry {
	for p := lower; ; {
		parent, _ := splitPath(p)
		if parent == "" {
			return nil
		}
		if e := ns.byPath[parent]; e != nil {
			if !e.Folder {
				return e
			}
			return nil
		}
		p = parent
	}
}

// Wire forms of metadata.

// fileMetadata, folderMetadata and deletedMetadata are the spec's
// FileMetadata, FolderMetadata and DeletedMetadata, fields in the spec's
// order (Metadata's first), as Dropbox writes them.
type fileMetadata struct {
	Tag                      string           `json:".tag,omitempty"`
	Name                     string           `json:"name"`
	PathLower                string           `json:"path_lower,omitempty"`
	PathDisplay              string           `json:"path_display,omitempty"`
	ParentSharedFolderID     string           `json:"parent_shared_folder_id,omitempty"` // deprecated, still sent
	ID                       string           `json:"id"`
	ClientModified           string           `json:"client_modified"`
	ServerModified           string           `json:"server_modified"`
	Rev                      string           `json:"rev"`
	Size                     int64            `json:"size"`
	SharingInfo              *fileSharingInfo `json:"sharing_info,omitempty"`
	IsDownloadable           bool             `json:"is_downloadable"`
	ExportInfo               *exportInfo      `json:"export_info,omitempty"`
	PropertyGroups           []map[string]any `json:"property_groups,omitempty"`
	HasExplicitSharedMembers *bool            `json:"has_explicit_shared_members,omitempty"`
	ContentHash              string           `json:"content_hash,omitempty"`
	IsRestorable             *bool            `json:"is_restorable,omitempty"`
}

type exportInfo struct {
	ExportAs      string   `json:"export_as,omitempty"`
	ExportOptions []string `json:"export_options,omitempty"`
}

type folderMetadata struct {
	Tag                  string             `json:".tag,omitempty"`
	Name                 string             `json:"name"`
	PathLower            string             `json:"path_lower,omitempty"`
	PathDisplay          string             `json:"path_display,omitempty"`
	ParentSharedFolderID string             `json:"parent_shared_folder_id,omitempty"` // deprecated, still sent
	ID                   string             `json:"id"`
	SharedFolderID       string             `json:"shared_folder_id,omitempty"` // deprecated, still sent
	SharingInfo          *folderSharingInfo `json:"sharing_info,omitempty"`
	PropertyGroups       []map[string]any   `json:"property_groups,omitempty"`
}

// fileSharingInfo and folderSharingInfo are the spec's FileSharingInfo and
// FolderSharingInfo, in their field order.
type fileSharingInfo struct {
	ReadOnly             bool   `json:"read_only"`
	ParentSharedFolderID string `json:"parent_shared_folder_id"`
	ModifiedBy           string `json:"modified_by,omitempty"`
}

type folderSharingInfo struct {
	ReadOnly             bool   `json:"read_only"`
	ParentSharedFolderID string `json:"parent_shared_folder_id,omitempty"`
	SharedFolderID       string `json:"shared_folder_id,omitempty"`
	TraverseOnly         bool   `json:"traverse_only"`
	NoAccess             bool   `json:"no_access"`
}

type deletedMetadata struct {
	Tag          string `json:".tag"`
	Name         string `json:"name"`
	PathLower    string `json:"path_lower,omitempty"`
	PathDisplay  string `json:"path_display,omitempty"`
	IsRestorable *bool  `json:"is_restorable,omitempty"`
}

// isPaper reports whether a file is a Paper document, which Dropbox does
// not let you download, only export.
func isPaper(lower string) bool { return strings.HasSuffix(lower, ".paper") }

// metadata renders e as a Metadata union value (file or folder).
func metadata(e *Entry) any {
	if e.Folder {
		return folderMeta(e, "folder")
	}
	return fileMeta(e)
}

// folderMeta renders a folder as FolderMetadata with the given ".tag" (""
// where the spec's type is the struct itself), with the sharing info place
// attached to it.
func folderMeta(e *Entry, tag string) *folderMetadata {
	m := &folderMetadata{Tag: tag, Name: e.Name(), PathLower: e.PathLower, PathDisplay: e.PathDisplay, ID: e.ID}
	if si := sharingOf(e); si != nil {
		m.ParentSharedFolderID, m.SharedFolderID = si.parent, si.sharedFolderID
		m.SharingInfo = &folderSharingInfo{ReadOnly: si.readOnly, ParentSharedFolderID: si.parent, SharedFolderID: si.sharedFolderID}
	}
	return m
}

// metadataResultV2 answers a _v2 route whose result holds the Metadata of
// e under "metadata" (RelocationResult, DeleteResult), or passes err on.
func metadataResultV2(e *Entry, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"metadata": metadata(e)}, nil
}

// metadataResultV1 answers the deprecated version of such a route, whose
// result is the Metadata of e itself, or passes err on.
func metadataResultV1(e *Entry, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return metadata(e), nil
}

// fileMeta renders a file as FileMetadata (with its ".tag").
func fileMeta(e *Entry) *fileMetadata {
	m := &fileMetadata{Tag: "file", Name: e.Name(), PathLower: e.PathLower, PathDisplay: e.PathDisplay,
		ID: e.ID, ClientModified: dropboxTime(e.ClientModified), ServerModified: dropboxTime(e.ServerModified),
		Rev: e.Rev, Size: e.Size, IsDownloadable: true, ContentHash: e.ContentHash}
	if isPaper(e.PathLower) {
		m.IsDownloadable = false
		m.ExportInfo = &exportInfo{ExportAs: "markdown", ExportOptions: []string{"markdown", "html"}}
	}
	if si := sharingOf(e); si != nil {
		m.ParentSharedFolderID = si.parent
		m.SharingInfo = &fileSharingInfo{ReadOnly: si.readOnly, ParentSharedFolderID: si.parent, ModifiedBy: si.modifiedBy}
	}
	return m
}

// fileMetaNoTag renders FileMetadata where the spec's type is the struct
// itself (upload results), not the Metadata union: no ".tag".
func fileMetaNoTag(e *Entry) any {
	m := fileMeta(e)
	m.Tag = ""
	return m
}

// folderMetaNoTag renders FolderMetadata as a plain struct (no ".tag").
func folderMetaNoTag(e *Entry) any { return folderMeta(e, "") }

func deletedMeta(lower, display string) *deletedMetadata {
	_, name := splitPath(display)
	return &deletedMetadata{Tag: "deleted", Name: name, PathLower: lower, PathDisplay: display}
}
