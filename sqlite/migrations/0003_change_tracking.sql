-- Change tracking (issue 6): each connection's mirror (files entries, the
-- list_folder cursor, polled objects), the events outbox, webhook
-- endpoints, their deliveries and attempts, and the log of dropbridge's
-- own writes.

-- One row per (connection, kind): the cursor and the version that every
-- applied change compares and increments.
CREATE TABLE mirror_cursors (
	connection_id TEXT NOT NULL REFERENCES connections (id),
	kind          TEXT NOT NULL,
	cursor        TEXT NOT NULL,
	version       INTEGER NOT NULL,
	updated_at    TEXT NOT NULL,
	PRIMARY KEY (connection_id, kind)
) STRICT, WITHOUT ROWID;

CREATE TABLE mirror_entries (
	connection_id TEXT NOT NULL REFERENCES connections (id),
	id            TEXT NOT NULL,
	path_lower    TEXT NOT NULL,
	path_display  TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('file', 'folder', 'paper_doc')),
	rev           TEXT NOT NULL,
	content_hash  TEXT NOT NULL,
	parent        TEXT NOT NULL,
	pending       INTEGER NOT NULL CHECK (pending IN (0, 1)),
	object        BLOB NOT NULL, -- Dropbox's metadata, JSON
	PRIMARY KEY (connection_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX mirror_entries_by_path ON mirror_entries (connection_id, path_lower);
CREATE INDEX mirror_entries_pending ON mirror_entries (connection_id, id) WHERE pending = 1;

CREATE TABLE mirror_objects (
	connection_id TEXT NOT NULL REFERENCES connections (id),
	kind          TEXT NOT NULL,
	key           TEXT NOT NULL,
	object        BLOB NOT NULL, -- JSON
	PRIMARY KEY (connection_id, kind, key)
) STRICT, WITHOUT ROWID;

-- The outbox. seq is the feed's order: with one writer at a time, the
-- order of commits.
CREATE TABLE events (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT NOT NULL UNIQUE,
	environment_id TEXT NOT NULL,
	connection_id  TEXT NOT NULL,
	type           TEXT NOT NULL,
	time           TEXT NOT NULL,
	body           BLOB NOT NULL, -- the event's JSON, as delivered
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
) STRICT;
CREATE INDEX events_by_environment ON events (environment_id, seq);
CREATE INDEX events_by_connection ON events (connection_id, seq);

CREATE TABLE webhook_endpoints (
	id             TEXT PRIMARY KEY,
	environment_id TEXT NOT NULL REFERENCES environments (id),
	url            TEXT NOT NULL,
	description    TEXT NOT NULL,
	event_types    TEXT NOT NULL, -- JSON array of strings
	connection_id  TEXT,
	secret         TEXT NOT NULL, -- sealed
	enabled        INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
) STRICT;
CREATE INDEX webhook_endpoints_by_environment ON webhook_endpoints (environment_id, created_at, id);

CREATE TABLE webhook_deliveries (
	id               TEXT PRIMARY KEY,
	environment_id   TEXT NOT NULL,
	endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	event_seq        INTEGER NOT NULL REFERENCES events (seq),
	event_id         TEXT NOT NULL,
	event_type       TEXT NOT NULL,
	connection_id    TEXT NOT NULL,
	event_time       TEXT NOT NULL,
	status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'dead')),
	attempts         INTEGER NOT NULL,
	failures         INTEGER NOT NULL,
	first_attempt_at TEXT,
	last_attempt_at  TEXT,
	next_attempt_at  TEXT NOT NULL,
	claim_token      TEXT,
	claimed_until    TEXT,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
	UNIQUE (endpoint_id, event_seq)
) STRICT;
-- The head of each endpoint's and connection's queue.
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, connection_id, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_environment ON webhook_deliveries (environment_id, event_seq);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_delivery_attempts (
	delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	number      INTEGER NOT NULL,
	at          TEXT NOT NULL,
	status_code INTEGER NOT NULL,
	error       TEXT NOT NULL,
	duration_us INTEGER NOT NULL,
	PRIMARY KEY (delivery_id, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE write_log (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	environment_id TEXT NOT NULL,
	connection_id  TEXT NOT NULL,
	object_id      TEXT NOT NULL,
	path_lower     TEXT NOT NULL,
	rev            TEXT NOT NULL,
	content_hash   TEXT NOT NULL,
	removal        INTEGER NOT NULL CHECK (removal IN (0, 1)),
	at             TEXT NOT NULL,
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
) STRICT;
CREATE INDEX write_log_by_connection ON write_log (connection_id, at);
CREATE INDEX write_log_by_time ON write_log (at);
