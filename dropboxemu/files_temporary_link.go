package dropboxemu

import (
	"mime"
	"net/http"
	"path"
	"strconv"
	"time"
)

func init() {
	register("files/get_temporary_link", (*Server).getTemporaryLink)
	register("files/get_temporary_upload_link", (*Server).getTemporaryUploadLink)
}

// getTemporaryLinkResult is the spec's GetTemporaryLinkResult, in its
// field order.
type getTemporaryLinkResult struct {
	Metadata any    `json:"metadata"`
	Link     string `json:"link"`
}

// tempLink is a temporary download link (files/get_temporary_link) or a
// temporary upload link (files/get_temporary_upload_link).
type tempLink struct {
	ID        string      `json:"id"`
	Upload    bool        `json:"upload,omitempty"`
	AccountID string      `json:"account_id"`
	File      *Entry      `json:"file,omitempty"`   // download: the file at the time the link was made
	Commit    *commitInfo `json:"commit,omitempty"` // upload: where the bytes go
	Expires   time.Time   `json:"expires"`
	Used      bool        `json:"used,omitempty"` // upload links take one upload
}

const tempLinkLifetime = 4 * time.Hour

func (s *Server) getTemporaryLink(c *call) (any, error) {
	var arg struct {
		Path string `json:"path"`
	}
	p, err := c.decodePathArg(&arg, &arg.Path, "ReadPath")
	if err != nil {
		return nil, err
	}
	return lockedTx(s, func(t *tx) (any, error) {
		e, lerr := s.readFile(c.acct, p)
		if lerr != nil {
			return nil, routeError(uv("path", lerr))
		}
		if isPaper(e.PathLower) {
			return nil, routeError(u("unsupported_file"))
		}
		l := s.addTempLink(t, &tempLink{AccountID: c.acct.ID, File: e, Expires: s.clock.Now().Add(tempLinkLifetime)})
		return getTemporaryLinkResult{Metadata: fileMetaNoTag(c.view().place(e)), Link: s.baseURL(c.r) + "/temp/" + l.ID}, nil
	})
}

func (s *Server) getTemporaryUploadLink(c *call) (any, error) {
	var arg struct {
		CommitInfo commitInfo `json:"commit_info"`
		Duration   *float64   `json:"duration,omitempty"`
	}
	if err := c.decode(&arg, append(commitFields("commit_info"), "commit_info")...); err != nil {
		return nil, err
	}
	if _, err := c.parseCommit("commit_info.path", &arg.CommitInfo); err != nil {
		return nil, err
	}
	d := 14400.0
	if arg.Duration != nil {
		d = *arg.Duration
		if err := c.checkFloat("duration", d, 60, 14400); err != nil {
			return nil, err
		}
	}
	ci := arg.CommitInfo
	return lockedTx(s, func(t *tx) (any, error) {
		l := s.addTempLink(t, &tempLink{Upload: true, AccountID: c.acct.ID, Commit: &ci,
			Expires: s.clock.Now().Add(time.Duration(d * float64(time.Second)))})
		return map[string]any{"link": s.baseURL(c.r) + "/apitul/1/" + l.ID}, nil
	})
}

// addTempLink gives l a new id and stores it, forgetting the expired and
// used links on the way. The caller holds s.mu and commits t.
func (s *Server) addTempLink(t *tx, l *tempLink) *tempLink {
	s.sweepTempLinks(t)
	l.ID = randomString(24)
	s.tempLinks[l.ID] = l
	t.put(tblTempLink, l.ID, l)
	return l
}

// sweepTempLinks forgets expired and used links, so that they do not pile
// up. The caller holds s.mu and commits t.
func (s *Server) sweepTempLinks(t *tx) {
	now := s.clock.Now()
	for id, l := range s.tempLinks {
		if l.Used || !now.Before(l.Expires) {
			delete(s.tempLinks, id)
			t.del(tblTempLink, id)
		}
	}
}

// readFile resolves p to a live file (or a revision for "rev:"), or returns
// a LookupError value. The caller holds s.mu.
func (s *Server) readFile(acct *Account, p parsedPath) (*Entry, map[string]any) {
	if p.Kind == pathRev {
		e := s.revs[p.Ref]
		if e == nil || e.Deleted || !s.canSee(acct, s.namespaces[e.NS]) {
			return nil, lookupNotFound
		}
		return e, nil
	}
	t, lerr := s.resolve(acct, p)
	if lerr != nil {
		return nil, lerr
	}
	if t.entry == nil {
		return nil, lookupNotFound
	}
	if t.entry.Folder {
		return nil, lookupNotFile
	}
	return t.entry, nil
}

// serveTempLink serves the bytes behind a temporary download link.
func (s *Server) serveTempLink(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Use GET.", http.StatusMethodNotAllowed)
		return
	}
	s.mu.RLock()
	l := s.tempLinks[r.PathValue("link")]
	expired := l == nil || l.Upload || !s.clock.Now().Before(l.Expires)
	s.mu.RUnlock()
	if expired {
		http.Error(w, "This link has expired or does not exist.", http.StatusGone)
		return
	}
	e := l.File
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+pathEscape(e.Name()))
	// Dropbox serves the link with the file's MIME type.
	ct := mime.TypeByExtension(path.Ext(e.Name()))
	d := &download{Content: e.Content, Size: e.Size, ETag: strconv.Quote(e.Rev), ContentType: ct}
	c := &call{s: s, w: w, r: r, ctx: r.Context(), route: "temporary_link"}
	s.writeBody(c, d)
}

// serveTempUpload takes the bytes for a temporary upload link.
func (s *Server) serveTempUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST")
		http.Error(w, "Use POST.", http.StatusMethodNotAllowed)
		return
	}
	s.mu.RLock()
	l := s.tempLinks[r.PathValue("link")]
	ok := l != nil && l.Upload && !l.Used && s.clock.Now().Before(l.Expires)
	var acct *Account
	if ok {
		acct = s.accounts[l.AccountID]
	}
	s.mu.RUnlock()
	if !ok || acct == nil {
		http.Error(w, "This upload link has expired, was used already, or does not exist.", http.StatusGone)
		return
	}
	switch ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct {
	case "application/octet-stream", "text/plain":
	default:
		http.Error(w, `Bad "Content-Type" header: expecting "application/octet-stream".`, http.StatusBadRequest)
		return
	}
	release, lerr := s.limits.beginWrite(acct.base())
	if lerr != nil {
		writeError(w, lerr)
		return
	}
	defer release()
	c := &call{s: s, w: w, r: r, ctx: r.Context(), route: "files/upload", spec: specRoutes["files/upload"], acct: acct}
	data, h, err := s.readUploadBody(c, nil)
	if err != nil {
		http.Error(w, "The file is larger than 150 MiB or could not be read.", http.StatusRequestEntityTooLarge)
		return
	}
	pc, _ := c.parseCommit("path", l.Commit) // checked when the link was made
	if pc.malformed != nil {
		http.Error(w, "The upload path is malformed.", http.StatusConflict)
		return
	}
	fc, err := s.storeBlob(data, h.Hex())
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.Used {
		s.dropContent(fc)
		http.Error(w, "Temporary upload link has been recently consumed.", http.StatusGone)
		return
	}
	var t tx
	e, wf := s.putFile(&t, acct, pc.path, fc, pc.mode, l.Commit.Autorename, l.Commit.StrictConflict, pc.modified)
	if wf != nil {
		s.dropContent(fc)
		writeError(w, routeError(wf.reason))
		return
	}
	if len(fc.Segments) > 0 && (len(e.Content) == 0 || e.Content[0].Blob != fc.Segments[0].Blob) {
		s.dropContent(fc) // the same content was already there
	}
	l.Used = true
	t.put(tblTempLink, l.ID, l)
	if err := s.commit(&t); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"content-hash": e.ContentHash})
}
