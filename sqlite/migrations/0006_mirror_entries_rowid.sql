-- The initial mirror writes pages of entries whose ids are random. In a
-- WITHOUT ROWID table keyed by (connection_id, id), each of them landed on
-- its own page of the table, metadata and all, so that every page of a
-- listing rewrote most of the table. Rebuilt as a rowid table, new rows go
-- to the end of the table and only the narrow indexes take random inserts.
-- path_display, which no query reads, is computed from the metadata
-- instead of stored.
CREATE TABLE mirror_entries_0006 (
	connection_id TEXT NOT NULL REFERENCES connections (id),
	id            TEXT NOT NULL,
	path_lower    TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('file', 'folder', 'paper_doc')),
	rev           TEXT NOT NULL,
	content_hash  TEXT NOT NULL,
	parent        TEXT NOT NULL,
	pending       INTEGER NOT NULL CHECK (pending IN (0, 1)),
	object        BLOB NOT NULL, -- Dropbox's metadata, JSON
	path_display  TEXT GENERATED ALWAYS AS (json_extract(CAST(object AS TEXT), '$.path_display')) VIRTUAL
) STRICT;
INSERT INTO mirror_entries_0006 (connection_id, id, path_lower, kind, rev, content_hash, parent, pending, object)
	SELECT connection_id, id, path_lower, kind, rev, content_hash, parent, pending, object
	FROM mirror_entries ORDER BY connection_id, path_lower;
DROP TABLE mirror_entries;
ALTER TABLE mirror_entries_0006 RENAME TO mirror_entries;
-- What the primary key was: an entry by its id, and the id order of
-- ListMirrorEntries.
CREATE UNIQUE INDEX mirror_entries_by_id ON mirror_entries (connection_id, id);
CREATE INDEX mirror_entries_by_path ON mirror_entries (connection_id, path_lower);
CREATE INDEX mirror_entries_pending ON mirror_entries (connection_id, id) WHERE pending = 1;
-- See 0005.
CREATE INDEX mirror_entries_by_folder
	ON mirror_entries (connection_id, rtrim(path_lower, replace(path_lower, '/', '')), path_lower);
