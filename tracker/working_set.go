package tracker

import (
	"slices"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// WorkingSet returns the part of a connection's stored files mirror that
// ApplyPage needs for page, so that a Files made from just those entries
// (dropbridge.MirrorStore.QueryMirrorEntries, then NewFiles) makes the same
// changes and updates as one that holds the whole mirror: the entries the
// page names by id, with the subtrees of the folders among them; the
// entries at and below each listed path; the entry at each listed path's
// parent folder; and (the store adds them) every pending entry. Memory
// then grows with the page and the pending deletions, not with the
// account. Reset needs the whole mirror: every entry becomes pending.
func WorkingSet(page *dropbox.ListFolderResult) dropbridge.MirrorQuery {
	var q dropbridge.MirrorQuery
	for i := range page.Entries {
		m := &page.Entries[i]
		if id := metadataID(m); id != "" {
			q.IDs = append(q.IDs, id)
		}
		p := metadataPath(m)
		if p == "" {
			continue
		}
		q.Subtrees = append(q.Subtrees, p)
		if dir := parentPath(p); dir != "" {
			q.Paths = append(q.Paths, dir)
		}
	}
	for _, s := range []*[]string{&q.IDs, &q.Paths, &q.Subtrees} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	return q
}

// WriteOf returns the write log record r as Attribute takes it.
func WriteOf(r *dropbridge.WriteRecord) Write {
	return Write{ObjectID: r.ObjectID, PathLower: r.PathLower, Rev: r.Rev, ContentHash: r.ContentHash, Removal: r.Removal, At: r.At}
}
