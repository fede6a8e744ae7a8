package dropboxemu

import "slices"

func init() {
	register("files/permanently_delete", (*Server).permanentlyDelete)
}

// mayDeletePermanently reports whether acct may call permanently_delete:
// Dropbox offers it to Dropbox Business (team) accounts only.
func mayDeletePermanently(acct *Account) bool {
	return acct.AccountType == "business" || acct.TeamID != ""
}

// scopePermanentDelete is the scope of permanently_delete, which tokens of
// accounts outside Dropbox Business never carry (see tokenScopes).
const scopePermanentDelete = "files.permanent_delete"

// tokenScopes is what a token of acct may hold of scopes: without
// files.permanent_delete outside Dropbox Business, so that such a token
// gets 401 missing_scope from permanently_delete, as on Dropbox.
func tokenScopes(acct *Account, scopes []string) []string {
	if acct == nil || mayDeletePermanently(acct) || !slices.Contains(scopes, scopePermanentDelete) {
		return scopes
	}
	out := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		if sc != scopePermanentDelete {
			out = append(out, sc)
		}
	}
	return out
}

// permanentlyDelete deletes a file or folder for good: a live path is
// deleted first (list_folder/continue reports the deletion), then the
// deleted paths at and below it are forgotten (include_deleted no longer
// lists them) together with the revisions of the files that were there.
//
// Tokens of accounts outside Dropbox Business lack the route's scope
// (tokenScopes); should one have it anyway, the answer is
// path_write/access_restricted, a DeleteError member, rather than a tag
// outside the union that Stone's decoders refuse.
func (s *Server) permanentlyDelete(c *call) (any, error) {
	var arg deleteArg
	if err := c.decode(&arg, "path"); err != nil {
		return nil, err
	}
	p, malformed, err := c.pathArg("path", arg.Path, "WritePathOrId")
	if err != nil {
		return nil, err
	}
	if err := c.checkOptRev("parent_rev", arg.ParentRev); err != nil {
		return nil, err
	}
	if !mayDeletePermanently(c.acct) {
		return nil, routeError(uv("path_write", u("access_restricted")))
	}
	if malformed != nil {
		return nil, routeError(uv("path_lookup", malformed))
	}
	return writeTx(s, c, func(t *tx) (any, error) {
		return nil, s.deletePermanently(t, c.acct, p, arg.ParentRev)
	})
}

// deletePermanently deletes what is at p for good, or returns the
// DeleteError as a route error. The caller holds s.mu and commits t; on
// error nothing has changed.
func (s *Server) deletePermanently(t *tx, acct *Account, p parsedPath, parentRev *string) error {
	tgt, lookErr := s.resolve(acct, p)
	if lookErr != nil {
		return routeError(uv("path_lookup", lookErr))
	}
	if tgt.lower == "" {
		return routeError(uv("path_write", u("malformed_path")))
	}
	if s.readOnlyFor(acct, tgt.ns) {
		return routeError(uv("path_write", u("no_write_permission")))
	}
	ns := tgt.ns
	purge := map[string]bool{} // file ids whose every revision goes
	if e := tgt.entry; e != nil {
		if parentRev != nil && (e.Folder || e.Rev != *parentRev) {
			return routeError(uv("path_write", writeConflict("file")))
		}
		gone, ok := subtree(ns, e, maxDeleteEntries)
		if !ok {
			return routeError(u("too_many_files"))
		}
		for _, g := range gone {
			if !g.Folder {
				purge[g.ID] = true
			}
			// Tags go with the item for good (an ordinary delete keeps them
			// for a restore).
			if k := nsKey(ns.ID, g.ID); s.tags[k] != nil {
				delete(s.tags, k)
				t.del(tblTags, k)
			}
		}
		s.forget(t, ns, e)
	} else if !hasTombstoneWithin(ns, tgt.lower) {
		return routeError(uv("path_lookup", lookupNotFound))
	}
	for p := range ns.tombstones {
		if isWithin(p, tgt.lower) {
			delete(ns.tombstones, p)
			t.del(tblTombstone, nsKey(ns.ID, p))
		}
	}
	// Revisions: every one of the files deleted now, and those recorded at
	// or below the path of files that no longer live anywhere. A file
	// that was moved away keeps its history.
	var stale []string
	for rev, r := range s.revs {
		if purge[r.ID] || r.NS == ns.ID && isWithin(r.PathLower, tgt.lower) && s.findByID(acct, r.ID) == nil {
			stale = append(stale, rev)
		}
	}
	for _, rev := range stale {
		if id := s.revs[rev].ID; s.findByID(acct, id) == nil {
			if k := nsKey(ns.ID, id); s.tags[k] != nil {
				delete(s.tags, k)
				t.del(tblTags, k)
			}
		}
		s.dropRevision(t, rev)
	}
	return nil
}

// hasTombstoneWithin reports whether a deleted path is at or below lower.
func hasTombstoneWithin(ns *Namespace, lower string) bool {
	if ns.tombstones[lower] != nil {
		return true
	}
	for p := range ns.tombstones {
		if isWithin(p, lower) {
			return true
		}
	}
	return false
}

// dropRevision forgets one file revision. The caller holds s.mu and commits t.
func (s *Server) dropRevision(t *tx, rev string) {
	r := s.revs[rev]
	if r == nil {
		return
	}
	delete(s.revs, rev)
	t.del(tblRev, rev)
	revs := s.revsByID[r.ID]
	for i, x := range revs {
		if x == rev {
			revs = append(revs[:i:i], revs[i+1:]...)
			break
		}
	}
	if len(revs) == 0 {
		delete(s.revsByID, r.ID)
	} else {
		s.revsByID[r.ID] = revs
	}
}
