package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Some sharing calls answer with an async job (share_folder on a large
// folder, unshare_folder, remove_folder_member): the API waits for the job
// within the request, so that its answer is the outcome.

// Waits between checks of a Dropbox job: the first check is at once, then
// after jobPollFirst, doubling up to jobPollMax; after jobPollLimit the
// wait is given up.
const (
	jobPollFirst = 100 * time.Millisecond
	jobPollMax   = 2 * time.Second
	jobPollLimit = 5 * time.Minute
)

// awaitJob calls check until it reports the job done or fails, waiting
// between calls as the constants above say. It ends on ctx.Done(), and
// returns an EUNAVAILABLE error when the job outlasts jobPollLimit: the
// job goes on at Dropbox, and what to look at is said by what.
func awaitJob(ctx context.Context, what string, check func(ctx context.Context) (done bool, err error)) error {
	wait := jobPollFirst
	var waited time.Duration
	for {
		done, err := check(ctx)
		if err != nil || done {
			return err
		}
		if waited >= jobPollLimit {
			return dropbridge.Errorf(dropbridge.EUNAVAILABLE,
				"Dropbox has not finished after %s; it goes on working: %s.", jobPollLimit, what)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for a dropbox job: %w", context.Cause(ctx))
		case <-t.C:
		}
		waited += wait
		wait = min(wait*2, jobPollMax)
	}
}

// jobFailure returns the error of a job that Dropbox reports failed with
// the error union failed, as the *dropbox.APIError a call that failed at
// once would have given (route is the route that started the job), so
// that it is translated like any refusal of Dropbox's.
func jobFailure(route string, failed any) error {
	raw, err := json.Marshal(failed)
	if err != nil {
		return fmt.Errorf("%s: job failed, and its error cannot be read: %w", route, err)
	}
	api := &dropbox.APIError{Route: route, Tags: unionTags(raw), Body: raw}
	if e, ok := failed.(error); ok {
		api.Err = e
	}
	return api
}

// unionTags returns the tag path of a Dropbox error union in JSON,
// outermost first: {".tag":"a","a":{".tag":"b"}} is [a b].
func unionTags(raw json.RawMessage) []string {
	var tags []string
	for len(tags) < 16 {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			break
		}
		var tag string
		if json.Unmarshal(obj[".tag"], &tag) != nil || tag == "" {
			break
		}
		tags = append(tags, tag)
		if raw = obj[tag]; raw == nil {
			break
		}
	}
	return tags
}
