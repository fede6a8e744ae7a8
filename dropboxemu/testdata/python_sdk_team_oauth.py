"""Links a team-linked app to a team with Dropbox's official Python SDK.

Run by TestPythonSDKTeamOAuth (oauth_team_test.go), which serves the emulator
over TLS and hands over, in EMU_* variables, the app's key and secret
(EMU_APP_KEY, EMU_APP_SECRET), an authorization code that a team admin gave
(EMU_CODE), and a member to act as (EMU_MEMBER). Protocol on stdout: one JSON
object per line; the last is {"event": "done", ...}. Any failure raises and
exits non-zero.
"""

import os

import dropbox

from emuscript import check, emit


def main():
    key, secret = os.environ["EMU_APP_KEY"], os.environ["EMU_APP_SECRET"]
    flow = dropbox.DropboxOAuth2FlowNoRedirect(key, secret, token_access_type="offline")
    res = flow.finish(os.environ["EMU_CODE"])
    check(res.refresh_token, "no refresh token")

    # The SDK takes the answer's team_id for the account id.
    team = dropbox.DropboxTeam(oauth2_access_token=res.access_token, oauth2_refresh_token=res.refresh_token,
                               app_key=key, app_secret=secret)
    info = team.team_get_info()
    check(info.team_id == res.account_id, "team_id %r, token answer %r" % (info.team_id, res.account_id))
    admin = team.team_token_get_authenticated_admin().admin_profile
    member = team.as_user(os.environ["EMU_MEMBER"]).users_get_current_account()

    # A team client with only the refresh token refreshes first.
    fresh = dropbox.DropboxTeam(oauth2_refresh_token=res.refresh_token, app_key=key, app_secret=secret)
    again = fresh.team_token_get_authenticated_admin().admin_profile
    check(again.team_member_id == admin.team_member_id, "admin after a refresh %r" % again)
    emit("done", team_id=res.account_id, uid=res.user_id, admin_email=admin.email, member_email=member.email)


if __name__ == "__main__":
    main()
