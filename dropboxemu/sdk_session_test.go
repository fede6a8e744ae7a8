package dropboxemu_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/async"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

const coreBlock = 4 << 20 // 4 MiB, the concurrent session granularity

// coreStart starts a session with data.
func coreStart(t *testing.T, fc files.ContextClient, arg *files.UploadSessionStartArg, data []byte) string {
	t.Helper()
	res, err := fc.UploadSessionStartContext(t.Context(), arg, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("upload_session/start: %v", err)
	}
	return res.SessionId
}

// coreAppend appends data at offset and returns the error the SDK decoded, if any.
func coreAppend(t *testing.T, fc files.ContextClient, id string, offset uint64, data []byte, close bool) *files.UploadSessionAppendError {
	t.Helper()
	arg := files.NewUploadSessionAppendArg(files.NewUploadSessionCursor(id, offset))
	arg.Close = close
	err := fc.UploadSessionAppendV2Context(t.Context(), arg, bytes.NewReader(data))
	if err == nil {
		return nil
	}
	return coreAPIErr[files.UploadSessionAppendV2APIError](t, err).EndpointError
}

// coreFinish finishes a session into path (add mode) with data.
func coreFinish(t *testing.T, fc files.ContextClient, id string, offset uint64, path string, data []byte) (*files.FileMetadata, *files.UploadSessionFinishError) {
	t.Helper()
	arg := files.NewUploadSessionFinishArg(files.NewUploadSessionCursor(id, offset), files.NewCommitInfo(path))
	m, err := fc.UploadSessionFinishContext(t.Context(), arg, bytes.NewReader(data))
	if err == nil {
		return m, nil
	}
	return nil, coreAPIErr[files.UploadSessionFinishAPIError](t, err).EndpointError
}

// coreRead downloads path.
func coreRead(t *testing.T, fc files.ContextClient, path string) []byte {
	t.Helper()
	_, rc, err := fc.DownloadContext(t.Context(), files.NewDownloadArg(path))
	if err != nil {
		t.Fatalf("download %s: %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSessionSequential(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	id := coreStart(t, fc, files.NewUploadSessionStartArg(), []byte("ab"))
	// UploadSessionCursor's fields are both required, and nothing else goes.
	for cursor, want := range map[string]string{
		`{"session_id":"` + id + `"}`: "missing required field 'offset'",
		`{"offset":2}`:                "missing required field 'session_id'",
		`{"session_id":"` + id + `","offset":2,"extra":true}`: "unknown field",
		`{"session_id":"` + id + `","offset":-2}`:             "offset",
	} {
		r := do(t, emu, rawCall{Route: "files/upload_session/append_v2", Token: acct.AccessToken, Style: "upload",
			Arg: `{"cursor":` + cursor + `}`, Body: []byte("cd")})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), want) {
			t.Errorf("append_v2 with cursor %s: %d %s, want 400 about %s", cursor, r.Status, r.Body, want)
		}
	}
	if e := coreAppend(t, fc, id, 2, []byte("cd"), false); e != nil {
		t.Fatalf("append: %v", e.Tag)
	}
	// A wrong offset says where to resume.
	e := coreAppend(t, fc, id, 3, []byte("xx"), false)
	if e == nil || e.Tag != files.UploadSessionAppendErrorIncorrectOffset || e.IncorrectOffset.CorrectOffset != 4 {
		t.Fatalf("append at a wrong offset: %+v", e)
	}
	if e := coreAppend(t, fc, id, e.IncorrectOffset.CorrectOffset, []byte("ef"), false); e != nil {
		t.Fatalf("append at the corrected offset: %v", e.Tag)
	}
	// The deprecated append (v1) takes the bare cursor.
	if err := fc.UploadSessionAppendContext(t.Context(), files.NewUploadSessionCursor(id, 6), bytes.NewReader([]byte("gh"))); err != nil {
		t.Fatalf("append v1: %v", err)
	}
	_, fe := coreFinish(t, fc, id, 3, "/s.txt", []byte("ij"))
	if fe == nil || fe.Tag != files.UploadSessionFinishErrorLookupFailed || fe.LookupFailed.IncorrectOffset.CorrectOffset != 8 {
		t.Fatalf("finish at a wrong offset: %+v", fe)
	}
	m, fe := coreFinish(t, fc, id, 8, "/s.txt", []byte("ij"))
	if fe != nil {
		t.Fatalf("finish: %v", fe.Tag)
	}
	if got := coreRead(t, fc, "/s.txt"); string(got) != "abcdefghij" || m.Size != 10 || m.ContentHash != coreContentHash(got) {
		t.Errorf("finished file = %q size %d hash %s", got, m.Size, m.ContentHash)
	}
	// A finished session is gone.
	if e := coreAppend(t, fc, id, 10, []byte("k"), false); e == nil || e.Tag != files.UploadSessionAppendErrorNotFound {
		t.Errorf("append after finish: %+v", e)
	}
	if e := coreAppend(t, fc, "pid_upload_session:nope", 0, []byte("k"), false); e == nil || e.Tag != files.UploadSessionAppendErrorNotFound {
		t.Errorf("append to an unknown session: %+v", e)
	}
}

func TestSessionClosed(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	id := coreStart(t, fc, files.NewUploadSessionStartArg(), []byte("ab"))
	if e := coreAppend(t, fc, id, 2, []byte("cd"), true); e != nil {
		t.Fatalf("closing append: %v", e.Tag)
	}
	if e := coreAppend(t, fc, id, 4, []byte("ef"), false); e == nil || e.Tag != files.UploadSessionAppendErrorClosed {
		t.Errorf("append to a closed session: %+v", e)
	}
	if _, fe := coreFinish(t, fc, id, 4, "/c.txt", []byte("ef")); fe == nil || fe.LookupFailed == nil || fe.LookupFailed.Tag != files.UploadSessionLookupErrorClosed {
		t.Errorf("finish with data of a closed session: %+v", fe)
	}
	if _, fe := coreFinish(t, fc, id, 4, "/c.txt", nil); fe != nil {
		t.Fatalf("finish of a closed session: %v", fe.Tag)
	}
	if got := coreRead(t, fc, "/c.txt"); string(got) != "abcd" {
		t.Errorf("file = %q", got)
	}
	// start with close=true closes at once.
	arg := files.NewUploadSessionStartArg()
	arg.Close = true
	id = coreStart(t, fc, arg, []byte("xyz"))
	if e := coreAppend(t, fc, id, 3, []byte("!"), false); e == nil || e.Tag != files.UploadSessionAppendErrorClosed {
		t.Errorf("append after a closing start: %+v", e)
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	emu, _, fc := coreSetup(t)
	id := coreStart(t, fc, files.NewUploadSessionStartArg(), []byte("ab"))
	emu.Advance(t, 7*24*time.Hour-time.Minute)
	if e := coreAppend(t, fc, id, 2, []byte("cd"), false); e != nil {
		t.Fatalf("append just before 7 days: %v", e.Tag)
	}
	emu.Advance(t, 2*time.Minute)
	if e := coreAppend(t, fc, id, 4, []byte("ef"), false); e == nil || e.Tag != files.UploadSessionAppendErrorNotFound {
		t.Errorf("append after 7 days: %+v", e)
	}
	if _, fe := coreFinish(t, fc, id, 4, "/late.txt", nil); fe == nil || fe.LookupFailed == nil || fe.LookupFailed.Tag != files.UploadSessionLookupErrorNotFound {
		t.Errorf("finish after 7 days: %+v", fe)
	}
}

// TestSessionSameHashAsUpload checks that a file uploaded through a session,
// in pieces that do and do not fall on 4 MiB boundaries, gets the content
// hash of the same bytes uploaded at once.
func TestSessionSameHashAsUpload(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	data := coreRandom(3, 2*coreBlock+12345)
	whole := corePut(t, fc, "/whole.bin", data)
	if whole.ContentHash != coreContentHash(data) {
		t.Fatalf("upload hash %s, want %s", whole.ContentHash, coreContentHash(data))
	}
	for name, cuts := range map[string][]int{
		"aligned":   {coreBlock, 2 * coreBlock},
		"unaligned": {1 << 20, 3<<20 + 17, 7 << 20},
		"one piece": {},
	} {
		var pieces [][]byte
		prev := 0
		for _, c := range cuts {
			pieces = append(pieces, data[prev:c])
			prev = c
		}
		pieces = append(pieces, data[prev:])
		id := coreStart(t, fc, files.NewUploadSessionStartArg(), pieces[0])
		off := uint64(len(pieces[0]))
		for _, p := range pieces[1:max(1, len(pieces)-1)] {
			if e := coreAppend(t, fc, id, off, p, false); e != nil {
				t.Fatalf("%s: append: %v", name, e.Tag)
			}
			off += uint64(len(p))
		}
		last := pieces[len(pieces)-1]
		if len(pieces) == 1 {
			last = nil
		}
		m, fe := coreFinish(t, fc, id, off, "/"+name+".bin", last)
		if fe != nil {
			t.Fatalf("%s: finish: %v", name, fe.Tag)
		}
		if m.ContentHash != whole.ContentHash || m.Size != whole.Size {
			t.Errorf("%s: session hash %s size %d, single upload %s size %d", name, m.ContentHash, m.Size, whole.ContentHash, whole.Size)
		}
		if !bytes.Equal(coreRead(t, fc, "/"+name+".bin"), data) {
			t.Errorf("%s: bytes differ", name)
		}
	}
}

func TestSessionConcurrent(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	data := coreRandom(11, 3*coreBlock+1000)
	concurrent := &files.UploadSessionType{Tagged: dropbox.Tagged{Tag: files.UploadSessionTypeConcurrent}}

	// start carries no data and does not close.
	_, err := fc.UploadSessionStartContext(t.Context(), &files.UploadSessionStartArg{SessionType: concurrent}, bytes.NewReader([]byte("x")))
	if e := coreAPIErr[files.UploadSessionStartAPIError](t, err); e.EndpointError.Tag != files.UploadSessionStartErrorConcurrentSessionDataNotAllowed {
		t.Errorf("concurrent start with data: %v", err)
	}
	_, err = fc.UploadSessionStartContext(t.Context(), &files.UploadSessionStartArg{SessionType: concurrent, Close: true}, nil)
	if e := coreAPIErr[files.UploadSessionStartAPIError](t, err); e.EndpointError.Tag != files.UploadSessionStartErrorConcurrentSessionCloseNotAllowed {
		t.Errorf("concurrent start with close: %v", err)
	}
	id := coreStart(t, fc, &files.UploadSessionStartArg{SessionType: concurrent}, nil)

	// Invalid offsets and sizes.
	if e := coreAppend(t, fc, id, 1000, data[1000:coreBlock+1000], false); e == nil || e.Tag != files.UploadSessionAppendErrorConcurrentSessionInvalidOffset {
		t.Errorf("append off a 4 MiB boundary: %+v", e)
	}
	if e := coreAppend(t, fc, id, 0, data[:coreBlock-1], false); e == nil || e.Tag != files.UploadSessionAppendErrorConcurrentSessionInvalidDataSize {
		t.Errorf("non-closing append of a partial block: %+v", e)
	}
	if _, fe := coreFinish(t, fc, id, 0, "/early.bin", nil); fe == nil || fe.Tag != files.UploadSessionFinishErrorConcurrentSessionNotClosed {
		t.Errorf("finish of an open concurrent session: %+v", fe)
	}

	// The whole blocks, in parallel and in a shuffled order.
	order := rand.Perm(3)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for _, i := range order {
		wg.Go(func() {
			off := i * coreBlock
			arg := files.NewUploadSessionAppendArg(files.NewUploadSessionCursor(id, uint64(off)))
			errs[i] = fc.UploadSessionAppendV2Context(t.Context(), arg, bytes.NewReader(data[off:off+coreBlock]))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("parallel append of block %d: %v", i, err)
		}
	}
	// A part that overlaps one that is there is refused; a retry of the
	// same part replaces it.
	if e := coreAppend(t, fc, id, coreBlock, data[coreBlock:3*coreBlock], false); e == nil || e.Tag != files.UploadSessionAppendErrorConcurrentSessionInvalidOffset {
		t.Errorf("overlapping append: %+v", e)
	}
	if e := coreAppend(t, fc, id, coreBlock, data[coreBlock:2*coreBlock], false); e != nil {
		t.Errorf("retried append: %v", e.Tag)
	}
	// The last piece closes the session.
	if e := coreAppend(t, fc, id, 3*coreBlock, data[3*coreBlock:], true); e != nil {
		t.Fatalf("closing append: %v", e.Tag)
	}
	if e := coreAppend(t, fc, id, 0, data[:coreBlock], false); e == nil || e.Tag != files.UploadSessionAppendErrorClosed {
		t.Errorf("append after close: %+v", e)
	}
	if _, fe := coreFinish(t, fc, id, uint64(len(data)), "/c.bin", []byte("x")); fe == nil || fe.Tag != files.UploadSessionFinishErrorConcurrentSessionDataNotAllowed {
		t.Errorf("concurrent finish with data: %+v", fe)
	}
	m, fe := coreFinish(t, fc, id, uint64(len(data)), "/c.bin", nil)
	if fe != nil {
		t.Fatalf("finish: %v", fe.Tag)
	}
	if m.Size != uint64(len(data)) || m.ContentHash != coreContentHash(data) {
		t.Errorf("concurrent upload: size %d hash %s, want %d %s", m.Size, m.ContentHash, len(data), coreContentHash(data))
	}
	if !bytes.Equal(coreRead(t, fc, "/c.bin"), data) {
		t.Error("concurrent upload: bytes differ")
	}

	// A hole in the parts: missing data.
	id = coreStart(t, fc, &files.UploadSessionStartArg{SessionType: concurrent}, nil)
	if e := coreAppend(t, fc, id, 0, data[:coreBlock], false); e != nil {
		t.Fatal(e.Tag)
	}
	if e := coreAppend(t, fc, id, 2*coreBlock, data[2*coreBlock:2*coreBlock+10], true); e != nil {
		t.Fatal(e.Tag)
	}
	if _, fe := coreFinish(t, fc, id, 2*coreBlock+10, "/holes.bin", nil); fe == nil || fe.Tag != files.UploadSessionFinishErrorConcurrentSessionMissingData {
		t.Errorf("finish with a missing part: %+v", fe)
	}
}

// TestSessionFinishWriteFailureKeepsData checks Dropbox's promise for
// UploadSessionFinishError.path: the data sent with the failed finish stays
// in the session, so the caller retries with an empty body at the new offset.
func TestSessionFinishWriteFailureKeepsData(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreMkdir(t, fc, "/taken")
	id := coreStart(t, fc, files.NewUploadSessionStartArg(), []byte("abc"))
	_, fe := coreFinish(t, fc, id, 3, "/taken", []byte("def"))
	if fe == nil || fe.Tag != files.UploadSessionFinishErrorPath || fe.Path.Conflict.Tag != files.WriteConflictErrorFolder {
		t.Fatalf("finish onto a folder: %+v", fe)
	}
	if _, fe := coreFinish(t, fc, id, 3, "/free.txt", nil); fe == nil || fe.LookupFailed == nil || fe.LookupFailed.IncorrectOffset.CorrectOffset != 6 {
		t.Errorf("retry at the old offset: %+v", fe)
	}
	if _, fe := coreFinish(t, fc, id, 6, "/free.txt", nil); fe != nil {
		t.Fatalf("retry at the new offset: %v", fe.Tag)
	}
	if got := coreRead(t, fc, "/free.txt"); string(got) != "abcdef" {
		t.Errorf("file = %q", got)
	}
}

func TestSessionContentHashes(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	wrong := coreContentHash([]byte("something else"))
	_, err := fc.UploadSessionStartContext(t.Context(), &files.UploadSessionStartArg{ContentHash: wrong}, bytes.NewReader([]byte("ab")))
	if e := coreAPIErr[files.UploadSessionStartAPIError](t, err); e.EndpointError.Tag != files.UploadSessionStartErrorContentHashMismatch {
		t.Errorf("start with a wrong hash: %v", err)
	}
	_, err = fc.UploadSessionStartContext(t.Context(), &files.UploadSessionStartArg{ContentHash: "abc"}, bytes.NewReader([]byte("ab")))
	coreBadRequest(t, err, "content_hash")

	id := coreStart(t, fc, &files.UploadSessionStartArg{ContentHash: coreContentHash([]byte("ab"))}, []byte("ab"))
	arg := files.NewUploadSessionAppendArg(files.NewUploadSessionCursor(id, 2))
	arg.ContentHash = wrong
	err = fc.UploadSessionAppendV2Context(t.Context(), arg, bytes.NewReader([]byte("cd")))
	if e := coreAPIErr[files.UploadSessionAppendV2APIError](t, err); e.EndpointError.Tag != files.UploadSessionAppendErrorContentHashMismatch {
		t.Errorf("append with a wrong hash: %v", err)
	}
	arg.ContentHash = coreContentHash([]byte("cd"))
	if err := fc.UploadSessionAppendV2Context(t.Context(), arg, bytes.NewReader([]byte("cd"))); err != nil {
		t.Fatalf("append with its hash: %v", err)
	}
	// finish's content_hash covers the bytes of that call only.
	fin := files.NewUploadSessionFinishArg(files.NewUploadSessionCursor(id, 4), files.NewCommitInfo("/h.txt"))
	fin.ContentHash = coreContentHash([]byte("abcdef"))
	_, err = fc.UploadSessionFinishContext(t.Context(), fin, bytes.NewReader([]byte("ef")))
	if e := coreAPIErr[files.UploadSessionFinishAPIError](t, err); e.EndpointError.Tag != files.UploadSessionFinishErrorContentHashMismatch {
		t.Errorf("finish with the whole file's hash: %v", err)
	}
	fin.ContentHash = coreContentHash([]byte("ef"))
	m, err := fc.UploadSessionFinishContext(t.Context(), fin, bytes.NewReader([]byte("ef")))
	if err != nil || m.ContentHash != coreContentHash([]byte("abcdef")) {
		t.Errorf("finish with its call's hash: %v, %v", m, err)
	}
}

func TestSessionBatches(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreMkdir(t, fc, "/b/taken.txt")
	res, err := fc.UploadSessionStartBatchContext(t.Context(), &files.UploadSessionStartBatchArg{NumSessions: 4})
	if err != nil || len(res.SessionIds) != 4 {
		t.Fatalf("start_batch: %v, %v", res, err)
	}
	ids := res.SessionIds
	for _, n := range []uint64{0, 1001} {
		_, err := fc.UploadSessionStartBatchContext(t.Context(), &files.UploadSessionStartBatchArg{NumSessions: n})
		coreBadRequest(t, err, "num_sessions")
	}

	// One append_batch feeds three sessions; one entry fails on its own.
	entry := func(id string, off, n uint64, close bool) *files.UploadSessionAppendBatchArgEntry {
		e := files.NewUploadSessionAppendBatchArgEntry(files.NewUploadSessionCursor(id, off), n)
		e.Close = close
		return e
	}
	body := []byte("onetwothreeFOUR")
	ab, err := fc.UploadSessionAppendBatchContext(t.Context(), &files.UploadSessionAppendBatchArg{Entries: []*files.UploadSessionAppendBatchArgEntry{
		entry(ids[0], 0, 3, true), entry(ids[1], 0, 3, true), entry(ids[2], 0, 5, true), entry(ids[3], 9, 4, false),
	}}, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("append_batch: %v", err)
	}
	var tags []string
	for _, e := range ab.Entries {
		tag := e.Tag
		if e.Failure != nil {
			tag += "/" + e.Failure.Tag
		}
		tags = append(tags, tag)
	}
	if diff := cmp.Diff([]string{"success", "success", "success", "failure/incorrect_offset"}, tags); diff != "" {
		t.Errorf("append_batch results (-want +got):\n%s", diff)
	}
	_, err = fc.UploadSessionAppendBatchContext(t.Context(), &files.UploadSessionAppendBatchArg{Entries: []*files.UploadSessionAppendBatchArgEntry{
		entry(ids[3], 0, 10, false)}}, bytes.NewReader([]byte("short")))
	if e := coreAPIErr[files.UploadSessionAppendBatchAPIError](t, err); e.EndpointError.Tag != files.UploadSessionAppendBatchErrorLengthMismatch {
		t.Errorf("append_batch with wrong lengths: %v", err)
	}

	// finish_batch_v2: each entry its own result, in order.
	fin := func(id string, off uint64, path string) *files.UploadSessionFinishArg {
		return files.NewUploadSessionFinishArg(files.NewUploadSessionCursor(id, off), files.NewCommitInfo(path))
	}
	out, err := fc.UploadSessionFinishBatchV2Context(t.Context(), &files.UploadSessionFinishBatchArg{Entries: []*files.UploadSessionFinishArg{
		fin(ids[0], 3, "/b/one.txt"),
		fin(ids[1], 3, "/b/taken.txt"),
		fin(ids[2], 5, "/b/three.txt"),
		fin(ids[3], 0, "/b/open.txt"),
		fin("pid_upload_session:unknown", 0, "/b/x.txt"),
	}})
	if err != nil {
		t.Fatalf("finish_batch_v2: %v", err)
	}
	tags = nil
	for _, e := range out.Entries {
		switch {
		case e.Success != nil:
			tags = append(tags, "success "+e.Success.PathDisplay)
		case e.Failure != nil && e.Failure.LookupFailed != nil:
			tags = append(tags, "failure lookup_failed/"+e.Failure.LookupFailed.Tag)
		case e.Failure != nil && e.Failure.Path != nil:
			tags = append(tags, "failure path/"+e.Failure.Path.Tag)
		default:
			tags = append(tags, e.Tag)
		}
	}
	want := []string{"success /b/one.txt", "failure path/conflict", "success /b/three.txt",
		"failure lookup_failed/not_closed", "failure lookup_failed/not_found"}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("finish_batch_v2 results (-want +got):\n%s", diff)
	}
	if got := coreRead(t, fc, "/b/three.txt"); string(got) != "three" {
		t.Errorf("/b/three.txt = %q", got)
	}
	// The session whose commit failed can be committed elsewhere.
	out, err = fc.UploadSessionFinishBatchV2Context(t.Context(), &files.UploadSessionFinishBatchArg{Entries: []*files.UploadSessionFinishArg{fin(ids[1], 3, "/b/two.txt")}})
	if err != nil || out.Entries[0].Success == nil {
		t.Fatalf("second finish_batch_v2: %+v, %v", out, err)
	}
	if got := coreRead(t, fc, "/b/two.txt"); string(got) != "two" {
		t.Errorf("/b/two.txt = %q", got)
	}
}

func TestSessionFinishBatchAsync(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 2 }))
	start := &files.UploadSessionStartArg{Close: true}
	a := coreStart(t, fc, start, []byte("alpha"))
	b := coreStart(t, fc, start, []byte("beta"))
	launch, err := fc.UploadSessionFinishBatchContext(t.Context(), &files.UploadSessionFinishBatchArg{Entries: []*files.UploadSessionFinishArg{
		files.NewUploadSessionFinishArg(files.NewUploadSessionCursor(a, 5), files.NewCommitInfo("/j/a.txt")),
		files.NewUploadSessionFinishArg(files.NewUploadSessionCursor(b, 4), files.NewCommitInfo("/j/b.txt")),
	}})
	if err != nil || launch.Tag != files.UploadSessionFinishBatchLaunchAsyncJobId || launch.AsyncJobId == "" {
		t.Fatalf("finish_batch = %+v, %v", launch, err)
	}
	var tags []string
	var status *files.UploadSessionFinishBatchJobStatus
	for range 5 {
		status, err = fc.UploadSessionFinishBatchCheckContext(t.Context(), async.NewPollArg(launch.AsyncJobId))
		if err != nil {
			t.Fatalf("finish_batch/check: %v", err)
		}
		tags = append(tags, status.Tag)
		if status.Tag == files.UploadSessionFinishBatchJobStatusComplete {
			break
		}
	}
	if diff := cmp.Diff([]string{"in_progress", "in_progress", "complete"}, tags); diff != "" {
		t.Fatalf("check answers (-want +got):\n%s", diff)
	}
	res := status.Complete.Entries
	if len(res) != 2 || res[0].Success == nil || res[0].Success.PathDisplay != "/j/a.txt" ||
		res[1].Success == nil || res[1].Failure != nil {
		t.Errorf("complete = %+v %+v", res[0], res[1])
	}
	// The complete status inlines the result's fields beside ".tag".
	r := do(t, emu, rawCall{Route: "files/upload_session/finish_batch/check", Token: acct.AccessToken, Arg: map[string]any{"async_job_id": launch.AsyncJobId}})
	got := r.json(t)
	if r.Status != http.StatusOK || got[".tag"] != "complete" || len(got["entries"].([]any)) != 2 {
		t.Errorf("raw check = %s", r.Body)
	}
	_, err = fc.UploadSessionFinishBatchCheckContext(t.Context(), async.NewPollArg("dbjid:nope"))
	if e := coreAPIErr[files.UploadSessionFinishBatchCheckAPIError](t, err); e.EndpointError.Tag != async.PollErrorInvalidAsyncJobId {
		t.Errorf("check of an unknown job: %v", err)
	}
}

// finish checks the file size ceiling (2^41 - 2^22 bytes) as append does:
// lookup_failed/too_large, before the offset, and without int64 overflow.
func TestSessionFinishTooLarge(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	const ceiling = 1<<41 - 1<<22
	id := coreStart(t, fc, files.NewUploadSessionStartArg(), []byte("abc"))
	lookup := func(ferr *files.UploadSessionFinishError) string {
		if ferr == nil || ferr.Tag != files.UploadSessionFinishErrorLookupFailed || ferr.LookupFailed == nil {
			return fmt.Sprintf("%+v", ferr)
		}
		return ferr.LookupFailed.Tag
	}
	for _, c := range []struct {
		offset uint64
		data   string
		want   string
	}{
		{ceiling, "x", files.UploadSessionLookupErrorTooLarge},
		{ceiling + 1, "", files.UploadSessionLookupErrorTooLarge},
		{1 << 63, "", files.UploadSessionLookupErrorTooLarge},
		{ceiling, "", files.UploadSessionLookupErrorIncorrectOffset},
	} {
		if _, ferr := coreFinish(t, fc, id, c.offset, "/big.txt", []byte(c.data)); lookup(ferr) != c.want {
			t.Errorf("finish at %d with %d bytes: %s, want lookup_failed/%s", c.offset, len(c.data), lookup(ferr), c.want)
		}
	}
	closed := files.NewUploadSessionStartArg()
	closed.Close = true
	id2 := coreStart(t, fc, closed, []byte("abc"))
	res, err := fc.UploadSessionFinishBatchV2Context(t.Context(), files.NewUploadSessionFinishBatchArg([]*files.UploadSessionFinishArg{
		files.NewUploadSessionFinishArg(files.NewUploadSessionCursor(id2, 1<<63), files.NewCommitInfo("/big2.txt"))}))
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Entries[0]; e.Tag != "failure" || lookup(e.Failure) != files.UploadSessionLookupErrorTooLarge {
		t.Errorf("finish_batch_v2 entry at 2^63: %+v", e)
	}
	for _, p := range []string{"/big.txt", "/big2.txt"} {
		if _, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(p)); err == nil {
			t.Errorf("a refused finish wrote %s", p)
		}
	}
}
