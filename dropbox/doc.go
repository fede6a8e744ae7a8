// Package dropbox is a client for the Dropbox API v2, written for programs
// that must not lose a file or a call: typed requests and results named as
// in Dropbox's spec, a transport that handles Dropbox's rate limits, lock
// contention, expiring tokens and dropped connections, and fast large and
// batched uploads. It imports nothing else of dropbridge.
//
// # Calls
//
// A Client holds one service per API area, with a method per route, named
// after the route and typed after the spec (generated from Dropbox's Stone
// spec by internal/stoneclient):
//
//	c := dropbox.New(dropbox.WithToken(token))
//	res, err := c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: "/Reports"})
//	md, err := c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "id:a4ayc_80_OEAAAAAAAAAXw"})
//
// Unions are structs with a Tag and one field per member that carries a
// value (WriteMode{Tag: WriteModeUpdate, Update: rev}); structs with
// subtypes, such as Metadata, hold one pointer per subtype (m.File,
// m.Folder, m.Deleted) and getters for the common fields. Optional fields
// are pointers, with nil-safe GetX accessors that return the spec's
// default. Call, CallUpload and CallDownload reach any route by name.
//
// # Errors
//
// Every answer other than success is one of the types of errors.go:
// *APIError for a route's own error (409), matched with errors.Is against
// sentinels such as ErrNotFound, or with errors.As against the route's
// typed error union (*ListFolderError); *AuthError, *AccessError,
// *PathRootError, *RateLimitError, *ServerError and *BadInputError for the
// rest.
//
// # Retries and limits
//
// Rate limits (429, both too_many_requests and too_many_write_operations)
// are always retried, no sooner than Retry-After. Server errors and broken
// connections are retried only where a repeat cannot do harm: reads, polls
// and upload bytes that can be sent again (RetryPolicy). Each account's
// calls are paced after a 429 and its writes go one at a time (Limits), so
// that the client never causes lock contention itself; calls whose context
// is marked WithBackground wait behind interactive ones. WithOAuth2 and
// WithTokenSource keep a short-lived access token fresh.
//
// # Files
//
// Upload sends a file of any size: one request for small files, an upload
// session above a threshold, in parallel parts when the source is an
// io.ReaderAt, resumable from a saved session, with its content hash
// checked by Dropbox. UploadBatch and NewBatchUploader upload many files
// and commit them together. Download streams a file to a writer, resumes
// after a cut connection and verifies the content hash. The ...All methods
// (Files.ListFolderAll, Sharing.ListSharedLinksAll, ...) are iterators that
// follow cursors to the end.
//
// # Teams
//
// AsMember and AsAdmin act for a member of the team whose token the client
// holds; InTeamSpace, WithRoot and WithNamespace set the path root that
// team spaces need.
//
// See https://www.dropbox.com/developers/documentation/http/documentation.
package dropbox
