// Package dropbridge holds the connector's domain: the nouns (environments,
// API keys, apps, connect sessions, connections, idempotency records), their
// rules, the error codes every layer speaks, and the store contracts that the
// sqlite and postgres packages implement.
//
// It does no I/O of its own and knows no database, HTTP or Dropbox client:
// those live in packages named after their technology, which depend on this
// one and never the other way round.
package dropbridge
