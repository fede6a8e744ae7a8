package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
)

// IdempotencyTTL is how long a request sent with an Idempotency-Key is
// remembered.
const IdempotencyTTL = 24 * time.Hour

// maxIdempotentBody is the largest request body the idempotency middleware
// reads, huma's default limit for operation bodies.
const maxIdempotentBody = 1 << 20

// idempotent is the middleware of operations that honour Idempotency-Key:
// the first request with a key runs and its answer is stored; a repeat with
// the same key, method, path, body and acting team member or admin gets
// that answer again (with Idempotent-Replayed: true); a repeat with another
// body or as another member, or while the first still runs, is a
// conflict. Server errors are not stored, so a retry runs afresh. The
// store seals stored answers like every other secret, so answers that
// carry a credential (a temporary or shared link, a connect session's URL)
// may be stored too.
func (s *Server) idempotent(ctx huma.Context, next func(huma.Context)) {
	key := ctx.Header("Idempotency-Key")
	if key == "" {
		next(ctx)
		return
	}
	body, err := io.ReadAll(io.LimitReader(ctx.BodyReader(), maxIdempotentBody+1))
	if err != nil {
		s.writeProblem(ctx, newProblem(dropbridge.EINVALID, "The request body could not be read: send it again."))
		return
	}
	if len(body) > maxIdempotentBody {
		p := newProblem(dropbridge.EINVALID, "The request body is larger than 1 MiB.")
		p.Status = http.StatusRequestEntityTooLarge
		s.writeProblem(ctx, p)
		return
	}
	path := ctx.URL().Path
	s.runIdempotent(ctx, next, s.idempotencyRecord(ctx, key, fingerprint(ctx, path, body)), bytes.NewReader(body),
		func(status int) bool { return status < 500 })
}

// idempotentUpload is the middleware of operations whose body is streamed
// rather than read whole (PUT files/content): it honours Idempotency-Key
// as idempotent does, but the fingerprint is the method, path, query
// (parameters in a canonical order), acting team member or admin, and
// Content-Length when given, not the bytes, which are never held. The key
// is claimed before the body is read. Only a successful (2xx) answer is
// stored: any failure releases the key, so that a retry uploads afresh. A
// repeat of a stored upload gets its answer without uploading again: its
// body is read to its end and thrown away first, so that every HTTP
// client, whatever it does with a body the server leaves unread, receives
// the answer. A repeat while the first still runs, or with another
// fingerprint, is a conflict whose body is not read.
func (s *Server) idempotentUpload(ctx huma.Context, next func(huma.Context)) {
	key := ctx.Header("Idempotency-Key")
	if key == "" {
		next(ctx)
		return
	}
	u := ctx.URL()
	parts := [][]byte{[]byte(ctx.Method()), []byte(u.Path), []byte(u.Query().Encode())}
	if n := strings.TrimSpace(ctx.Header("Content-Length")); n != "" {
		parts = append(parts, []byte("length:"+n))
	}
	rec := s.idempotencyRecord(ctx, key, digest(append(parts, actorParts(ctx)...)))
	s.runIdempotent(ctx, next, rec, ctx.BodyReader(), func(status int) bool { return status >= 200 && status < 300 })
}

// idempotencyRecord returns the record that a request with key and
// fingerprint claims.
func (s *Server) idempotencyRecord(ctx huma.Context, key string, fingerprint []byte) *dropbridge.IdempotencyRecord {
	now := s.now()
	return &dropbridge.IdempotencyRecord{
		EnvironmentID: environmentID(ctx.Context()),
		Key:           key,
		Method:        ctx.Method(),
		Path:          ctx.URL().Path,
		Fingerprint:   fingerprint,
		CreatedAt:     now,
		ExpiresAt:     now.Add(IdempotencyTTL),
	}
}

// runIdempotent claims rec's key and then either replays the stored
// answer (after reading body to its end, for a body not yet read) or runs
// next with body as the request body, storing its answer if keep says so
// and releasing the key otherwise.
func (s *Server) runIdempotent(ctx huma.Context, next func(huma.Context), rec *dropbridge.IdempotencyRecord, body io.Reader,
	keep func(status int) bool) {
	got, err := s.store.ClaimIdempotencyKey(ctx.Context(), rec)
	if err != nil {
		s.writeProblem(ctx, problemFor(s.fail(ctx.Context(), err)))
		return
	}
	if got.Done() {
		if _, err := io.Copy(io.Discard, body); err != nil {
			s.writeProblem(ctx, newProblem(dropbridge.EINVALID, "The request body could not be read: send it again."))
			return
		}
		ct := "application/json"
		if got.StatusCode >= 400 {
			ct = "application/problem+json"
		}
		ctx.SetHeader("Content-Type", ct)
		ctx.SetHeader("Idempotent-Replayed", "true")
		ctx.SetStatus(got.StatusCode)
		ctx.BodyWriter().Write(got.Body)
		return
	}
	rc := &recordingContext{humaContext: ctx, body: body}
	func() {
		defer func() {
			if v := recover(); v != nil {
				s.release(ctx, rec)
				panic(v)
			}
		}()
		next(rc)
	}()
	if rc.status == 0 || !keep(rc.status) {
		s.release(ctx, rec)
		return
	}
	rec.StatusCode, rec.Body = rc.status, rc.out.Bytes()
	c, cancel := afterRequest(ctx)
	defer cancel()
	if err := s.store.SaveIdempotentResponse(c, rec); err != nil {
		// The key stays claimed until it expires: repeats are conflicts,
		// never a second run of what was done.
		s.logger.WarnContext(c, "idempotent response not saved", "error", err)
	}
}

// fingerprint identifies an idempotent request: its method, path, content
// type and body, and the team member or admin it acts as (actorParts).
// The parts are length-prefixed, and the actor's counts only when there is
// one, so that the fingerprint of a request without one is what it was
// before actors counted.
func fingerprint(ctx huma.Context, path string, body []byte) []byte {
	parts := [][]byte{[]byte(ctx.Method()), []byte(path), []byte(ctx.Header("Content-Type")), body}
	return digest(append(parts, actorParts(ctx)...))
}

// actorParts returns the fingerprint parts of the team member or admin a
// request acts as (MemberHeader, AdminHeader) on the operations of a
// connection, so that a key reused by another member is a conflict, not a
// replay of what the first member got; elsewhere, and without either
// header, none.
func actorParts(ctx huma.Context) [][]byte {
	if !strings.HasPrefix(ctx.Operation().Path, "/v1/connections/{id}/") {
		// selectActor applies the headers to these operations only.
		return nil
	}
	var parts [][]byte
	if member := strings.TrimSpace(ctx.Header(MemberHeader)); member != "" {
		parts = append(parts, []byte("member:"+member))
	}
	if admin := strings.TrimSpace(ctx.Header(AdminHeader)); admin != "" {
		parts = append(parts, []byte("admin:"+admin))
	}
	return parts
}

// digest hashes parts, each prefixed with its length.
func digest(parts [][]byte) []byte {
	h := sha256.New()
	for _, part := range parts {
		h.Write([]byte(strconv.Itoa(len(part)) + ":"))
		h.Write(part)
	}
	return h.Sum(nil)
}

// release forgets a claimed key so that a retry runs afresh, also when
// the client has gone away (a cut upload) and the request's context is
// done.
func (s *Server) release(ctx huma.Context, rec *dropbridge.IdempotencyRecord) {
	c, cancel := afterRequest(ctx)
	defer cancel()
	if err := s.store.ReleaseIdempotencyKey(c, rec); err != nil {
		s.logger.WarnContext(c, "idempotency key not released", "error", err)
	}
}

// afterRequestTimeout bounds the store calls that settle a claimed key
// after the request.
const afterRequestTimeout = 10 * time.Second

// afterRequest returns a context for settling a claimed key: the
// request's values without its cancellation, which a client that went
// away has set off, so that the key is not left claimed.
func afterRequest(ctx huma.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx.Context()), afterRequestTimeout)
}

// humaContext is huma.Context under a name that can be embedded beside
// its own Context method.
type humaContext huma.Context

// recordingContext hands an operation the body already read, and keeps a
// copy of its answer.
type recordingContext struct {
	humaContext
	body   io.Reader
	status int
	out    bytes.Buffer
}

// BodyReader returns the body read before.
func (c *recordingContext) BodyReader() io.Reader { return c.body }

// SetStatus records and sends the status.
func (c *recordingContext) SetStatus(code int) {
	c.status = code
	c.humaContext.SetStatus(code)
}

// Status returns the recorded status.
func (c *recordingContext) Status() int { return c.status }

// BodyWriter sends the answer and keeps a copy.
func (c *recordingContext) BodyWriter() io.Writer {
	return io.MultiWriter(c.humaContext.BodyWriter(), &c.out)
}

// Unwrap returns the wrapped context, for humago.Unwrap.
func (c *recordingContext) Unwrap() huma.Context { return c.humaContext }
