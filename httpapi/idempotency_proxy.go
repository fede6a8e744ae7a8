package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"mime"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
)

// idempotentProxy is the middleware of the proxy for Idempotency-Key. An
// RPC call's fingerprint is its method, path, query, JSON argument (the
// body, up to maxProxyRPCBody), Content-Type, Dropbox headers
// (Dropbox-API-Path-Root, Dropbox-API-Select-User, Dropbox-API-Select-Admin)
// and acting member or admin; an upload's is the same with
// Dropbox-API-Arg and Content-Length in place of the body, which is
// streamed (as idempotentUpload does: a replay reads it and throws it
// away). Only a successful (2xx) answer, Dropbox's JSON result, is stored
// and replayed: Dropbox's refusals come in Dropbox's own shapes and
// content types, which a replay would not keep, so they release the key
// and a retry calls Dropbox again. A download is a read whose bytes are
// not stored: it is answered afresh each time, whatever the key.
func (s *Server) idempotentProxy(ctx huma.Context, next func(huma.Context)) {
	key := ctx.Header("Idempotency-Key")
	arg := ctx.Header("Dropbox-API-Arg") + ctx.Query("arg")
	mediaType, _, _ := mime.ParseMediaType(ctx.Header("Content-Type"))
	upload := arg != "" && mediaType == "application/octet-stream"
	if key == "" || arg != "" && !upload {
		next(ctx)
		return
	}
	u := ctx.URL()
	parts := [][]byte{
		[]byte(ctx.Method()), []byte(u.Path), []byte(u.Query().Encode()),
		[]byte("arg:" + ctx.Header("Dropbox-API-Arg")),
		[]byte("content-type:" + ctx.Header("Content-Type")),
		[]byte("path-root:" + ctx.Header("Dropbox-API-Path-Root")),
		[]byte("select-user:" + ctx.Header("Dropbox-API-Select-User")),
		[]byte("select-admin:" + ctx.Header("Dropbox-API-Select-Admin")),
	}
	success := func(status int) bool { return status >= 200 && status < 300 }
	if upload {
		parts = append(parts, []byte("length:"+ctx.Header("Content-Length")))
		rec := s.idempotencyRecord(ctx, key, digest(append(parts, actorParts(ctx)...)))
		s.runIdempotent(ctx, next, rec, ctx.BodyReader(), success)
		return
	}
	body, err := io.ReadAll(io.LimitReader(ctx.BodyReader(), maxProxyRPCBody+1))
	if err != nil {
		s.writeProblem(ctx, newProblem(dropbridge.EINVALID, "The request body could not be read: send it again."))
		return
	}
	if len(body) > maxProxyRPCBody {
		s.writeProblem(ctx, newProblem(dropbridge.EINVALID, fmt.Sprintf("The JSON argument is larger than %d MiB.", maxProxyRPCBody>>20)))
		return
	}
	parts = append(parts, body)
	rec := s.idempotencyRecord(ctx, key, digest(append(parts, actorParts(ctx)...)))
	s.runIdempotent(ctx, next, rec, bytes.NewReader(body), success)
}
