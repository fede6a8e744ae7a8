package dropboxemu_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// faultCheck calls check/user, the cheapest authenticated route.
func faultCheck(t *testing.T, emu *dropboxtest.Emulator, token string) rawResult {
	t.Helper()
	return do(t, emu, rawCall{Route: "check/user", Token: token, Arg: map[string]any{"query": "x"}})
}

// faultList returns the injected faults.
func faultList(t *testing.T, emu *dropboxtest.Emulator) []map[string]any {
	t.Helper()
	var out struct {
		Faults []map[string]any `json:"faults"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/faults", nil, &out)
	return out.Faults
}

func TestFaultTooManyRequests(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	for _, tt := range []struct {
		fault      dropboxtest.Fault
		reason     string
		retryAfter float64
	}{
		{dropboxtest.Fault{Route: "files/list_folder", Status: 429, Reason: "too_many_write_operations", RetryAfter: 7, Times: 1}, "too_many_write_operations", 7},
		{dropboxtest.Fault{Route: "files/list_folder", Status: 429, Reason: "too_many_requests", RetryAfter: 3, Times: 1}, "too_many_requests", 3},
		{dropboxtest.Fault{Route: "files/list_folder", Status: 429, Times: 1}, "too_many_requests", 1}, // the defaults
	} {
		emu.AddFault(t, tt.fault)
		r := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{"path": ""}})
		if r.Status != 429 || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Retry-After") != strconv.Itoa(int(tt.retryAfter)) {
			t.Errorf("%s: %d %s Retry-After %q", tt.reason, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Retry-After"))
		}
		got := r.json(t)
		if s, _ := got["error_summary"].(string); !strings.HasPrefix(s, tt.reason+"/") {
			t.Errorf("error_summary = %q", s)
		}
		want := map[string]any{"reason": map[string]any{".tag": tt.reason}, "retry_after": tt.retryAfter}
		if diff := cmp.Diff(want, got["error"]); diff != "" {
			t.Errorf("%s: error (-want +got):\n%s", tt.reason, diff)
		}
		// times: 1, so the next call goes through.
		if r := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{"path": ""}}); r.Status != 200 {
			t.Errorf("after the fault: %d %s", r.Status, r.Body)
		}
	}

	emu.AddFault(t, dropboxtest.Fault{Route: "files/list_folder", Status: 429, Reason: "too_many_write_operations", RetryAfter: 2, Times: 1})
	_, err := files.New(cfg).ListFolder(files.NewListFolderArg(""))
	var rl auth.RateLimitAPIError
	if !errors.As(err, &rl) || rl.RateLimitError.Reason.Tag != auth.RateLimitReasonTooManyWriteOperations || rl.RateLimitError.RetryAfter != 2 {
		t.Errorf("SDK under a 429 fault: %v, want RateLimitError too_many_write_operations retry_after 2", err)
	}
}

func TestFaultServerErrors(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", Status: 500, Times: 1})
	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", Status: 503, RetryAfter: 3, Times: 1})
	r := faultCheck(t, emu, acct.AccessToken)
	if r.Status != 500 || len(r.Body) != 0 || r.Header.Get("Retry-After") != "" {
		t.Errorf("500 fault: %d %q Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	r = faultCheck(t, emu, acct.AccessToken)
	if r.Status != 503 || len(r.Body) != 0 || r.Header.Get("Retry-After") != "3" {
		t.Errorf("503 fault: %d %q Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	emu.AddFault(t, dropboxtest.Fault{Route: "files/get_metadata", Status: 500, Times: 1})
	_, err := files.New(cfg).GetMetadata(files.NewGetMetadataArg("/x"))
	var se auth.ServerError
	if !errors.As(err, &se) {
		t.Errorf("SDK under a 500 fault: %T %v, want auth.ServerError", err, err)
	}
	if r := faultCheck(t, emu, acct.AccessToken); r.Status != 200 {
		t.Errorf("after the faults: %d", r.Status)
	}
}

func TestFaultReset(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	emu.AddFault(t, dropboxtest.Fault{Route: "files/list_folder", Reset: true, Times: 1})
	_, err := files.New(cfg).ListFolder(files.NewListFolderArg(""))
	var internal dropbox.SDKInternalError
	if err == nil || errors.As(err, &internal) {
		t.Fatalf("list_folder under a reset fault: %v, want a transport error", err)
	}
	if r := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{"path": ""}}); r.Status != 200 {
		t.Errorf("after the reset: %d %s", r.Status, r.Body)
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	emu, acct, _ := newSDKAccount(t)
	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", DelayMS: 150, Times: 1})
	start := time.Now()
	r := faultCheck(t, emu, acct.AccessToken)
	if d := time.Since(start); r.Status != 200 || d < 150*time.Millisecond {
		t.Errorf("delayed call: %d after %v, want 200 after >= 150ms", r.Status, d)
	}
	// A delay with a status delays, then fails.
	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", DelayMS: 50, Status: 503, Times: 1})
	start = time.Now()
	if r := faultCheck(t, emu, acct.AccessToken); r.Status != 503 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("delayed 503: %d after %v", r.Status, time.Since(start))
	}
}

func TestFaultTruncate(t *testing.T) {
	t.Parallel()
	emu, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	for _, size := range []int{20, 200 << 10} {
		content := bytes.Repeat([]byte("0123456789"), size/10)
		path := "/big.bin"
		if size < 100 {
			path = "/small.bin"
		}
		if _, err := fc.Upload(files.NewUploadArg(path), bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: 1})
		meta, rc, err := fc.Download(files.NewDownloadArg(path))
		if err != nil {
			t.Fatalf("%d bytes: download under a truncate fault: %v, want headers then a cut body", size, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) || len(got) >= size || meta.Size != uint64(size) {
			t.Errorf("%d bytes: read %d bytes, err %v; want fewer bytes and io.ErrUnexpectedEOF", size, len(got), err)
		}
		_, rc, err = fc.Download(files.NewDownloadArg(path))
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("%d bytes: download after the fault: %d bytes, %v", size, len(got), err)
		}
	}
}

func TestFaultTimesAndProbability(t *testing.T) {
	t.Parallel()
	emu, acct, _ := newSDKAccount(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.Seed = 42 }))
	statuses := func(n int) (failed int) {
		for range n {
			switch r := faultCheck(t, emu, acct.AccessToken); r.Status {
			case 200:
			case 500:
				failed++
			default:
				t.Fatalf("check/user: %d %s", r.Status, r.Body)
			}
		}
		return failed
	}

	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", Status: 500, Times: 2})
	if got := statuses(5); got != 2 {
		t.Errorf("times 2: %d of 5 calls failed", got)
	}
	if fs := faultList(t, emu); len(fs) != 0 {
		t.Errorf("a spent fault is still listed: %v", fs)
	}

	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", Status: 500})
	if got := statuses(5); got != 5 {
		t.Errorf("no times: %d of 5 calls failed, want all", got)
	}
	emu.ClearFaults(t)

	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", Status: 500, Probability: 0.5})
	got := statuses(60)
	if got < 10 || got > 50 {
		t.Errorf("probability 0.5: %d of 60 calls failed", got)
	}
	if fs := faultList(t, emu); len(fs) != 1 || fs[0]["hits"] != float64(got) {
		t.Errorf("faults = %v, want one with hits %d", fs, got)
	}
	emu.ClearFaults(t)

	// Both: each call hits with the chance, and the rule ends after 3 hits.
	emu.AddFault(t, dropboxtest.Fault{Route: "check/user", Status: 500, Probability: 0.5, Times: 3})
	if got := statuses(60); got != 3 {
		t.Errorf("probability 0.5 times 3: %d of 60 calls failed", got)
	}
	if fs := faultList(t, emu); len(fs) != 0 {
		t.Errorf("faults after 3 hits = %v", fs)
	}
}

func TestFaultEveryRoute(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	emu.AddFault(t, dropboxtest.Fault{Route: "*", Status: 503, Times: 2})
	for i, call := range []struct {
		route string
		arg   any
		want  int
	}{
		{"users/get_current_account", nil, 503},
		{"files/list_folder", map[string]any{"path": ""}, 503},
		{"users/get_current_account", nil, 200}, // times 2 spent
	} {
		if r := do(t, emu, rawCall{Route: call.route, Token: acct.AccessToken, Arg: call.arg}); r.Status != call.want {
			t.Errorf("call %d, %s: %d, want %d", i+1, call.route, r.Status, call.want)
		}
	}
	// A "*" truncate rule cuts downloads and leaves other routes alone.
	fc := files.New(cfg)
	if _, err := fc.Upload(files.NewUploadArg("/f.bin"), bytes.NewReader(bytes.Repeat([]byte("x"), 64<<10))); err != nil {
		t.Fatal(err)
	}
	emu.AddFault(t, dropboxtest.Fault{Route: "*", Truncate: true})
	if r := faultCheck(t, emu, acct.AccessToken); r.Status != 200 {
		t.Errorf("check/user under a * truncate rule: %d", r.Status)
	}
	_, rc, err := fc.Download(files.NewDownloadArg("/f.bin"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("download under a * truncate rule: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestFaultInvalid(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	for _, tt := range []struct {
		name string
		body any
		want string
	}{
		{"no route", map[string]any{"status": 500}, "route is required"},
		{"unknown route", map[string]any{"route": "files/teleport", "status": 500}, "unknown route"},
		{"status 404", map[string]any{"route": "*", "status": 404}, "status must be 429, 500 or 503"},
		{"reason without 429", map[string]any{"route": "*", "status": 500, "reason": "too_many_requests"}, "reason goes with status 429"},
		{"unknown reason", map[string]any{"route": "*", "status": 429, "reason": "slow_down"}, "reason must be"},
		{"negative times", map[string]any{"route": "*", "status": 500, "times": -1}, "times must be >= 0"},
		{"probability above 1", map[string]any{"route": "*", "status": 500, "probability": 1.5}, "probability must be within"},
		{"negative delay", map[string]any{"route": "*", "delay_ms": -5}, "delay_ms"},
		{"nothing to do", map[string]any{"route": "*"}, "a fault needs"},
		{"reset and status", map[string]any{"route": "*", "status": 500, "reset": true}, "only one of"},
		{"truncate on an rpc route", map[string]any{"route": "files/list_folder", "truncate": true}, "download-style routes only"},
		{"unknown field", map[string]any{"route": "*", "status": 500, "sometimes": true}, "unknown field"},
	} {
		err := emu.AdminErr(http.MethodPost, "/_emulator/faults", tt.body, nil)
		if err == nil || !strings.Contains(err.Error(), ": 400 ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want 400 saying %q", tt.name, err, tt.want)
		}
	}
	if fs := faultList(t, emu); len(fs) != 0 {
		t.Errorf("refused faults were kept: %v", fs)
	}
}

func TestFaultListAndClear(t *testing.T) {
	t.Parallel()
	emu, acct, _ := newSDKAccount(t)
	var added map[string]any
	emu.Admin(t, http.MethodPost, "/_emulator/faults", dropboxtest.Fault{Route: "check/user", Status: 500, Times: 5}, &added)
	emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true})
	faultCheck(t, emu, acct.AccessToken)
	fs := faultList(t, emu)
	if len(fs) != 2 || fs[0]["id"] != added["id"] || fs[0]["hits"] != 1.0 || fs[0]["route"] != "check/user" || fs[1]["truncate"] != true {
		t.Errorf("faults = %v (added %v)", fs, added)
	}
	emu.ClearFaults(t)
	if fs := faultList(t, emu); len(fs) != 0 {
		t.Errorf("after DELETE: %v", fs)
	}
	if r := faultCheck(t, emu, acct.AccessToken); r.Status != 200 {
		t.Errorf("after DELETE: %d", r.Status)
	}
}
