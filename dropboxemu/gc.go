package dropboxemu

import "fmt"

// collectGarbage deletes the blobs that nothing refers to: bytes stored by
// a call whose commit never happened (a crash between PutBlob and Commit, or
// a failed commit). It runs when the emulator starts, before it serves.
func (s *Server) collectGarbage() error {
	used := map[string]bool{}
	mark := func(segs []Segment) {
		for _, seg := range segs {
			used[seg.Blob] = true
		}
	}
	for _, ns := range s.namespaces {
		for _, e := range ns.byID {
			mark(e.Content)
		}
		for _, ch := range ns.log {
			if ch.Entry != nil {
				mark(ch.Entry.Content)
			}
		}
	}
	for _, e := range s.revs {
		mark(e.Content)
	}
	for _, us := range s.sessions {
		for _, p := range us.Parts {
			used[p.Blob] = true
		}
	}
	for _, l := range s.tempLinks {
		if l.File != nil {
			mark(l.File.Content)
		}
	}
	var unused []string
	if err := s.backend.ListBlobs(func(id string) error {
		if !used[id] {
			unused = append(unused, id)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("dropboxemu: list blobs: %w", err)
	}
	for _, id := range unused {
		if err := s.backend.DeleteBlob(id); err != nil {
			return fmt.Errorf("dropboxemu: delete unused blob: %w", err)
		}
	}
	if len(unused) > 0 {
		s.log.Info("dropboxemu: deleted blobs that no committed state refers to", "count", len(unused))
	}
	return nil
}
