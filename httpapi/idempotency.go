package httpapi

import (
	"bytes"
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
// conflict. Server errors are not stored, so a retry runs afresh. Only
// operations whose answers carry no secret may use it: answers are stored
// as they are.
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
	now := s.now()
	rec := &dropbridge.IdempotencyRecord{
		EnvironmentID: environmentID(ctx.Context()),
		Key:           key,
		Method:        ctx.Method(),
		Path:          path,
		Fingerprint:   fingerprint(ctx, path, body),
		CreatedAt:     now,
		ExpiresAt:     now.Add(IdempotencyTTL),
	}
	got, err := s.store.ClaimIdempotencyKey(ctx.Context(), rec)
	if err != nil {
		s.writeProblem(ctx, problemFor(s.fail(ctx.Context(), err)))
		return
	}
	if got.Done() {
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
	rc := &recordingContext{humaContext: ctx, body: bytes.NewReader(body)}
	func() {
		defer func() {
			if v := recover(); v != nil {
				s.release(ctx, rec)
				panic(v)
			}
		}()
		next(rc)
	}()
	if rc.status == 0 || rc.status >= 500 {
		s.release(ctx, rec)
		return
	}
	rec.StatusCode, rec.Body = rc.status, rc.out.Bytes()
	if err := s.store.SaveIdempotentResponse(ctx.Context(), rec); err != nil {
		s.logger.WarnContext(ctx.Context(), "idempotent response not saved", "error", err)
	}
}

// fingerprint identifies an idempotent request: its method, path, content
// type and body, and the team member or admin it acts as (MemberHeader,
// AdminHeader) on the operations of a connection, so that a key reused by
// another member is a conflict, not a replay of what the first member got.
// The parts are length-prefixed, and the actor's counts only when there is
// one, so that the fingerprint of a request without one is what it was
// before actors counted.
func fingerprint(ctx huma.Context, path string, body []byte) []byte {
	parts := [][]byte{[]byte(ctx.Method()), []byte(path), []byte(ctx.Header("Content-Type")), body}
	if !strings.HasPrefix(ctx.Operation().Path, "/v1/connections/{id}/") {
		// selectActor applies the headers to these operations only.
		return digest(parts)
	}
	if member := strings.TrimSpace(ctx.Header(MemberHeader)); member != "" {
		parts = append(parts, []byte("member:"+member))
	}
	if admin := strings.TrimSpace(ctx.Header(AdminHeader)); admin != "" {
		parts = append(parts, []byte("admin:"+admin))
	}
	return digest(parts)
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

// release forgets a claimed key so that a retry runs afresh.
func (s *Server) release(ctx huma.Context, rec *dropbridge.IdempotencyRecord) {
	if err := s.store.ReleaseIdempotencyKey(ctx.Context(), rec); err != nil {
		s.logger.WarnContext(ctx.Context(), "idempotency key not released", "error", err)
	}
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
