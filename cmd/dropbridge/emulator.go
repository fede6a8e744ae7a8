package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/dropboxemu"
)

type emulatorFlags struct {
	listen         string
	data           string
	tlsCert        string
	tlsKey         string
	tlsSelfSigned  bool
	certOut        string
	rps            float64
	writeLimit     int
	longpollBackof int
	jobPolls       int
	verbose        bool
}

func newEmulatorCmd() *cobra.Command {
	var f emulatorFlags
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run the local Dropbox API emulator",
		Long: `Run a local emulator of the Dropbox API v2 on one address for every Dropbox
host (api, content, notify, www), with an admin API under /_emulator/.
Without --data its state lives in memory and is gone when it stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEmulator(cmd.Context(), cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8787", "address to listen on")
	fl.StringVar(&f.data, "data", "", "folder to keep state in (default: memory only)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve TLS with this certificate (PEM)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "key of --tls-cert (PEM)")
	fl.BoolVar(&f.tlsSelfSigned, "tls-self-signed", false, "serve TLS with a new self-signed certificate for localhost")
	fl.StringVar(&f.certOut, "tls-cert-out", "", "with --tls-self-signed: write the certificate (the CA to trust) here")
	fl.Float64Var(&f.rps, "requests-per-second", 0, "per-token request rate before 429 too_many_requests (0: no limit)")
	fl.IntVar(&f.writeLimit, "namespace-write-limit", 0, "concurrent writes per namespace before 429 too_many_write_operations (0: 8, -1: no limit)")
	fl.IntVar(&f.longpollBackof, "longpoll-backoff", 0, "backoff seconds to send with every long-poll answer (0: none)")
	fl.IntVar(&f.jobPolls, "job-polls", 0, "how many checks of an async job answer in_progress first")
	fl.BoolVar(&f.verbose, "verbose", false, "log every request")
	return cmd
}

func runEmulator(ctx context.Context, cmd *cobra.Command, f emulatorFlags) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if f.tlsSelfSigned && f.tlsCert != "" {
		return errors.New("use either --tls-self-signed or --tls-cert/--tls-key, not both")
	}
	if f.certOut != "" && !f.tlsSelfSigned {
		return errors.New("--tls-cert-out needs --tls-self-signed")
	}
	switch {
	case !(f.rps >= 0): // also NaN
		return fmt.Errorf("--requests-per-second must be 0 (no limit) or more, not %v", f.rps)
	case f.writeLimit < -1:
		return fmt.Errorf("--namespace-write-limit must be -1 (no limit), 0 (the default, 8) or more, not %d", f.writeLimit)
	case f.longpollBackof < 0:
		return fmt.Errorf("--longpoll-backoff must be 0 (none) or more seconds, not %d", f.longpollBackof)
	case f.jobPolls < 0:
		return fmt.Errorf("--job-polls must be 0 or more, not %d", f.jobPolls)
	}
	listenHost, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want host:port: %w", f.listen, err)
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	opts := dropboxemu.Options{Logger: logger, RequestsPerSecond: f.rps, NamespaceWriteLimit: f.writeLimit,
		LongpollBackoff: f.longpollBackof, JobPolls: f.jobPolls}
	if f.data != "" {
		b, err := dropboxemu.OpenDiskBackend(f.data)
		if err != nil {
			return err
		}
		opts.Backend = b
	}
	emu, err := dropboxemu.New(opts)
	if err != nil {
		if opts.Backend != nil {
			opts.Backend.Close()
		}
		return err
	}
	defer emu.Close()

	var tlsConf *tls.Config
	switch {
	case f.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
	case f.tlsSelfSigned:
		var extra []string
		if ip := net.ParseIP(listenHost); listenHost != "" && (ip == nil || !ip.IsUnspecified()) {
			extra = append(extra, listenHost) // so that clients may use the address they were given
		}
		cert, certPEM, err := dropboxemu.SelfSignedCert(extra...)
		if err != nil {
			return err
		}
		out := f.certOut
		if out == "" {
			dir := f.data
			if dir == "" {
				dir = os.TempDir()
			}
			out = filepath.Join(dir, "dropbox-emulator-ca.pem")
		}
		if err := os.WriteFile(out, certPEM, 0o644); err != nil {
			return fmt.Errorf("write certificate: %w", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "TLS certificate (trust it as a CA): %s\n", out)
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.listen, err)
	}
	scheme := "http"
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		scheme = "https"
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(cmd.OutOrStdout(), "Dropbox API emulator listening on %s://%s\n", scheme, dialAddr(ln.Addr()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	emu.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// dialAddr is the address clients can reach a listener on: a wildcard
// listener (":8787", "[::]:8787") is reachable on loopback.
func dialAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
