package dropboxemu

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

func init() {
	register("files/upload_session/start", (*Server).uploadSessionStart)
	register("files/upload_session/start_batch", (*Server).uploadSessionStartBatch)
	register("files/upload_session/append_v2", (*Server).uploadSessionAppendV2)
	register("files/upload_session/append", (*Server).uploadSessionAppendV1)
	register("files/upload_session/append_batch", (*Server).uploadSessionAppendBatch)
	register("files/upload_session/finish", (*Server).uploadSessionFinish)
	register("files/upload_session/finish_batch_v2", (*Server).uploadSessionFinishBatchV2)
	register("files/upload_session/finish_batch", (*Server).uploadSessionFinishBatch)
	register("files/upload_session/finish_batch/check", (*Server).uploadSessionFinishBatchCheck)
}

// Limits of upload sessions.
const (
	sessionLifetime = 7 * 24 * time.Hour
	maxSessionSize  = 1<<41 - 1<<22 // the largest file: 2^41 - 2^22 bytes
)

// uploadSession is an open upload session.
type uploadSession struct {
	ID         string        `json:"id"`
	AccountID  string        `json:"account_id"`
	Concurrent bool          `json:"concurrent,omitempty"`
	Closed     bool          `json:"closed,omitempty"`
	Size       int64         `json:"size"` // sequential: the next offset; concurrent: end of the closing part
	Parts      []sessionPart `json:"parts,omitempty"`
	Expires    time.Time     `json:"expires"`
}

// sessionPart is one appended piece.
type sessionPart struct {
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	Blob   string `json:"blob,omitempty"`
	// Digests are the SHA-256 of each 4 MiB block of the part (hex), kept
	// when the part starts on a block boundary, so that finishing a large
	// session does not read its bytes again.
	Digests []string `json:"digests,omitempty"`
	Last    bool     `json:"last,omitempty"` // the part that closed a concurrent session
}

type sessionCursor struct {
	SessionID string `json:"session_id"`
	Offset    uint64 `json:"offset"`
}

// UnmarshalJSON decodes an UploadSessionCursor strictly: both fields are
// required and no others are allowed (the outer decoder's strictness does
// not reach into a custom unmarshaler).
func (sc *sessionCursor) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for _, f := range []string{"session_id", "offset"} {
		if _, ok := m[f]; !ok {
			return &valueError{"cursor: missing required field '" + f + "'"}
		}
	}
	type plain sessionCursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(sc))
}

// partOf stores data as a part at offset.
// h, when not nil, is the hasher that read exactly data: its block digests
// are reused instead of hashing data again.
func (s *Server) partOf(data []byte, offset int64, h *contentHasher) (sessionPart, error) {
	p := sessionPart{Offset: offset, Size: int64(len(data))}
	if len(data) == 0 {
		return p, nil
	}
	if offset%blockSize == 0 {
		var ds [][sha256.Size]byte
		if h != nil {
			ds = h.blockDigests()
		} else {
			ds = blockDigests(data)
		}
		for _, d := range ds {
			p.Digests = append(p.Digests, hex.EncodeToString(d[:]))
		}
	}
	p.Blob = newBlobID()
	if err := s.backend.PutBlob(p.Blob, data); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Server) dropParts(parts ...sessionPart) {
	for _, p := range parts {
		if p.Blob != "" {
			s.dropContent(fileContent{Segments: []Segment{{Blob: p.Blob}}})
		}
	}
}

func (s *Server) uploadSessionStart(c *call) (any, error) {
	var arg struct {
		Close       bool    `json:"close,omitempty"`
		SessionType *Tag    `json:"session_type,omitempty" union:"sequential concurrent"`
		ContentHash *string `json:"content_hash,omitempty"`
	}
	if err := c.decode(&arg); err != nil {
		return nil, err
	}
	concurrent, err := c.sessionType(arg.SessionType)
	if err != nil {
		return nil, err
	}
	if err := c.contentHashArg("content_hash", arg.ContentHash); err != nil {
		return nil, err
	}
	if concurrent && arg.Close {
		return nil, routeError(u("concurrent_session_close_not_allowed"))
	}
	// The content hash is checked here, after concurrent_session_data_not_allowed.
	data, h, err := s.readUploadBody(c, nil)
	if err != nil {
		return nil, err
	}
	if concurrent && len(data) > 0 {
		return nil, routeError(u("concurrent_session_data_not_allowed"))
	}
	if arg.ContentHash != nil && *arg.ContentHash != h.Hex() {
		return nil, routeError(u("content_hash_mismatch"))
	}
	part, err := s.partOf(data, 0, h)
	if err != nil {
		return nil, err
	}
	us := &uploadSession{ID: newSessionID(), AccountID: c.acct.ID, Concurrent: concurrent, Closed: arg.Close,
		Size: part.Size, Expires: s.clock.Now().Add(sessionLifetime)}
	if part.Size > 0 {
		us.Parts = []sessionPart{part}
	}
	if err := s.openSessions(us); err != nil {
		s.dropParts(part)
		return nil, err
	}
	return map[string]string{"session_id": us.ID}, nil
}

// openSessions stores new upload sessions, forgetting the expired ones on
// the way (see sweepSessions). It takes s.mu.
func (s *Server) openSessions(sessions ...*uploadSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t tx
	stale := s.sweepSessions(&t)
	for _, us := range sessions {
		s.sessions[us.ID] = us
		t.put(tblSession, us.ID, us)
	}
	if err := s.commit(&t); err != nil {
		return err
	}
	s.dropParts(stale...)
	return nil
}

// sweepSessions forgets the expired upload sessions, so that abandoned
// uploads do not pile up, and returns their parts, to drop once t is
// committed. The caller holds s.mu.
func (s *Server) sweepSessions(t *tx) []sessionPart {
	now := s.clock.Now()
	var parts []sessionPart
	for id, us := range s.sessions {
		if now.Before(us.Expires) {
			continue
		}
		delete(s.sessions, id)
		t.del(tblSession, id)
		parts = append(parts, us.Parts...)
	}
	return parts
}

func (c *call) sessionType(t *Tag) (bool, error) {
	if t == nil {
		return false, nil
	}
	switch t.Name {
	case "sequential":
		return false, nil
	case "concurrent":
		return true, nil
	}
	return false, c.badArg("session_type: unknown tag '%s'", t.Name)
}

func (s *Server) uploadSessionStartBatch(c *call) (any, error) {
	var arg struct {
		SessionType *Tag  `json:"session_type,omitempty" union:"sequential concurrent"`
		NumSessions int64 `json:"num_sessions"`
	}
	if err := c.decode(&arg, "num_sessions"); err != nil {
		return nil, err
	}
	concurrent, err := c.sessionType(arg.SessionType)
	if err != nil {
		return nil, err
	}
	if err := c.checkInt("num_sessions", arg.NumSessions, 1, 1000); err != nil {
		return nil, err
	}
	sessions := make([]*uploadSession, arg.NumSessions)
	ids := make([]string, arg.NumSessions)
	exp := s.clock.Now().Add(sessionLifetime)
	for i := range sessions {
		sessions[i] = &uploadSession{ID: newSessionID(), AccountID: c.acct.ID, Concurrent: concurrent, Expires: exp}
		ids[i] = sessions[i].ID
	}
	if err := s.openSessions(sessions...); err != nil {
		return nil, err
	}
	return map[string]any{"session_ids": ids}, nil
}

// session finds a live session of the caller; nil when unknown or expired.
// The caller holds s.mu.
func (s *Server) session(c *call, id string) *uploadSession {
	us := s.sessions[id]
	if us == nil || us.AccountID != c.acct.ID || !s.clock.Now().Before(us.Expires) {
		return nil
	}
	return us
}

// checkAppend says whether n bytes may be appended at offset, closing or not:
// nil, or an UploadSessionLookupError value. The caller holds s.mu.
func checkAppend(us *uploadSession, offset, n int64, close bool) map[string]any {
	if us == nil {
		return u("not_found")
	}
	if us.Closed {
		return u("closed")
	}
	if offset+n > maxSessionSize {
		return u("too_large")
	}
	if !us.Concurrent {
		if offset != us.Size {
			return uf("incorrect_offset", map[string]any{"correct_offset": us.Size})
		}
		return nil
	}
	// Concurrent: parts on 4 MiB boundaries, whole blocks except the closing one.
	if offset%blockSize != 0 {
		return u("concurrent_session_invalid_offset")
	}
	if !close && n%blockSize != 0 {
		return u("concurrent_session_invalid_data_size")
	}
	for _, p := range us.Parts {
		if p.Offset == offset {
			continue // a retry of the same part replaces it
		}
		if offset < p.Offset+p.Size && p.Offset < offset+n {
			return u("concurrent_session_invalid_offset")
		}
		if close && p.Offset > offset {
			return u("concurrent_session_invalid_offset") // data beyond the end
		}
	}
	return nil
}

// addPart records part (already stored) in us. The caller holds s.mu and commits t.
func addPart(t *tx, us *uploadSession, part sessionPart, close bool) (replaced []sessionPart) {
	if us.Concurrent {
		us.Parts = slices.DeleteFunc(us.Parts, func(p sessionPart) bool {
			if p.Offset == part.Offset {
				replaced = append(replaced, p)
				return true
			}
			return false
		})
		part.Last = close
		if part.Size > 0 || close {
			us.Parts = append(us.Parts, part)
		}
		slices.SortFunc(us.Parts, func(a, b sessionPart) int { return cmp.Compare(a.Offset, b.Offset) })
		if close {
			us.Size = part.Offset + part.Size
		}
	} else {
		if part.Size > 0 {
			us.Parts = append(us.Parts, part)
		}
		us.Size += part.Size
	}
	if close {
		us.Closed = true
	}
	t.put(tblSession, us.ID, us)
	return replaced
}

func (s *Server) uploadSessionAppendV2(c *call) (any, error) {
	var arg struct {
		Cursor      sessionCursor `json:"cursor"`
		Close       bool          `json:"close,omitempty"`
		ContentHash *string       `json:"content_hash,omitempty"`
	}
	if err := c.decode(&arg, cursorFields("cursor")...); err != nil {
		return nil, err
	}
	if err := c.contentHashArg("content_hash", arg.ContentHash); err != nil {
		return nil, err
	}
	return s.appendOne(c, arg.Cursor, arg.Close, arg.ContentHash)
}

func (s *Server) uploadSessionAppendV1(c *call) (any, error) {
	var arg sessionCursor
	if err := c.decode(&arg, "session_id", "offset"); err != nil {
		return nil, err
	}
	return s.appendOne(c, arg, false, nil)
}

func (s *Server) appendOne(c *call, cur sessionCursor, close bool, contentHash *string) (any, error) {
	if cur.Offset > maxSessionSize {
		return nil, routeError(u("too_large")) // and no int64 overflow below
	}
	offset := int64(cur.Offset)
	// Fail fast, before reading the body, when the append cannot succeed.
	s.mu.RLock()
	us := s.session(c, cur.SessionID)
	lerr := checkAppend(us, offset, max(c.r.ContentLength, 0), close)
	s.mu.RUnlock()
	if lerr != nil {
		return nil, routeError(lerr)
	}
	data, h, err := s.readUploadBody(c, contentHash)
	if err != nil {
		return nil, err
	}
	part, err := s.partOf(data, offset, h)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	us = s.session(c, cur.SessionID)
	if lerr := checkAppend(us, offset, part.Size, close); lerr != nil {
		s.dropParts(part)
		return nil, routeError(lerr)
	}
	var t tx
	replaced := addPart(&t, us, part, close)
	if err := s.commit(&t); err != nil {
		s.dropParts(part)
		return nil, err
	}
	s.dropParts(replaced...)
	return nil, nil
}

func (s *Server) uploadSessionAppendBatch(c *call) (any, error) {
	var arg struct {
		Entries []struct {
			Cursor sessionCursor `json:"cursor"`
			Length uint64        `json:"length"`
			Close  bool          `json:"close,omitempty"`
		} `json:"entries"`
		ContentHash *string `json:"content_hash,omitempty"`
	}
	if err := c.decode(&arg, append(cursorFields("entries.cursor"), "entries", "entries.length")...); err != nil {
		return nil, err
	}
	if err := c.checkList("entries", len(arg.Entries), 0, 1000, ""); err != nil {
		return nil, err
	}
	if err := c.contentHashArg("content_hash", arg.ContentHash); err != nil {
		return nil, err
	}
	data, _, err := s.readUploadBody(c, arg.ContentHash)
	if err != nil {
		return nil, err
	}
	var total uint64
	for _, e := range arg.Entries {
		if e.Length > uint64(len(data))-total {
			return nil, routeError(u("length_mismatch")) // also stops a wrapping sum
		}
		total += e.Length
	}
	if total != uint64(len(data)) {
		return nil, routeError(u("length_mismatch"))
	}
	results := make([]any, len(arg.Entries))
	var off uint64
	for i, e := range arg.Entries {
		chunk := data[off : off+e.Length]
		off += e.Length
		if e.Cursor.Offset > maxSessionSize {
			results[i] = uv("failure", u("too_large"))
			continue
		}
		part, err := s.partOf(chunk, int64(e.Cursor.Offset), nil)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		us := s.session(c, e.Cursor.SessionID)
		if lerr := checkAppend(us, int64(e.Cursor.Offset), part.Size, e.Close); lerr != nil {
			s.mu.Unlock()
			s.dropParts(part)
			results[i] = uv("failure", lerr)
			continue
		}
		var t tx
		replaced := addPart(&t, us, part, e.Close)
		err = s.commit(&t)
		s.mu.Unlock()
		if err != nil {
			s.dropParts(part)
			return nil, err
		}
		s.dropParts(replaced...)
		results[i] = u("success")
	}
	return map[string]any{"entries": results}, nil
}

// cursorFields are the required fields of an UploadSessionCursor at path.
func cursorFields(path string) []string {
	return []string{path, path + ".session_id", path + ".offset"}
}

// finishFields are the required fields of UploadSessionFinishArg at path
// ("" for the argument itself), its cursor and commit included.
func finishFields(path string) []string {
	return append(append(cursorFields(joinPath(path, "cursor")), joinPath(path, "commit")),
		commitFields(joinPath(path, "commit"))...)
}

type finishArg struct {
	Cursor      sessionCursor `json:"cursor"`
	Commit      commitInfo    `json:"commit"`
	ContentHash *string       `json:"content_hash,omitempty"`
}

// sessionContent assembles a finished session's content and content hash,
// or returns an UploadSessionFinishError value.
func (s *Server) sessionContent(us *uploadSession) (fileContent, map[string]any, error) {
	fc := fileContent{Size: us.Size}
	var next int64
	aligned := true
	h := newContentHasher()
	for _, p := range us.Parts {
		if p.Offset != next {
			return fc, u("concurrent_session_missing_data"), nil
		}
		next += p.Size
		if p.Size > 0 {
			fc.Segments = append(fc.Segments, Segment{Blob: p.Blob, Size: p.Size})
		}
		if p.Offset%blockSize != 0 || (p.Size%blockSize != 0 && next != us.Size) || p.Digests == nil && p.Size > 0 {
			aligned = false
		}
	}
	if next != us.Size {
		return fc, u("concurrent_session_missing_data"), nil
	}
	if aligned {
		for _, p := range us.Parts {
			for _, d := range p.Digests {
				b, err := hex.DecodeString(d)
				if err != nil || len(b) != sha256.Size {
					aligned = false
					break
				}
				h.addBlockDigest(b)
			}
		}
	}
	if !aligned {
		h = newContentHasher()
		if err := s.copyContent(h, fc.Segments, 0, fc.Size); err != nil {
			return fc, nil, err
		}
	}
	fc.Hash = h.Hex()
	return fc, nil, nil
}

// finishOne commits one session. It returns the stored entry or an
// UploadSessionFinishError value. part holds the bytes sent with a finish
// (already stored), nil for finish_batch; hash, when not empty, is the
// content hash the whole file must have (finish_batch entries, whose calls
// carry no bytes). The caller holds s.mu and commits t.
func (s *Server) finishOne(t *tx, c *call, arg *finishArg, part *sessionPart, hash string) (*Entry, map[string]any, error) {
	pc, err := c.parseCommit("commit.path", &arg.Commit)
	if err != nil {
		return nil, nil, err
	}
	us := s.session(c, arg.Cursor.SessionID)
	if us == nil {
		return nil, uv("lookup_failed", u("not_found")), nil
	}
	var size int64
	if part != nil {
		size = part.Size
	}
	// The file size ceiling, checked as appends check it (and before the
	// offset, which also keeps int64 from overflowing).
	if arg.Cursor.Offset > maxSessionSize || int64(arg.Cursor.Offset)+size > maxSessionSize {
		return nil, uv("lookup_failed", u("too_large")), nil
	}
	offset := int64(arg.Cursor.Offset)
	if us.Concurrent {
		if part != nil && part.Size > 0 {
			return nil, u("concurrent_session_data_not_allowed"), nil
		}
		if !us.Closed {
			return nil, u("concurrent_session_not_closed"), nil
		}
	} else {
		if offset != us.Size {
			return nil, uv("lookup_failed", uf("incorrect_offset", map[string]any{"correct_offset": us.Size})), nil
		}
		if us.Closed && part != nil && part.Size > 0 {
			return nil, uv("lookup_failed", u("closed")), nil
		}
	}
	if pc.malformed != nil {
		return nil, uv("path", pc.malformed), nil
	}
	// Work on a copy: the session stays as it was if the write fails.
	work := *us
	work.Parts = slices.Clone(us.Parts)
	if part != nil && part.Size > 0 {
		work.Parts = append(work.Parts, *part)
		work.Size += part.Size
	}
	fc, ferr, err := s.sessionContent(&work)
	if err != nil || ferr != nil {
		return nil, ferr, err
	}
	if hash != "" && hash != fc.Hash {
		return nil, u("content_hash_mismatch"), nil
	}
	e, wf := s.putFile(t, c.acct, pc.path, fc, pc.mode, arg.Commit.Autorename, arg.Commit.StrictConflict, pc.modified)
	if wf != nil {
		return nil, uv("path", wf.reason), nil
	}
	delete(s.sessions, us.ID)
	t.del(tblSession, us.ID)
	if e.ContentHash == fc.Hash && (len(e.Content) == 0 || len(fc.Segments) == 0 || e.Content[0].Blob != fc.Segments[0].Blob) {
		// The same content was already there: the session's bytes are unused.
		defer s.dropParts(work.Parts...)
	}
	return e, nil, nil
}

func (s *Server) uploadSessionFinish(c *call) (any, error) {
	var arg finishArg
	if err := c.decode(&arg, finishFields("")...); err != nil {
		return nil, err
	}
	if _, err := c.parseCommit("commit.path", &arg.Commit); err != nil {
		return nil, err
	}
	if arg.Cursor.Offset > maxSessionSize {
		// Too large whatever the body: answer before reading it (finishOne
		// says which error), and keep the offset an int64 below.
		return lockedTx(s, func(t *tx) (any, error) {
			_, ferr, err := s.finishOne(t, c, &arg, nil, "")
			if err != nil {
				return nil, err
			}
			return nil, routeError(ferr)
		})
	}
	// content_hash covers the bytes of this call, not the whole file.
	release, data, h, err := s.beginUpload(c, arg.ContentHash)
	if err != nil {
		return nil, err
	}
	defer release()
	part, err := s.partOf(data, int64(arg.Cursor.Offset), h)
	if err != nil {
		return nil, err
	}
	return lockedTx(s, func(t *tx) (any, error) {
		e, ferr, err := s.finishOne(t, c, &arg, &part, "")
		if err != nil {
			s.dropParts(part)
			return nil, err
		}
		if ferr != nil {
			if err := s.keepFinishData(c, &arg, part, ferr); err != nil {
				return nil, err
			}
			return nil, routeError(ferr)
		}
		return fileMetaNoTag(c.view().place(e)), nil
	})
}

// keepFinishData handles the bytes sent with a finish that failed with ferr.
// When the file could not be written (UploadSessionFinishError.path) they
// stay appended to the session, as Dropbox says: the caller retries with an
// empty body at the new offset. Otherwise they are dropped. The caller holds s.mu.
func (s *Server) keepFinishData(c *call, arg *finishArg, part sessionPart, ferr map[string]any) error {
	us := s.session(c, arg.Cursor.SessionID)
	if ferr[".tag"] != "path" || part.Size == 0 || us == nil || us.Concurrent || us.Size != part.Offset {
		s.dropParts(part)
		return nil
	}
	var t tx
	addPart(&t, us, part, false)
	if err := s.commit(&t); err != nil {
		s.dropParts(part)
		return err
	}
	return nil
}

// sessionOfUpload keeps the bytes of a files/upload that could not be
// written in a closed upload session and returns its id, which Dropbox
// reports in UploadWriteFailed.upload_session_id so that the commit can be
// retried with upload_session/finish. fc holds the bytes h read, already
// stored. The caller holds s.mu.
func (s *Server) sessionOfUpload(acct *Account, h *contentHasher, fc fileContent) (string, error) {
	us := &uploadSession{ID: newSessionID(), AccountID: acct.ID, Closed: true, Size: fc.Size,
		Expires: s.clock.Now().Add(sessionLifetime)}
	if len(fc.Segments) > 0 {
		p := sessionPart{Size: fc.Size, Blob: fc.Segments[0].Blob}
		for _, d := range h.blockDigests() {
			p.Digests = append(p.Digests, hex.EncodeToString(d[:]))
		}
		us.Parts = []sessionPart{p}
	}
	var t tx
	s.sessions[us.ID] = us
	t.put(tblSession, us.ID, us)
	if err := s.commit(&t); err != nil {
		return "", err
	}
	return us.ID, nil
}

// finishBatch commits every entry in order and returns the
// UploadSessionFinishBatchResult. The caller holds s.mu and commits t.
func (s *Server) finishBatch(t *tx, c *call, entries []finishArg) (map[string]any, error) {
	out := make([]any, len(entries))
	for i := range entries {
		e := &entries[i]
		if us := s.session(c, e.Cursor.SessionID); us != nil && !us.Closed {
			out[i] = uv("failure", uv("lookup_failed", u("not_closed")))
			continue
		}
		hash := ""
		if e.ContentHash != nil {
			hash = *e.ContentHash
		}
		ent, ferr, err := s.finishOne(t, c, e, nil, hash)
		if err != nil {
			return nil, err
		}
		if ferr != nil {
			out[i] = uv("failure", ferr)
			continue
		}
		m := fileMeta(c.view().place(ent))
		m.Tag = "success"
		out[i] = m
	}
	return map[string]any{"entries": out}, nil
}

func (s *Server) decodeFinishBatch(c *call) ([]finishArg, error) {
	var arg struct {
		Entries []finishArg `json:"entries"`
	}
	if err := c.decode(&arg, append(finishFields("entries"), "entries")...); err != nil {
		return nil, err
	}
	if err := c.checkList("entries", len(arg.Entries), 0, 1000, ""); err != nil {
		return nil, err
	}
	for i := range arg.Entries {
		if _, err := c.parseCommit("entries.commit.path", &arg.Entries[i].Commit); err != nil {
			return nil, err
		}
		if err := c.contentHashArg("entries.content_hash", arg.Entries[i].ContentHash); err != nil {
			return nil, err
		}
	}
	return arg.Entries, nil
}

func (s *Server) uploadSessionFinishBatchV2(c *call) (any, error) { return s.finishBatchCall(c, false) }
func (s *Server) uploadSessionFinishBatch(c *call) (any, error)   { return s.finishBatchCall(c, true) }

// finishBatchCall serves finish_batch_v2, which answers with the result,
// and the deprecated finish_batch, which answers with a job (async).
func (s *Server) finishBatchCall(c *call, async bool) (any, error) {
	entries, err := s.decodeFinishBatch(c)
	if err != nil {
		return nil, err
	}
	return writeTx(s, c, func(t *tx) (map[string]any, error) {
		res, err := s.finishBatch(t, c, entries)
		if err != nil || !async {
			return res, err
		}
		return s.launchJob(t, c, res)
	})
}

func (s *Server) uploadSessionFinishBatchCheck(c *call) (any, error) {
	return s.pollJob(c, true, "files/upload_session/finish_batch")
}
