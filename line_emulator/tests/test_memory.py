"""What the emulator keeps is capped, so a long benchmark does not grow it without bound."""

import uuid

import pytest
import requests
from linebot.v3 import messaging
from linebot.v3.messaging import exceptions as sdk_errors

from line_emulator import const
from line_emulator.client import EmulatorClient, EmulatorClientError
from line_emulator.testing import EmulatorServer

from .conftest import TIMEOUT
from .test_api import PNG, push, reply


@pytest.fixture
def limits(emu):
    """Set the emulator's limits for one test (they outlive a reset, like the server's options)."""
    yield emu.set_limits
    emu.set_limits(**const.DEFAULT_LIMITS)


def bot_info_status(emulator, token):
    return requests.get(emulator.base_url + "/v2/bot/info", headers={"Authorization": f"Bearer {token}"},
                        timeout=TIMEOUT).status_code


def test_logs_keep_the_newest_entries_and_say_how_many_were_dropped(api, emu, friend, limits):
    limits(logs=5)
    for i in range(8):
        push(api, friend["user_id"], messaging.TextMessage(text=str(i)))
    sent = emu.sent()
    assert [s["messages"][0]["text"] for s in sent] == ["3", "4", "5", "6", "7"]
    assert [s["messages"][0]["text"] for s in emu.sent(since=sent[2]["id"])] == ["6", "7"]
    assert len(emu.calls(endpoint="push")) == 5
    assert emu.limits()["dropped"]["sent"] == 3 and emu.info()["logs"]["sent"] == 5
    limits(logs=2)
    assert [s["messages"][0]["text"] for s in emu.sent()] == ["6", "7"]
    assert emu.limits()["dropped"]["sent"] == 6


def test_expired_access_tokens_go_first_then_the_oldest(emulator, emu, channel, issue_token, limits):
    limits(records=3)
    expired = issue_token()
    emu.advance_clock(const.STATELESS_TOKEN_LIFETIME + 1)
    alive = [issue_token() for _ in range(3)]
    assert [bot_info_status(emulator, t) for t in alive] == [200, 200, 200]
    assert bot_info_status(emulator, expired) == 401
    newest = issue_token()
    assert [bot_info_status(emulator, t) for t in (*alive, newest)] == [401, 200, 200, 200]


def test_used_reply_tokens_go_first_then_the_oldest(api, emu, channel, friend, limits):
    limits(records=2)
    cid, uid = channel["channel_id"], friend["user_id"]
    first, second = (emu.send_text(cid, uid, text)["events"][0]["replyToken"] for text in ("1", "2"))
    assert reply(api, second).status_code == 200
    third = emu.send_text(cid, uid, "3")["events"][0]["replyToken"]
    assert reply(api, first).status_code == 200  # the used one was forgotten, not the oldest
    emu.send_text(cid, uid, "4")
    emu.send_text(cid, uid, "5")
    with pytest.raises(sdk_errors.ApiException) as caught:
        reply(api, third)
    assert "Invalid reply token" in caught.value.body


def test_retry_keys_beyond_the_limit_are_forgotten_oldest_first(api, emu, friend, limits):
    limits(records=2)
    keys = [str(uuid.uuid4()) for _ in range(3)]
    for key in keys:
        push(api, friend["user_id"], key=key)
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"], key=keys[2])
    assert caught.value.status == 409
    assert push(api, friend["user_id"], key=keys[0]).status_code == 200
    assert len(emu.sent(user_id=friend["user_id"])) == 4


def test_old_content_is_forgotten_and_conversations_keep_their_last_entries(blob, emu, channel, friend, limits):
    limits(records=2, chat=3)
    cid, uid = channel["channel_id"], friend["user_id"]
    ids = [emu.send_image(cid, uid, PNG)["events"][0]["message"]["id"] for _ in range(3)]
    with pytest.raises(sdk_errors.NotFoundException):
        blob.get_message_content(ids[0], _request_timeout=TIMEOUT)
    assert [blob.get_message_content(i, _request_timeout=TIMEOUT) for i in ids[1:]] == [PNG, PNG]
    emu.send_text(cid, uid, "last")
    chat = emu.chat(cid, uid)  # the follow, 3 images and a text were shown
    assert [(c["message"]["type"], c["message_id"]) for c in chat[:2]] == [("image", ids[1]), ("image", ids[2])]
    assert [c["message"].get("text") for c in chat[2:]] == ["last"]


def test_limits_are_checked_and_given_to_the_server(emu):
    for bad in ({"logs": 0}, {"memory": 5}, {"chat": "many"}):
        with pytest.raises(EmulatorClientError) as caught:
            emu.set_limits(**bad)
        assert caught.value.status == 400
    with EmulatorServer(limits={"logs": 1}) as server:
        client = EmulatorClient(server.base_url)
        client.create_channel(channel_id="1")
        client.create_channel(channel_id="2")
        assert client.limits()["limits"] == dict(const.DEFAULT_LIMITS, logs=1)
        client.reset()
        assert client.limits()["limits"]["logs"] == 1
