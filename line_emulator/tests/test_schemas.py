"""The emulator's answers and webhook bodies against LINE's published OpenAPI schemas."""

import functools
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml

from .conftest import SECRET, TIMEOUT

OPENAPI = Path(__file__).resolve().parents[2].parent / "shared" / "line-openapi"
pytestmark = pytest.mark.skipif(not OPENAPI.is_dir(), reason=f"LINE's OpenAPI files are not at {OPENAPI}")
PNG = b"\x89PNG\r\n\x1a\n" + b"s" * 20


@functools.cache
def spec(name):
    return yaml.safe_load((OPENAPI / name).read_text())


def check(name, schema, value):
    document = spec(name)
    validator = jsonschema.Draft7Validator({"$ref": f"#/components/schemas/{schema}",
                                            "components": document["components"]})
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(value)]
    assert not errors, (schema, value, errors)


def check_event(event):
    """An event against its own schema, as the discriminator maps it, and its message content too."""
    schemas = spec("webhook.yml")["components"]["schemas"]
    event_schema = schemas["Event"]["discriminator"]["mapping"].get(event["type"])
    check("webhook.yml", event_schema.rsplit("/", 1)[1] if event_schema else "Event", event)
    check("webhook.yml", schemas["Source"]["discriminator"]["mapping"][event["source"]["type"]].rsplit("/", 1)[1],
          event["source"])
    if event["type"] == "message":
        mapping = schemas["MessageContent"]["discriminator"]["mapping"]
        check("webhook.yml", mapping[event["message"]["type"]].rsplit("/", 1)[1], event["message"])


def get(emulator, token, path):
    response = requests.get(emulator.base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    return response.status_code, response.json()


def test_webhook_bodies_match_the_webhook_schema(emu, channel, friend, receiver):
    cid, uid = channel["channel_id"], friend["user_id"]
    emu.send_text(cid, uid, "hi", emojis=[{"index": 0, "length": 2, "productId": "p", "emojiId": "001"}])
    emu.send_sticker(cid, uid, keywords=["ok"])
    emu.send_image(cid, uid, PNG, image_set={"id": "S", "index": 1, "total": 1})
    emu.send_video(cid, uid, b"\x00\x00\x00\x18ftypmp42")
    emu.send_audio(cid, uid, b"\x00\x00\x00\x18ftypM4A ")
    emu.send_file(cid, uid, b"x", file_name="x.txt")
    emu.send_location(cid, uid, "here", "there", 1.5, 2.5)
    message_id = emu.send_text(cid, uid, "oops")["events"][0]["message"]["id"]
    emu.unsend(cid, uid, message_id)
    emu.postback(cid, uid, "a=1")
    group = emu.group_event(cid, "join")["chat_id"]
    emu.group_event(cid, "memberJoined", chat_id=group, user_ids=[uid])
    emu.group_event(cid, "memberLeft", chat_id=group, user_ids=[uid])
    emu.group_event(cid, "leave", chat_id=group)
    emu.unfollow(cid, uid)
    bodies = [r["body"] for r in receiver.wait_for(16)]
    assert len(bodies) == 16
    for body in bodies:
        check("webhook.yml", "CallbackRequest", body)
        for event in body["events"]:
            check_event(event)


def test_api_answers_match_the_messaging_api_schema(emulator, emu, channel, friend, issue_token):
    token = issue_token()
    expectations = [
        ("/v2/bot/info", "BotInfoResponse"),
        (f"/v2/bot/profile/{friend['user_id']}", "UserProfileResponse"),
        ("/v2/bot/channel/webhook/endpoint", "GetWebhookEndpointResponse"),
        ("/v2/bot/message/quota", "MessageQuotaResponse"),
        ("/v2/bot/message/quota/consumption", "QuotaConsumptionResponse"),
        ("/v2/bot/profile/U" + "0" * 32, "ErrorResponse"),
    ]
    for path, schema in expectations:
        check("messaging-api.yml", schema, get(emulator, token, path)[1])
    headers = {"Authorization": f"Bearer {token}"}
    pushed = requests.post(emulator.base_url + "/v2/bot/message/push", headers=headers, timeout=TIMEOUT,
                           json={"to": friend["user_id"], "messages": [{"type": "text", "text": "hi"}]}).json()
    check("messaging-api.yml", "PushMessageResponse", pushed)
    invalid = requests.post(emulator.base_url + "/v2/bot/message/push", headers=headers, timeout=TIMEOUT,
                            json={"to": friend["user_id"], "messages": [{"type": "text", "text": "x" * 5001}]}).json()
    check("messaging-api.yml", "ErrorResponse", invalid)
    tested = requests.post(emulator.base_url + "/v2/bot/channel/webhook/test", headers=headers, json={},
                           timeout=TIMEOUT).json()
    check("messaging-api.yml", "TestWebhookEndpointResponse", tested)
    emu.update_channel(channel["channel_id"], transcoding_polls=1)
    video = emu.send_video(channel["channel_id"], friend["user_id"], b"\x00\x00\x00\x18ftypmp42")
    status, body = get(emulator, token, f"/v2/bot/message/{video['events'][0]['message']['id']}/content/transcoding")
    check("messaging-api.yml", "GetMessageContentTranscodingResponse", body)


def test_token_answers_match_the_channel_access_token_schema(emulator, channel):
    form = {"grant_type": "client_credentials", "client_id": channel["channel_id"], "client_secret": SECRET}
    stateless = requests.post(emulator.base_url + "/oauth2/v3/token", data=form, timeout=TIMEOUT).json()
    check("channel-access-token.yml", "IssueStatelessChannelAccessTokenResponse", stateless)
    short = requests.post(emulator.base_url + "/v2/oauth/accessToken", data=form, timeout=TIMEOUT).json()
    check("channel-access-token.yml", "IssueShortLivedChannelAccessTokenResponse", short)
    refused = requests.post(emulator.base_url + "/oauth2/v3/token", data=dict(form, client_secret="no"),
                            timeout=TIMEOUT)
    assert refused.status_code == 400
    check("channel-access-token.yml", "ErrorResponse", refused.json())
