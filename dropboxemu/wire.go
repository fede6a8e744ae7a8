package dropboxemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
)

// apiError is an answer other than success, in Dropbox's wire format.
type apiError struct {
	Status     int
	Text       string         // 400 and plain-text answers
	Body       map[string]any // the JSON "error" value for 401/403/409/422/429
	Value      any            // when set, the "error" value instead of Body (a struct keeps its field order)
	Summary    string         // error_summary; derived from Body when empty
	RetryAfter int            // seconds, for 429 and 503
}

func (e *apiError) Error() string {
	if e.Text != "" {
		return fmt.Sprintf("%d %s", e.Status, e.Text)
	}
	return fmt.Sprintf("%d %s", e.Status, e.summary())
}

// summary is the tag path joined by "/", as Dropbox writes error_summary.
func (e *apiError) summary() string {
	if e.Summary != "" {
		return e.Summary
	}
	var parts []string
	var cur any = e.Body
	if e.Status == http.StatusTooManyRequests {
		cur = e.Body["reason"]
	}
	for {
		m, ok := cur.(map[string]any)
		if !ok {
			break
		}
		tag, _ := m[".tag"].(string)
		if tag == "" {
			break
		}
		parts = append(parts, tag)
		next, ok := m[tag]
		if !ok {
			// A struct member with inlined fields: follow its reason, if any.
			next = m["reason"]
		}
		cur = next
	}
	return strings.Join(parts, "/") + "/.."
}

// u is a union value of a void member: {".tag": tag}.
func u(tag string) map[string]any { return map[string]any{".tag": tag} }

// uv is a union member carrying a value: {".tag": tag, tag: v}.
func uv(tag string, v any) map[string]any { return map[string]any{".tag": tag, tag: v} }

// uf is a union member whose struct fields are inlined: {".tag": tag, fields...}.
func uf(tag string, fields map[string]any) map[string]any {
	m := map[string]any{".tag": tag}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

// routeError is a 409 with the route's own error union.
func routeError(body map[string]any) *apiError {
	return &apiError{Status: http.StatusConflict, Body: body}
}

// routeErrorFields is routeError for a union member whose struct fields
// are inlined: fields, a struct whose first field is ".tag", keeps the
// spec's field order on the wire, where uf's map would sort it.
func routeErrorFields(tag string, fields any) *apiError {
	return &apiError{Status: http.StatusConflict, Body: u(tag), Value: fields}
}

// badInput is a 400 with Dropbox's plain-text message.
func badInput(route, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest,
		Text: fmt.Sprintf("Error in call to API function %q: %s", route, fmt.Sprintf(format, args...))}
}

func authError(body map[string]any) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Body: body}
}

func rateLimited(reason string, retryAfter int) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, RetryAfter: retryAfter,
		Body: map[string]any{"reason": u(reason), "retry_after": retryAfter}}
}

// errorBody is a JSON error answer. A struct, not a map, so that
// error_summary comes first, as Dropbox writes it.
type errorBody struct {
	Summary string `json:"error_summary"`
	Error   any    `json:"error"`
}

// writeError writes e in Dropbox's format.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Body == nil {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(e.Status)
		io.WriteString(w, e.Text)
		return
	}
	var v any = e.Body
	if e.Value != nil {
		v = e.Value
	}
	writeJSON(w, e.Status, errorBody{Summary: e.summary(), Error: v})
}

// marshalJSON encodes v as Dropbox does: without escaping <, > and & as
// \u003c... (which encoding/json does by default).
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		http.Error(w, "internal error encoding the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// headerJSON encodes v as HTTP-header-safe JSON: 0x7F and every non-ASCII
// character escaped as \uXXXX (surrogate pairs above U+FFFF).
func headerJSON(v any) (string, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for _, r := range string(b) {
		switch {
		case r == 0x7f:
			sb.WriteString(`\u007f`)
		case r < 0x80:
			sb.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&sb, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&sb, `\u%04x`, r)
		}
	}
	return sb.String(), nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data, and checks that each required field is present and not
// null. A required field may be a dotted path into nested structs and list
// items ("entries.commit.path"). It returns the message Dropbox puts after "request body: ", in the
// words of Dropbox's Stone validators.
func decodeStrict(raw []byte, v any, required ...string) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return errors.New("could not decode input as JSON")
	}
	if len(required) > 0 {
		if !json.Valid(trimmed) {
			return errors.New("could not decode input as JSON")
		}
		if trimmed[0] != '{' {
			return fmt.Errorf("expected object, got %s", jsonValueType(trimmed))
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return jsonReason(err)
		}
		if err := unknownField(trimmed, reflect.TypeOf(v), ""); err != nil {
			return err
		}
		for _, f := range required {
			if err := checkRequired(m, reflect.TypeOf(v), f); err != nil {
				return err
			}
		}
	} else if json.Valid(trimmed) {
		if err := unknownField(trimmed, reflect.TypeOf(v), ""); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonReason(err)
	}
	if dec.More() {
		return errors.New("could not decode input as JSON")
	}
	return nil
}

func jsonReason(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return errors.New("could not decode input as JSON")
	case errors.As(err, &typ):
		got := typ.Value
		if kind, num, ok := strings.Cut(got, " "); ok && kind == "number" {
			got = "integer"
			if strings.ContainsAny(num, ".eE") {
				got = "float"
			}
		} else {
			got = map[string]string{"array": "list", "bool": "boolean", "number": "integer"}[got]
			if got == "" {
				got = typ.Value
			}
		}
		want := stoneTypeName(typ.Type)
		if typ.Field != "" {
			return fmt.Errorf("%s: expected %s, got %s", typ.Field, want, got)
		}
		return fmt.Errorf("expected %s, got %s", want, got)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if uq, uerr := strconv.Unquote(name); uerr == nil {
			name = uq
		}
		return fmt.Errorf("unknown field '%s'", name)
	}
	var ve *valueError
	if errors.As(err, &ve) {
		return ve
	}
	return errors.New("could not decode input as JSON")
}

// jsonValueType names the type of the valid JSON value b as Stone does.
func jsonValueType(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "list"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(b, ".eE") {
		return "float"
	}
	return "integer"
}

// stoneTypeName names a Go type by the JSON type it decodes from, in
// Stone's words ("object", "list", "string", "integer", ...).
func stoneTypeName(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[Tag]() {
		return "string or object"
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "real number"
	}
	return "value"
}

// isScalar reports whether t is a string, boolean or number type.
func isScalar(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// fieldType finds the type of the field of struct type t (or *t) that
// encoding/json decodes the key name into; nil when there is none.
func fieldType(t reflect.Type, name string) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "":
			if ft := fieldType(f.Type, name); ft != nil {
				return ft
			}
		case tag == name || (tag == "" && strings.EqualFold(f.Name, name)):
			return f.Type
		}
	}
	return nil
}

// valueError is a field value that fails the spec's constraints.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

// Tag is a union value read from an argument: either the bare string
// "name" or the object {".tag": "name", ...}. Fields keeps the other members.
// A Tag field declares the union's members in a `union` struct tag (see
// unionMembers); decodeStrict then refuses what Stone refuses: unknown
// members, extra keys, a bare string for a member that carries a value.
type Tag struct {
	Name   string
	Fields map[string]json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Tag) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.Name)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	raw, ok := m[".tag"]
	if !ok {
		return &valueError{"missing '.tag' key"}
	}
	if err := json.Unmarshal(raw, &t.Name); err != nil {
		return &valueError{"'.tag' must be a string"}
	}
	delete(m, ".tag")
	t.Fields = m
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Tag) MarshalJSON() ([]byte, error) {
	m := map[string]any{".tag": t.Name}
	for k, v := range t.Fields {
		m[k] = v
	}
	return json.Marshal(m)
}

// String returns the member's value for a union member holding a string
// (like WriteMode.update): {".tag":"update","update":"rev"}.
func (t Tag) String() string {
	var s string
	if raw, ok := t.Fields[t.Name]; ok {
		json.Unmarshal(raw, &s)
	}
	return s
}
