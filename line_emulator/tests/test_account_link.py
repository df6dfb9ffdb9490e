"""LINE's account link as LINE documents it: link tokens (10 minutes, single use, a friend's only) and
the account-link dialog, which checks who opens it and sends the accountLink event."""

import pytest
import requests
from linebot.v3 import messaging
from linebot.v3.messaging import exceptions as sdk_errors

from line_emulator import const

from .conftest import TIMEOUT

NONCE = "n0nce-0123456789abcdef"


def open_dialog(emulator, link_token, opener, nonce=NONCE):
    """The customer's LINE app opens the dialog (the phone page's cookie says who they are)."""
    cookies = {const.PHONE_USER_COOKIE: opener} if opener else {}
    return requests.get(emulator.base_url + const.ACCOUNT_LINK_PATH, params={"linkToken": link_token, "nonce": nonce},
                        cookies=cookies, timeout=TIMEOUT)


def link_events(receiver, count):
    return [e for r in receiver.wait_for(count) for e in r["body"]["events"] if e["type"] == "accountLink"]


def test_link_token_for_a_friend_links_once_with_a_reply_token(emulator, api, friend, receiver):
    token = api.issue_link_token(friend["user_id"], _request_timeout=TIMEOUT).link_token
    assert len(token) >= 10
    page = open_dialog(emulator, token, friend["user_id"])
    assert page.status_code == 200 and 'data-result="ok"' in page.text
    (event,) = link_events(receiver, 1)
    assert event["source"] == {"type": "user", "userId": friend["user_id"]}
    assert event["link"] == {"result": "ok", "nonce": NONCE} and event["replyToken"]
    # Single use: the second opening fails, and LINE gives no reply token with a failure.
    again = open_dialog(emulator, token, friend["user_id"], nonce="another-nonce-123")
    assert 'data-result="failed"' in again.text
    failed = link_events(receiver, 2)[-1]
    assert failed["link"] == {"result": "failed", "nonce": "another-nonce-123"} and "replyToken" not in failed


def test_the_reply_token_of_a_link_answers_the_customer(emulator, api, friend, receiver, emu, channel):
    token = api.issue_link_token(friend["user_id"], _request_timeout=TIMEOUT).link_token
    open_dialog(emulator, token, friend["user_id"])
    (event,) = link_events(receiver, 1)
    api.reply_message(messaging.ReplyMessageRequest(reply_token=event["replyToken"], messages=[
        messaging.TextMessage(text="Linked!")]), _request_timeout=TIMEOUT)
    chat = emu.chat(channel["channel_id"], friend["user_id"])
    assert [e.get("text") for e in chat if e["direction"] == "system"][-1] == "linked your account"
    assert chat[-1]["message"]["text"] == "Linked!"


def test_a_token_opened_by_another_user_fails_and_stays_usable(emulator, api, emu, channel, friend, receiver):
    other = emu.create_user(provider_id="provider-a", display_name="Mallory")
    emu.follow(channel["channel_id"], other["user_id"])
    token = api.issue_link_token(friend["user_id"], _request_timeout=TIMEOUT).link_token
    assert 'data-result="failed"' in open_dialog(emulator, token, other["user_id"]).text
    failed = link_events(receiver, 2)[-1]  # the follow event came first
    assert failed["source"]["userId"] == other["user_id"] and failed["link"]["result"] == "failed"
    assert "replyToken" not in failed
    # Another's attempt does not spend the owner's token.
    assert 'data-result="ok"' in open_dialog(emulator, token, friend["user_id"]).text


def test_expired_token_fails(emulator, api, emu, friend, receiver):
    token = api.issue_link_token(friend["user_id"], _request_timeout=TIMEOUT).link_token
    emu.advance_clock(const.LINK_TOKEN_LIFETIME + 1)
    assert 'data-result="failed"' in open_dialog(emulator, token, friend["user_id"]).text
    assert link_events(receiver, 1)[-1]["link"]["result"] == "failed"


def test_unknown_token_bad_nonce_or_no_line_user_send_nothing(emulator, api, friend, receiver):
    token = api.issue_link_token(friend["user_id"], _request_timeout=TIMEOUT).link_token
    assert open_dialog(emulator, "guessed-token-0000000000", friend["user_id"]).status_code == 400
    assert open_dialog(emulator, token, friend["user_id"], nonce="short").status_code == 400
    assert open_dialog(emulator, token, friend["user_id"], nonce="x" * 256).status_code == 400
    assert open_dialog(emulator, token, None).status_code == 403  # a browser outside LINE
    assert not link_events(receiver, 0)
    assert 'data-result="ok"' in open_dialog(emulator, token, friend["user_id"]).text  # still unused


def test_link_token_only_for_friends_of_the_provider(emulator, api, emu, channel):
    stranger = emu.create_user(provider_id="provider-a", display_name="Not a friend")
    foreigner = emu.create_user(provider_id="provider-b", display_name="Other provider")
    for user in (stranger, foreigner):
        with pytest.raises(sdk_errors.ApiException) as caught:
            api.issue_link_token(user["user_id"], _request_timeout=TIMEOUT)
        assert caught.value.status == 400
