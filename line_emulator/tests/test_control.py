"""The control API itself: set-up, uploads from the phone page, inspection, errors, reset."""

import requests

from line_emulator.client import EmulatorClientError

from .conftest import TIMEOUT

PNG = b"\x89PNG\r\n\x1a\n" + b"u" * 30


def test_channels_are_listed_and_changed(emu, channel):
    [listed] = emu.channels()
    assert listed["channel_id"] == channel["channel_id"] and listed["bot_user_id"].startswith("U")
    assert len(listed["bot_user_id"]) == 33 and listed["basic_id"].startswith("@")
    changed = emu.update_channel(channel["channel_id"], chat_mode="chat", mark_as_read_mode="manual", quota=5)
    assert (changed["chat_mode"], changed["quota_type"], changed["quota"]) == ("chat", "limited", 5)
    for bad in ({"chat_mode": "party"}, {"colour": "red"}):
        try:
            emu.update_channel(channel["channel_id"], **bad)
        except EmulatorClientError as error:
            assert error.status == 400
        else:
            raise AssertionError(bad)


def test_multipart_upload_as_the_phone_page_does(emulator, emu, channel, friend, receiver):
    url = f"{emulator.base_url}/_emulator/channels/{channel['channel_id']}/users/{friend['user_id']}/image"
    response = requests.post(url, files={"file": ("cat.png", PNG, "image/png")}, data={"sync": "true"},
                             timeout=TIMEOUT)
    event = response.json()["events"][0]
    assert response.json()["delivery"]["status_code"] == 200
    content = requests.get(f"{emulator.base_url}/_emulator/content/{event['message']['id']}", timeout=TIMEOUT)
    assert (content.content, content.headers["Content-Type"]) == (PNG, "image/png")
    [entry] = [c for c in emu.chat(channel["channel_id"], friend["user_id"]) if c["direction"] == "user"]
    assert entry["message"]["url"] == f"/_emulator/content/{event['message']['id']}"


def test_unsend_shows_on_the_phone_and_needs_a_real_message(emu, channel, friend):
    message_id = emu.send_text(channel["channel_id"], friend["user_id"], "oops")["events"][0]["message"]["id"]
    emu.unsend(channel["channel_id"], friend["user_id"], message_id)
    [entry] = [c for c in emu.chat(channel["channel_id"], friend["user_id"]) if c["direction"] == "user"]
    assert entry["unsent"] is True
    try:
        emu.unsend(channel["channel_id"], friend["user_id"], "42")
    except EmulatorClientError as error:
        assert error.status == 404
    else:
        raise AssertionError("unsending an unknown message")


def test_expire_reply_tokens_and_reset_quota(emu, channel, friend):
    emu.update_channel(channel["channel_id"], usage=7)
    assert emu.reset_quota(channel["channel_id"])["usage"] == 0
    emu.send_text(channel["channel_id"], friend["user_id"], "hi")
    assert emu.expire_reply_tokens(channel["channel_id"]) == {"expired": True}


def test_faults_are_listed_and_validated(emu):
    emu.set_fault("push", "500", rate=0.5)
    emu.set_rate_limit("reply", 10)
    assert emu.faults()["faults"][0]["rate"] == 0.5 and emu.faults()["rate_limits"]["reply"] == 10
    try:
        emu.set_fault("push", "teapot")
    except EmulatorClientError as error:
        assert "Unknown fault kind" in error.message
    assert emu.clear_faults() == {"faults": []}


def test_reset_forgets_everything(emu, channel, friend):
    emu.send_text(channel["channel_id"], friend["user_id"], "hi")
    emu.reset()
    assert (emu.channels(), emu.users(), emu.deliveries(), emu.sent()) == ([], [], [], [])


def test_phone_page_and_static_files_are_served(emulator):
    page = requests.get(emulator.base_url + "/", timeout=TIMEOUT)
    assert page.status_code == 200 and "phone.js" in page.text
    assert requests.get(emulator.base_url + "/static/phone.js", timeout=TIMEOUT).status_code == 200
    assert requests.get(emulator.base_url + "/static/../app.py", timeout=TIMEOUT).status_code == 404
