// Command stoneclient reads Dropbox's Stone spec and writes the typed
// surface of package dropbox: a Go type for every spec type the covered
// routes reach (types_<namespace>.go; the JSON helpers they call are the
// hand-written dropbox/wire.go), nil-safe GetX accessors
// for their pointer fields (accessors_<namespace>.go), a service per API
// area with a method per route (routes_<service>.go) and the route list
// and table (routes.go). The covered routes are those of routes.txt, the
// routes the emulator implements.
//
//	go run ./internal/stoneclient -spec ../shared/dropbox-api-spec -out dropbox
//
// What it noticed (name collisions, skipped getters and accessors, parts
// of the spec it cannot represent) goes to standard error.
package main

import (
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/dropbridge/dropbridge/internal/stone"
)

//go:embed routes.txt
var routeList []byte

func main() {
	spec := flag.String("spec", "../shared/dropbox-api-spec", "folder of the Stone spec")
	out := flag.String("out", "dropbox", "folder of package dropbox")
	flag.Parse()
	files, notes, err := generate(*spec, *out)
	if err != nil {
		log.Fatalf("stoneclient: %v", err)
	}
	for _, n := range notes {
		fmt.Fprintln(os.Stderr, "stoneclient:", n)
	}
	if err := write(*out, files); err != nil {
		log.Fatalf("stoneclient: %v", err)
	}
}

// generate returns the generated files for package dropbox in outDir, by
// name, and the generator's notes. outDir is read for the identifiers of
// its hand-written files.
func generate(specDir, outDir string) (map[string][]byte, []string, error) {
	spec, err := stone.Load(specDir)
	if err != nil {
		return nil, nil, err
	}
	names, err := readRouteList(routeList)
	if err != nil {
		return nil, nil, fmt.Errorf("read routes.txt: %w", err)
	}
	hand, err := readHandwritten(outDir)
	if err != nil {
		return nil, nil, err
	}
	g, err := newGen(spec, names, hand)
	if err != nil {
		return nil, nil, err
	}
	gofiles := g.typesFiles()
	for name, f := range g.accessorFiles() {
		gofiles[name] = f
	}
	for name, f := range g.routesFiles() {
		gofiles[name] = f
	}
	if len(g.errs) > 0 {
		return nil, nil, errors.Join(g.errs...)
	}
	out := map[string][]byte{}
	for name, f := range gofiles {
		src, err := f.source()
		if err != nil {
			return nil, nil, err
		}
		out[name] = src
	}
	notes := append([]string(nil), g.notes...)
	sort.Strings(notes)
	return out, slices.Compact(notes), nil
}

// write writes files into dir and removes the files a previous run
// generated there that this run did not.
func write(dir string, files map[string][]byte) error {
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	stale, err := staleFiles(dir, files)
	if err != nil {
		return err
	}
	for _, p := range stale {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("remove stale file: %w", err)
		}
	}
	return nil
}

// staleFiles lists the Go files of dir that carry the generated header
// but are not among files.
func staleFiles(dir string, files map[string][]byte) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var stale []string
	for _, p := range paths {
		if _, ok := files[filepath.Base(p)]; ok {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		if bytes.HasPrefix(src, []byte(header)) {
			stale = append(stale, p)
		}
	}
	return stale, nil
}
