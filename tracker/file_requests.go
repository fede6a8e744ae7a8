package tracker

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// FilesReceived returns a file_request.file_received change for each file
// that changes created in the destination folder of an open file request
// among requests (the mirror's file requests), in the order of changes. A
// file uploaded through dropbridge (origin "api") came through no request.
// Dropbox does not say which request a file came through: when several open
// requests share a destination, each gets a change. The destination is
// compared without regard to case (file requests give only its display
// path). Each change's After is the request and its File the file.
func FilesReceived(changes []Change, requests []dropbox.FileRequest) ([]Change, error) {
	open := map[string][]*dropbox.FileRequest{}
	for i := range requests {
		r := &requests[i]
		if r.IsOpen && r.Destination != nil {
			dest := strings.ToLower(strings.TrimSuffix(*r.Destination, "/"))
			open[dest] = append(open[dest], r)
		}
	}
	if len(open) == 0 {
		return nil, nil
	}
	var out []Change
	for i := range changes {
		c := &changes[i]
		if c.Type != dropbridge.EventFileCreated || c.Origin == dropbridge.OriginAPI {
			continue
		}
		for _, r := range open[parentPath(c.PathLower)] {
			raw, err := json.Marshal(r)
			if err != nil {
				return nil, fmt.Errorf("encode file request %q: %w", r.ID, err)
			}
			out = append(out, Change{Type: dropbridge.EventFileRequestFileReceived, ObjectID: r.ID, After: raw, File: c.After,
				PathLower: c.PathLower, Rev: c.Rev, ContentHash: c.ContentHash, Origin: dropbridge.OriginDropbox})
		}
	}
	return out, nil
}
