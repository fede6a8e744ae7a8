// Package dropbox is a client for the Dropbox API v2: typed requests and
// results named as in Dropbox's spec, robust transport (header-safe
// arguments, typed errors, Retry-After, backoff, rate limits) and fast large
// and batched uploads. It imports nothing else of dropbridge.
//
// This package is being built. What is here now: Client with Call,
// CallOnce, CallNoAuth, Upload and Download for the three route styles
// (client.go), the header encoding of arguments (header.go), the errors
// Dropbox answers with (errors.go) and the retry policy (retry.go). Typed
// services per API area come next. See
// https://www.dropbox.com/developers/documentation/http/documentation.
package dropbox
