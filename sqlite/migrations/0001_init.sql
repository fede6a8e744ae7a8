-- The connector's first schema: environments, API keys, apps, connect
-- sessions, connections and idempotency records. Times are UTC text in
-- the fixed-width form 2006-01-02T15:04:05.000000Z, so they sort as text.
-- Columns that hold secrets are sealed by the store (package secrets).

CREATE TABLE environments (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
	id             TEXT PRIMARY KEY,
	environment_id TEXT NOT NULL REFERENCES environments (id),
	name           TEXT NOT NULL,
	prefix         TEXT NOT NULL,
	secret_hash    BLOB NOT NULL UNIQUE,
	created_at     TEXT NOT NULL,
	last_used_at   TEXT,
	revoked_at     TEXT
) STRICT;
CREATE INDEX api_keys_by_environment ON api_keys (environment_id, created_at, id);

CREATE TABLE apps (
	id             TEXT PRIMARY KEY,
	environment_id TEXT NOT NULL REFERENCES environments (id),
	name           TEXT NOT NULL,
	app_key        TEXT NOT NULL,
	app_secret     TEXT NOT NULL, -- sealed
	default_scopes TEXT NOT NULL, -- JSON array of strings
	is_default     INTEGER NOT NULL CHECK (is_default IN (0, 1)),
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	UNIQUE (environment_id, app_key),
	UNIQUE (environment_id, id)
) STRICT;
CREATE UNIQUE INDEX apps_one_default ON apps (environment_id) WHERE is_default = 1;

CREATE TABLE connections (
	id               TEXT PRIMARY KEY,
	environment_id   TEXT NOT NULL,
	app_id           TEXT NOT NULL,
	external_user_id TEXT NOT NULL,
	account_id       TEXT NOT NULL,
	team_id          TEXT NOT NULL,
	email            TEXT NOT NULL,
	display_name     TEXT NOT NULL,
	account_type     TEXT NOT NULL,
	scopes           TEXT NOT NULL, -- JSON array of strings
	status           TEXT NOT NULL CHECK (status IN ('active', 'needs_reauth', 'revoked')),
	access_token     TEXT NOT NULL, -- sealed
	refresh_token    TEXT NOT NULL, -- sealed
	token_expiry     TEXT,
	token_version    INTEGER NOT NULL,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
	FOREIGN KEY (environment_id, app_id) REFERENCES apps (environment_id, id),
	UNIQUE (environment_id, external_user_id, account_id),
	UNIQUE (environment_id, id)
) STRICT;
CREATE INDEX connections_by_environment ON connections (environment_id, created_at, id);

CREATE TABLE connect_sessions (
	id               TEXT PRIMARY KEY,
	environment_id   TEXT NOT NULL,
	app_id           TEXT NOT NULL,
	external_user_id TEXT NOT NULL,
	scopes           TEXT NOT NULL, -- JSON array of strings
	redirect_url     TEXT NOT NULL,
	state_hash       BLOB NOT NULL UNIQUE,
	pkce_verifier    TEXT NOT NULL, -- sealed
	expires_at       TEXT NOT NULL,
	consumed_at      TEXT,
	connection_id    TEXT,
	created_at       TEXT NOT NULL,
	FOREIGN KEY (environment_id, app_id) REFERENCES apps (environment_id, id),
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
) STRICT;

CREATE TABLE idempotency_records (
	environment_id  TEXT NOT NULL REFERENCES environments (id),
	idempotency_key TEXT NOT NULL,
	method          TEXT NOT NULL,
	path            TEXT NOT NULL,
	fingerprint     BLOB NOT NULL,
	status_code     INTEGER NOT NULL,
	body            BLOB NOT NULL,
	created_at      TEXT NOT NULL,
	expires_at      TEXT NOT NULL,
	PRIMARY KEY (environment_id, idempotency_key, method, path)
) STRICT;
CREATE INDEX idempotency_records_by_expiry ON idempotency_records (expires_at);
