package dropboxemu

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Dropbox-API-Path-Root: which namespace the paths of a call are relative
// to. Without it (or with {".tag":"home"}) they are relative to the user's
// home namespace; {".tag":"root","root":id} selects the user's root
// namespace (the team space of a team-space member) and must name it;
// {".tag":"namespace_id","namespace_id":id} selects any namespace the user
// may use. See https://developers.dropbox.com/dbx-team-files-guide.

// base is the namespace that paths start from for acct: the one its
// Dropbox-API-Path-Root selected, else its home.
func (a *Account) base() string {
	if a.viewRoot != "" {
		return a.viewRoot
	}
	return a.HomeNS
}

// withRoot returns a copy of a whose paths are relative to namespace ns. The
// copy lives for one call; it is never stored.
func (a *Account) withRoot(ns string) *Account {
	cp := *a
	cp.viewRoot = ns
	return &cp
}

// namespaceIDPattern reports whether id matches the spec's NamespaceId
// pattern, [-_0-9a-zA-Z:]+; an id that matches but names no namespace of
// the user's is a 422, not a 400.
func namespaceIDPattern(id string) bool {
	return id != "" && strings.Trim(id, "-_:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// applyPathRoot reads the Dropbox-API-Path-Root header of c, if any, and
// points c.acct at the namespace it names: a 400 for a header that is not a
// PathRoot, a 422 PathRootError for a root the user cannot use.
func (s *Server) applyPathRoot(c *call) *apiError {
	raw := c.r.Header.Get("Dropbox-API-Path-Root")
	if raw == "" {
		return nil
	}
	if c.acct == nil {
		// App-auth and team-only calls have no user tree to root.
		return nil
	}
	var tag Tag
	if err := json.Unmarshal([]byte(raw), &tag); err != nil || tag.Name == "" {
		return badInput(c.route, `HTTP header "Dropbox-API-Path-Root": could not decode input as JSON`)
	}
	field := func(name string) (string, *apiError) {
		v, ok := tag.Fields[name]
		var id string
		if !ok || json.Unmarshal(v, &id) != nil || !namespaceIDPattern(id) {
			return "", badInput(c.route, `HTTP header "Dropbox-API-Path-Root": %s: expected a namespace id`, name)
		}
		return id, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch tag.Name {
	case "home":
		if len(tag.Fields) != 0 {
			return badInput(c.route, `HTTP header "Dropbox-API-Path-Root": unexpected key for 'home'`)
		}
		c.acct = c.acct.withRoot(c.acct.HomeNS)
	case "root":
		id, e := field("root")
		if e != nil {
			return e
		}
		if id != c.acct.RootNS {
			return &apiError{Status: http.StatusUnprocessableEntity, Body: uv("invalid_root", s.rootInfoOf(c.acct))}
		}
		c.acct = c.acct.withRoot(id)
	case "namespace_id":
		id, e := field("namespace_id")
		if e != nil {
			return e
		}
		ns := s.namespaces[id]
		if ns == nil || !s.canSee(c.acct, ns) {
			return &apiError{Status: http.StatusUnprocessableEntity, Body: u("no_permission")}
		}
		c.acct = c.acct.withRoot(id)
	default:
		return badInput(c.route, `HTTP header "Dropbox-API-Path-Root": unknown tag '%s'`, tag.Name)
	}
	return nil
}
