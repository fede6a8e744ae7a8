package dropboxemu

import (
	"slices"
	"strings"
)

func init() {
	register("files/export", (*Server).export)
}

type exportArg struct {
	Path         string  `json:"path"`
	ExportFormat *string `json:"export_format,omitempty"`
}

// exportExtensions are the file name extensions of the export formats.
var exportExtensions = map[string]string{"markdown": ".md", "html": ".html"}

// exportResult and exportMetadata are the spec's ExportResult and
// ExportMetadata, in their field order.
type exportResult struct {
	ExportMetadata exportMetadata `json:"export_metadata"`
	FileMetadata   any            `json:"file_metadata"`
}

type exportMetadata struct {
	Name          string `json:"name"`
	Size          int    `json:"size"`
	ExportHash    string `json:"export_hash,omitempty"`
	PaperRevision *int64 `json:"paper_revision,omitempty"`
}

func (s *Server) export(c *call) (any, error) {
	var arg exportArg
	p, err := c.decodePathArg(&arg, &arg.Path, "ReadPath")
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	e, lerr := s.readFile(c.acct, p)
	var paperRev int64
	if lerr == nil {
		paperRev = s.paperRevision(e)
	}
	s.mu.RUnlock()
	if lerr != nil {
		return nil, routeError(uv("path", lerr))
	}
	// Only what cannot be downloaded, and says how it exports, is exportable.
	info := fileMeta(e).ExportInfo
	if info == nil || info.ExportAs == "" {
		return nil, routeError(u("non_exportable"))
	}
	format := info.ExportAs
	if arg.ExportFormat != nil {
		format = *arg.ExportFormat
	}
	if !slices.Contains(info.ExportOptions, format) && format != info.ExportAs {
		return nil, routeError(u("invalid_export_format"))
	}
	ext, ok := exportExtensions[format]
	if !ok {
		return nil, routeError(u("invalid_export_format"))
	}
	// Blobs never change, so the content is read without the lock.
	doc, err := s.readContent(e.Content, e.Size)
	if err != nil {
		return nil, err
	}
	title := e.Name()
	if n := len(title) - len(".paper"); n > 0 && strings.EqualFold(title[n:], ".paper") {
		title = title[:n]
	}
	out := doc
	if format == "html" {
		out = []byte(markdownToHTML(title, string(doc)))
	}
	meta := exportMetadata{Name: title + ext, Size: len(out), ExportHash: contentHashOf(out)}
	if isPaper(e.PathLower) {
		meta.PaperRevision = &paperRev
	}
	res := exportResult{ExportMetadata: meta, FileMetadata: fileMetaNoTag(c.view().place(e))}
	return &download{Result: res, Body: out, Size: int64(len(out))}, nil
}
