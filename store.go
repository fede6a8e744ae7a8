package dropbridge

import "context"

// Store is the connector's database: every store contract in one, as the
// sqlite and postgres packages implement it. Both pass the one suite in
// storetest.
//
// It is one interface over eleven smaller ones because the nouns share one
// database, one migration history and one key ring, and some operations span
// them in one transaction (CompleteConnectSession writes a connection and a
// session; ApplyMirrorChange writes the mirror, the events and their
// deliveries); code that needs only part of it, such as API key authentication,
// takes the smaller interface.
//
// Every method takes a context first and is safe for concurrent use. Reads
// scoped to an environment never return another environment's rows: a miss
// is ENOTFOUND. Secrets (app secrets, tokens, PKCE verifiers, webhook
// endpoint secrets) are sealed with the store's key ring before they are
// written.
type Store interface {
	EnvironmentStore
	APIKeyStore
	AppStore
	ConnectSessionStore
	ConnectionStore
	IdempotencyStore
	MirrorStore
	EventStore
	WebhookEndpointStore
	DeliveryStore
	WriteLogStore

	// ResealSecrets seals every stored secret that is not sealed with the key
	// ring's newest key again with it, and returns how many it re-sealed.
	// When it returns nil, older keys can be removed from the key ring. It
	// works in batches, so it may be stopped and run again; values written
	// meanwhile by a process that has the new key ring are already sealed
	// with the newest key. A value that no key opens is EINTERNAL and stops
	// it.
	ResealSecrets(ctx context.Context) (int, error)

	// Close releases the database.
	Close() error
}
