module github.com/dropbridge/dropbridge

go 1.26.0

require (
	github.com/dropbox/dropbox-sdk-go-unofficial/v6 v6.6.4
	github.com/google/go-cmp v0.7.0
	github.com/spf13/cobra v1.10.2
	golang.org/x/oauth2 v0.38.0
	golang.org/x/time v0.16.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)
