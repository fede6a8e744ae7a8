package dropboxemu

import "strconv"

func init() {
	register("files/download", (*Server).downloadFile)
}

func (s *Server) downloadFile(c *call) (any, error) {
	var arg struct {
		Path string  `json:"path"`
		Rev  *string `json:"rev,omitempty"`
	}
	if err := c.decode(&arg, "path"); err != nil {
		return nil, err
	}
	p, malformed, err := c.pathArg("path", arg.Path, "ReadPath")
	if err != nil {
		return nil, err
	}
	if err := c.checkOptRev("rev", arg.Rev); err != nil {
		return nil, err
	}
	if malformed != nil {
		return nil, routeError(uv("path", malformed))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, lerr := s.readFile(c.acct, p)
	if lerr != nil {
		return nil, routeError(uv("path", lerr))
	}
	if arg.Rev != nil && *arg.Rev != e.Rev {
		old := s.revs[*arg.Rev]
		if old == nil || old.ID != e.ID || old.Deleted {
			return nil, routeError(uv("path", lookupNotFound))
		}
		e = old
	}
	if isPaper(e.PathLower) {
		return nil, routeError(u("unsupported_file"))
	}
	return &download{Result: fileMetaNoTag(c.view().place(e)), Content: e.Content, Size: e.Size, ETag: "W/" + strconv.Quote(e.Rev)}, nil
}
