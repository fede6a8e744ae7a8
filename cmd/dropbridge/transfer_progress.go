package main

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// transferProgress is the progress bar of one upload or download. It
// draws only when its output is a terminal: in scripts, pipes and tests
// it counts nothing and writes nothing. It is used by one goroutine.
type transferProgress struct {
	p   *mpb.Progress // nil: not drawing
	bar *mpb.Bar
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// newTransferProgress starts a bar named name for total bytes (-1:
// unknown) of which done are there already, drawn on w if w is a terminal
// and show is true.
func newTransferProgress(w io.Writer, show bool, name string, total, done int64) *transferProgress {
	if !show || !isTerminal(w) {
		return &transferProgress{}
	}
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
	decorators := []decor.Decorator{
		decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
		decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace),
		decor.OnAbort(decor.Percentage(decor.WCSyncSpace), "failed"),
	}
	if total < 0 {
		decorators = []decor.Decorator{
			decor.CurrentKibiByte("% .1f", decor.WCSyncSpace),
			decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace),
			decor.OnAbort(decor.Name(""), "failed"),
		}
	}
	bar := p.AddBar(max(total, 0),
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace})),
		mpb.AppendDecorators(decorators...))
	if done > 0 {
		bar.SetCurrent(done)
	}
	return &transferProgress{p: p, bar: bar}
}

// reader counts what is read from r.
func (t *transferProgress) reader(r io.Reader) io.Reader {
	if t.p == nil {
		return r
	}
	pr, err := t.bar.ProxyReader(r)
	if err != nil {
		return r // the bar is done already: nothing to count
	}
	return pr
}

// finish completes the bar, or marks it failed when err is not nil, and
// waits until it is drawn.
func (t *transferProgress) finish(err error) {
	if t.p == nil {
		return
	}
	if err != nil {
		t.bar.Abort(false)
	} else {
		t.bar.SetTotal(-1, true)
	}
	t.p.Wait()
}
