package dropboxemu_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/common"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/users"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// usersJSON decodes a raw answer as generic JSON, for comparisons that also
// catch fields that should not be there.
func usersJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return v
}

func TestUsersGetCurrentAccount(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	r := do(t, emu, rawCall{Route: "users/get_current_account", Token: acct.AccessToken})
	if r.Status != 200 {
		t.Fatalf("get_current_account: %d %s", r.Status, r.Body)
	}
	// FullAccount, users.stone: every required field, the optional ones the
	// emulator knows (country), nothing else.
	want := map[string]any{
		"account_id": acct.AccountID,
		"name": map[string]any{"given_name": "Grace", "surname": "Hopper", "familiar_name": "Grace",
			"display_name": "Grace Hopper", "abbreviated_name": "GH"},
		"email": "grace@example.com", "email_verified": true, "disabled": false,
		"country": "US", "locale": "en", "referral_link": "https://db.tt/emulator", "is_paired": false,
		"account_type": map[string]any{".tag": "pro"},
		"root_info":    map[string]any{".tag": "user", "root_namespace_id": acct.RootNS, "home_namespace_id": acct.RootNS},
	}
	if diff := cmp.Diff(any(want), usersJSON(t, r.Body)); diff != "" {
		t.Errorf("get_current_account (-want +got):\n%s", diff)
	}

	cur, err := users.New(cfg).GetCurrentAccount()
	if err != nil {
		t.Fatalf("SDK get_current_account: %v", err)
	}
	root, ok := cur.RootInfo.(*common.UserRootInfo)
	if !ok || root.RootNamespaceId != acct.RootNS || root.HomeNamespaceId != acct.RootNS {
		t.Errorf("root_info = %#v, want UserRootInfo of namespace %s", cur.RootInfo, acct.RootNS)
	}
	if cur.AccountType == nil || cur.AccountType.Tag != "pro" || cur.Name.AbbreviatedName != "GH" || cur.Locale != "en" {
		t.Errorf("SDK FullAccount = %+v", cur)
	}
}

func TestUsersGetSpaceUsage(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	for _, p := range []string{"/a.txt", "/dir/b.txt"} {
		if r := do(t, emu, rawCall{Route: "files/upload", Style: "upload", Token: acct.AccessToken,
			Arg: map[string]any{"path": p}, Body: []byte("12345")}); r.Status != 200 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
	}
	r := do(t, emu, rawCall{Route: "users/get_space_usage", Token: acct.AccessToken})
	want := map[string]any{"used": 10.0, "allocation": map[string]any{".tag": "individual", "allocated": float64(2 << 40)}}
	if diff := cmp.Diff(any(want), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("get_space_usage: %d (-want +got):\n%s", r.Status, diff)
	}
	u, err := users.New(cfg).GetSpaceUsage()
	if err != nil || u.Used != 10 || u.Allocation.Tag != "individual" || u.Allocation.Individual.Allocated != 2<<40 {
		t.Errorf("SDK get_space_usage: %+v, %v", u, err)
	}
}

func TestUsersGetAccount(t *testing.T) {
	t.Parallel()
	emu, grace, cfg := newSDKAccount(t)
	ada := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", DisplayName: "Ada King Lovelace"})

	r := do(t, emu, rawCall{Route: "users/get_account", Token: grace.AccessToken, Arg: map[string]any{"account_id": ada.AccountID}})
	want := map[string]any{"account_id": ada.AccountID, "email": "ada@example.com", "email_verified": true, "disabled": false,
		"is_teammate": false, "name": map[string]any{"given_name": "Ada", "surname": "King Lovelace",
			"familiar_name": "Ada", "display_name": "Ada King Lovelace", "abbreviated_name": "AKL"}}
	if diff := cmp.Diff(any(want), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("get_account: %d (-want +got):\n%s", r.Status, diff)
	}

	uc := users.New(cfg)
	self, err := uc.GetAccount(users.NewGetAccountArg(grace.AccountID))
	if err != nil || self.AccountId != grace.AccountID || !self.IsTeammate {
		t.Errorf("get_account of oneself: %+v, %v; want is_teammate true (users.stone)", self, err)
	}

	_, err = uc.GetAccount(users.NewGetAccountArg("dbid:" + strings.Repeat("A", 35)))
	var ge users.GetAccountAPIError
	if !errors.As(err, &ge) || ge.EndpointError == nil || ge.EndpointError.Tag != users.GetAccountErrorNoAccount {
		t.Errorf("get_account of an unknown id: %v, want 409 no_account", err)
	}
	_, err = uc.GetAccount(users.NewGetAccountArg("dbid:short"))
	var bad auth.BadRequest
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorSummary, "account_id: 'dbid:short' must be at least 40 characters, got 10") {
		t.Errorf("get_account of a short id: %v, want 400", err)
	}
	r = do(t, emu, rawCall{Route: "users/get_account", Token: grace.AccessToken, Arg: map[string]any{}})
	if r.Status != 400 || !strings.Contains(string(r.Body), "account_id") {
		t.Errorf("get_account without account_id: %d %s", r.Status, r.Body)
	}
}

func TestUsersGetAccountBatch(t *testing.T) {
	t.Parallel()
	emu, grace, cfg := newSDKAccount(t)
	ada := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	uc := users.New(cfg)

	got, err := uc.GetAccountBatch(users.NewGetAccountBatchArg([]string{ada.AccountID, grace.AccountID}))
	if err != nil || len(got) != 2 || got[0].AccountId != ada.AccountID || got[1].AccountId != grace.AccountID ||
		got[0].IsTeammate || !got[1].IsTeammate || got[0].Name.DisplayName != "ada" {
		t.Fatalf("get_account_batch: %v, %v", got, err)
	}

	missing := "dbid:" + strings.Repeat("B", 35)
	_, err = uc.GetAccountBatch(users.NewGetAccountBatchArg([]string{ada.AccountID, missing}))
	var be users.GetAccountBatchAPIError
	if !errors.As(err, &be) || be.EndpointError == nil || be.EndpointError.Tag != users.GetAccountBatchErrorNoAccount || be.EndpointError.NoAccount != missing {
		t.Errorf("get_account_batch with an unknown id: %v, want no_account naming it", err)
	}
	r := do(t, emu, rawCall{Route: "users/get_account_batch", Token: grace.AccessToken, Arg: map[string]any{"account_ids": []string{missing}}})
	want := map[string]any{".tag": "no_account", "no_account": missing}
	if diff := cmp.Diff(any(want), usersJSON(t, r.Body).(map[string]any)["error"]); r.Status != 409 || diff != "" {
		t.Errorf("raw no_account: %d (-want +got):\n%s", r.Status, diff)
	}
	for _, ids := range [][]string{{}, {"dbid:x"}} {
		r := do(t, emu, rawCall{Route: "users/get_account_batch", Token: grace.AccessToken, Arg: map[string]any{"account_ids": ids}})
		if r.Status != 400 || !strings.Contains(string(r.Body), "account_ids") {
			t.Errorf("get_account_batch %v: %d %s, want 400", ids, r.Status, r.Body)
		}
	}
}

func TestUsersFeaturesGetValues(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	all := []string{"paper_as_files", "file_locking", "team_shared_dropbox", "distinct_member_home"}
	r := do(t, emu, rawCall{Route: "users/features/get_values", Token: acct.AccessToken, Arg: map[string]any{"features": all}})
	// Each *Value union has the single member "enabled" (users.stone).
	value := func(feature string, on bool) any {
		return map[string]any{".tag": feature, feature: map[string]any{".tag": "enabled", "enabled": on}}
	}
	want := map[string]any{"values": []any{value("paper_as_files", true), value("file_locking", false),
		value("team_shared_dropbox", false), value("distinct_member_home", false)}}
	if diff := cmp.Diff(any(want), usersJSON(t, r.Body)); r.Status != 200 || diff != "" {
		t.Errorf("features/get_values: %d (-want +got):\n%s", r.Status, diff)
	}

	var features []*users.UserFeature
	for _, f := range all {
		features = append(features, &users.UserFeature{Tagged: dropbox.Tagged{Tag: f}})
	}
	res, err := users.New(cfg).FeaturesGetValues(users.NewUserFeaturesGetValuesBatchArg(features))
	if err != nil || len(res.Values) != 4 {
		t.Fatalf("SDK features/get_values: %+v, %v", res, err)
	}
	v := res.Values
	if v[0].PaperAsFiles.Tag != "enabled" || !v[0].PaperAsFiles.Enabled || v[1].FileLocking.Tag != "enabled" ||
		v[2].TeamSharedDropbox.Tag != "enabled" || v[2].TeamSharedDropbox.Enabled ||
		v[3].DistinctMemberHome.Tag != "enabled" || v[3].DistinctMemberHome.Enabled {
		t.Errorf("SDK values: %+v %+v %+v %+v", v[0].PaperAsFiles, v[1].FileLocking, v[2].TeamSharedDropbox, v[3].DistinctMemberHome)
	}

	_, err = users.New(cfg).FeaturesGetValues(users.NewUserFeaturesGetValuesBatchArg(nil))
	var fe users.FeaturesGetValuesAPIError
	if !errors.As(err, &fe) || fe.EndpointError == nil || fe.EndpointError.Tag != users.UserFeaturesGetValuesBatchErrorEmptyFeaturesList {
		t.Errorf("features/get_values with no features: %v, want 409 empty_features_list", err)
	}
	r = do(t, emu, rawCall{Route: "users/features/get_values", Token: acct.AccessToken, Arg: map[string]any{"features": []string{"teleport"}}})
	if r.Status != 400 || !strings.Contains(string(r.Body), "teleport") {
		t.Errorf("unknown feature: %d %s, want 400", r.Status, r.Body)
	}
}
