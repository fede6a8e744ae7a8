package dropboxemu

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// Shared links: sharing/create_shared_link_with_settings, list_shared_links,
// modify_shared_link_settings, revoke_shared_link, get_shared_link_metadata
// and get_shared_link_file. The links themselves are served over HTTP by
// sharing_links_serve.go.

func init() {
	register("sharing/create_shared_link_with_settings", (*Server).createSharedLink)
	register("sharing/list_shared_links", (*Server).listSharedLinks)
	register("sharing/modify_shared_link_settings", (*Server).modifySharedLink)
	register("sharing/revoke_shared_link", (*Server).revokeSharedLink)
	register("sharing/get_shared_link_metadata", (*Server).getSharedLinkMetadata)
	register("sharing/get_shared_link_file", (*Server).getSharedLinkFile)
}

// tblSharedLink holds the shared links, keyed by link id.
const tblSharedLink = "sharedlink"

// sharedLinksPage is how many links one list_shared_links page holds.
const sharedLinksPage = 200

// sharedLink is a shared link. It names its target by id, so it follows
// the file or folder across moves and renames, and stops working (without
// being forgotten: a restore brings it back) while the target is deleted.
type sharedLink struct {
	ID        string `json:"id"`                 // the link id of the URL: /scl/fi/{id}/...
	Key       string `json:"rlkey"`              // the URL's rlkey parameter
	Secure    string `json:"secure,omitempty"`   // folder links: the URL component after the id
	URLName   string `json:"url_name,omitempty"` // file links: the name in the URL, as it was when the link was made
	AccountID string `json:"account_id"`         // the owner
	NS        string `json:"ns"`
	Target    string `json:"target"` // id of the file or folder
	Folder    bool   `json:"folder,omitempty"`
	Audience  string `json:"audience"` // public, team, no_one or members
	Access    string `json:"access"`   // viewer or editor
	// The password is kept salted and hashed: it is a secret.
	PasswordSalt string    `json:"password_salt,omitempty"`
	PasswordHash string    `json:"password_hash,omitempty"` // "" without a password
	Expires      time.Time `json:"expires,omitzero"`
	NoDownload   bool      `json:"no_download,omitempty"`
	Created      time.Time `json:"created"`
}

func (l *sharedLink) hasPassword() bool { return l.PasswordHash != "" }

func (l *sharedLink) expired(now time.Time) bool {
	return !l.Expires.IsZero() && !now.Before(l.Expires)
}

// passwordOK reports whether pw is the link's password.
func (l *sharedLink) passwordOK(pw string) bool {
	return l.hasPassword() && subtle.ConstantTimeCompare([]byte(hashLinkPassword(l.PasswordSalt, pw)), []byte(l.PasswordHash)) == 1
}

func (l *sharedLink) setPassword(pw string) {
	l.PasswordSalt = randomString(12)
	l.PasswordHash = hashLinkPassword(l.PasswordSalt, pw)
}

func hashLinkPassword(salt, pw string) string {
	h := sha256.Sum256([]byte(salt + "\x00" + pw))
	return hex.EncodeToString(h[:])
}

// kind is the URL's link kind: fi (file) or fo (folder).
func (l *sharedLink) kind() string {
	if l.Folder {
		return "fo"
	}
	return "fi"
}

// urlPath is the path of the link's URL (and of anything below a folder
// link: rel is a path below the folder, "" or "/a/b"), with its query.
func (l *sharedLink) urlPath(rel string, dl string) string {
	var sb strings.Builder
	sb.WriteString("/scl/" + l.kind() + "/" + l.ID + "/")
	if l.Folder {
		sb.WriteString(l.Secure)
		for _, c := range strings.Split(strings.TrimPrefix(rel, "/"), "/") {
			if c != "" {
				sb.WriteString("/" + url.PathEscape(c))
			}
		}
	} else {
		sb.WriteString(url.PathEscape(l.URLName))
	}
	sb.WriteString("?rlkey=" + url.QueryEscape(l.Key) + "&dl=" + dl)
	return sb.String()
}

// randomBase36 returns n random characters of [0-9a-z], the alphabet of
// Dropbox's link ids and rlkeys.
func randomBase36(n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newSharedLink makes a public viewer link to e owned by acct, with the
// shapes of Dropbox's ids: /scl/fi/{21}/{name}?rlkey={25} and
// /scl/fo/{21}/{A + 22}?rlkey={25}.
func (s *Server) newSharedLink(acct *Account, e *Entry) *sharedLink {
	l := &sharedLink{ID: randomBase36(21), Key: randomBase36(25), AccountID: acct.ID, NS: e.NS, Target: e.ID,
		Folder: e.Folder, Audience: "public", Access: "viewer", Created: s.clock.Now()}
	if e.Folder {
		l.Secure = "A" + randomString(17)[:22]
	} else {
		l.URLName = e.Name()
	}
	return l
}

// linkTarget returns the entry l points at, or nil when it is deleted.
// The caller holds s.mu.
func (s *Server) linkTarget(l *sharedLink) *Entry {
	ns := s.namespaces[l.NS]
	if ns == nil {
		return nil
	}
	e := ns.byID[l.Target]
	if e == nil || e.Folder != l.Folder {
		return nil
	}
	return e
}

// Link lookups by URL.

type linkFind int

const (
	linkFound linkFind = iota
	linkMalformed
	linkNotFound
)

// findLink finds the link a shared link URL names, on any host. It tells a
// URL that is no shared link at all (malformed) from one that names no
// live link. The caller holds s.mu.
func (s *Server) findLink(raw string) (*sharedLink, *Entry, linkFind) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Path == "" {
		return nil, nil, linkMalformed
	}
	comps := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	var kind, id, secure string
	switch {
	case len(comps) >= 4 && comps[0] == "scl" && (comps[1] == "fi" || comps[1] == "fo") && comps[2] != "" && comps[3] != "":
		kind, id, secure = comps[1], comps[2], comps[3]
	case len(comps) >= 3 && (comps[0] == "s" || comps[0] == "sh") && comps[1] != "" && comps[2] != "":
		// Dropbox's older link shapes: well-formed, but the emulator
		// never makes them.
		return nil, nil, linkNotFound
	default:
		return nil, nil, linkMalformed
	}
	l := s.sharedLinks[id]
	if l == nil || l.kind() != kind || subtle.ConstantTimeCompare([]byte(u.Query().Get("rlkey")), []byte(l.Key)) != 1 ||
		(l.Folder && secure != l.Secure) {
		return nil, nil, linkNotFound
	}
	e := s.linkTarget(l)
	if e == nil {
		return nil, nil, linkNotFound
	}
	return l, e, linkFound
}

// Wire forms.

// linkMetadata is the spec's SharedLinkMetadata, fields in the spec's
// order (preview_type and created_timestamp are in Dropbox's newer spec,
// and in its answers, after content_owner_team_info).
type linkMetadata struct {
	Tag                  string           `json:".tag"`
	URL                  string           `json:"url"`
	ID                   string           `json:"id,omitempty"`
	Name                 string           `json:"name"`
	Expires              string           `json:"expires,omitempty"`
	PathLower            string           `json:"path_lower,omitempty"`
	LinkPermissions      *linkPermissions `json:"link_permissions"`
	TeamMemberInfo       any              `json:"team_member_info,omitempty"`
	ContentOwnerTeamInfo any              `json:"content_owner_team_info,omitempty"`
	PreviewType          string           `json:"preview_type,omitempty"`
	CreatedTimestamp     string           `json:"created_timestamp,omitempty"`
}

// linkTeamMemberInfo is the spec's sharing.TeamMemberInfo, in its field order.
type linkTeamMemberInfo struct {
	TeamInfo    ownerTeam `json:"team_info"`
	DisplayName string    `json:"display_name"`
	MemberID    string    `json:"member_id,omitempty"`
}

// fileLinkMetadata is the spec's FileLinkMetadata.
type fileLinkMetadata struct {
	linkMetadata
	ClientModified string `json:"client_modified"`
	ServerModified string `json:"server_modified"`
	Rev            string `json:"rev"`
	Size           int64  `json:"size"`
}

// linkPermissions is the spec's LinkPermissions, as Dropbox fills it for
// accounts outside teams.
type linkPermissions struct {
	ResolvedVisibility            map[string]any     `json:"resolved_visibility,omitempty"`
	RequestedVisibility           map[string]any     `json:"requested_visibility,omitempty"`
	CanRevoke                     bool               `json:"can_revoke"`
	RevokeFailureReason           map[string]any     `json:"revoke_failure_reason,omitempty"`
	VisibilityPolicies            []visibilityPolicy `json:"visibility_policies"`
	CanSetExpiry                  bool               `json:"can_set_expiry"`
	CanRemoveExpiry               bool               `json:"can_remove_expiry"`
	AllowDownload                 bool               `json:"allow_download"`
	CanAllowDownload              bool               `json:"can_allow_download"`
	CanDisallowDownload           bool               `json:"can_disallow_download"`
	AllowComments                 bool               `json:"allow_comments"`
	TeamRestrictsComments         bool               `json:"team_restricts_comments"`
	AudienceOptions               []audienceOption   `json:"audience_options"`
	CanSetPassword                bool               `json:"can_set_password"`
	CanRemovePassword             bool               `json:"can_remove_password"`
	RequirePassword               bool               `json:"require_password"`
	CanUseExtendedSharingControls bool               `json:"can_use_extended_sharing_controls"`
}

// visibilityPolicy is the spec's VisibilityPolicy.
type visibilityPolicy struct {
	Policy           map[string]any `json:"policy"`
	ResolvedPolicy   map[string]any `json:"resolved_policy"`
	Allowed          bool           `json:"allowed"`
	DisallowedReason map[string]any `json:"disallowed_reason,omitempty"`
}

// audienceOption is the spec's LinkAudienceOption.
type audienceOption struct {
	Audience         map[string]any `json:"audience"`
	Allowed          bool           `json:"allowed"`
	DisallowedReason map[string]any `json:"disallowed_reason,omitempty"`
}

// resolvedVisibility is the link's ResolvedVisibility.
func (l *sharedLink) resolvedVisibility() string {
	switch {
	case l.hasPassword() && l.Audience == "team":
		return "team_and_password"
	case l.hasPassword():
		return "password"
	case l.Audience == "team":
		return "team_only"
	case l.Audience == "no_one":
		return "no_one"
	case l.Audience == "members":
		return "shared_folder_only"
	}
	return "public"
}

// requestedVisibility is the link's RequestedVisibility, "" when the
// audience has none (no_one, members).
func (l *sharedLink) requestedVisibility() string {
	switch {
	case l.hasPassword():
		return "password"
	case l.Audience == "team":
		return "team_only"
	case l.Audience == "public":
		return "public"
	}
	return ""
}

// linkPerms renders l's permissions as viewer (nil: app authentication)
// sees them. What an account may set depends on its plan: Basic accounts
// get public links without expiry, password or download restrictions,
// team audiences need a team, as Dropbox answers.
func (s *Server) linkPerms(l *sharedLink, viewer *Account) *linkPermissions {
	owner := viewer != nil && viewer.ID == l.AccountID
	paid := viewer != nil && viewer.AccountType != "basic"
	onTeam := viewer != nil && viewer.TeamID != ""
	p := &linkPermissions{
		ResolvedVisibility: u(l.resolvedVisibility()),
		CanRevoke:          owner,
		AllowDownload:      !l.NoDownload,
		AllowComments:      true,
		RequirePassword:    l.hasPassword(),
	}
	allowed := func(ok bool, reason string) (bool, map[string]any) {
		if ok {
			return true, nil
		}
		return false, u(reason)
	}
	teamOK, teamWhy := allowed(onTeam, "user_not_on_team")
	pwOK, pwWhy := allowed(paid, "user_account_type")
	p.VisibilityPolicies = []visibilityPolicy{
		{Policy: u("public"), ResolvedPolicy: u("public"), Allowed: true},
		{Policy: u("team_only"), ResolvedPolicy: u("team_only"), Allowed: teamOK, DisallowedReason: teamWhy},
		{Policy: u("password"), ResolvedPolicy: u("password"), Allowed: pwOK, DisallowedReason: pwWhy},
	}
	p.AudienceOptions = []audienceOption{
		{Audience: u("public"), Allowed: true},
		{Audience: u("team"), Allowed: teamOK, DisallowedReason: teamWhy},
		{Audience: u("no_one"), Allowed: true},
	}
	if owner {
		if rv := l.requestedVisibility(); rv != "" {
			p.RequestedVisibility = u(rv)
		}
		p.CanSetExpiry = paid
		p.CanRemoveExpiry = true
		p.CanAllowDownload = true
		p.CanDisallowDownload = paid
		p.CanSetPassword = paid
		p.CanRemovePassword = true
		p.CanUseExtendedSharingControls = paid
	} else {
		p.RevokeFailureReason = u("owner_only")
	}
	return p
}

// previewTypes are the preview_type values Dropbox gives by extension; a
// file it cannot preview has none.
var previewTypes = map[string]string{
	".txt": "text", ".md": "text", ".csv": "text", ".log": "text", ".json": "text", ".xml": "text",
	".doc": "doc", ".docx": "doc", ".xls": "doc", ".xlsx": "doc", ".ppt": "doc", ".pptx": "doc",
	".odt": "doc", ".ods": "doc", ".odp": "doc", ".rtf": "doc",
	".pdf": "pdf",
	".jpg": "photo", ".jpeg": "photo", ".png": "photo", ".gif": "photo", ".bmp": "photo",
	".tif": "photo", ".tiff": "photo", ".heic": "photo", ".webp": "photo",
	".mp4": "video", ".mov": "video", ".avi": "video", ".mkv": "video", ".webm": "video",
	".mp3": "audio", ".wav": "audio", ".m4a": "audio", ".aac": "audio", ".flac": "audio", ".ogg": "audio",
	".paper": "paper",
}

// linkMeta renders the SharedLinkMetadata of l for viewer (nil: app
// authentication), describing e: the link's target, or an entry below a
// folder link. path_lower is the owner's only. The caller holds s.mu.
func (s *Server) linkMeta(base string, l *sharedLink, e *Entry, viewer *Account) any {
	m := linkMetadata{Tag: "folder", URL: base + l.urlPath("", "0"), ID: e.ID, Name: e.Name(),
		LinkPermissions: s.linkPerms(l, viewer), CreatedTimestamp: dropboxTime(l.Created)}
	if !l.Expires.IsZero() {
		m.Expires = dropboxTime(l.Expires)
	}
	if viewer != nil && viewer.ID == l.AccountID {
		m.PathLower = s.viewFrom(viewer, viewer.HomeNS).place(e).PathLower
	}
	// "only present if the link's owner is a team member"; member_id only
	// for a viewer on the same team.
	if tm, mem := s.teamOf(s.accounts[l.AccountID]); mem != nil {
		info := linkTeamMemberInfo{TeamInfo: ownerTeam{ID: tm.ID, Name: tm.Name}, DisplayName: s.accounts[l.AccountID].DisplayName}
		if viewer != nil && viewer.TeamID == tm.ID {
			info.MemberID = mem.MemberID
		}
		m.TeamMemberInfo = info
	}
	if e.Folder {
		return m
	}
	m.Tag = "file"
	m.PreviewType = previewTypes[strings.ToLower(path.Ext(e.Name()))]
	return fileLinkMetadata{linkMetadata: m, ClientModified: dropboxTime(e.ClientModified),
		ServerModified: dropboxTime(e.ServerModified), Rev: e.Rev, Size: e.Size}
}

// Arguments.

// linkSettingsArg is the spec's SharedLinkSettings.
type linkSettingsArg struct {
	RequirePassword     *bool   `json:"require_password,omitempty"`
	LinkPassword        *string `json:"link_password,omitempty"`
	Expires             *string `json:"expires,omitempty"`
	Audience            *Tag    `json:"audience,omitempty" union:"public team no_one password members"`
	Access              *Tag    `json:"access,omitempty" union:"viewer editor max default"`
	RequestedVisibility *Tag    `json:"requested_visibility,omitempty" union:"public team_only password"`
	AllowDownload       *bool   `json:"allow_download,omitempty"`
}

// empty reports whether no setting is given.
func (a *linkSettingsArg) empty() bool {
	return a == nil || *a == linkSettingsArg{}
}

// parsedLinkSettings are settings checked for their syntax (the 400s).
type parsedLinkSettings struct {
	linkSettingsArg
	expires time.Time
}

// parseLinkSettings checks the values of settings (field is its argument
// name) that Stone's validators check.
func (c *call) parseLinkSettings(field string, a *linkSettingsArg) (*parsedLinkSettings, error) {
	ps := &parsedLinkSettings{}
	if a == nil {
		return ps, nil
	}
	ps.linkSettingsArg = *a
	if a.Expires != nil {
		t, err := c.checkTimestamp(field+".expires", *a.Expires)
		if err != nil {
			return nil, err
		}
		ps.expires = t
	}
	return ps, nil
}

// applyLinkSettings applies settings to l as acct, the owner, asks:
// it returns a SharedLinkSettingsError value when the plan does not allow
// them (not_authorized) or they make no sense (invalid_settings), and then
// l may be half changed: callers apply to a copy.
func (s *Server) applyLinkSettings(acct *Account, l *sharedLink, st *parsedLinkSettings, removeExpiration, modify bool) map[string]any {
	paid := acct.AccountType != "basic"
	onTeam := acct.TeamID != ""
	notAuthorized, invalid := u("not_authorized"), u("invalid_settings")
	if modify && st.empty() && !removeExpiration {
		return invalid
	}
	// What the settings ask of the password: off, on (keep the one there
	// is or take the new one), or untouched.
	const (
		pwKeep = iota
		pwOn
		pwOff
	)
	pw := pwKeep
	if rv := st.RequestedVisibility; rv != nil {
		switch rv.Name {
		case "public":
			l.Audience, pw = "public", pwOff
		case "team_only":
			if !onTeam {
				return notAuthorized
			}
			l.Audience, pw = "team", pwOff
		case "password":
			if !paid {
				return notAuthorized
			}
			l.Audience, pw = "public", pwOn
		}
	}
	if a := st.Audience; a != nil {
		switch a.Name {
		case "team":
			if !onTeam {
				return notAuthorized
			}
			l.Audience = "team"
		case "password": // deprecated: a public link with a password
			if !paid {
				return notAuthorized
			}
			l.Audience, pw = "public", pwOn
		default:
			l.Audience = a.Name
		}
	}
	if rp := st.RequirePassword; rp != nil {
		if *rp {
			if !paid {
				return notAuthorized
			}
			pw = pwOn
		} else {
			pw = pwOff
		}
	}
	if lp := st.LinkPassword; lp != nil && pw != pwOff {
		if !paid {
			return notAuthorized
		}
		if *lp == "" {
			return invalid
		}
		if !l.passwordOK(*lp) { // the same password keeps its hash, so settings compare equal
			l.setPassword(*lp)
		}
	} else if pw == pwOn && !l.hasPassword() {
		return invalid // a password is asked for but none is given
	}
	if pw == pwOff {
		l.PasswordSalt, l.PasswordHash = "", ""
	}
	if st.Expires != nil {
		if !paid {
			return notAuthorized
		}
		if removeExpiration {
			return invalid
		}
		if !st.expires.After(s.clock.Now()) {
			return invalid
		}
		l.Expires = st.expires
	}
	if removeExpiration {
		l.Expires = time.Time{}
	}
	if a := st.Access; a != nil {
		access := "viewer"
		if a.Name == "editor" || a.Name == "max" {
			access = "editor"
		}
		if modify && access != l.Access {
			return invalid // the spec: the access level of a link cannot change
		}
		l.Access = access
	}
	if ad := st.AllowDownload; ad != nil {
		if !*ad && !paid {
			return notAuthorized
		}
		l.NoDownload = !*ad
	}
	return nil
}

// sameLinkSettings reports whether a and b grant the same access.
func sameLinkSettings(a, b *sharedLink) bool {
	return a.Audience == b.Audience && a.Access == b.Access && a.NoDownload == b.NoDownload &&
		a.Expires.Equal(b.Expires) && a.PasswordHash == b.PasswordHash
}

// lookupLinkTarget resolves a ReadPath argument to a live file or folder,
// or returns a LookupError value. The caller holds s.mu.
func (s *Server) lookupLinkTarget(acct *Account, p parsedPath) (*Namespace, *Entry, map[string]any) {
	if p.Kind == pathRev {
		old := s.revs[p.Ref]
		if old == nil || old.Deleted || !s.canSee(acct, s.namespaces[old.NS]) {
			return nil, nil, lookupNotFound
		}
		ns := s.namespaces[old.NS]
		e := ns.byID[old.ID]
		if e == nil {
			return nil, nil, lookupNotFound
		}
		return ns, e, nil
	}
	t, lerr := s.resolve(acct, p)
	if lerr != nil {
		return nil, nil, lerr
	}
	if t.entry == nil {
		return nil, nil, lookupNotFound
	}
	return t.ns, t.entry, nil
}

// ownLinkTo finds acct's link to the entry id in ns, if any. The caller
// holds s.mu.
func (s *Server) ownLinkTo(acct *Account, ns, id string) *sharedLink {
	for _, l := range s.sharedLinks {
		if l.AccountID == acct.ID && l.NS == ns && l.Target == id {
			return l
		}
	}
	return nil
}

// Routes.

func (s *Server) createSharedLink(c *call) (any, error) {
	var arg struct {
		Path     string           `json:"path"`
		Settings *linkSettingsArg `json:"settings,omitempty"`
	}
	if err := c.decode(&arg, "path"); err != nil {
		return nil, err
	}
	p, err := c.routePath(arg.Path, "ReadPath")
	if err != nil {
		return nil, err
	}
	st, err := c.parseLinkSettings("settings", arg.Settings)
	if err != nil {
		return nil, err
	}
	base := s.baseURL(c.r)
	return lockedTx(s, func(t *tx) (any, error) {
		ns, e, lerr := s.lookupLinkTarget(c.acct, p)
		if lerr != nil {
			return nil, routeError(uv("path", lerr))
		}
		existing := s.ownLinkTo(c.acct, ns.ID, e.ID)
		var l *sharedLink
		if existing != nil {
			cp := *existing
			l = &cp
		} else {
			l = s.newSharedLink(c.acct, e)
		}
		if serr := s.applyLinkSettings(c.acct, l, st, false, false); serr != nil {
			return nil, routeError(uv("settings_error", serr))
		}
		if existing != nil {
			// One link per path: the existing one comes with the error
			// unless the settings asked for differ from its own.
			if !st.empty() && !sameLinkSettings(l, existing) {
				return nil, routeError(u("shared_link_already_exists"))
			}
			return nil, routeError(uv("shared_link_already_exists", uv("metadata", s.linkMeta(base, existing, e, c.acct))))
		}
		s.sharedLinks[l.ID] = l
		t.put(tblSharedLink, l.ID, l)
		return s.linkMeta(base, l, e, c.acct), nil
	})
}

// linksCursor is what a list_shared_links cursor holds: the owner and the
// last link returned, in (created, id) order.
type linksCursor struct {
	Account string `json:"a"`
	Created int64  `json:"t"`
	ID      string `json:"i"`
}

const linksCursorPrefix = "AAS"

type listSharedLinksResult struct {
	Links   []any  `json:"links"`
	HasMore bool   `json:"has_more"`
	Cursor  string `json:"cursor,omitempty"`
}

func (s *Server) listSharedLinks(c *call) (any, error) {
	var arg struct {
		Path       *string `json:"path,omitempty"`
		Cursor     *string `json:"cursor,omitempty"`
		DirectOnly *bool   `json:"direct_only,omitempty"`
	}
	if err := c.decode(&arg); err != nil {
		return nil, err
	}
	var after *linksCursor
	if arg.Cursor != nil {
		var cur linksCursor
		if !decodeCursorToken(linksCursorPrefix, *arg.Cursor, &cur) || cur.Account == "" {
			return nil, badInput(c.route, `Invalid "cursor" parameter: %q`, *arg.Cursor)
		}
		if cur.Account != c.acct.ID {
			return nil, badInput(c.route, `Invalid "cursor" parameter: the cursor belongs to another account`)
		}
		after = &cur
	}
	var p *parsedPath
	if arg.Path != nil && after == nil {
		pp, err := c.routePath(*arg.Path, "ReadPath")
		if err != nil {
			return nil, err
		}
		p = &pp
	}
	base := s.baseURL(c.r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	res := listSharedLinksResult{Links: []any{}}
	if p != nil {
		// The links that give access to the path: its own, then those of
		// the folders above it, nearest first.
		ns, e, lerr := s.lookupLinkTarget(c.acct, *p)
		if lerr != nil {
			return nil, routeError(uv("path", lerr))
		}
		targets := []string{e.ID}
		if arg.DirectOnly == nil || !*arg.DirectOnly {
			for dir, _ := splitPath(e.PathLower); dir != ""; dir, _ = splitPath(dir) {
				if f := ns.byPath[dir]; f != nil {
					targets = append(targets, f.ID)
				}
			}
		}
		for _, id := range targets {
			var found []*sharedLink
			for _, l := range s.sharedLinks {
				if l.AccountID == c.acct.ID && l.NS == ns.ID && l.Target == id && s.linkTarget(l) != nil {
					found = append(found, l)
				}
			}
			sortLinks(found)
			for _, l := range found {
				res.Links = append(res.Links, s.linkMeta(base, l, s.linkTarget(l), c.acct))
			}
		}
		return res, nil
	}
	var all []*sharedLink
	for _, l := range s.sharedLinks {
		if l.AccountID != c.acct.ID || s.linkTarget(l) == nil {
			continue
		}
		if after != nil && cmpLink(l, after.Created, after.ID) <= 0 {
			continue
		}
		all = append(all, l)
	}
	sortLinks(all)
	if len(all) > sharedLinksPage {
		all, res.HasMore = all[:sharedLinksPage], true
	}
	for _, l := range all {
		res.Links = append(res.Links, s.linkMeta(base, l, s.linkTarget(l), c.acct))
	}
	next := linksCursor{Account: c.acct.ID}
	if after != nil {
		next = *after
	}
	if len(all) > 0 {
		last := all[len(all)-1]
		next.Created, next.ID = last.Created.UnixNano(), last.ID
	}
	res.Cursor = encodeCursorToken(linksCursorPrefix, next)
	return res, nil
}

// cmpLink orders a link against the position (created, id).
func cmpLink(l *sharedLink, created int64, id string) int {
	return cmp.Or(cmp.Compare(l.Created.UnixNano(), created), strings.Compare(l.ID, id))
}

// sortLinks orders links oldest first.
func sortLinks(ls []*sharedLink) {
	slices.SortFunc(ls, func(a, b *sharedLink) int { return cmpLink(a, b.Created.UnixNano(), b.ID) })
}

func (s *Server) modifySharedLink(c *call) (any, error) {
	var arg struct {
		URL              string          `json:"url"`
		Settings         linkSettingsArg `json:"settings"`
		RemoveExpiration bool            `json:"remove_expiration,omitempty"`
	}
	if err := c.decode(&arg, "url", "settings"); err != nil {
		return nil, err
	}
	st, err := c.parseLinkSettings("settings", &arg.Settings)
	if err != nil {
		return nil, err
	}
	base := s.baseURL(c.r)
	return lockedTx(s, func(t *tx) (any, error) {
		old, e, found := s.findLink(arg.URL)
		if found != linkFound {
			return nil, routeError(u("shared_link_not_found"))
		}
		if old.AccountID != c.acct.ID {
			return nil, routeError(u("shared_link_access_denied"))
		}
		l := *old
		if serr := s.applyLinkSettings(c.acct, &l, st, arg.RemoveExpiration, true); serr != nil {
			return nil, routeError(uv("settings_error", serr))
		}
		s.sharedLinks[l.ID] = &l
		t.put(tblSharedLink, l.ID, &l)
		return s.linkMeta(base, &l, e, c.acct), nil
	})
}

func (s *Server) revokeSharedLink(c *call) (any, error) {
	var arg struct {
		URL string `json:"url"`
	}
	if err := c.decode(&arg, "url"); err != nil {
		return nil, err
	}
	return lockedTx(s, func(t *tx) (any, error) {
		l, _, found := s.findLink(arg.URL)
		switch {
		case found == linkMalformed:
			return nil, routeError(u("shared_link_malformed"))
		case found == linkNotFound:
			return nil, routeError(u("shared_link_not_found"))
		case l.AccountID != c.acct.ID:
			return nil, routeError(u("shared_link_access_denied"))
		}
		delete(s.sharedLinks, l.ID)
		t.del(tblSharedLink, l.ID)
		return nil, nil
	})
}

// getSharedLinkArg is the spec's GetSharedLinkMetadataArg (and
// GetSharedLinkFileArg).
type getSharedLinkArg struct {
	URL          string  `json:"url"`
	Path         *string `json:"path,omitempty"`
	LinkPassword *string `json:"link_password,omitempty"`
}

// linkUse resolves the argument of get_shared_link_metadata and
// get_shared_link_file for c's caller: the link and the entry it (or
// arg.path below a folder link) names, or a SharedLinkError value. Its
// owner may always use a link; others only a live link open to them, with
// its password. The caller holds s.mu.
func (s *Server) linkUse(c *call, arg *getSharedLinkArg) (*sharedLink, *Entry, map[string]any) {
	l, e, found := s.findLink(arg.URL)
	if found != linkFound {
		return nil, nil, u("shared_link_not_found")
	}
	if lerr := s.linkAccess(c.acct, l, arg.LinkPassword != nil && l.passwordOK(*arg.LinkPassword)); lerr != nil {
		return nil, nil, lerr
	}
	if arg.Path == nil || *arg.Path == "" || *arg.Path == "/" {
		return l, e, nil
	}
	if !l.Folder {
		return nil, nil, u("shared_link_not_found")
	}
	sub := s.linkEntryBelow(l, e, *arg.Path)
	if sub == nil {
		return nil, nil, u("shared_link_not_found")
	}
	return l, sub, nil
}

// linkAccess returns nil when acct (nil: app authentication) may use the
// live link l, given whether the caller knows its password; else a
// SharedLinkError value. Its owner always may. The caller holds s.mu.
func (s *Server) linkAccess(acct *Account, l *sharedLink, password bool) map[string]any {
	if acct != nil && acct.ID == l.AccountID {
		return nil
	}
	switch {
	case l.expired(s.clock.Now()):
		return u("shared_link_not_found")
	case l.Audience == "no_one" || l.Audience == "members":
		return u("shared_link_access_denied")
	case l.Audience == "team" && (acct == nil || acct.TeamID == "" || s.accounts[l.AccountID] == nil || acct.TeamID != s.accounts[l.AccountID].TeamID):
		return u("shared_link_access_denied")
	case l.hasPassword() && !password:
		return u("shared_link_access_denied")
	}
	return nil
}

// sharedLinkArg is the spec's files.SharedLink: list_folder's shared_link.
type sharedLinkArg struct {
	URL      string  `json:"url"`
	Password *string `json:"password,omitempty"`
}

// linkFolder resolves list_folder's shared_link and path (relative to the
// link's folder, "" for it) for acct (nil: app authentication): the link
// and where the folder's contents are, as the link's owner sees them; or a
// LookupError value. A link that is unknown, revoked, expired, closed to
// the caller or whose password is missing or wrong names nothing
// (not_found); so does an id: or ns: path. The caller holds s.mu.
func (s *Server) linkFolder(acct *Account, arg *sharedLinkArg, p parsedPath) (*sharedLink, target, map[string]any) {
	l, top, found := s.findLink(arg.URL)
	if found != linkFound || s.linkAccess(acct, l, arg.Password != nil && l.passwordOK(*arg.Password)) != nil {
		return nil, target{}, lookupNotFound
	}
	if p.Kind != pathRoot && p.Kind != pathPlain {
		return nil, target{}, lookupNotFound
	}
	e := s.linkEntryBelow(l, top, p.Rest)
	switch {
	case e == nil:
		return nil, target{}, lookupNotFound
	case !e.Folder:
		return nil, target{}, lookupNotFolder
	}
	ns, dir := s.below(s.accounts[l.AccountID], e)
	if ns == nil {
		return nil, target{}, lookupNotFound
	}
	t := target{ns: ns, lower: dir, entry: e}
	if dir != "" {
		t.display = e.PathDisplay
	}
	return l, t, nil
}

// linkCursorKey is what a list_folder cursor made through l holds of its
// password: a cursor outlives no change of it.
func linkCursorKey(l *sharedLink) string {
	if !l.hasPassword() {
		return ""
	}
	return linkCookieValue(l)
}

// linkCursorValid reports whether a cursor made through the link id with
// password key may still be followed: the link is live, unexpired and has
// the same password, and, when the caller is known (not the long-poll,
// which takes no authentication), open to acct. The caller holds s.mu.
func (s *Server) linkCursorValid(c *call, id, key string) bool {
	l := s.sharedLinks[id]
	if l == nil || s.linkTarget(l) == nil || l.expired(s.clock.Now()) ||
		subtle.ConstantTimeCompare([]byte(linkCursorKey(l)), []byte(key)) != 1 {
		return false
	}
	return c.spec.Auth == "noauth" || s.linkAccess(c.acct, l, true) == nil
}

// unplace takes from the entries of a listing through a shared link what
// only a tree they are mounted in has: their paths and sharing info.
func unplace(entries []any) {
	for _, e := range entries {
		switch m := e.(type) {
		case *fileMetadata:
			m.PathLower, m.PathDisplay, m.ParentSharedFolderID, m.SharingInfo = "", "", "", nil
		case *folderMetadata:
			m.PathLower, m.PathDisplay, m.ParentSharedFolderID, m.SharedFolderID, m.SharingInfo = "", "", "", "", nil
		case *deletedMetadata:
			m.PathLower, m.PathDisplay = "", ""
		}
	}
}

// linkView is the tree of l's owner in which l's target is: what the link
// shows is what the owner sees there. The caller holds s.mu.
func (s *Server) linkView(l *sharedLink) *view {
	owner := s.accounts[l.AccountID]
	if owner == nil {
		return &view{at: map[string]mountPoint{l.NS: {}}}
	}
	return s.viewOver(s.viewFrom(owner, owner.HomeNS), l.NS)
}

// linkEntryBelow finds the entry at rel ("/a/b", any case) below the
// folder top of link l, going into the namespaces mounted on the way as
// l's owner sees them, or nil. The caller holds s.mu.
func (s *Server) linkEntryBelow(l *sharedLink, top *Entry, rel string) *Entry {
	rel = strings.Trim(rel, "/")
	if rel == "" {
		return top
	}
	owner := s.accounts[l.AccountID]
	e := top
	for _, comp := range strings.Split(rel, "/") {
		if comp == "" || comp == "." || comp == ".." || !e.Folder {
			return nil
		}
		ns, dir := s.below(owner, e)
		if ns == nil {
			return nil
		}
		if e = ns.byPath[dir+"/"+lowerPath(comp)]; e == nil || !entryVisible(e, owner) {
			return nil
		}
	}
	return e
}

// checkLinkArg checks what Stone checks of a GetSharedLinkMetadataArg.
func (c *call) checkLinkArg(arg *getSharedLinkArg) error {
	if arg.Path != nil && !pathRegexps["Path"].MatchString(*arg.Path) {
		return c.badArg("path: '%s' did not match pattern '%s'", *arg.Path, pathPatterns["Path"])
	}
	return nil
}

func (s *Server) getSharedLinkMetadata(c *call) (any, error) {
	var arg getSharedLinkArg
	if err := c.decode(&arg, "url"); err != nil {
		return nil, err
	}
	if err := c.checkLinkArg(&arg); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, e, lerr := s.linkUse(c, &arg)
	if lerr != nil {
		return nil, routeError(lerr)
	}
	return s.linkMeta(s.baseURL(c.r), l, e, c.acct), nil
}

func (s *Server) getSharedLinkFile(c *call) (any, error) {
	var arg getSharedLinkArg
	if err := c.decode(&arg, "url"); err != nil {
		return nil, err
	}
	if err := c.checkLinkArg(&arg); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, e, lerr := s.linkUse(c, &arg)
	switch {
	case lerr != nil:
		return nil, routeError(lerr)
	case e.Folder:
		return nil, routeError(u("shared_link_is_directory"))
	case isPaper(e.PathLower):
		return nil, routeError(u("unsupported_link_type"))
	case l.NoDownload && (c.acct == nil || c.acct.ID != l.AccountID):
		return nil, routeError(u("shared_link_access_denied"))
	}
	return &download{Result: s.linkMeta(s.baseURL(c.r), l, e, c.acct), Content: e.Content, Size: e.Size,
		ETag: "W/\"" + e.Rev + "\""}, nil
}
