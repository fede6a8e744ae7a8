-- Change tracking (issue 6): each connection's mirror (files entries, the
-- list_folder cursor, polled objects), the events outbox, webhook
-- endpoints, their deliveries and attempts, and the log of dropbridge's
-- own writes.

-- One row per (connection, kind): the cursor and the version that every
-- applied change compares and increments.
CREATE TABLE mirror_cursors (
	connection_id text NOT NULL REFERENCES connections (id),
	kind          text NOT NULL,
	cursor        text NOT NULL,
	version       bigint NOT NULL,
	updated_at    timestamptz NOT NULL,
	PRIMARY KEY (connection_id, kind)
);

-- Paths compare byte by byte, so that a subtree is a range.
CREATE TABLE mirror_entries (
	connection_id text NOT NULL REFERENCES connections (id),
	id            text COLLATE "C" NOT NULL,
	path_lower    text COLLATE "C" NOT NULL,
	path_display  text NOT NULL,
	kind          text NOT NULL CHECK (kind IN ('file', 'folder', 'paper_doc')),
	rev           text NOT NULL,
	content_hash  text NOT NULL,
	parent        text NOT NULL,
	pending       boolean NOT NULL,
	object        bytea NOT NULL, -- Dropbox's metadata, JSON
	PRIMARY KEY (connection_id, id)
);
CREATE INDEX mirror_entries_by_path ON mirror_entries (connection_id, path_lower);
CREATE INDEX mirror_entries_pending ON mirror_entries (connection_id, id) WHERE pending;

CREATE TABLE mirror_objects (
	connection_id text NOT NULL REFERENCES connections (id),
	kind          text NOT NULL,
	key           text COLLATE "C" NOT NULL,
	object        bytea NOT NULL, -- JSON
	PRIMARY KEY (connection_id, kind, key)
);

-- The outbox. seq is the feed's order: writers take it from
-- event_sequence, whose row they hold locked until they commit, so seq
-- follows the order of commits.
CREATE TABLE event_sequence (
	one  boolean PRIMARY KEY CHECK (one),
	last bigint NOT NULL
);
INSERT INTO event_sequence VALUES (true, 0);

CREATE TABLE events (
	seq            bigint PRIMARY KEY,
	id             text NOT NULL UNIQUE,
	environment_id text NOT NULL,
	connection_id  text NOT NULL,
	type           text NOT NULL,
	time           timestamptz NOT NULL,
	body           bytea NOT NULL, -- the event's JSON, as delivered
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
);
CREATE INDEX events_by_environment ON events (environment_id, seq);
CREATE INDEX events_by_connection ON events (connection_id, seq);

CREATE TABLE webhook_endpoints (
	id             text PRIMARY KEY,
	environment_id text NOT NULL REFERENCES environments (id),
	url            text NOT NULL,
	description    text NOT NULL,
	event_types    text[] NOT NULL,
	connection_id  text,
	secret         text NOT NULL, -- sealed
	enabled        boolean NOT NULL,
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
);
CREATE INDEX webhook_endpoints_by_environment ON webhook_endpoints (environment_id, created_at, id);

CREATE TABLE webhook_deliveries (
	id               text PRIMARY KEY,
	environment_id   text NOT NULL,
	endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	event_seq        bigint NOT NULL REFERENCES events (seq),
	event_id         text NOT NULL,
	event_type       text NOT NULL,
	connection_id    text NOT NULL,
	event_time       timestamptz NOT NULL,
	status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'dead')),
	attempts         integer NOT NULL,
	failures         integer NOT NULL,
	first_attempt_at timestamptz,
	last_attempt_at  timestamptz,
	next_attempt_at  timestamptz NOT NULL,
	claim_token      text,
	claimed_until    timestamptz,
	created_at       timestamptz NOT NULL,
	updated_at       timestamptz NOT NULL,
	UNIQUE (endpoint_id, event_seq)
);
-- The head of each endpoint's and connection's queue.
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, connection_id, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_environment ON webhook_deliveries (environment_id, event_seq);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_delivery_attempts (
	delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	number      integer NOT NULL,
	at          timestamptz NOT NULL,
	status_code integer NOT NULL,
	error       text NOT NULL,
	duration_us bigint NOT NULL,
	PRIMARY KEY (delivery_id, number)
);

CREATE TABLE write_log (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	environment_id text NOT NULL,
	connection_id  text NOT NULL,
	object_id      text NOT NULL,
	path_lower     text NOT NULL,
	rev            text NOT NULL,
	content_hash   text NOT NULL,
	removal        boolean NOT NULL,
	at             timestamptz NOT NULL,
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
);
CREATE INDEX write_log_by_connection ON write_log (connection_id, at);
CREATE INDEX write_log_by_time ON write_log (at);
