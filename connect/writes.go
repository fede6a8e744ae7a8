package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/dropbridge/dropbridge"
)

// The write log.
//
// With WriteLog set, every client that Do hands out records the writes it
// makes as Dropbox confirms them: a transport looks at the answers of the
// routes below and stores what identifies the change that Dropbox will
// list for them (the object's ID, path, rev and content hash), so that
// change tracking marks that change origin "api" (tracker.Attribute). It
// is the one place every write of the REST API, the pass-through proxy and
// the CLI goes through. A record is stored before the client returns the
// answer, and WaitWrites lets change tracking wait for the writes still on
// the wire, so that a change listed while its answer is in flight is still
// matched.
//
// Not recorded: asynchronous batches (files/*_batch*, whose results come
// from a later check call) and shared folder membership changes (Dropbox's
// answer does not name the member's account). Their changes are origin
// "dropbox".

// maxWriteAnswer is the largest answer the write log reads; larger answers
// (none of the routes below gives one) are not recorded.
const maxWriteAnswer = 1 << 20

// writeRoutes says how to read the records of each recorded route from
// its argument (for routes that answer without the object) and answer.
var writeRoutes = map[string]func(arg, answer []byte) []dropbridge.WriteRecord{
	"files/upload":                readFile(false),
	"files/upload_session/finish": readFile(false),
	"files/restore":               readFile(false),
	"files/create_folder_v2":      readMetadata(false),
	"files/move_v2":               readMetadata(false),
	"files/copy_v2":               readMetadata(false),
	"files/delete_v2":             readMetadata(true),
	"files/paper/create":          readPaper,
	"files/paper/update":          readPaper,

	"sharing/create_shared_link_with_settings": readKey("url", false),
	"sharing/modify_shared_link_settings":      readKey("url", false),
	"sharing/revoke_shared_link":               readArgKey("url", true),
	"sharing/share_folder":                     readKey("shared_folder_id", false),
	"sharing/update_folder_policy":             readKey("shared_folder_id", false),
	"sharing/unshare_folder":                   readArgKey("shared_folder_id", true),

	"file_requests/create":            readKey("id", false),
	"file_requests/update":            readKey("id", false),
	"file_requests/delete":            readFileRequests,
	"file_requests/delete_all_closed": readFileRequests,
}

// argRoutes are the routes whose records come from their argument.
var argRoutes = map[string]bool{"sharing/revoke_shared_link": true, "sharing/unshare_folder": true}

// fileFields are the fields of a file or folder's metadata that a record
// keeps.
type fileFields struct {
	ID          string `json:"id"`
	PathLower   string `json:"path_lower"`
	Rev         string `json:"rev"`
	ContentHash string `json:"content_hash"`
}

func (f fileFields) record(removal bool) []dropbridge.WriteRecord {
	return []dropbridge.WriteRecord{{ObjectID: f.ID, PathLower: f.PathLower, Rev: f.Rev, ContentHash: f.ContentHash, Removal: removal}}
}

// readFile reads an answer that is a file's metadata.
func readFile(removal bool) func(_, answer []byte) []dropbridge.WriteRecord {
	return func(_, answer []byte) []dropbridge.WriteRecord {
		var f fileFields
		if json.Unmarshal(answer, &f) != nil {
			return nil
		}
		return f.record(removal)
	}
}

// readMetadata reads an answer that holds metadata under "metadata".
func readMetadata(removal bool) func(_, answer []byte) []dropbridge.WriteRecord {
	return func(_, answer []byte) []dropbridge.WriteRecord {
		var m struct {
			Metadata fileFields `json:"metadata"`
		}
		if json.Unmarshal(answer, &m) != nil {
			return nil
		}
		return m.Metadata.record(removal)
	}
}

// readPaper reads files/paper/create and update, which answer with the
// document's file id and path, without a rev.
func readPaper(_, answer []byte) []dropbridge.WriteRecord {
	var m struct {
		FileID     string `json:"file_id"`
		ResultPath string `json:"result_path"`
	}
	if json.Unmarshal(answer, &m) != nil {
		return nil
	}
	return []dropbridge.WriteRecord{{ObjectID: m.FileID, PathLower: strings.ToLower(m.ResultPath)}}
}

// readKey reads an answer whose field names the object.
func readKey(field string, removal bool) func(_, answer []byte) []dropbridge.WriteRecord {
	return func(_, answer []byte) []dropbridge.WriteRecord {
		var m map[string]json.RawMessage
		var key string
		if json.Unmarshal(answer, &m) != nil || json.Unmarshal(m[field], &key) != nil {
			return nil
		}
		return []dropbridge.WriteRecord{{ObjectID: key, Removal: removal}}
	}
}

// readArgKey reads an argument whose field names the object, for routes
// that answer without it.
func readArgKey(field string, removal bool) func(arg, _ []byte) []dropbridge.WriteRecord {
	k := readKey(field, removal)
	return func(arg, _ []byte) []dropbridge.WriteRecord { return k(nil, arg) }
}

// readFileRequests reads the file requests that a delete removed.
func readFileRequests(_, answer []byte) []dropbridge.WriteRecord {
	var m struct {
		FileRequests []struct {
			ID string `json:"id"`
		} `json:"file_requests"`
	}
	if json.Unmarshal(answer, &m) != nil {
		return nil
	}
	var out []dropbridge.WriteRecord
	for _, r := range m.FileRequests {
		out = append(out, dropbridge.WriteRecord{ObjectID: r.ID, Removal: true})
	}
	return out
}

// routeOf returns the Dropbox route of a request's path ("/2/files/upload"
// is "files/upload"), or "".
func routeOf(p string) string {
	if i := strings.LastIndex(p, "/2/"); i >= 0 {
		return p[i+len("/2/"):]
	}
	return ""
}

// inflight counts the writes of one connection whose records are not yet
// stored.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n is 0
}

func (s *Service) inflightOf(connectionID string) *inflight {
	if v, ok := s.writing.Load(connectionID); ok {
		return v.(*inflight)
	}
	idle := make(chan struct{})
	close(idle)
	v, _ := s.writing.LoadOrStore(connectionID, &inflight{idle: idle})
	return v.(*inflight)
}

func (f *inflight) add() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
}

func (f *inflight) wait() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.idle
}

// WaitWrites waits until the connection's writes in flight (sent to
// Dropbox, their records not yet stored in WriteLog) are recorded, or ctx
// ends (then it returns ctx's error). Change tracking calls it before it
// matches a listing's changes against the write log. Without WriteLog it
// returns at once.
func (s *Service) WaitWrites(ctx context.Context, connectionID string) error {
	if s.WriteLog == nil {
		return nil
	}
	select {
	case <-s.inflightOf(connectionID).wait():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeRecorder is the transport that records a connection's writes.
type writeRecorder struct {
	s    *Service
	conn *dropbridge.Connection
	next http.RoundTripper
}

// recordingClient returns hc with a transport that records conn's writes,
// or hc when there is no write log.
func (s *Service) recordingClient(hc *http.Client, conn *dropbridge.Connection) *http.Client {
	if s.WriteLog == nil {
		return hc
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c := *hc
	c.Transport = &writeRecorder{s: s, conn: conn, next: next}
	return &c
}

// RoundTrip implements http.RoundTripper.
func (w *writeRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	read, ok := writeRoutes[routeOf(r.URL.Path)]
	if !ok {
		return w.next.RoundTrip(r)
	}
	var arg []byte
	if argRoutes[routeOf(r.URL.Path)] && r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			arg, _ = io.ReadAll(io.LimitReader(b, maxWriteAnswer))
			b.Close()
		}
	}
	f := w.s.inflightOf(w.conn.ID)
	f.add()
	resp, err := w.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		f.done()
		return resp, err
	}
	body := &recordingBody{ReadCloser: resp.Body, w: w, ctx: r.Context(), read: read, arg: arg, f: f}
	// A body that is never read to its end nor closed holds up no
	// WaitWrites beyond the call's end.
	context.AfterFunc(r.Context(), func() { body.finish(false) })
	resp.Body = body
	return resp, nil
}

// recordingBody stores the records of an answer when it has been read to
// its end, before the reader sees the end; and lets go of the write when
// it is closed.
type recordingBody struct {
	io.ReadCloser
	w    *writeRecorder
	ctx  context.Context
	read func(arg, answer []byte) []dropbridge.WriteRecord
	arg  []byte
	buf  bytes.Buffer
	f    *inflight
	once sync.Once
	over bool // larger than maxWriteAnswer
}

// Read implements io.Reader.
func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if !b.over {
		if b.buf.Len()+n > maxWriteAnswer {
			b.over = true
			b.buf = bytes.Buffer{}
		} else {
			b.buf.Write(p[:n])
		}
	}
	if err == io.EOF {
		b.finish(true)
	}
	return n, err
}

// Close implements io.Closer. It reads what the client left unread (a
// decoder may stop before the end), so that the answer is recorded.
func (b *recordingBody) Close() error {
	_, err := io.Copy(io.Discard, readerFunc(b.Read))
	b.finish(err == nil)
	return b.ReadCloser.Close()
}

// readerFunc is a function as an io.Reader.
type readerFunc func([]byte) (int, error)

// Read implements io.Reader.
func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// finish stores the records once, when the whole answer was read, and
// ends the write in flight.
func (b *recordingBody) finish(complete bool) {
	b.once.Do(func() {
		defer b.f.done()
		if !complete || b.over {
			return
		}
		b.w.record(b.ctx, b.read(b.arg, b.buf.Bytes()))
	})
}

// record stores records of the recorder's connection, made now.
func (w *writeRecorder) record(ctx context.Context, records []dropbridge.WriteRecord) {
	if len(records) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	now := w.s.now()
	for i := range records {
		rec := &records[i]
		rec.EnvironmentID, rec.ConnectionID, rec.At = w.conn.EnvironmentID, w.conn.ID, now
		if rec.Validate() != nil {
			continue
		}
		if err := w.s.WriteLog.RecordWrite(ctx, rec); err != nil {
			w.s.logger().Warn("write not recorded in the write log", "connection", w.conn.ID, "error", err)
		}
	}
}
