"""LINE's rules that take hours or days, checked on both sides of their limit with the emulator's clock."""

import uuid

import pytest
from linebot.v3 import messaging
from linebot.v3.messaging import exceptions as sdk_errors

from line_emulator.client import EmulatorClientError

from .conftest import TIMEOUT
from .test_api import push, reply

MINUTE, HOUR, DAY = 60, 3600, 24 * 3600


def test_the_clock_moves_forward_only_and_reset_puts_it_back(emu):
    before = emu.clock()
    moved = emu.advance_clock(DAY)
    assert moved["offset"] == before["offset"] + DAY and moved["now"] - before["now"] >= DAY
    with pytest.raises(EmulatorClientError) as caught:
        emu.advance_clock(-1)
    assert caught.value.status == 400
    emu.reset()
    assert emu.clock()["offset"] == 0


def test_stateless_token_expires_after_fifteen_minutes(emu, api):
    emu.advance_clock(15 * MINUTE - 30)
    assert api.get_bot_info(_request_timeout=TIMEOUT).user_id
    emu.advance_clock(60)
    with pytest.raises(sdk_errors.UnauthorizedException):
        api.get_bot_info(_request_timeout=TIMEOUT)


def test_retry_key_is_kept_twenty_four_hours(lasting_api, emu, friend):
    key = str(uuid.uuid4())
    first = push(lasting_api, friend["user_id"], key=key)
    emu.advance_clock(DAY - MINUTE)
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(lasting_api, friend["user_id"], key=key)
    assert caught.value.status == 409
    assert caught.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    emu.advance_clock(2 * MINUTE)
    again = push(lasting_api, friend["user_id"], key=key)
    assert again.status_code == 200
    assert [s["request_id"] for s in emu.sent(user_id=friend["user_id"])] == [
        first.headers["x-line-request-id"], again.headers["x-line-request-id"]]


def test_non_friend_who_wrote_is_reachable_for_seven_days(lasting_api, emu, channel):
    user = emu.create_user(provider_id="provider-a", display_name="Not a friend")
    emu.send_text(channel["channel_id"], user["user_id"], "do you ship to Kyoto?")
    emu.advance_clock(7 * DAY - MINUTE)
    push(lasting_api, user["user_id"], messaging.TextMessage(text="yes"))
    emu.advance_clock(2 * MINUTE)
    push(lasting_api, user["user_id"], messaging.TextMessage(text="any news?"))
    sent = emu.sent(user_id=user["user_id"])
    assert [(s["delivered"], s["reason"], s["counted"]) for s in sent] == [
        (True, None, True), (False, "not a friend", False)]
    assert emu.quota(channel["channel_id"])["usage"] == 1
    assert [c["message"]["text"] for c in emu.chat(channel["channel_id"], user["user_id"])
            if c["direction"] == "bot"] == ["yes"]


def test_redelivered_event_reply_token_never_outlives_twenty_minutes(lasting_api, emu, channel, friend, receiver):
    emu.update_channel(channel["channel_id"], redelivery_schedule=[1.0])
    receiver.status = 500
    early = emu.send_text(channel["channel_id"], friend["user_id"], "first")["events"][0]
    late = emu.send_text(channel["channel_id"], friend["user_id"], "second")["events"][0]
    # Both deliveries failed; before LINE redelivers them, 19.5 minutes have gone by.
    emu.advance_clock(19.5 * MINUTE)
    receiver.status = 200
    redelivered = [r["body"]["events"][0] for r in receiver.wait_for(5)[3:5]]
    assert {e["webhookEventId"] for e in redelivered} == {early["webhookEventId"], late["webhookEventId"]}
    assert all(e["deliveryContext"]["isRedelivery"] for e in redelivered)
    # The redelivery renewed the tokens (the first minute is long over)...
    assert reply(lasting_api, early["replyToken"]).status_code == 200
    # ...but only up to 20 minutes after the event, not a full minute after the redelivery.
    emu.advance_clock(31)
    with pytest.raises(sdk_errors.ApiException) as caught:
        reply(lasting_api, late["replyToken"])
    assert caught.value.status == 400 and "Invalid reply token" in caught.value.body


def test_reply_token_of_an_event_not_redelivered_lasts_one_minute(lasting_api, emu, channel, friend):
    early = emu.send_text(channel["channel_id"], friend["user_id"], "first")["events"][0]
    late = emu.send_text(channel["channel_id"], friend["user_id"], "second")["events"][0]
    emu.advance_clock(MINUTE - 5)
    assert reply(lasting_api, early["replyToken"]).status_code == 200
    emu.advance_clock(10)
    with pytest.raises(sdk_errors.ApiException) as caught:
        reply(lasting_api, late["replyToken"])
    assert "Invalid reply token" in caught.value.body
