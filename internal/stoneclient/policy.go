package main

import "strings"

// isWrite reports whether a route commits a change to its namespace, so
// that the client serialises it with the other writes there: routes with
// a scope that writes files, shared folders or file requests, except those
// that commit nothing: the upload session routes that only carry bytes
// (they take no lock and must run in parallel), the routes that poll a
// job, and get_temporary_upload_link.
func isWrite(name, scope string) bool {
	switch scope {
	case "files.content.write", "files.permanent_delete", "sharing.write", "file_requests.write":
	default:
		return false
	}
	return !carriesBytes(name) && !polls(name) && name != "files/get_temporary_upload_link"
}

// isIdempotent reports whether repeating a route after a lost answer
// cannot do harm: reads (a scope ending in ".read", or a route that
// lists, gets, searches, downloads or exports), the routes that poll a
// job, and the upload session routes that only carry bytes (a repeat
// meets incorrect_offset, or opens a session nobody uses).
func isIdempotent(name, scope string) bool {
	if strings.HasSuffix(scope, ".read") || polls(name) || carriesBytes(name) {
		return true
	}
	for _, s := range strings.Split(name, "/")[1:] {
		for _, verb := range []string{"list", "get_", "search", "download", "export"} {
			if strings.HasPrefix(s, verb) {
				return true
			}
		}
	}
	return false
}

// carriesBytes reports whether a route is an upload session route that
// carries bytes and commits no file.
func carriesBytes(name string) bool {
	switch name {
	case "files/upload_session/start", "files/upload_session/start_batch",
		"files/upload_session/append", "files/upload_session/append_v2",
		"files/upload_session/append_batch":
		return true
	}
	return false
}

// polls reports whether a route checks on a job or an app/user (the check
// namespace) rather than doing anything.
func polls(name string) bool {
	segs := strings.Split(name, "/")
	if segs[0] == "check" {
		return true
	}
	for _, s := range segs[1:] {
		if strings.HasPrefix(s, "check") {
			return true
		}
	}
	return false
}
