-- Stored idempotent answers are sealed (package secrets), bound to their
-- record: some hold credentials (temporary and shared links, connect
-- session URLs). body_sealed says which rows hold a sealed body; rows
-- written before this migration hold theirs in clear until ResealSecrets
-- seals them (or they expire).
ALTER TABLE idempotency_records ADD COLUMN body_sealed INTEGER NOT NULL DEFAULT 0;
