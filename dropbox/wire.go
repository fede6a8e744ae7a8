package dropbox

// The JSON helpers that the generated types (types_*.go) call for Stone's
// union and subtype encodings and Dropbox's timestamps. Hand-written:
// internal/stoneclient generates the calls, not these.

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// stamp is a time written in Dropbox's form: UTC, to the second,
// "2006-01-02T15:04:05Z". Reading uses time.Time's RFC 3339.
type stamp time.Time

// MarshalJSON writes s in Dropbox's form.
func (s stamp) MarshalJSON() ([]byte, error) {
	return []byte(time.Time(s).UTC().Format(`"2006-01-02T15:04:05Z"`)), nil
}

// marshalTag writes a union value that has only its tag.
func marshalTag(tag string) ([]byte, error) {
	return json.Marshal(struct {
		Tag string `json:".tag"`
	}{tag})
}

// marshalKeyed writes a union value whose member value goes under its
// key: {".tag":"update","update":"0123456789"}. A nil value writes the
// tag alone.
func marshalKeyed(tag, key string, v any) ([]byte, error) {
	val, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(val) == "null" {
		return marshalTag(tag)
	}
	t, _ := json.Marshal(tag)
	k, _ := json.Marshal(key)
	out := make([]byte, 0, len(val)+len(t)+len(k)+12)
	out = append(out, `{".tag":`...)
	out = append(out, t...)
	out = append(out, ',')
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, val...)
	return append(out, '}'), nil
}

// marshalInline writes a union value whose member is a struct: its fields
// beside ".tag". A nil struct writes the tag alone.
func marshalInline(tag string, v any) ([]byte, error) {
	val, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(val) == "null" {
		return marshalTag(tag)
	}
	if len(val) < 2 || val[0] != '{' {
		return nil, fmt.Errorf("dropbox: the %q member is not a JSON object", tag)
	}
	t, _ := json.Marshal(tag)
	out := make([]byte, 0, len(val)+len(t)+9)
	out = append(out, `{".tag":`...)
	out = append(out, t...)
	if len(val) > 2 {
		out = append(out, ',')
	}
	return append(out, val[1:]...), nil
}

// marshalSubtype writes a struct with enumerated subtypes: the subtype's
// fields beside ".tag". The subtype must be set.
func marshalSubtype(typ, tag string, v any) ([]byte, error) {
	val, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(val) == "null" {
		return nil, fmt.Errorf("dropbox: %s has tag %q but no value for it", typ, tag)
	}
	return marshalInline(tag, json.RawMessage(val))
}

// decodeUnion reads a union value's tag and keys. A bare string is the
// tag of a void member; null gives no tag and no error.
func decodeUnion(typ string, b []byte) (string, map[string]json.RawMessage, error) {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return "", nil, fmt.Errorf("decode %s: %w", typ, err)
		}
		return s, nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return "", nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	if fields == nil {
		return "", nil, nil
	}
	raw, ok := fields[".tag"]
	if !ok {
		return "", nil, fmt.Errorf("decode %s: no \".tag\"", typ)
	}
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return "", nil, fmt.Errorf("decode %s: bad \".tag\" %s", typ, raw)
	}
	return s, fields, nil
}

// decodeTag reads the ".tag" of a struct with enumerated subtypes; null
// gives no tag and no error.
func decodeTag(typ string, b []byte) (string, error) {
	var v *struct {
		Tag *string `json:".tag"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("decode %s: %w", typ, err)
	}
	if v == nil {
		return "", nil
	}
	if v.Tag == nil || *v.Tag == "" {
		return "", fmt.Errorf("decode %s: no \".tag\"", typ)
	}
	return *v.Tag, nil
}

// decodeMember reads the value of a union member held under its key;
// an absent or null value leaves dst as it is.
func decodeMember(typ string, fields map[string]json.RawMessage, key string, dst any) error {
	raw, ok := fields[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("decode %s.%s: %w", typ, key, err)
	}
	return nil
}

// decodeInline reads a struct held beside ".tag" into a new *dst.
func decodeInline[T any](typ string, b []byte, dst **T) error {
	*dst = new(T)
	if err := json.Unmarshal(b, *dst); err != nil {
		return fmt.Errorf("decode %s: %w", typ, err)
	}
	return nil
}

// errNoTag is the error of marshalling a union with no tag set.
func errNoTag(typ string) error {
	return fmt.Errorf("dropbox: %s has no tag: set Tag to one of the %s* constants", typ, typ)
}

// errUnknownTag is the error of marshalling a struct with enumerated
// subtypes whose tag names none of them.
func errUnknownTag(typ, tag string) error {
	return fmt.Errorf("dropbox: %s has unknown tag %q", typ, tag)
}

// unionError is the text of a route error: its tag path.
func unionError(typ string, tags []string) string {
	if len(tags) == 0 || tags[0] == "" {
		return typ + " with no tag"
	}
	return strings.Join(tags, "/")
}
