package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/postgres"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// secretKeyFileName is where "dropbridge dev" keeps the key ring it
// generated, inside its data folder.
const secretKeyFileName = "secret-key"

// secretKeyHelp says how to make a key ring.
const secretKeyHelp = `It encrypts tokens and app secrets in the database. Generate one and keep it safe
(without it the stored tokens cannot be read; rotate it with a new key in front, "k2:...,k1:..."):

    export DROPBRIDGE_SECRET_KEY="k1:$(openssl rand -base64 32)"`

// databaseFlags are the flags of every command that opens the database.
type databaseFlags struct {
	data          string
	database      string
	secretKeyFile string
}

// register adds the flags, with defaults from the environment.
func (f *databaseFlags) register(fl *pflag.FlagSet, defaultData string) {
	fl.StringVar(&f.data, "data", envOr("DROPBRIDGE_DATA", defaultData), "folder for the SQLite database and other state ($DROPBRIDGE_DATA)")
	fl.StringVar(&f.database, "database", os.Getenv("DROPBRIDGE_DATABASE"),
		"sqlite:PATH or a postgres:// URL ($DROPBRIDGE_DATABASE; default sqlite:DATA/dropbridge.db)")
	fl.StringVar(&f.secretKeyFile, "secret-key-file", "", "read the key ring from this file instead of $DROPBRIDGE_SECRET_KEY")
}

// databaseURL is the database to open: --database, or SQLite in the data
// folder.
func (f *databaseFlags) databaseURL() string {
	if f.database != "" {
		return f.database
	}
	return "sqlite:" + filepath.Join(f.data, "dropbridge.db")
}

// keyring reads the key ring from --secret-key-file or
// DROPBRIDGE_SECRET_KEY; with orDataKey, from the data folder's key file
// (made by "dropbridge dev") when neither is given.
func (f *databaseFlags) keyring(orDataKey bool) (*secrets.Keyring, error) {
	var text, from string
	switch {
	case f.secretKeyFile != "":
		b, err := os.ReadFile(f.secretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read --secret-key-file: %w", err)
		}
		text, from = string(b), "--secret-key-file"
	case os.Getenv("DROPBRIDGE_SECRET_KEY") != "":
		text, from = os.Getenv("DROPBRIDGE_SECRET_KEY"), "DROPBRIDGE_SECRET_KEY"
	case orDataKey:
		path := filepath.Join(f.data, secretKeyFileName)
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("DROPBRIDGE_SECRET_KEY is not set, and --data has no key file of dropbridge dev. " + secretKeyHelp)
		}
		if err != nil {
			return nil, fmt.Errorf("read the key file: %w", err)
		}
		text, from = string(b), path
	default:
		return nil, errors.New("DROPBRIDGE_SECRET_KEY is not set. " + secretKeyHelp)
	}
	keys, err := secrets.ParseKeyring(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return keys, nil
}

// openStore opens the database named by url: "sqlite:PATH" (its folder is
// made if missing) or a postgres:// URL.
func openStore(ctx context.Context, url string, keys *secrets.Keyring) (dropbridge.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, errors.New("database sqlite: needs a path, as in sqlite:/var/lib/dropbridge/dropbridge.db")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("make the database's folder: %w", err)
		}
		return sqlite.Open(ctx, path, keys)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url, keys)
	}
	// The value may be a URL with a password: do not echo it.
	return nil, errors.New("the database must be sqlite:PATH or a postgres:// URL")
}

// envOr returns the environment variable name, or def when it is unset
// or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// findOrCreateEnvironment returns the environment named name, made if
// missing; created says whether it was.
func findOrCreateEnvironment(ctx context.Context, store dropbridge.Store, name string) (env *dropbridge.Environment, created bool, err error) {
	env, err = store.FindEnvironmentByName(ctx, name)
	if dropbridge.ErrorCode(err) != dropbridge.ENOTFOUND {
		return env, false, err
	}
	env = &dropbridge.Environment{Name: name}
	if err := store.CreateEnvironment(ctx, env); err != nil {
		return nil, false, err
	}
	return env, true, nil
}
