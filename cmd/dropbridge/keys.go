package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/secrets"
)

// keysRotationSteps says how a key is rotated, for the commands' help.
const keysRotationSteps = `Rotating the key that encrypts secrets at rest takes four steps:

 1. dropbridge keys generate            prints a new key, such as k2:<base64>
 2. put it in front of the key ring      DROPBRIDGE_SECRET_KEY="k2:...,k1:..."
    and restart every dropbridge process with that ring (new secrets are then
    sealed with k2, and old ones still open with k1)
 3. dropbridge keys rotate              re-seals every stored secret with k2
 4. drop k1 from the key ring           DROPBRIDGE_SECRET_KEY="k2:..."`

func newKeysCmd() *cobra.Command {
	var db databaseFlags
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Generate and rotate the keys that encrypt secrets at rest",
		Long: `Manage the key ring of DROPBRIDGE_SECRET_KEY (or --secret-key-file), which encrypts
tokens, app secrets, webhook secrets and remembered Idempotency-Key answers in the
database with AES-256-GCM. Keys carry ids; the first key of the ring seals, every key
opens.

` + keysRotationSteps,
	}
	db.register(cmd.PersistentFlags(), "dropbridge-data")

	var id string
	generate := &cobra.Command{
		Use:   "generate",
		Short: "Print a new key, id:base64, to put in front of the key ring",
		Long: `Print a new random key as id:base64, alone on its line, ready to be put in front of
the key ring. Its id is --id, or else the one after the newest kN of the current key
ring (k2 after k1), or k1 without a key ring.

` + keysRotationSteps,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				var err error
				if id, err = nextKeyID(db); err != nil {
					return err
				}
			}
			key, err := secrets.GenerateKey(id)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key)
			fmt.Fprintf(cmd.ErrOrStderr(), "Put key %s in front of the key ring (%s,<the current keys>), restart every dropbridge process with it, then run dropbridge keys rotate.\n", id, id+":...")
			return nil
		},
	}
	generate.Flags().StringVar(&id, "id", "", "the new key's id (letters, digits, '-' and '_'); default: the next kN")

	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-seal every stored secret with the newest key of the key ring",
		Long: `Re-seal every secret in the database with the first (newest) key of the key ring, so
that the older keys can be dropped from it. Run it with the ring that has the new key
in front and the old ones behind, once every dropbridge process runs with that ring.
It works in batches: it can be stopped and run again, and a second run re-seals
nothing.

` + keysRotationSteps,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keys, err := db.keyring(true)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			store, err := openStore(ctx, db.databaseURL(), keys)
			if err != nil {
				return err
			}
			defer store.Close()
			return rotateKeys(ctx, cmd, store, keys)
		},
	}
	cmd.AddCommand(generate, rotate)
	return cmd
}

// rotateKeys re-seals the store's secrets with the newest key of keys and
// reports what it did.
func rotateKeys(ctx context.Context, cmd *cobra.Command, store dropbridge.Store, keys *secrets.Keyring) error {
	newest, ids := keys.Newest(), keys.IDs()
	n, err := store.ResealSecrets(ctx)
	if err != nil {
		msg := "re-seal secrets"
		if n > 0 {
			msg = fmt.Sprintf("re-seal secrets (%d re-sealed before the error; running again goes on from there)", n)
		}
		if errors.Is(err, secrets.ErrUnknownKey) {
			return fmt.Errorf("%s: a secret is sealed with a key that is not in the key ring: put every key still in use behind %s: %w", msg, newest, err)
		}
		return fmt.Errorf("%s: %w", msg, err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Re-sealed %d secrets with key %s.\n", n, newest)
	if len(ids) > 1 {
		fmt.Fprintf(out, "Every secret now opens with key %s: drop %s from the key ring.\n", newest, strings.Join(ids[1:], ", "))
	} else {
		fmt.Fprintf(out, "Every secret opens with key %s.\n", newest)
	}
	return nil
}

// nextKeyID returns the id of a new key: the one after the highest kN of
// the key ring of db when there is one, else k1.
func nextKeyID(db databaseFlags) (string, error) {
	if db.secretKeyFile == "" && os.Getenv("DROPBRIDGE_SECRET_KEY") == "" {
		return "k1", nil
	}
	keys, err := db.keyring(false)
	if err != nil {
		return "", err
	}
	highest := 0
	for _, id := range keys.IDs() {
		if n, err := strconv.Atoi(strings.TrimPrefix(id, "k")); err == nil && strings.HasPrefix(id, "k") && n > highest {
			highest = n
		}
	}
	return "k" + strconv.Itoa(highest+1), nil
}
