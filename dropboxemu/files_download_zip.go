package dropboxemu

import (
	"archive/zip"
	"bytes"
	"strings"
	"time"
)

func init() {
	register("files/download_zip", (*Server).downloadZip)
}

// download_zip limits, from its documentation: the folder under 20 GB,
// each file under 4 GB, fewer than 10,000 entries with the folder itself.
const (
	zipMaxTotal   = 20 << 30
	zipMaxFile    = 4 << 30
	zipMaxEntries = 10000
	zipDeflateMin = 1 << 10
)

func (s *Server) downloadZip(c *call) (any, error) {
	var arg struct {
		Path string `json:"path"`
	}
	p, err := c.decodePathArg(&arg, &arg.Path, "ReadPath")
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	top, zerr := s.zipTarget(c.acct, p)
	var entries []*Entry
	if zerr == nil {
		top, entries, zerr = s.zipTree(c.view(), top)
	}
	s.mu.RUnlock()
	if zerr != nil {
		return nil, routeError(zerr)
	}
	// Blobs never change, so the zip is written without the lock.
	body, err := s.writeZip(top, entries)
	if err != nil {
		return nil, err
	}
	return &download{Result: map[string]any{"metadata": folderMetaNoTag(top)}, Body: body, Size: int64(len(body)), NoRange: true}, nil
}

// zipTarget finds the folder at p, or returns a DownloadZipError value.
// The caller holds s.mu.
func (s *Server) zipTarget(acct *Account, p parsedPath) (*Entry, map[string]any) {
	if p.Kind == pathRev {
		return nil, uv("path", lookupNotFolder) // a revision is a file
	}
	t, lerr := s.resolve(acct, p)
	switch {
	case lerr != nil:
		return nil, uv("path", lerr)
	case t.entry == nil:
		// Nothing there, or the root, which has no folder metadata.
		return nil, uv("path", lookupNotFound)
	case !t.entry.Folder:
		return nil, uv("path", lookupNotFolder)
	}
	return t.entry, nil
}

// zipTree returns folder top and everything below it as v's account sees
// it (what is mounted there included), placed in v (or in the account's
// tree from top's namespace, when v does not have it), parents first; or
// a DownloadZipError value past the limits. The caller holds s.mu.
func (s *Server) zipTree(v *view, top *Entry) (*Entry, []*Entry, map[string]any) {
	ns := s.namespaces[top.NS]
	if ns == nil {
		return nil, nil, uv("path", lookupNotFound)
	}
	v = s.viewOver(v, ns.ID)
	var (
		entries []*Entry
		total   int64
		zerr    map[string]any
	)
	s.walkInto(v.acct, ns, top, true, nil, func(e *Entry) bool {
		entries = append(entries, v.place(e))
		total += e.Size
		switch {
		case len(entries)+1 >= zipMaxEntries:
			zerr = u("too_many_files")
		case e.Size >= zipMaxFile || total > zipMaxTotal:
			zerr = u("too_large")
		}
		return zerr == nil
	})
	if zerr != nil {
		return nil, nil, zerr
	}
	return v.place(top), entries, nil
}

// writeZip writes a zip of the folder top holding entries (everything
// below it, parents first). Names start with the folder's own name, as in
// Dropbox's zips; Paper documents, which cannot be downloaded, are left out.
func (s *Server) writeZip(top *Entry, entries []*Entry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	now := s.clock.Now()
	prefix := top.Name()
	if _, err := zw.CreateHeader(&zip.FileHeader{Name: prefix + "/", Modified: now}); err != nil {
		return nil, err
	}
	for _, e := range entries {
		// The components below top, as displayed.
		depth := strings.Count(e.PathLower, "/") - strings.Count(top.PathLower, "/")
		comps := strings.Split(e.PathDisplay, "/")
		name := prefix + "/" + strings.Join(comps[len(comps)-depth:], "/")
		if e.Folder {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: name + "/", Modified: now}); err != nil {
				return nil, err
			}
			continue
		}
		if isPaper(e.PathLower) {
			continue
		}
		// Deflate what is worth it; resetting a compressor costs more than
		// a small file saves.
		method := zip.Store
		if e.Size >= zipDeflateMin {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: e.ClientModified.In(time.UTC)})
		if err != nil {
			return nil, err
		}
		if err := s.copyContent(w, e.Content, 0, e.Size); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
