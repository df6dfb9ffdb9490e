"""Groups and rooms: their events, their members' profiles, and pushes that count one per member."""

import pytest
from linebot.v3 import messaging
from linebot.v3.messaging import exceptions as sdk_errors
from linebot.v3.webhooks import models as events_models

from .conftest import TIMEOUT
from .test_api import push
from .test_webhook import parse


@pytest.fixture
def members(emu, channel, friend):
    """Hanako (the friend) and two more users of the channel's provider."""
    others = [emu.create_user(provider_id="provider-a", display_name=name) for name in ("Taro", "Yuki")]
    return [friend, *others]


def test_room_events_carry_a_room_source_the_sdk_parses(emu, channel, members, receiver):
    cid = channel["channel_id"]
    joined = emu.group_event(cid, "join", room=True)
    room_id = joined["chat_id"]
    assert room_id.startswith("R") and joined["events"][0]["source"] == {"type": "room", "roomId": room_id}
    emu.group_event(cid, "memberJoined", chat_id=room_id, user_ids=[u["user_id"] for u in members[1:]])
    said = emu.send_text(cid, members[1]["user_id"], "who is coming?",
                         source={"type": "room", "roomId": room_id, "userId": members[1]["user_id"]})
    assert said["delivery"]["status_code"] == 200
    parsed = [parse(r).events[0] for r in receiver.wait_for(4)[1:4]]  # [0]: Hanako's follow
    assert [type(e) for e in parsed] == [events_models.JoinEvent, events_models.MemberJoinedEvent,
                                         events_models.MessageEvent]
    message = parsed[2]
    assert isinstance(message.source, events_models.RoomSource)
    assert (message.source.room_id, message.source.user_id) == (room_id, members[1]["user_id"])
    assert message.reply_token and message.message.text == "who is coming?"
    assert [m.user_id for m in parsed[1].joined.members] == [u["user_id"] for u in members[1:]]


@pytest.mark.parametrize("room", [False, True])
def test_member_profile_only_for_members(api, emu, channel, members, room):
    cid = channel["channel_id"]
    chat_id = emu.group_event(cid, "join", room=room)["chat_id"]
    emu.group_event(cid, "memberJoined", chat_id=chat_id, user_ids=[u["user_id"] for u in members])
    get = api.get_room_member_profile if room else api.get_group_member_profile
    profile = get(chat_id, members[1]["user_id"], _request_timeout=TIMEOUT)
    assert (profile.user_id, profile.display_name) == (members[1]["user_id"], "Taro")
    assert profile.picture_url.endswith(".png")
    outsider = emu.create_user(provider_id="provider-a", display_name="Outsider")
    emu.group_event(cid, "memberLeft", chat_id=chat_id, user_ids=[members[2]["user_id"]])
    for user_id in (outsider["user_id"], members[2]["user_id"]):
        with pytest.raises(sdk_errors.NotFoundException):
            get(chat_id, user_id, _request_timeout=TIMEOUT)
    with pytest.raises(sdk_errors.NotFoundException):
        get(("R" if room else "C") + "0" * 32, members[1]["user_id"], _request_timeout=TIMEOUT)


def test_push_to_a_group_counts_one_message_per_member(api, emu, channel, members):
    cid = channel["channel_id"]
    group_id = emu.group_event(cid, "join")["chat_id"]
    emu.group_event(cid, "memberJoined", chat_id=group_id, user_ids=[u["user_id"] for u in members])
    emu.update_channel(cid, quota=5)
    response = push(api, group_id, messaging.TextMessage(text="Sale today"), messaging.TextMessage(text="20% off"))
    assert response.status_code == 200 and len(response.data.sent_messages) == 2
    assert api.get_message_quota_consumption(_request_timeout=TIMEOUT).total_usage == 3
    [sent] = emu.sent(channel_id=cid)
    assert (sent["to"], sent["user_id"], sent["delivered"], sent["counted"], sent["recipients"]) == (
        group_id, None, True, True, 3)
    assert [c["message"]["text"] for c in emu.chat(cid, group_id) if c["direction"] == "bot"] == [
        "Sale today", "20% off"]
    # 2 messages left, 3 members: LINE refuses the push rather than reach part of the group.
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, group_id)
    assert caught.value.status == 429 and "You have reached your monthly limit." in caught.value.body
    assert len(emu.sent(channel_id=cid)) == 1 and emu.quota(cid)["usage"] == 3
    emu.group_event(cid, "memberLeft", chat_id=group_id, user_ids=[members[0]["user_id"]])
    push(api, group_id)
    assert emu.quota(cid)["usage"] == 5


def test_push_to_a_room_counts_its_members_and_to_an_unknown_group_is_400(api, emu, channel, members):
    cid = channel["channel_id"]
    room_id = emu.group_event(cid, "join", room=True)["chat_id"]
    emu.group_event(cid, "memberJoined", chat_id=room_id, user_ids=[u["user_id"] for u in members[:2]])
    push(api, room_id)
    assert emu.quota(cid)["usage"] == 2
    emu.group_event(cid, "leave", chat_id=room_id)
    for to in (room_id, "C" + "1" * 32):
        with pytest.raises(sdk_errors.ApiException) as caught:
            push(api, to)
        assert caught.value.status == 400 and "Failed to send messages" in caught.value.body
