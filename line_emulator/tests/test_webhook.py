"""Webhooks: signed as LINE signs them, shaped as LINE shapes them, redelivered as LINE redelivers."""

import re
import time

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import models as events_models

from line_emulator import webhook

from .conftest import SECRET, TIMEOUT

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
PNG = b"\x89PNG\r\n\x1a\n" + b"i" * 50


def parse(request):
    """What the addon does: verify with the channel secret, then parse with the SDK."""
    raw = request["raw"].decode()
    return WebhookParser(SECRET).parse(raw, request["headers"]["X-Line-Signature"], as_payload=True)


def test_sign_matches_the_sdk_validator():
    body = b'{"destination":"U0","events":[]}'
    assert webhook.sign("secret", body) == webhook.sign("secret", body.decode())
    parser = WebhookParser("secret")
    assert parser.parse(body.decode(), webhook.sign("secret", body), as_payload=True).events == []
    with pytest.raises(InvalidSignatureError):
        parser.parse(body.decode(), webhook.sign("other", body))


def test_every_user_action_is_a_signed_event_the_sdk_parses(emu, channel, receiver):
    cid = channel["channel_id"]
    user = emu.create_user(provider_id="provider-a", display_name="Taro")
    uid = user["user_id"]
    expected = [
        (emu.follow(cid, uid), events_models.FollowEvent),
        (emu.send_text(cid, uid, "(love) hi @Bot",
                       emojis=[{"index": 0, "length": 6, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}],
                       mention=[{"index": 10, "length": 4, "type": "user", "userId": channel["bot_user_id"],
                                 "isSelf": True}]), events_models.MessageEvent),
        (emu.send_sticker(cid, uid, "446", "1988", keywords=["happy"]), events_models.MessageEvent),
        (emu.send_image(cid, uid, PNG, image_set={"id": "SET", "index": 1, "total": 2}), events_models.MessageEvent),
        (emu.send_video(cid, uid, b"\x00\x00\x00\x18ftypmp42", duration=3000), events_models.MessageEvent),
        (emu.send_audio(cid, uid, b"\x00\x00\x00\x18ftypM4A ", duration=2000), events_models.MessageEvent),
        (emu.send_file(cid, uid, b"abc", file_name="a.txt"), events_models.MessageEvent),
        (emu.send_location(cid, uid, "Osaka Castle", "1-1 Osakajo", 34.6873, 135.5262), events_models.MessageEvent),
        (emu.postback(cid, uid, "action=buy&id=1", params={"date": "2025-01-01"}), events_models.PostbackEvent),
        (emu.unfollow(cid, uid), events_models.UnfollowEvent),
        (emu.follow(cid, uid), events_models.FollowEvent),
    ]
    requests_ = receiver.wait_for(len(expected))
    assert len(requests_) == len(expected)
    for (result, model), request in zip(expected, requests_, strict=False):
        assert result["delivery"]["status_code"] == 200
        payload = parse(request)
        assert payload.destination == channel["bot_user_id"]
        [parsed] = payload.events
        assert isinstance(parsed, model), (parsed, request["body"])
        [sent_event] = request["body"]["events"]
        assert sent_event == result["events"][0]
        assert ULID.match(sent_event["webhookEventId"])
        assert sent_event["deliveryContext"] == {"isRedelivery": False}
        assert sent_event["source"] == {"type": "user", "userId": uid}
    messages = [r["body"]["events"][0].get("message", {}) for r in requests_]
    assert messages[1]["emojis"][0]["productId"] and messages[1]["mention"]["mentionees"][0]["isSelf"]
    assert messages[1]["quoteToken"] and messages[1]["markAsReadToken"]
    assert (messages[2]["stickerResourceType"], messages[2]["keywords"]) == ("STATIC", ["happy"])
    assert messages[3]["imageSet"] == {"id": "SET", "index": 1, "total": 2}
    assert messages[3]["contentProvider"] == {"type": "line"}
    assert (messages[4]["duration"], messages[5]["duration"]) == (3000, 2000)
    assert (messages[6]["fileName"], messages[6]["fileSize"]) == ("a.txt", 3)
    assert messages[7]["title"] == "Osaka Castle" and messages[7]["latitude"] == 34.6873
    first_follow, second_follow = (r["body"]["events"][0] for r in (requests_[0], requests_[10]))
    assert (first_follow["follow"], second_follow["follow"]) == ({"isUnblocked": False}, {"isUnblocked": True})
    assert "replyToken" not in requests_[9]["body"]["events"][0]  # unfollow


def test_unsend_and_edit_events(emu, channel, friend, receiver):
    cid, uid = channel["channel_id"], friend["user_id"]
    message_id = emu.send_text(cid, uid, "typo")["events"][0]["message"]["id"]
    edited = emu.edit(cid, uid, message_id, "fixed")["events"][0]
    assert (edited["type"], edited["message"]["id"]) == ("messageEdited", message_id)
    assert edited["message"]["text"] == "fixed"
    unsent = emu.unsend(cid, uid, message_id)["events"][0]
    assert unsent["unsend"] == {"messageId": message_id} and "replyToken" not in unsent
    parsed = [parse(r).events[0] for r in receiver.wait_for(4)[2:]]
    assert isinstance(parsed[0], events_models.MessageEditedEvent)
    assert isinstance(parsed[1], events_models.UnsendEvent)


def test_group_events_and_group_messages(emu, channel, friend, receiver):
    cid = channel["channel_id"]
    joined = emu.group_event(cid, "join")
    group_id = joined["chat_id"]
    assert joined["events"][0]["source"] == {"type": "group", "groupId": group_id}
    emu.group_event(cid, "memberJoined", chat_id=group_id, user_ids=[friend["user_id"]])
    said = emu.send_text(cid, friend["user_id"], "hi all", source={"type": "group", "groupId": group_id,
                                                                   "userId": friend["user_id"]})
    assert said["events"][0]["source"]["groupId"] == group_id
    emu.group_event(cid, "memberLeft", chat_id=group_id, user_ids=[friend["user_id"]])
    emu.group_event(cid, "leave", chat_id=group_id)
    models = [type(parse(r).events[0]) for r in receiver.wait_for(6)[1:]]
    assert models == [events_models.JoinEvent, events_models.MemberJoinedEvent, events_models.MessageEvent,
                      events_models.MemberLeftEvent, events_models.LeaveEvent]


def test_redelivery_after_an_error_status_keeps_ids_and_renews_the_reply_token(emulator, emu, channel, friend,
                                                                               receiver, api):
    emu.update_channel(channel["channel_id"], reply_token_ttl=0.3, redelivery_schedule=[0.5])
    receiver.status = 500
    result = emu.send_text(channel["channel_id"], friend["user_id"], "are you there?")
    assert result["delivery"]["status_code"] == 500
    first, again = receiver.wait_for(3)[1:3]  # [0] is the follow event
    event, redelivered = first["body"]["events"][0], again["body"]["events"][0]
    assert redelivered["deliveryContext"] == {"isRedelivery": True}
    assert (redelivered["webhookEventId"], redelivered["replyToken"]) == (event["webhookEventId"], event["replyToken"])
    assert again["at"] - first["at"] >= 0.45
    assert parse(again).events[0].delivery_context.is_redelivery
    # The first window (0.3 s) is over, but the redelivery opened a new one.
    api.reply_message(ReplyMessageRequest(reply_token=event["replyToken"], messages=[TextMessage(text="yes")]),
                      _request_timeout=TIMEOUT)
    time.sleep(0.3)
    deliveries = [d for d in emu.deliveries(channel_id=channel["channel_id"])
                  if event["webhookEventId"] in d["webhook_event_ids"]]
    assert [(d["status_code"], d["is_redelivery"]) for d in deliveries] == [(500, False), (500, True)]


def test_redelivery_after_a_slow_answer(emu, channel, friend, receiver):
    emu.update_channel(channel["channel_id"], webhook_timeout=0.2, redelivery_schedule=[0.1])
    receiver.delay = 0.4
    result = emu.send_text(channel["channel_id"], friend["user_id"], "slow")
    assert (result["delivery"]["reason"], result["delivery"]["status_code"]) == ("REQUEST_TIMEOUT", 0)
    receiver.delay = 0
    requests_ = receiver.wait_for(3)
    assert requests_[2]["body"]["events"][0]["deliveryContext"]["isRedelivery"] is True


def test_no_redelivery_when_off(emu, channel, friend, receiver):
    emu.update_channel(channel["channel_id"], redelivery=False, redelivery_schedule=[0.05])
    receiver.status = 500
    emu.send_text(channel["channel_id"], friend["user_id"], "once")
    time.sleep(0.3)
    assert len(receiver.requests) == 2  # the follow and the text, once each


def test_async_delivery(emu, channel, friend, receiver):
    result = emu.send_text(channel["channel_id"], friend["user_id"], "later", sync=False)
    assert result["delivery"]["queued"] is True
    assert receiver.wait_for(2)[1]["body"]["events"][0]["message"]["text"] == "later"


def test_raw_delivery_duplicates_and_bad_signatures(emu, channel, friend, receiver):
    event = emu.build_event(channel["channel_id"], friend["user_id"], "text", text="built", timestamp=1000)
    assert len(receiver.requests) == 1  # building delivers nothing
    assert event["timestamp"] == 1000 and event["replyToken"]
    assert emu.deliver_raw(channel["channel_id"], [event])["status_code"] == 200
    emu.deliver_raw(channel["channel_id"], [event])  # a duplicate, without the redelivery flag
    emu.deliver_raw(channel["channel_id"], [event], signature="bad")
    emu.deliver_raw(channel["channel_id"], body=b'{"destination":"x","events":[]}')
    requests_ = receiver.wait_for(5)
    assert requests_[1]["body"] == requests_[2]["body"]
    assert requests_[2]["body"]["events"][0]["deliveryContext"]["isRedelivery"] is False
    with pytest.raises(InvalidSignatureError):
        parse(requests_[3])
    assert requests_[4]["raw"] == b'{"destination":"x","events":[]}' and parse(requests_[4]).events == []


def test_built_image_content_is_downloadable(emu, channel, friend, blob):
    event = emu.build_event(channel["channel_id"], friend["user_id"], "image", data=PNG)
    assert blob.get_message_content(event["message"]["id"], _request_timeout=TIMEOUT) == PNG


def test_events_of_other_provider_users_are_refused(emu, channel):
    stranger = emu.create_user(provider_id="provider-b")
    with pytest.raises(Exception, match="provider"):
        emu.send_text(channel["channel_id"], stranger["user_id"], "hi")


def test_same_person_has_another_id_under_another_provider(emu, channel):
    first = emu.create_user(provider_id="provider-a", display_name="Hanako", person_id="hanako")
    second = emu.create_user(provider_id="provider-b", display_name="Hanako", person_id="hanako")
    assert first["user_id"] != second["user_id"] and first["person_id"] == second["person_id"]
