package dropboxemu

func init() {
	register("files/upload", (*Server).upload)
}

type uploadArg struct {
	commitInfo
	ContentHash *string `json:"content_hash,omitempty"`
}

// readUploadBody reads the request body (at most the upload limit) into one
// buffer, hashing it on the way (see readBody). An oversized body is
// payload_too_large; a body whose content hash is not contentHash, when
// that is given, is content_hash_mismatch. Every upload route's error
// union has both members.
func (s *Server) readUploadBody(c *call, contentHash *string) ([]byte, *contentHasher, error) {
	ub, err := s.readBody(c, u("payload_too_large"))
	if err != nil {
		return nil, nil, err
	}
	h := hasherOf(ub.Digests, len(ub.Data))
	if contentHash != nil && *contentHash != h.Hex() {
		return nil, nil, routeError(u("content_hash_mismatch"))
	}
	return ub.Data, h, nil
}

// storeBlob stores data as a new blob and returns the content that refers to it.
func (s *Server) storeBlob(data []byte, hash string) (fileContent, error) {
	fc := fileContent{Size: int64(len(data)), Hash: hash}
	if len(data) == 0 {
		return fc, nil
	}
	id := newBlobID()
	if err := s.backend.PutBlob(id, data); err != nil {
		return fc, err
	}
	fc.Segments = []Segment{{Blob: id, Size: int64(len(data))}}
	return fc, nil
}

// dropContent deletes the blobs of content that was never committed.
func (s *Server) dropContent(fc fileContent) {
	for _, seg := range fc.Segments {
		if err := s.backend.DeleteBlob(seg.Blob); err != nil {
			s.log.Warn("dropboxemu: could not delete an unused blob", "blob", seg.Blob, "err", err)
		}
	}
}

// beginUpload starts a call that writes a file from its body: it checks
// the content_hash argument (contentHashArg), takes the write slot of c's
// namespace (see writeTx), then reads the body as readUploadBody does. The
// slot is held while the body streams in, as on Dropbox, where a slow
// upload keeps others waiting. Unless it fails, the caller must call release.
func (s *Server) beginUpload(c *call, contentHash *string) (release func(), data []byte, h *contentHasher, err error) {
	if err := c.contentHashArg("content_hash", contentHash); err != nil {
		return nil, nil, nil, err
	}
	release, lerr := s.limits.beginWrite(c.acct.base())
	if lerr != nil {
		return nil, nil, nil, lerr
	}
	if data, h, err = s.readUploadBody(c, contentHash); err != nil {
		release()
		return nil, nil, nil, err
	}
	return release, data, h, nil
}

func (s *Server) upload(c *call) (any, error) {
	var arg uploadArg
	if err := c.decode(&arg, commitFields("")...); err != nil {
		return nil, err
	}
	pc, err := c.parseCommit("path", &arg.commitInfo)
	if err != nil {
		return nil, err
	}
	release, data, h, err := s.beginUpload(c, arg.ContentHash)
	if err != nil {
		return nil, err
	}
	defer release()
	fc, err := s.storeBlob(data, h.Hex())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var t tx
	var e *Entry
	wf := &writeFailure{pc.malformed}
	if pc.malformed == nil {
		e, wf = s.putFile(&t, c.acct, pc.path, fc, pc.mode, arg.Autorename, arg.StrictConflict, pc.modified)
	}
	if wf != nil {
		id, err := s.sessionOfUpload(c.acct, h, fc)
		if err != nil {
			s.dropContent(fc)
			return nil, err
		}
		return nil, routeError(uploadWriteFailed(wf.reason, id))
	}
	ours := len(fc.Segments) > 0 && len(e.Content) > 0 && e.Content[0].Blob == fc.Segments[0].Blob
	if !ours {
		s.dropContent(fc) // the same content was already there
	}
	if err := s.commit(&t); err != nil {
		if ours {
			s.dropContent(fc) // the model was reloaded without it
		}
		return nil, err
	}
	return fileMetaNoTag(c.view().place(e)), nil
}

// contentHashArg checks an optional Sha256HexHash argument: 64 characters.
func (c *call) contentHashArg(field string, h *string) error {
	if h == nil {
		return nil
	}
	return c.checkString(field, *h, 64, 64, "", nil)
}

// uploadWriteFailed is UploadError.path: UploadWriteFailed{reason, upload_session_id}.
func uploadWriteFailed(reason map[string]any, sessionID string) map[string]any {
	return uf("path", map[string]any{"reason": reason, "upload_session_id": sessionID})
}
