package dropboxemu

func init() {
	register("files/create_folder_v2", (*Server).createFolderV2)
	register("files/create_folder", (*Server).createFolderV1)
	register("files/delete_v2", (*Server).deleteV2)
	register("files/delete", (*Server).deleteV1)
}

type createFolderArg struct {
	Path       string `json:"path"`
	Autorename bool   `json:"autorename,omitempty"`
}

// createFolderCall creates one folder; it returns the entry or a
// CreateFolderError value.
func (s *Server) createFolderCall(c *call) (*Entry, error) {
	var arg createFolderArg
	p, err := c.decodePathArg(&arg, &arg.Path, "WritePath")
	if err != nil {
		return nil, err
	}
	return writeTx(s, c, func(t *tx) (*Entry, error) {
		e, wf := s.createFolder(t, c.acct, p, arg.Autorename)
		if wf != nil {
			return nil, routeError(uv("path", wf.reason))
		}
		return e, nil
	})
}

func (s *Server) createFolderV2(c *call) (any, error) {
	e, err := s.createFolderCall(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"metadata": folderMetaNoTag(c.view().place(e))}, nil
}

func (s *Server) createFolderV1(c *call) (any, error) {
	e, err := s.createFolderCall(c)
	if err != nil {
		return nil, err
	}
	return folderMetaNoTag(c.view().place(e)), nil
}

type deleteArg struct {
	Path      string  `json:"path"`
	ParentRev *string `json:"parent_rev,omitempty"`
}

// maxDeleteEntries is how many entries one delete may remove (too_many_files).
const maxDeleteEntries = 10000

// deletePath deletes the file or folder at arg.Path. It returns what was
// deleted or a DeleteError value. The caller holds s.mu and commits t.
func (s *Server) deletePath(t *tx, c *call, arg *deleteArg) (*Entry, map[string]any, error) {
	p, malformed, err := c.pathArg("path", arg.Path, "WritePathOrId")
	if err != nil {
		return nil, nil, err
	}
	if err := c.checkOptRev("parent_rev", arg.ParentRev); err != nil {
		return nil, nil, err
	}
	if malformed != nil {
		return nil, uv("path_lookup", malformed), nil
	}
	tgt, lerr := s.resolve(c.acct, p)
	if lerr != nil {
		return nil, uv("path_lookup", lerr), nil
	}
	if tgt.lower == "" {
		return nil, uv("path_write", u("malformed_path")), nil
	}
	e := tgt.entry
	if e == nil {
		return nil, uv("path_lookup", lookupNotFound), nil
	}
	if arg.ParentRev != nil && (e.Folder || e.Rev != *arg.ParentRev) {
		return nil, uv("path_write", writeConflict("file")), nil
	}
	if s.readOnlyFor(c.acct, tgt.ns) {
		return nil, uv("path_write", u("no_write_permission")), nil
	}
	if isTeamSpaceMount(tgt.ns, e) {
		return nil, uv("path_write", u("team_folder")), nil
	}
	if e.Folder {
		n := 0
		tgt.ns.walk(e.PathLower, true, nil, func(*Entry) bool { n++; return n <= maxDeleteEntries })
		if n > maxDeleteEntries {
			return nil, u("too_many_files"), nil
		}
	}
	// Deleting a shared folder's mount point (or a folder holding one)
	// takes the folder out of the caller's Dropbox, as Dropbox's "delete"
	// of a shared folder does; the membership stays (mount_folder brings
	// it back).
	s.forget(t, tgt.ns, e)
	return e, nil, nil
}

func (s *Server) deleteCall(c *call) (*Entry, error) {
	var arg deleteArg
	if err := c.decode(&arg, "path"); err != nil {
		return nil, err
	}
	return writeTx(s, c, func(t *tx) (*Entry, error) {
		e, derr, err := s.deletePath(t, c, &arg)
		if err != nil {
			return nil, err
		}
		if derr != nil {
			return nil, routeError(derr)
		}
		return c.view().place(e), nil
	})
}

func (s *Server) deleteV2(c *call) (any, error) { return metadataResultV2(s.deleteCall(c)) }
func (s *Server) deleteV1(c *call) (any, error) { return metadataResultV1(s.deleteCall(c)) }
