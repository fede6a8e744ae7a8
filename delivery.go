package dropbridge

import (
	"context"
	"time"
)

// DeliveryIDPrefix starts every delivery ID.
const DeliveryIDPrefix = "dlv_"

// DeliveryStatus says where a delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	// DeliveryPending: to be sent, at NextAttemptAt or later.
	DeliveryPending DeliveryStatus = "pending"
	// DeliverySucceeded: the endpoint answered 2xx.
	DeliverySucceeded DeliveryStatus = "succeeded"
	// DeliveryDead: retries ran out; parked in the dead-letter list until
	// replayed.
	DeliveryDead DeliveryStatus = "dead"
)

// Valid reports whether s is pending, succeeded or dead.
func (s DeliveryStatus) Valid() bool {
	return s == DeliveryPending || s == DeliverySucceeded || s == DeliveryDead
}

// Delivery is one event to send to one webhook endpoint. Deliveries of one
// endpoint and connection go out in event order: the next waits until the
// one before it succeeded or is dead.
type Delivery struct {
	ID            string         `json:"id"`
	EnvironmentID string         `json:"environment_id"`
	EndpointID    string         `json:"endpoint_id"`
	EventID       string         `json:"event_id"`
	EventType     EventType      `json:"event_type"`
	ConnectionID  string         `json:"connection_id"`
	EventTime     time.Time      `json:"event_time"`
	Status        DeliveryStatus `json:"status"`
	// Attempts counts every attempt ever made.
	Attempts int `json:"attempts"`
	// Failures counts the failed attempts since the delivery was made or
	// last replayed, and FirstAttemptAt is the first attempt since then
	// (zero before it): what the retry policy goes by.
	Failures       int       `json:"failures"`
	FirstAttemptAt time.Time `json:"first_attempt_at"`
	LastAttemptAt  time.Time `json:"last_attempt_at"`
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt time.Time `json:"next_attempt_at"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// DeliveryAttempt is one logged attempt of a delivery.
type DeliveryAttempt struct {
	DeliveryID string `json:"delivery_id"`
	// Number counts the delivery's attempts from 1.
	Number int       `json:"number"`
	At     time.Time `json:"at"`
	// StatusCode is the endpoint's HTTP status; 0 when none came.
	StatusCode int `json:"status_code"`
	// Error says what went wrong, for users: never a secret.
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
}

// DeliveryClaim is a delivery that a worker claimed to send: with the
// endpoint (its secret open) and the event's JSON as stored, the body to
// send byte for byte.
type DeliveryClaim struct {
	Delivery *Delivery
	Endpoint *WebhookEndpoint
	Body     []byte
	// Token proves the claim to RecordDeliveryAttempt.
	Token string
	// Until is when the claim lapses and another worker may claim the
	// delivery.
	Until time.Time
}

// DeliveryOutcome is how a claimed attempt ended, for
// RecordDeliveryAttempt.
type DeliveryOutcome struct {
	DeliveryID string
	// Token is the claim's token.
	Token string
	// At, StatusCode, Error and Duration are logged as the attempt.
	At         time.Time
	StatusCode int
	Error      string
	Duration   time.Duration
	// Succeeded ends the delivery.
	Succeeded bool
	// RetryAt, for a failure, is when to try again (from the retry policy,
	// webhooks.RetryPolicy); zero parks the delivery as dead.
	RetryAt time.Time
}

// Validate returns an EINVALID error for an outcome without delivery,
// token or time, with a status code outside 0 to 999, or a success with a
// retry time.
func (o *DeliveryOutcome) Validate() error {
	switch {
	case o.DeliveryID == "" || o.Token == "":
		return Errorf(EINVALID, "A delivery outcome needs the delivery and its claim token.")
	case o.At.IsZero():
		return Errorf(EINVALID, "A delivery outcome needs the attempt's time.")
	case o.StatusCode < 0 || o.StatusCode > 999:
		return Errorf(EINVALID, "Status code %d is not an HTTP status.", o.StatusCode)
	case o.Succeeded && !o.RetryAt.IsZero():
		return Errorf(EINVALID, "A delivery that succeeded is not retried.")
	case o.Duration < 0:
		return Errorf(EINVALID, "An attempt's duration is never negative.")
	}
	return nil
}

// DeliveryFilter selects deliveries for ListDeliveries and
// ReplayDeliveries; empty fields match everything.
type DeliveryFilter struct {
	EndpointID   string
	EventID      string
	ConnectionID string
	Status       DeliveryStatus
	// Since and Until keep the deliveries of events made in [Since, Until).
	Since, Until time.Time
	// Limit is the page size of ListDeliveries: 0 means DefaultPageSize; at
	// most MaxPageSize. ReplayDeliveries ignores it.
	Limit int
}

// Validate returns an EINVALID error for an unknown status, an empty time
// range or a limit out of range.
func (f DeliveryFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return Errorf(EINVALID, "Delivery status %q is not one of pending, succeeded, dead.", f.Status)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return Errorf(EINVALID, "The time range is empty: until must be after since.")
	}
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return Errorf(EINVALID, "The page size must be between 1 and %d.", MaxPageSize)
	}
	return nil
}

// PageSize returns the limit to use: Limit, or DefaultPageSize if zero.
func (f DeliveryFilter) PageSize() int {
	if f.Limit == 0 {
		return DefaultPageSize
	}
	return f.Limit
}

// DeliveryStore keeps webhook deliveries and their attempts. Deliveries
// are made with their events (ApplyMirrorChange, AppendEvents). Its
// methods are safe for concurrent use, by many workers in many processes.
type DeliveryStore interface {
	// ClaimDeliveries claims up to limit due deliveries for a worker, for
	// lease: each is the oldest pending delivery of its endpoint and
	// connection, due (NextAttemptAt has come), of an enabled endpoint,
	// and not claimed by another worker whose claim still runs. No two
	// calls get the same delivery while a claim runs; a claim that lapses
	// (the worker died) may be claimed again. Oldest due first.
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*DeliveryClaim, error)
	// RecordDeliveryAttempt logs one attempt of a claimed delivery and
	// applies its outcome: succeeded, pending again at RetryAt, or dead;
	// the claim ends. A claim that lapsed and went to another worker, or a
	// delivery no longer pending, is ECONFLICT (the attempt is not
	// logged); an invalid outcome is EINVALID.
	RecordDeliveryAttempt(ctx context.Context, o *DeliveryOutcome) (*Delivery, error)
	// FindDeliveryByID returns the environment's delivery with id, or
	// ENOTFOUND.
	FindDeliveryByID(ctx context.Context, environmentID, id string) (*Delivery, error)
	// ListDeliveries returns the environment's deliveries that f selects,
	// newest event first (the dead-letter list: Status dead).
	ListDeliveries(ctx context.Context, environmentID string, f DeliveryFilter) ([]*Delivery, error)
	// ListDeliveryAttempts returns the attempts of the environment's
	// delivery with id, oldest first; ENOTFOUND for an unknown delivery.
	ListDeliveryAttempts(ctx context.Context, environmentID, id string) ([]*DeliveryAttempt, error)
	// ReplayDeliveries makes the environment's deliveries that f selects
	// pending again, due now, with their failures forgotten (their attempts
	// stay logged), and returns how many. Each goes out again in event
	// order within its endpoint and connection.
	ReplayDeliveries(ctx context.Context, environmentID string, f DeliveryFilter) (int64, error)
}

// LostClaimError is the ECONFLICT of a delivery attempt whose claim is gone.
func LostClaimError(id string) error {
	return Errorf(ECONFLICT,
		"The claim on delivery %q is gone: it lapsed and went to another worker, or the delivery was replayed or is no longer pending.", id)
}
