package dropboxemu

//go:generate go run ../internal/stoneroutes -spec ../../shared/dropbox-api-spec -out routes_spec.go

// routeSpec is what Dropbox's Stone spec says of one route.
type routeSpec struct {
	Host  string // api, content or notify
	Style string // rpc, upload or download
	Auth  string // user, team, app, noauth, "app, user", "app, team"
	Scope string // required OAuth scope, "" when none
	// SelectAdminMode is whole_team or team_admin when a team token may call
	// the route as an admin (Dropbox-API-Select-Admin); "" when it may not.
	SelectAdminMode string
	AllowAppFolder  bool
	Deprecated      bool
	Arg             string
	Result          string
	Error           string
}
