package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// lockedBuffer collects the command's log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runningCmd is a dropbridge command running in-process.
type runningCmd struct {
	cancel context.CancelFunc
	done   chan error    // the command's result
	lines  chan string   // its stdout, line by line
	stderr *lockedBuffer // its log
}

// startCmd runs "dropbridge args..." until the test ends or stop is called.
func startCmd(t *testing.T, args ...string) *runningCmd {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	r := &runningCmd{cancel: cancel, done: make(chan error, 1), lines: make(chan string, 16), stderr: &lockedBuffer{}}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(pw)
	root.SetErr(r.stderr)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.Close()
		r.done <- err
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() {
		cancel()
		for range r.lines {
		}
	})
	return r
}

// line waits for the next line of output that starts with prefix and
// returns the rest of it.
func (r *runningCmd) line(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				err := <-r.done
				r.done <- err
				t.Fatalf("the command ended (%v) before printing %q\n%s", err, prefix, r.stderr)
			}
			if rest, found := strings.CutPrefix(l, prefix); found {
				return rest
			}
		case <-timeout.C:
			t.Fatalf("no line %q within 20s\n%s", prefix, r.stderr)
		}
	}
}

// stop cancels the command and returns its error.
func (r *runningCmd) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("the command did not stop within 20s\n%s", r.stderr)
		return nil
	}
}

const listeningPrefix = "Dropbox API emulator listening on "

// checkUser calls /2/check/user with token through client and returns the echo.
func checkUser(t *testing.T, client *http.Client, base, token, query string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/2/check/user", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("check/user: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var res struct {
		Result string `json:"result"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil {
		t.Fatalf("check/user: %d %s", resp.StatusCode, b)
	}
	return res.Result
}

func TestEmulatorCmdServesAndKeepsState(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	run := startCmd(t, "emulator", "--listen", "127.0.0.1:0", "--data", dir)
	base := run.line(t, listeningPrefix)
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("base URL %q", base)
	}
	emu := &dropboxtest.Emulator{URL: base}
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "cli@example.com", DisplayName: "Cli User"})
	if got := checkUser(t, http.DefaultClient, base, acct.AccessToken, "hello"); got != "hello" {
		t.Errorf("check/user echoed %q", got)
	}

	// The folder is taken while the emulator runs.
	second := startCmd(t, "emulator", "--listen", "127.0.0.1:0", "--data", dir)
	if err := <-second.done; err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second emulator on the same --data: %v, want an error saying the folder is in use", err)
	}

	if err := run.stop(t); err != nil {
		t.Fatalf("emulator stopped with %v\n%s", err, run.stderr)
	}

	// A new run on the same folder has the account and its token.
	run = startCmd(t, "emulator", "--listen", "127.0.0.1:0", "--data", dir)
	base = run.line(t, listeningPrefix)
	if got := checkUser(t, http.DefaultClient, base, acct.AccessToken, "again"); got != "again" {
		t.Errorf("check/user after restart echoed %q", got)
	}
	var accounts struct {
		Accounts []struct {
			ID    string `json:"account_id"`
			Email string `json:"email"`
		} `json:"accounts"`
	}
	(&dropboxtest.Emulator{URL: base}).Admin(t, http.MethodGet, "/_emulator/accounts", nil, &accounts)
	if len(accounts.Accounts) != 1 || accounts.Accounts[0].ID != acct.AccountID {
		t.Errorf("accounts after restart: %+v, want %s", accounts.Accounts, acct.AccountID)
	}
	if err := run.stop(t); err != nil {
		t.Fatalf("emulator stopped with %v\n%s", err, run.stderr)
	}
}

func TestEmulatorCmdMemoryState(t *testing.T) {
	t.Parallel()
	run := startCmd(t, "emulator", "--listen", "127.0.0.1:0")
	base := run.line(t, listeningPrefix)
	acct := (&dropboxtest.Emulator{URL: base}).CreateAccount(t, dropboxtest.AccountArg{Email: "mem@example.com"})
	if got := checkUser(t, http.DefaultClient, base, acct.AccessToken, "x"); got != "x" {
		t.Errorf("check/user echoed %q", got)
	}
	if err := run.stop(t); err != nil {
		t.Fatal(err)
	}
	// Without --data, a new run starts empty.
	run = startCmd(t, "emulator", "--listen", "127.0.0.1:0")
	base = run.line(t, listeningPrefix)
	var accounts struct {
		Accounts []any `json:"accounts"`
	}
	(&dropboxtest.Emulator{URL: base}).Admin(t, http.MethodGet, "/_emulator/accounts", nil, &accounts)
	if len(accounts.Accounts) != 0 {
		t.Errorf("a memory-only emulator kept %d accounts across runs", len(accounts.Accounts))
	}
}

func TestEmulatorCmdTLSSelfSigned(t *testing.T) {
	t.Parallel()
	certFile := filepath.Join(t.TempDir(), "ca.pem")
	run := startCmd(t, "emulator", "--listen", "127.0.0.1:0", "--tls-self-signed", "--tls-cert-out", certFile)
	if got := run.line(t, "TLS certificate (trust it as a CA): "); got != certFile {
		t.Errorf("certificate written to %q, want %q", got, certFile)
	}
	base := run.line(t, listeningPrefix)
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("base URL %q, want https", base)
	}
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", certFile)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(client.CloseIdleConnections)

	// The admin API, then the Dropbox API, over verified TLS.
	body := strings.NewReader(`{"email":"tls@example.com"}`)
	resp, err := client.Post(base+"/_emulator/accounts", "application/json", body)
	if err != nil {
		t.Fatalf("create account over TLS: %v", err)
	}
	var acct dropboxtest.Account
	err = json.NewDecoder(resp.Body).Decode(&acct)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("create account: %d %v", resp.StatusCode, err)
	}
	if got := checkUser(t, client, base, acct.AccessToken, "secure"); got != "secure" {
		t.Errorf("check/user echoed %q", got)
	}
	// Plain HTTP clients and clients that do not trust the certificate fail.
	if _, err := http.Get(base + "/"); err == nil {
		t.Error("an untrusting client connected")
	}
	if err := run.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestEmulatorCmdBadFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"--tls-cert", missing}, "--tls-cert and --tls-key go together"},
		{"key without cert", []string{"--tls-key", missing}, "--tls-cert and --tls-key go together"},
		{"self-signed and cert", []string{"--tls-self-signed", "--tls-cert", missing, "--tls-key", missing}, "either --tls-self-signed or --tls-cert"},
		{"cert-out without self-signed", []string{"--tls-cert-out", filepath.Join(dir, "ca.pem")}, "--tls-cert-out needs --tls-self-signed"},
		{"missing cert files", []string{"--tls-cert", missing, "--tls-key", missing}, "load TLS certificate"},
		{"bad listen address", []string{"--listen", "127.0.0.1:99999"}, "listen"},
		{"data is a file", []string{"--data", notADir}, "data folder"},
		{"unknown flag", []string{"--nope"}, "unknown flag: --nope"},
		{"argument", []string{"extra"}, `"extra"`},
		{"bad number", []string{"--requests-per-second", "fast"}, "invalid argument"},
		{"negative rate", []string{"--requests-per-second", "-1"}, "--requests-per-second must be 0 (no limit) or more"},
		{"NaN rate", []string{"--requests-per-second", "NaN"}, "--requests-per-second must be"},
		{"write limit below -1", []string{"--namespace-write-limit", "-2"}, "--namespace-write-limit must be -1 (no limit)"},
		{"negative backoff", []string{"--longpoll-backoff", "-1"}, "--longpoll-backoff must be 0"},
		{"negative job polls", []string{"--job-polls", "-1"}, "--job-polls must be 0 or more"},
		{"listen without port", []string{"--listen", "localhost"}, `--listen "localhost": want host:port`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"emulator"}, tc.args...)
			if !slices.Contains(tc.args, "--listen") {
				args = append(args, "--listen", "127.0.0.1:0")
			}
			run := startCmd(t, args...)
			var out []string
			for l := range run.lines {
				out = append(out, l)
			}
			err := <-run.done
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("dropbridge %s: error %v, want one containing %q", strings.Join(args, " "), err, tc.want)
			}
			for _, l := range out {
				if strings.HasPrefix(l, listeningPrefix) {
					t.Errorf("started listening despite the bad flags: %q", l)
				}
			}
			if errors.Is(err, context.Canceled) {
				t.Errorf("the command waited to be cancelled")
			}
		})
	}
}

func TestEmulatorCmdDialAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ listen, want string }{
		{"127.0.0.1:8787", "127.0.0.1:8787"},
		{"0.0.0.0:8787", "127.0.0.1:8787"},
		{"[::]:8787", "127.0.0.1:8787"},
		{"[::1]:8787", "[::1]:8787"},
		{"192.0.2.7:443", "192.0.2.7:443"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.listen)
		if err != nil {
			t.Fatal(err)
		}
		if got := dialAddr(addr); got != tc.want {
			t.Errorf("dialAddr(%s) = %s, want %s", tc.listen, got, tc.want)
		}
	}
}
