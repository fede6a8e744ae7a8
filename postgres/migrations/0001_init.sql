-- The connector's first schema: environments, API keys, apps, connect
-- sessions, connections and idempotency records. Columns that hold secrets
-- are sealed by the store (package secrets).

CREATE TABLE environments (
	id         text PRIMARY KEY,
	name       text NOT NULL UNIQUE,
	created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
	id             text PRIMARY KEY,
	environment_id text NOT NULL REFERENCES environments (id),
	name           text NOT NULL,
	prefix         text NOT NULL,
	secret_hash    bytea NOT NULL UNIQUE,
	created_at     timestamptz NOT NULL,
	last_used_at   timestamptz,
	revoked_at     timestamptz
);
CREATE INDEX api_keys_by_environment ON api_keys (environment_id, created_at, id);

CREATE TABLE apps (
	id             text PRIMARY KEY,
	environment_id text NOT NULL REFERENCES environments (id),
	name           text NOT NULL,
	app_key        text NOT NULL,
	app_secret     text NOT NULL, -- sealed
	default_scopes text[] NOT NULL,
	is_default     boolean NOT NULL,
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	UNIQUE (environment_id, app_key),
	UNIQUE (environment_id, id)
);
CREATE UNIQUE INDEX apps_one_default ON apps (environment_id) WHERE is_default;

CREATE TABLE connections (
	id               text PRIMARY KEY,
	environment_id   text NOT NULL,
	app_id           text NOT NULL,
	external_user_id text NOT NULL,
	account_id       text NOT NULL,
	team_id          text NOT NULL,
	email            text NOT NULL,
	display_name     text NOT NULL,
	account_type     text NOT NULL,
	scopes           text[] NOT NULL,
	status           text NOT NULL CHECK (status IN ('active', 'needs_reauth', 'revoked')),
	access_token     text NOT NULL, -- sealed
	refresh_token    text NOT NULL, -- sealed
	token_expiry     timestamptz,
	token_version    bigint NOT NULL,
	created_at       timestamptz NOT NULL,
	updated_at       timestamptz NOT NULL,
	FOREIGN KEY (environment_id, app_id) REFERENCES apps (environment_id, id),
	UNIQUE (environment_id, external_user_id, account_id),
	UNIQUE (environment_id, id)
);
CREATE INDEX connections_by_environment ON connections (environment_id, created_at, id);

CREATE TABLE connect_sessions (
	id               text PRIMARY KEY,
	environment_id   text NOT NULL,
	app_id           text NOT NULL,
	external_user_id text NOT NULL,
	scopes           text[] NOT NULL,
	redirect_url     text NOT NULL,
	state_hash       bytea NOT NULL UNIQUE,
	pkce_verifier    text NOT NULL, -- sealed
	expires_at       timestamptz NOT NULL,
	consumed_at      timestamptz,
	connection_id    text,
	created_at       timestamptz NOT NULL,
	FOREIGN KEY (environment_id, app_id) REFERENCES apps (environment_id, id),
	FOREIGN KEY (environment_id, connection_id) REFERENCES connections (environment_id, id)
);

CREATE TABLE idempotency_records (
	environment_id  text NOT NULL REFERENCES environments (id),
	idempotency_key text NOT NULL,
	method          text NOT NULL,
	path            text NOT NULL,
	fingerprint     bytea NOT NULL,
	status_code     integer NOT NULL,
	body            bytea NOT NULL,
	created_at      timestamptz NOT NULL,
	expires_at      timestamptz NOT NULL,
	PRIMARY KEY (environment_id, idempotency_key, method, path)
);
CREATE INDEX idempotency_records_by_expiry ON idempotency_records (expires_at);
