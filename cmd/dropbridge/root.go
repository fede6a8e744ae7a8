package main

import "github.com/spf13/cobra"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "dropbridge",
		Short:         "A self-hosted Dropbox connector, with a local emulator of the Dropbox API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newEmulatorCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newDevCmd())
	root.AddCommand(newAPIKeysCmd())
	root.AddCommand(newKeysCmd())
	root.AddCommand(newConnectionsCmd(), newConnectCmd(), newLsCmd(), newPutCmd(), newGetCmd(), newShareCmd(), newRequestsCmd())
	root.AddCommand(newEventsCmd(), newWebhooksCmd())
	return root
}
