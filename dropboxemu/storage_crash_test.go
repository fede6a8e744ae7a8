package dropboxemu_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// crashChildEnv makes the test binary, instead of running tests, serve a
// disk-backed emulator on the folder the variable names (see TestMain).
const crashChildEnv = "DROPBOXEMU_CRASH_CHILD_DIR"

// failedCommitChildEnv makes the test binary run failedCommitChild on the
// folder it names (see TestBackendDiskFailedCommit).
const failedCommitChildEnv = "DROPBOXEMU_FAILED_COMMIT_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(serveCrashChild(dir))
	}
	if dir := os.Getenv(failedCommitChildEnv); dir != "" {
		os.Exit(failedCommitChild(dir))
	}
	os.Exit(m.Run())
}

// serveCrashChild serves an emulator on dir and prints its URL. It runs
// until killed, or until its stdin closes so that it never outlives a
// parent that died.
func serveCrashChild(dir string) int {
	b, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	emu, err := dropboxemu.New(dropboxemu.Options{Backend: b, NamespaceWriteLimit: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	go http.Serve(ln, emu)
	fmt.Printf("URL http://%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// crashChild is an emulator running in a child process.
type crashChild struct {
	cmd   *exec.Cmd
	stdin io.Closer
	emu   *dropboxtest.Emulator
	done  chan struct{}
}

func startCrashChild(t *testing.T, dir string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the emulator process: %v", err)
	}
	c := &crashChild{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.stdin.Close()
		cmd.Process.Kill()
		<-c.done
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, found := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	if err != nil || !found {
		t.Fatalf("the emulator process did not print its URL: %q, %v", line, err)
	}
	c.emu = &dropboxtest.Emulator{URL: url}
	return c
}

// kill ends the child with SIGKILL: no deferred code, no flushing.
func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-c.done
}

// TestCrash kills a disk-backed emulator process at a random moment during
// parallel uploads, restarts it on the same folder, and checks that every
// upload it acknowledged is there whole, and that no file is half-written.
func TestCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()

	child := startCrashChild(t, dir)
	acct := child.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "crash@example.com"})

	// What each upload sent, by path; acked marks the answered ones.
	type sent struct {
		data []byte
		meta map[string]any // the 200 answer
	}
	var (
		mu     sync.Mutex
		all    = map[string][]byte{}
		acked  = map[string]sent{}
		nAcked atomic.Int32
	)
	killAfter := int32(5 + rng.IntN(100))
	reached := make(chan struct{})
	ctx := t.Context()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for w := range 16 {
		wseed := rng.Uint64()
		wg.Go(func() {
			r := rand.New(rand.NewPCG(wseed, uint64(w)))
			for i := 0; ctx.Err() == nil; i++ {
				path := fmt.Sprintf("/w%02d/f%04d.bin", w, i)
				data := make([]byte, 1+r.IntN(64<<10))
				for j := range data {
					data[j] = byte(r.Uint32())
				}
				mu.Lock()
				all[strings.ToLower(path)] = data
				mu.Unlock()
				meta, err := uploadRaw(ctx, client, child.emu.URL, acct.AccessToken, path, data)
				var se *statusError
				if errors.As(err, &se) {
					t.Errorf("upload before the crash: %v", err)
				}
				if err != nil {
					return // the process is gone (or the test timed out)
				}
				mu.Lock()
				acked[strings.ToLower(path)] = sent{data, meta}
				mu.Unlock()
				if nAcked.Add(1) == killAfter {
					close(reached)
				}
			}
		})
	}
	// Kill once enough uploads were acknowledged, with others in flight, or
	// after a few seconds on a slow machine.
	limit := time.NewTimer(5 * time.Second)
	defer limit.Stop()
	select {
	case <-reached:
	case <-limit.C:
	case <-child.done:
		t.Fatal("the emulator process exited by itself")
	}
	child.kill(t)
	if nAcked.Load() == 0 {
		t.Fatal("no upload was acknowledged before the kill")
	}
	wg.Wait()
	t.Logf("killed after %d acknowledged uploads (%d started)", len(acked), len(all))

	child = startCrashChild(t, dir)
	emu := child.emu
	for path, s := range acked {
		got := downloadFile(t, emu, acct.AccessToken, path)
		if !bytes.Equal(got.Content, s.data) {
			t.Errorf("%s: %d bytes after the crash, acknowledged %d", path, len(got.Content), len(s.data))
		}
		for _, k := range []string{"id", "rev", "content_hash", "size", "path_display"} {
			if got.Meta[k] != s.meta[k] {
				t.Errorf("%s: %s = %v after the crash, acknowledged %v", path, k, got.Meta[k], s.meta[k])
			}
		}
	}
	// Uploads in flight may or may not have happened, but never in part.
	pages := listAll(t, emu, acct.AccessToken, map[string]any{"path": "", "recursive": true})
	files := 0
	for _, p := range pages {
		for _, e := range p["entries"].([]any) {
			m := e.(map[string]any)
			if m[".tag"] != "file" {
				continue
			}
			files++
			path := m["path_lower"].(string)
			data, ok := all[path]
			if !ok {
				t.Errorf("%s: a file no one uploaded", path)
				continue
			}
			if _, wasAcked := acked[path]; wasAcked {
				continue
			}
			got := downloadFile(t, emu, acct.AccessToken, path)
			if !bytes.Equal(got.Content, data) || m["content_hash"] != hashOfContent(data) {
				t.Errorf("%s (unacknowledged): %d bytes after the crash, sent %d", path, len(got.Content), len(data))
			}
		}
	}
	if files < len(acked) {
		t.Errorf("%d files listed after the crash, %d uploads acknowledged", files, len(acked))
	}
	// The restarted emulator keeps working.
	ok(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/after.txt"}, Body: []byte("after")})
}

// statusError is an answer other than 200, as opposed to no answer.
type statusError struct{ msg string }

func (e *statusError) Error() string { return e.msg }

// uploadRaw uploads data to path and returns the metadata of a 200 answer.
func uploadRaw(ctx context.Context, client *http.Client, base, token, path string, data []byte) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/2/files/upload", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	arg, _ := json.Marshal(map[string]any{"path": path, "mode": "add"})
	req.Header.Set("Dropbox-API-Arg", string(arg))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{fmt.Sprintf("upload %s: %d %s", path, resp.StatusCode, body)}
	}
	var meta map[string]any
	if err := json.Unmarshal(body, &meta); err != nil {
		return nil, err
	}
	return meta, nil
}
