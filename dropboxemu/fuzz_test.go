package dropboxemu

// Fuzz tests of the argument decoder and path handling. They live in the
// package itself (not dropboxemu_test) because they check unexported
// helpers directly; the seed corpora run with every "go test".

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// argSeeds are Dropbox-API-Arg values: escaped and raw UTF-8, surrogate
// pairs (valid, lone, reversed), unions, and garbage.
var argSeeds = []string{
	`{"path":"/a.txt"}`,
	`{"path":"/Gr\u00fc\u00dfe.txt","mode":"add"}`,
	`{"path":"/Grüße.txt","mode":"add"}`,
	`{"path":"/\ud83d\ude00.txt"}`,
	`{"path":"/😀.txt"}`,
	`{"path":"/\ud83d.txt"}`,
	`{"path":"/\ude00\ud83d"}`,
	`{"path":"/\uD83D\uDE00"}`,
	`{"path":"/\u0000"}`,
	`{"path":"/\u007f\u2028"}`,
	"{\"path\":\"/\x7f\"}",
	"{\"path\":\"/\xff\xfe\"}",
	`{"path":"/a","mode":{".tag":"update","update":"0123456789abcdef"}}`,
	`{"path":"/a","mode":{".tag":"\u0075pdate","update":"012345678"}}`,
	`{"path":"/a","mode":{"update":"x"}}`,
	`{"path":"/a","mode":{".tag":7}}`,
	`{"path":"/a","client_modified":"2015-05-12T15:50:38Z","autorename":true,"mute":false,"strict_conflict":true}`,
	`{"path":"/a","content_hash":"` + strings.Repeat("0", 64) + `"}`,
	`{"path":"/a","unknown":1}`,
	`{"path":"/a","path":"/b"}`,
	`{"path":1e999}`,
	`{"path":null}`,
	`{"path":"/a","autorename":null}`,
	`{"path":"/a","autorename":"yes"}`,
	`{"path":"/a","property_groups":{}}`,
	`{"cursor":"x","commit":{"path":"/a"}}`,
	`{"cursor":{"session_id":"x","offset":1.5},"commit":{"path":"/a"}}`,
	`{"cursor":null,"commit":null}`,
	`{}`,
	`null`,
	`[]`,
	`"str"`,
	``,
	` `,
	`{`,
	`{"path":"/a"} {}`,
	`{"path":"/a"}garbage`,
	strings.Repeat("[", 10000),
	"\x00\x01\x02",
	`{"cursor":{"session_id":"x","offset":-1},"close":true}`,
	`{"cursor":{"session_id":"x","offset":18446744073709551616}}`,
}

// FuzzDecodeArg feeds arbitrary bytes to the strict decoder as every kind of
// argument: it may refuse them, never panic, and what it accepts must
// encode back to JSON that decodes to the same value.
func FuzzDecodeArg(f *testing.F) {
	for _, s := range argSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		targets := []struct {
			v        any
			required []string
		}{
			{new(uploadArg), []string{"path"}},
			{new(finishArg), []string{"cursor", "commit"}},
			{new(listFolderArg), []string{"path"}},
			{new(Tag), nil},
			{new(map[string]any), nil},
		}
		for _, tg := range targets {
			err := decodeStrict(raw, tg.v, tg.required...)
			if err != nil {
				checkDecodeMessage(t, raw, err.Error())
				continue
			}
			// Accepted: the value survives a round trip through the header encoding.
			h, err := headerJSON(tg.v)
			if err != nil {
				t.Fatalf("%T: headerJSON of a decoded value: %v", tg.v, err)
			}
			again := reflect.New(reflect.TypeOf(tg.v).Elem()).Interface()
			if err := decodeStrict([]byte(h), again); err != nil {
				t.Fatalf("%T: %s decodes but its header form %s does not: %v", tg.v, raw, h, err)
			}
			if !reflect.DeepEqual(normalize(t, tg.v), normalize(t, again)) {
				t.Errorf("%T: %s -> %s decodes differently", tg.v, raw, h)
			}
		}
		// A Tag's String never panics, whatever the member holds.
		var tag Tag
		if json.Unmarshal(raw, &tag) == nil {
			_ = tag.String()
		}
	})
}

// checkDecodeMessage checks that a 400 reason speaks JSON, as Dropbox's do
// ("expected object, got list"), and never names Go types.
func checkDecodeMessage(t *testing.T, raw []byte, msg string) {
	t.Helper()
	if msg == "" {
		t.Errorf("%q: empty error message", raw)
		return
	}
	if strings.HasPrefix(msg, "unknown field '") {
		return // echoes the caller's key
	}
	for _, goism := range []string{"map[", "[]", "struct", "json.", "dropboxemu", "*", "int64", "uint", "float64", "interface"} {
		if strings.Contains(msg, goism) {
			t.Errorf("%q: message %q names a Go type (%s)", raw, msg, goism)
		}
	}
}

// normalize maps v to its plain JSON form, for comparing decoded values
// whose Go forms hold raw JSON.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return out
}

// FuzzHeaderEscaping checks that a string sent in Dropbox-API-Arg decodes
// the same whether the client escapes non-ASCII characters (lower- or
// upper-case \uXXXX, surrogate pairs) or sends raw UTF-8, and that the
// emulator's own header JSON is ASCII, header-safe and valid JSON.
func FuzzHeaderEscaping(f *testing.F) {
	for _, s := range []string{"", "/a.txt", "/Grüße", "/😀", "/\u007f", "/\u2028\u2029", "/a\"b\\c", "/\x00\x1f",
		"\xff", "/\xed\xa0\xbd", "/\U0010FFFF", "/\uFFFD", "/\uFEFF", "/<&>", "/İ", "/\u212a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		arg := map[string]any{"path": s, "mode": "add"}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(arg); err != nil {
			t.Fatal(err)
		}
		raw := bytes.TrimSpace(buf.Bytes())
		esc, err := headerJSON(arg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(esc); i++ {
			if c := esc[i]; c < 0x20 || c >= 0x7f {
				t.Fatalf("headerJSON(%q) has byte %#x at %d: %s", s, c, i, esc)
			}
		}
		forms := map[string][]byte{"raw": raw, "headerJSON": []byte(esc), "upper": escapeUpper(raw)}
		var want uploadArg
		if err := decodeStrict(raw, &want, "path"); err != nil {
			t.Fatalf("raw form %s: %v", raw, err)
		}
		if utf8.ValidString(s) && want.Path != s {
			t.Fatalf("raw form decodes to %q, want %q", want.Path, s)
		}
		for name, form := range forms {
			var got uploadArg
			if err := decodeStrict(form, &got, "path"); err != nil {
				t.Fatalf("%s form %s: %v", name, form, err)
			}
			if got.Path != want.Path || got.Mode == nil || got.Mode.Name != "add" {
				t.Errorf("%s form %s decodes to %+v, raw form to %+v", name, form, got, want)
			}
			var m map[string]any
			if err := json.Unmarshal(form, &m); err != nil || m["path"] != want.Path {
				t.Errorf("%s form %s: encoding/json gives %v, %v", name, form, m, err)
			}
		}
	})
}

// escapeUpper escapes every non-ASCII character of the JSON text b as
// upper-case \uXXXX, as some clients do; an escaper independent of headerJSON.
func escapeUpper(b []byte) []byte {
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case r < 0x7f:
			out.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04X\u%04X`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04X`, r)
		}
	}
	return out.Bytes()
}

// FuzzDropboxAPIArgHeader sends arbitrary Dropbox-API-Arg headers to
// files/download through the whole server: never a 500 or a panic, 400s in
// Dropbox's text format, and a path sent escaped or raw answers the same.
func FuzzDropboxAPIArgHeader(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s, "/a.txt")
	}
	f.Add(`{"path":"/A.TXT"}`, "/Grüße/😀")
	f.Add(`{"path":"rev:0123456789"}`, "id:abc")
	f.Add(`{"path":"id:"}`, "ns:1/a")
	srv, token := fuzzServer(f)
	f.Fuzz(func(t *testing.T, header, path string) {
		res := fuzzDownload(t, srv, token, header)
		switch res.Code {
		case http.StatusOK, http.StatusConflict:
		case http.StatusBadRequest:
			if !strings.HasPrefix(res.Body.String(), `Error in call to API function "files/download": `) {
				t.Errorf("400 for %q: %q", header, res.Body)
			}
		default:
			t.Fatalf("%d for Dropbox-API-Arg %q: %s", res.Code, header, res.Body)
		}

		arg := map[string]string{"path": path}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(arg)
		esc, err := headerJSON(arg)
		if err != nil {
			t.Fatal(err)
		}
		raw := fuzzDownload(t, srv, token, strings.TrimSpace(buf.String()))
		escaped := fuzzDownload(t, srv, token, esc)
		if raw.Code != escaped.Code || raw.Body.String() != escaped.Body.String() ||
			raw.Header().Get("Dropbox-API-Result") != escaped.Header().Get("Dropbox-API-Result") {
			t.Errorf("path %q: raw header answers %d %q, escaped %d %q", path, raw.Code, raw.Body, escaped.Code, escaped.Body)
		}
		if raw.Code != http.StatusOK && raw.Code != http.StatusConflict && raw.Code != http.StatusBadRequest {
			t.Errorf("path %q: %d %s", path, raw.Code, raw.Body)
		}
	})
}

// fuzzServer is an in-memory emulator with an account that has /a.txt and
// /Grüße/😀, driven in-process.
func fuzzServer(f *testing.F) (*Server, string) {
	f.Helper()
	srv, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/_emulator/accounts", strings.NewReader(`{"email":"fuzz@example.com"}`))
	srv.ServeHTTP(rec, req)
	var acct struct {
		AccessToken string `json:"access_token"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &acct) != nil {
		f.Fatalf("create account: %d %s", rec.Code, rec.Body)
	}
	for _, p := range []string{"/a.txt", "/Grüße/😀"} {
		h, _ := headerJSON(map[string]string{"path": p})
		req := httptest.NewRequest(http.MethodPost, "/2/files/upload", strings.NewReader("content of "+p))
		req.Header.Set("Authorization", "Bearer "+acct.AccessToken)
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Dropbox-API-Arg", h)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			f.Fatalf("upload %s: %d %s", p, rec.Code, rec.Body)
		}
	}
	return srv, acct.AccessToken
}

func fuzzDownload(t *testing.T, srv *Server, token, header string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/2/files/download", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Dropbox-API-Arg", header)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if res := rec.Header().Get("Dropbox-API-Result"); res != "" {
		for i := 0; i < len(res); i++ {
			if c := res[i]; c < 0x20 || c >= 0x7f {
				t.Fatalf("Dropbox-API-Result has byte %#x: %q", c, res)
			}
		}
	}
	return rec
}

// pathSeeds are path arguments at the edges of what Dropbox accepts.
var pathSeeds = []string{
	"", "/", "//", "/a", "/a/", "/a//b", "/./a", "/a/..", "/a/.../b", "/a /b", "/ a", "/a\x00b", "/a\x7f",
	"/a\r\nb", "/\uffff", "/\ufffe", "/Grüße/😀", "/\xff", "/İstanbul", "/\u212aelvin", "a", "id:", "id:abc",
	"id:abc/", "id:abc//d", "id:abc/d/e", "ns:", "ns:12", "ns:12/", "ns:12/a", "ns:x/a", "ns:1//a", "rev:",
	"rev:0123456789abcdef", "rev:XYZ", "rev:12/a",
}

// FuzzPath checks the path helpers: no panics; an accepted path has no empty,
// "." or ".." components, and its lower-cased form is accepted too;
// splitPath and isWithin agree with their definitions.
func FuzzPath(f *testing.F) {
	for i, s := range pathSeeds {
		f.Add(s, pathSeeds[(i+3)%len(pathSeeds)], i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, p, other string, write bool) {
		pp, err := parsePath(p, write)
		if err == nil {
			checkParsed(t, p, pp, write)
		} else if err.Error() == "" {
			t.Errorf("parsePath(%q): empty error message", p)
		}
		_ = checkComponents(p)

		for _, x := range []string{p, lowerPath(p), other} {
			parent, name := splitPath(x)
			if strings.Contains(x, "/") {
				if parent+"/"+name != x || strings.Contains(name, "/") {
					t.Errorf("splitPath(%q) = %q, %q", x, parent, name)
				}
			} else if parent != "" || name != x {
				t.Errorf("splitPath(%q) = %q, %q", x, parent, name)
			}
		}

		// isWithin by its definition, for any two strings.
		for _, pair := range [][2]string{{p, other}, {other, p}, {lowerPath(p), lowerPath(other)}} {
			a, root := pair[0], pair[1]
			want := root == "" || a == root || strings.HasPrefix(a, root+"/")
			if got := isWithin(a, root); got != want {
				t.Errorf("isWithin(%q, %q) = %v, want %v", a, root, got, want)
			}
		}
		if isWithin(p, other) && isWithin(other, p) && p != other {
			t.Errorf("isWithin both ways for %q and %q", p, other)
		}
	})
}

// checkParsed checks the invariants of a path parsePath accepted.
func checkParsed(t *testing.T, p string, pp parsedPath, write bool) {
	t.Helper()
	if !utf8.ValidString(p) {
		t.Errorf("parsePath accepted invalid UTF-8 %q", p)
	}
	switch pp.Kind {
	case pathRoot:
		if p != "" || write {
			t.Errorf("parsePath(%q, write=%v) = root", p, write)
		}
		return
	case pathPlain:
		if pp.Rest != p || pp.Ref != "" {
			t.Errorf("parsePath(%q) = %+v", p, pp)
		}
		if !pathRegexps["Path"].MatchString(p) || !pathRegexps["WritePath"].MatchString(p) {
			t.Errorf("parsePath accepted %q, which the spec's Path pattern refuses", p)
		}
	case pathID:
		if !strings.HasPrefix(p, pp.Ref) || len(pp.Ref) <= len("id:") || strings.Contains(pp.Ref, "/") {
			t.Errorf("parsePath(%q) = %+v", p, pp)
		}
	case pathNS:
		if pp.Ref == "" || strings.Trim(pp.Ref, "0123456789") != "" || !strings.HasPrefix(p, "ns:"+pp.Ref) {
			t.Errorf("parsePath(%q) = %+v", p, pp)
		}
	case pathRev:
		if write || pp.Rest != "" || !reRev.MatchString(pp.Ref) || p != "rev:"+pp.Ref {
			t.Errorf("parsePath(%q, write=%v) = %+v", p, write, pp)
		}
		return
	default:
		t.Fatalf("parsePath(%q): kind %d", p, pp.Kind)
	}
	if pp.Rest == "" {
		return
	}
	if pp.Rest[0] != '/' {
		t.Fatalf("parsePath(%q): rest %q does not start with /", p, pp.Rest)
	}
	for _, rest := range []string{pp.Rest, lowerPath(pp.Rest)} {
		for _, c := range strings.Split(rest[1:], "/") {
			if c == "" || c == "." || c == ".." {
				t.Errorf("parsePath(%q) accepted component %q in %q", p, c, rest)
			}
		}
		if err := checkComponents(rest); err != nil {
			t.Errorf("parsePath(%q): %q fails checkComponents: %v", p, rest, err)
		}
	}
	lower := lowerPath(pp.Rest)
	if parent, _ := splitPath(lower); parent != "" && (!isWithin(lower, parent) || isWithin(parent, lower)) {
		t.Errorf("isWithin disagrees with splitPath on %q", lower)
	}
}
