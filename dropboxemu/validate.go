package dropboxemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file checks arguments the way Dropbox's Stone decoders do
// (stone_serializers.py, stone_validators.py) and words the 400s as they
// do: a failure inside a field is prefixed with the field's path, parents
// first, joined by "." (list items add nothing: "entries.commit: missing
// required field 'path'").

// joinPath joins a parent field path and a field name.
func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// atPath prefixes msg with the field path where it happened, if any.
func atPath(path, msg string) error {
	if path == "" {
		return &valueError{msg}
	}
	return &valueError{path + ": " + msg}
}

// checkRequired checks one required field given as a dotted path
// ("entries.commit.path") in the JSON object obj decoded into type t: at
// every level lists apply the rest of the path to each item, and a
// missing or null parent is left to the parent's own requirement.
func checkRequired(obj map[string]json.RawMessage, t reflect.Type, path string) error {
	return requireIn(obj, t, strings.Split(path, "."), "")
}

func requireIn(obj map[string]json.RawMessage, t reflect.Type, parts []string, parent string) error {
	name := parts[0]
	val, ok := obj[name]
	ft := fieldType(t, name)
	if len(parts) == 1 {
		if !ok {
			return atPath(parent, fmt.Sprintf("missing required field '%s'", name))
		}
		// A null scalar would decode as its zero value ("" is the root
		// path); Stone refuses it. Null lists and objects decode as empty
		// ones, which the routes check themselves (the Go SDK sends null
		// for an empty list).
		if string(bytes.TrimSpace(val)) == "null" && isScalar(ft) {
			return atPath(joinPath(parent, name), fmt.Sprintf("expected %s, got null", stoneTypeName(ft)))
		}
		return nil
	}
	if !ok {
		return nil
	}
	return requireInValue(val, ft, parts[1:], joinPath(parent, name))
}

func requireInValue(raw json.RawMessage, t reflect.Type, parts []string, path string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	t = derefType(t)
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for _, it := range items {
			if err := requireInValue(it, et, parts, path); err != nil {
				return err
			}
		}
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		return requireIn(m, t, parts, path)
	}
	return nil
}

func derefType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// objectKeys returns the keys of the JSON object raw in their order.
func objectKeys(raw []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := tok.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

// jsonField is a field of an argument struct as JSON sees it.
type jsonField struct {
	name  string
	typ   reflect.Type
	union string // the `union` struct tag of a Tag field (see unionMembers)
}

// structFields lists the JSON fields of struct type t in declaration
// order, embedded structs inlined.
func structFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-" || !f.IsExported() && !f.Anonymous:
		case f.Anonymous && tag == "" && derefType(f.Type).Kind() == reflect.Struct:
			out = append(out, structFields(derefType(f.Type))...)
		default:
			if tag == "" {
				tag = f.Name
			}
			out = append(out, jsonField{name: tag, typ: f.Type, union: f.Tag.Get("union")})
		}
	}
	return out
}

// unknownField checks the shape of raw, decoded into t, as Stone's strict
// decoder does, and returns its first complaint: a key that a struct does
// not have (a struct's own keys first, in the order they come, then its
// fields' values in declaration order), or a union value that does not fit
// the `union` tag of its Tag field. It returns nil when all is well or raw
// does not fit t at all (the JSON decoder answers for that).
func unknownField(raw json.RawMessage, t reflect.Type, path string) error {
	return checkShape(raw, t, "", path)
}

func checkShape(raw json.RawMessage, t reflect.Type, union, path string) error {
	raw = bytes.TrimSpace(raw)
	t = derefType(t)
	if len(raw) == 0 || t == nil {
		return nil
	}
	switch {
	case t == reflect.TypeFor[Tag]():
		if union == "" {
			return nil
		}
		return checkUnion(raw, union, path)
	case t == reflect.TypeFor[json.RawMessage]():
		return nil
	case t.Kind() == reflect.Slice && raw[0] == '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for _, it := range items {
			if err := checkShape(it, t.Elem(), union, path); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Struct && raw[0] == '{':
		fields := structFields(t)
		known := map[string]bool{}
		for _, f := range fields {
			known[f.name] = true
		}
		for _, k := range objectKeys(raw) {
			if !known[k] {
				return atPath(path, fmt.Sprintf("unknown field '%s'", k))
			}
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		for _, f := range fields {
			if v, ok := m[f.name]; ok {
				if err := checkShape(v, f.typ, f.union, joinPath(path, f.name)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// unionMember is one member of a union argument, as a `union` struct tag
// declares it.
type unionMember struct {
	value    bool     // carries a value under its own key ("update": "rev")
	isStruct bool     // carries a struct whose fields sit beside ".tag"
	fields   []string // the struct's fields
	required []string // those of fields that must be there
}

// unionMembers parses a `union` struct tag: members separated by spaces,
// each a void member "name", a member with a value "name=value", or a
// member with a struct "name{field,field!}" ("!": required).
//
//	Mode *Tag `json:"mode,omitempty" union:"add overwrite update=value"`
func unionMembers(spec string) map[string]unionMember {
	out := map[string]unionMember{}
	for _, m := range strings.Fields(spec) {
		switch {
		case strings.HasSuffix(m, "=value"):
			out[strings.TrimSuffix(m, "=value")] = unionMember{value: true}
		case strings.HasSuffix(m, "}"):
			name, list, _ := strings.Cut(strings.TrimSuffix(m, "}"), "{")
			um := unionMember{isStruct: true}
			for _, f := range strings.Split(list, ",") {
				if f, req := strings.CutSuffix(f, "!"); req {
					um.required = append(um.required, f)
					um.fields = append(um.fields, f)
				} else if f != "" {
					um.fields = append(um.fields, f)
				}
			}
			out[name] = um
		default:
			out[m] = unionMember{}
		}
	}
	return out
}

// checkUnion checks a union value against its members as Stone's strict
// decode_union does, with its messages.
func checkUnion(raw json.RawMessage, spec, path string) error {
	members := unionMembers(spec)
	switch raw[0] {
	case 'n':
		return nil // null: the field's default, as the Go decoder makes it
	case '"':
		var name string
		if json.Unmarshal(raw, &name) != nil {
			return nil
		}
		m, ok := members[name]
		switch {
		case !ok:
			return atPath(path, fmt.Sprintf("unknown tag '%s'", name))
		case m.value || m.isStruct:
			return atPath(path, fmt.Sprintf("expected object for '%s', got symbol", name))
		}
		return nil
	case '{':
	default:
		return atPath(path, "expected string or object, got "+stoneValueType(raw))
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	rawTag, ok := obj[".tag"]
	if !ok {
		return atPath(path, "missing '.tag' key")
	}
	var name string
	if json.Unmarshal(rawTag, &name) != nil {
		return atPath(path, "tag must be string, got "+stoneValueType(bytes.TrimSpace(rawTag)))
	}
	m, ok := members[name]
	if !ok {
		return atPath(path, fmt.Sprintf("unknown tag '%s'", name))
	}
	keys := objectKeys(raw)
	switch {
	case m.isStruct:
		sub := joinPath(path, name)
		for _, k := range keys {
			if k != ".tag" && !slices.Contains(m.fields, k) {
				return atPath(sub, fmt.Sprintf("unknown field '%s'", k))
			}
		}
		for _, f := range m.required {
			if _, ok := obj[f]; !ok {
				return atPath(sub, fmt.Sprintf("missing required field '%s'", f))
			}
		}
		return nil
	case m.value:
		if _, ok := obj[name]; !ok {
			return atPath(path, fmt.Sprintf("missing '%s' key", name))
		}
	default:
		if v, ok := obj[name]; ok {
			if v = bytes.TrimSpace(v); string(v) != "null" {
				return atPath(path, "expected null, got "+stoneValueType(v))
			}
		}
	}
	for _, k := range keys {
		if k != name && k != ".tag" {
			return atPath(path, fmt.Sprintf("unexpected key '%s'", k))
		}
	}
	return nil
}

// stoneValueType names the type of a JSON value as Stone's
// generic_type_name does for the decoded Python value.
func stoneValueType(b []byte) string {
	if len(b) > 0 && b[0] == '{' {
		return "builtins.dict"
	}
	return jsonValueType(b)
}

// Stone's value validators (stone_validators.py), in its words. Each
// checks one argument value against the spec's constraints and returns
// nil or the 400 naming field. Lengths count characters, as Python does.

// checkInt checks an integer with min_value lo and max_value hi.
func (c *call) checkInt(field string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return c.badArg("%s: %d is not within range [%d, %d]", field, v, lo, hi)
	}
	return nil
}

// checkFloat checks a Float64 with min_value lo and max_value hi.
func (c *call) checkFloat(field string, v, lo, hi float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return c.badArg("%s: %f values are not supported", field, v)
	case v < lo:
		return c.badArg("%s: %f is not greater than %f", field, v, lo)
	case v > hi:
		return c.badArg("%s: %f is not less than %f", field, v, hi)
	}
	return nil
}

// checkString checks a String of at least minLen and (when maxLen > 0) at
// most maxLen characters that (when re is not nil) matches the spec's
// pattern, which re implements and the message quotes.
func (c *call) checkString(field, v string, minLen, maxLen int, pattern string, re *regexp.Regexp) error {
	n := utf8.RuneCountInString(v)
	switch {
	case maxLen > 0 && n > maxLen:
		return c.badArg("%s: '%s' must be at most %d characters, got %d", field, v, maxLen, n)
	case n < minLen:
		return c.badArg("%s: '%s' must be at least %d characters, got %d", field, v, minLen, n)
	case re != nil && !re.MatchString(v):
		return c.badArg("%s: '%s' did not match pattern '%s'", field, v, pattern)
	}
	return nil
}

// reRevPattern is the whole-string form of the pattern of a Rev.
var reRevPattern = regexp.MustCompile(`\A(?:[0-9a-f]+)\z`)

// checkRev checks a Rev: String(min_length=9, pattern="[0-9a-f]+").
func (c *call) checkRev(field, v string) error {
	return c.checkString(field, v, 9, 0, "[0-9a-f]+", reRevPattern)
}

// checkOptRev checks an optional Rev.
func (c *call) checkOptRev(field string, v *string) error {
	if v == nil {
		return nil
	}
	return c.checkRev(field, *v)
}

// checkList checks the length n of a List(min_items, max_items) (0: no
// bound). Stone puts the list's Python repr first; repr is that when the
// caller can render it ("[]", "['a', 'b']"), else "".
func (c *call) checkList(field string, n, minItems, maxItems int, repr string) error {
	if repr != "" {
		repr += " "
	}
	switch {
	case maxItems > 0 && n > maxItems:
		return c.badArg("%s: %shas more than %d items", field, repr, maxItems)
	case n < minItems:
		return c.badArg("%s: %shas fewer than %d items", field, repr, minItems)
	}
	return nil
}

// pyStrings renders a list of strings as Python's repr does: ['a', 'b'].
func pyStrings(l []string) string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = pyRepr(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pyRepr quotes s as Python's repr does (printable text only).
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	if q == "'" {
		s = strings.ReplaceAll(s, "'", `\'`)
	}
	return q + s + q
}

// reTimestamp is what Python's strptime accepts for "%Y-%m-%dT%H:%M:%SZ"
// (case-insensitive, one-digit fields allowed), anchored at the start only.
var reTimestamp = regexp.MustCompile(`(?i)^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])T(2[0-3]|[0-1]\d|\d):([0-5]\d|\d):(6[0-1]|[0-5]\d|\d)Z`)

// checkTimestamp parses a DropboxTimestamp ("%Y-%m-%dT%H:%M:%SZ") as
// Stone does, with strptime's messages.
func (c *call) checkTimestamp(field, v string) (time.Time, error) {
	m := reTimestamp.FindStringSubmatch(v)
	if m == nil {
		return time.Time{}, c.badArg("%s: time data %s does not match format '%%Y-%%m-%%dT%%H:%%M:%%SZ'", field, pyRepr(v))
	}
	if len(m[0]) < len(v) {
		return time.Time{}, c.badArg("%s: unconverted data remains: %s", field, v[len(m[0]):])
	}
	var n [6]int
	for i := range n {
		n[i], _ = strconv.Atoi(strings.TrimSpace(m[i+1]))
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC)
	switch {
	case t.Day() != n[2]:
		return time.Time{}, c.badArg("%s: day is out of range for month", field)
	case n[5] > 59:
		return time.Time{}, c.badArg("%s: second must be in 0..59", field)
	}
	return t, nil
}
