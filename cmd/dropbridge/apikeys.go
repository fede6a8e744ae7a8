package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge"
)

type apiKeysFlags struct {
	db  databaseFlags
	env string
}

func newAPIKeysCmd() *cobra.Command {
	var f apiKeysFlags
	cmd := &cobra.Command{
		Use:   "apikeys",
		Short: "Create, list and revoke API keys (on the database directly)",
		Long: `Manage the API keys of the REST API. Each key belongs to one environment and
sees nothing of another. The commands work on the database directly, with the
same --database, --data and DROPBRIDGE_SECRET_KEY as "dropbridge serve" (or the
data folder of "dropbridge dev": --data .dropbridge-dev).`,
	}
	pf := cmd.PersistentFlags()
	f.db.register(pf, "dropbridge-data")
	pf.StringVar(&f.env, "env", envOr("DROPBRIDGE_ENVIRONMENT", "production"), "the keys' environment ($DROPBRIDGE_ENVIRONMENT)")

	var name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key and print it (once); makes the environment if it is new",
		Long: `Create an API key and print its secret on standard output, alone on its line, so that
KEY=$(dropbridge apikeys create --name ci) works. The secret is shown only now: the
database keeps a hash of it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), f, func(ctx context.Context, store dropbridge.Store) error {
				env, created, err := findOrCreateEnvironment(ctx, store, f.env)
				if err != nil {
					return err
				}
				if created {
					fmt.Fprintf(cmd.ErrOrStderr(), "Created environment %s.\n", env.Name)
				}
				key, secret, err := dropbridge.NewAPIKey(env.ID, name)
				if err != nil {
					return err
				}
				if err := store.CreateAPIKey(ctx, key); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Created API key %s (%q) for environment %s. Keep it now: it is not shown again.\n",
					key.ID, key.Name, env.Name)
				fmt.Fprintln(cmd.OutOrStdout(), string(secret))
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "default", "a name that says who uses the key")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the environment's API keys, revoked ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), f, func(ctx context.Context, store dropbridge.Store) error {
				env, err := store.FindEnvironmentByName(ctx, f.env)
				if err != nil {
					return err
				}
				keys, err := store.ListAPIKeys(ctx, env.ID)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tPREFIX\tCREATED\tLAST USED\tREVOKED")
				for _, k := range keys {
					fmt.Fprintf(w, "%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.CreatedAt.Format(time.RFC3339),
						timeOrDash(k.LastUsedAt), timeOrDash(k.RevokedAt))
				}
				return w.Flush()
			})
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke KEY_ID...",
		Short: "Revoke API keys by ID (key_...); they stop working at once",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd.Context(), f, func(ctx context.Context, store dropbridge.Store) error {
				env, err := store.FindEnvironmentByName(ctx, f.env)
				if err != nil {
					return err
				}
				for _, id := range args {
					if err := store.RevokeAPIKey(ctx, env.ID, id); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Revoked API key %s.\n", id)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// withStore opens the database of f, runs fn, and closes it. Domain
// errors come out as their message, for people.
func withStore(ctx context.Context, f apiKeysFlags, fn func(context.Context, dropbridge.Store) error) error {
	keys, err := f.db.keyring(true)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, f.db.databaseURL(), keys)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := fn(ctx, store); err != nil {
		if code := dropbridge.ErrorCode(err); code != dropbridge.EINTERNAL {
			return fmt.Errorf("%s", dropbridge.ErrorMessage(err))
		}
		return err
	}
	return nil
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
