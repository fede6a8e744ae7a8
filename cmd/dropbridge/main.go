// Command dropbridge is the Dropbox connector: the service, its CLI, and a
// local emulator of the Dropbox API. Run "dropbridge help" for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "dropbridge:", err)
		os.Exit(1)
	}
}
