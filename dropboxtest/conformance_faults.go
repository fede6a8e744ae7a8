package dropboxtest

import (
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
)

// Fault subtests. Each runs one operation on a Faulty target of its own
// (an emulator's faults hit every caller of a route) through the faults
// its kind of route must survive, and checks after that the operation
// took effect once: nothing lost, nothing duplicated.
//
// Three kinds of operation:
//
//   - retried: reads, idempotent routes, and the client's helpers that
//     detect a repeated write (Upload, UploadBatch, Download). They must
//     come through 429s of both reasons, a 503, a reset connection (and,
//     for downloads, truncated bodies), and an answer lost after the
//     server acted.
//   - writeOnce: writes a repeat could apply twice. The client retries
//     429s of both reasons (Dropbox did nothing), but must surface a 503,
//     a reset connection and a lost answer as an error after one request.
//   - rateLimited: only 429s of both reasons are injected.
//
// A lost answer is a fault of the suite's own transport: the request
// reaches the server, which acts on it, and its answer is thrown away, the
// client getting errAnswerLost as if the connection had dropped. It is the
// fault that tells a client that repeats writes from one that does not,
// since the emulator's 503s and resets come before the route acts.

// faultKind says which faults an operation must come through.
type faultKind int

const (
	retried faultKind = iota
	writeOnce
	rateLimited
)

// faultRun drives one operation through faults on a Faulty target.
type faultRun struct {
	e     *env
	creds []dropbox.Option // the credentials of the clients
	check *dropbox.Client  // for setting up and checking the state
}

// newFaultRun returns a faultRun whose clients use creds.
func newFaultRun(e *env, creds ...dropbox.Option) *faultRun {
	r := &faultRun{e: e, creds: creds}
	r.check = r.client()
	return r
}

// userRun returns a faultRun for a fresh account of plan.
func userRun(e *env, plan string) *faultRun {
	a := e.target.NewAccount(e.t, plan)
	return newFaultRun(e, dropbox.WithToken(a.AccessToken))
}

// client returns a client with limits of its own, so that the pacing that
// follows a 429 slows it alone.
func (r *faultRun) client() *dropbox.Client { return r.e.client(r.creds...) }

// through runs do, an operation on route, through the faults of kind, with
// a fresh client each time; do's k tells the operations apart (an
// operation on key k acts on its own file, folder, ...). It returns how
// many keys were done: each must have taken effect once. calls is how
// many requests of route do makes when nothing fails; truncate adds two
// cut bodies to the faults of a retried download.
func (r *faultRun) through(t *testing.T, route string, kind faultKind, calls int, truncate bool, do func(c *dropbox.Client, k int) error) int {
	t.Helper()
	e := r.e
	faults := []Fault{{Route: route, Status: 429, Reason: "too_many_write_operations", Times: 1}}
	if kind == retried {
		faults = append(faults, Fault{Route: route, Status: 503, Times: 1}, Fault{Route: route, Reset: true, Times: 1})
		if truncate {
			faults = append(faults, Fault{Route: route, Truncate: true, Times: 1}, Fault{Route: route, Truncate: true, Times: 1})
		}
	}
	// too_many_requests last: the client slows down after it.
	faults = append(faults, Fault{Route: route, Status: 429, Reason: "too_many_requests", Times: 1})
	for _, f := range faults {
		e.inject(f)
	}
	before := e.rec.sent(route)
	if err := do(r.client(), 0); err != nil {
		t.Fatalf("%s through %d faults: %v", route, len(faults), err)
	}
	if sent := e.rec.sent(route) - before; sent != len(faults)+calls {
		t.Errorf("%s through %d faults: %d requests, want %d", route, len(faults), sent, len(faults)+calls)
	}
	switch kind {
	case rateLimited:
		return 1
	case retried:
		// An answer lost after the server acted: the client asks again.
		e.rec.lose(route, 1)
		before = e.rec.sent(route)
		if err := do(r.client(), 1); err != nil {
			t.Fatalf("%s after a lost answer: %v", route, err)
		}
		if sent := e.rec.sent(route) - before; sent != calls+1 {
			t.Errorf("%s after a lost answer: %d requests, want %d", route, sent, calls+1)
		}
		return 2
	}
	// writeOnce: a 503, a reset and a lost answer each end the call after
	// one request, with an error that says what happened.
	for _, f := range []struct {
		name   string
		inject func()
		want   func(error) bool
	}{
		{"a 503", func() { e.inject(Fault{Route: route, Status: 503, Times: 1}) }, func(err error) bool {
			var se *dropbox.ServerError
			return errors.As(err, &se) && se.Status == 503
		}},
		{"a reset connection", func() { e.inject(Fault{Route: route, Reset: true, Times: 1}) }, func(err error) bool {
			var ue *url.Error
			return errors.As(err, &ue)
		}},
		{"a lost answer", func() { e.rec.lose(route, 1) }, func(err error) bool { return errors.Is(err, errAnswerLost) }},
	} {
		f.inject()
		before = e.rec.sent(route)
		err := do(r.client(), 1)
		if !f.want(err) {
			t.Errorf("%s after %s: %v, want the error", route, f.name, err)
		}
		if sent := e.rec.sent(route) - before; sent != 1 {
			t.Errorf("%s after %s: %d requests, want 1: the write may have happened and must not be repeated", route, f.name, sent)
		}
	}
	return 2
}

// faultFamilies are the fault subtests, each on a Faulty target of its own.
var faultFamilies = []family{
	{"files/get_metadata", faultGetMetadata},
	{"files/list_folder/continue", faultListContinue},
	{"files/list_folder/longpoll", faultLongpoll},
	{"files/download", faultDownload},
	{"files/download/raw", faultRawDownload},
	{"files/upload", faultUpload},
	{"files/upload_session/append_v2", faultSessionAppend},
	{"files/upload_session/finish", faultSessionFinish},
	{"files/upload_session/finish_batch_v2", faultBatchUpload},
	{"files/create_folder_v2", faultCreateFolder},
	{"files/move_v2", faultMove},
	{"files/delete_v2", faultDelete},
	{"files/copy_batch_v2", faultCopyBatch},
	{"files/paper/create", faultPaperCreate},
	{"sharing/create_shared_link_with_settings", faultSharedLink},
	{"sharing/list_shared_links", faultListSharedLinks},
	{"sharing/share_folder", faultShareFolder},
	{"file_requests/create", faultFileRequestCreate},
	{"file_requests/list_v2", faultFileRequestList},
	{"users/get_current_account", faultCurrentAccount},
	{"check/app", faultCheckApp},
	{"team/members/list_v2", faultTeamMembers},
	{"team/team_folder/create", faultTeamFolderCreate},
}

// keyName is the name of key k's file or folder.
func keyName(prefix string, k int) string { return fmt.Sprintf("%s%d", prefix, k) }
