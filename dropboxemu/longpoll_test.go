package dropboxemu_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

type coreLongpollAnswer struct {
	res *files.ListFolderLongpollResult
	err error
}

// coreLongpoll starts a list_folder/longpoll and returns where its answer arrives.
func coreLongpoll(t *testing.T, fc files.ContextClient, cursor string, timeout uint64) <-chan coreLongpollAnswer {
	t.Helper()
	ch := make(chan coreLongpollAnswer, 1)
	arg := files.NewListFolderLongpollArg(cursor)
	arg.Timeout = timeout
	go func() {
		res, err := fc.ListFolderLongpollContext(t.Context(), arg)
		ch <- coreLongpollAnswer{res, err}
	}()
	return ch
}

// coreAwaitTimeout advances the emulator's clock past the longpoll timeout
// until the longpoll answers, and returns its answer. A longpoll that has not
// started waiting yet when the clock moves sees the next move.
func coreAwaitTimeout(t *testing.T, emu *dropboxtest.Emulator, ch <-chan coreLongpollAnswer, timeout time.Duration) coreLongpollAnswer {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		emu.Advance(t, timeout+time.Second)
		select {
		case a := <-ch:
			return a
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("the longpoll did not answer after its timeout passed on the emulator clock")
	return coreLongpollAnswer{}
}

func TestLongpollAnswersOnChange(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreTree(t, fc)
	_, cur := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	ch := coreLongpoll(t, fc, cur, 480)
	corePut(t, fc, "/changed.txt", []byte("c"))
	select {
	case a := <-ch:
		if a.err != nil || !a.res.Changes {
			t.Fatalf("longpoll = %+v, %v; want changes", a.res, a.err)
		}
		if a.res.Backoff != 0 {
			t.Errorf("backoff %d without Options.LongpollBackoff", a.res.Backoff)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the longpoll did not answer the change")
	}
	// A change that is already there answers at once.
	a := <-coreLongpoll(t, fc, cur, 30)
	if a.err != nil || !a.res.Changes {
		t.Errorf("longpoll with a pending change = %+v, %v", a.res, a.err)
	}
}

func TestLongpollTimeout(t *testing.T) {
	t.Parallel()
	emu, _, fc := coreSetup(t)
	coreTree(t, fc)
	// A cursor on /A does not see changes elsewhere.
	_, cur := coreList(t, fc, files.NewListFolderArg("/A"))
	corePut(t, fc, "/elsewhere.txt", []byte("e"))
	corePut(t, fc, "/A/C/deeper.txt", []byte("d"))
	start := time.Now()
	a := coreAwaitTimeout(t, emu, coreLongpoll(t, fc, cur, 90), 90*time.Second)
	if a.err != nil || a.res.Changes {
		t.Fatalf("longpoll at its timeout = %+v, %v; want changes=false", a.res, a.err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the timeout took %v of real time", d)
	}
	// The same cursor then sees a change in its folder.
	ch := coreLongpoll(t, fc, cur, 30)
	corePut(t, fc, "/A/mine.txt", []byte("m"))
	if a := <-ch; a.err != nil || !a.res.Changes {
		t.Errorf("longpoll after a change in the folder = %+v, %v", a.res, a.err)
	}
}

func TestLongpollArguments(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	_, cur := coreList(t, fc, files.NewListFolderArg(""))
	corePut(t, fc, "/x.txt", nil) // so that valid longpolls answer at once
	for _, timeout := range []uint64{29, 481, 10000} {
		_, err := fc.ListFolderLongpollContext(t.Context(), &files.ListFolderLongpollArg{Cursor: cur, Timeout: timeout})
		coreBadRequest(t, err, "timeout")
	}
	for _, timeout := range []uint64{30, 480} {
		res, err := fc.ListFolderLongpollContext(t.Context(), &files.ListFolderLongpollArg{Cursor: cur, Timeout: timeout})
		if err != nil || !res.Changes {
			t.Errorf("timeout %d: %+v, %v", timeout, res, err)
		}
	}
	// The notify host takes no Authorization header.
	r := do(t, emu, rawCall{Route: "files/list_folder/longpoll", Token: acct.AccessToken, Arg: map[string]any{"cursor": cur}})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Authorization") {
		t.Errorf("longpoll with a token: %d %s", r.Status, r.Body)
	}
	r = do(t, emu, rawCall{Route: "files/list_folder/longpoll", Arg: map[string]any{"cursor": "not-a-cursor"}})
	if r.Status != http.StatusBadRequest {
		t.Errorf("longpoll with a bad cursor: %d %s", r.Status, r.Body)
	}
	// Without a timeout the default (30 s) applies and the answer is exact JSON.
	r = do(t, emu, rawCall{Route: "files/list_folder/longpoll", Arg: map[string]any{"cursor": cur}})
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"changes":true}` {
		t.Errorf("longpoll default timeout: %d %s", r.Status, r.Body)
	}
}

func TestLongpollBackoff(t *testing.T) {
	t.Parallel()
	emu, _, fc := coreSetup(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.LongpollBackoff = 7 }))
	_, cur := coreList(t, fc, files.NewListFolderArg(""))
	a := coreAwaitTimeout(t, emu, coreLongpoll(t, fc, cur, 30), 30*time.Second)
	if a.err != nil || a.res.Changes || a.res.Backoff != 7 {
		t.Errorf("timed-out longpoll = %+v, %v; want changes=false backoff=7", a.res, a.err)
	}
	ch := coreLongpoll(t, fc, cur, 30)
	corePut(t, fc, "/x.txt", nil)
	if a := <-ch; a.err != nil || !a.res.Changes || a.res.Backoff != 7 {
		t.Errorf("longpoll with changes = %+v, %v; want changes=true backoff=7", a.res, a.err)
	}
}
