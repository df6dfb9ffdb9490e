"""LINE's API, driven with line-bot-sdk exactly as the addon drives LINE."""

import threading
import time
import tracemalloc
import uuid

import pytest
import requests
import urllib3
from linebot.v3 import messaging, oauth
from linebot.v3.messaging import exceptions as sdk_errors
from linebot.v3.oauth import exceptions as oauth_errors

from .conftest import SECRET, TIMEOUT

PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 200


def push(api, to, *messages, key=None):
    request = messaging.PushMessageRequest(to=to, messages=list(messages) or [messaging.TextMessage(text="hi")])
    return api.push_message_with_http_info(request, x_line_retry_key=key, _request_timeout=TIMEOUT)


def reply(api, token, text="thanks"):
    request = messaging.ReplyMessageRequest(reply_token=token, messages=[messaging.TextMessage(text=text)])
    return api.reply_message_with_http_info(request, _request_timeout=TIMEOUT)


def raw_post(emulator, token, path, body, headers=None):
    return requests.post(emulator.base_url + path, json=body, timeout=TIMEOUT,
                         headers=dict({"Authorization": f"Bearer {token}"}, **(headers or {})))


# -- channel access tokens ------------------------------------------------------------------------

def test_stateless_and_short_lived_tokens(emulator, channel):
    with oauth.ApiClient(oauth.Configuration(host=emulator.base_url)) as client:
        api = oauth.ChannelAccessToken(client)
        stateless = api.issue_stateless_channel_token_by_client_secret(
            client_id=channel["channel_id"], client_secret=SECRET, _request_timeout=TIMEOUT)
        short = api.issue_channel_token(grant_type="client_credentials", client_id=channel["channel_id"],
                                        client_secret=SECRET, _request_timeout=TIMEOUT)
    assert stateless.expires_in == 900 and stateless.token_type == "Bearer"
    assert short.expires_in == 30 * 24 * 3600 and short.access_token != stateless.access_token


def test_wrong_secret_and_unknown_client_are_invalid_client(emulator, channel):
    with oauth.ApiClient(oauth.Configuration(host=emulator.base_url)) as client:
        api = oauth.ChannelAccessToken(client)
        for client_id, secret in ((channel["channel_id"], "wrong"), ("999", SECRET)):
            with pytest.raises(oauth_errors.ApiException) as caught:
                api.issue_stateless_channel_token_by_client_secret(
                    client_id=client_id, client_secret=secret, _request_timeout=TIMEOUT)
            assert caught.value.status == 400
            assert '"error": "invalid_client"' in caught.value.body.replace('":"', '": "')


def test_thirty_first_short_lived_token_revokes_the_oldest(emulator, channel):
    form = {"grant_type": "client_credentials", "client_id": channel["channel_id"], "client_secret": SECRET}
    tokens = [requests.post(emulator.base_url + "/v2/oauth/accessToken", data=form, timeout=TIMEOUT)
              .json()["access_token"] for _ in range(31)]
    info = [requests.get(emulator.base_url + "/v2/bot/info", timeout=TIMEOUT,
                         headers={"Authorization": f"Bearer {t}"}).status_code for t in (tokens[0], tokens[1])]
    assert info == [401, 200]


def test_bad_token_is_401_with_lines_message(emulator, channel):
    config = messaging.Configuration(host=emulator.base_url, access_token="not-a-token")
    with messaging.ApiClient(config) as client, pytest.raises(sdk_errors.UnauthorizedException) as caught:
        messaging.MessagingApi(client).get_bot_info(_request_timeout=TIMEOUT)
    assert "Authentication failed" in caught.value.body
    assert caught.value.headers["x-line-request-id"]


def test_long_lived_token_from_the_control_api(emu, emulator, channel):
    token = emu.issue_long_lived_token(channel["channel_id"])["access_token"]
    with messaging.ApiClient(messaging.Configuration(host=emulator.base_url, access_token=token)) as client:
        assert messaging.MessagingApi(client).get_bot_info(_request_timeout=TIMEOUT).user_id == channel["bot_user_id"]


# -- channel information -----------------------------------------------------------------------

def test_bot_info(api, channel):
    response = api.get_bot_info_with_http_info(_request_timeout=TIMEOUT)
    info = response.data
    assert (info.user_id, info.display_name, info.chat_mode) == (channel["bot_user_id"], "Test Shop", "bot")
    assert info.basic_id.startswith("@") and info.mark_as_read_mode == "auto"
    assert response.headers["x-line-request-id"]


def test_webhook_endpoint_404_when_unset_then_set_and_get(api, emu, channel):
    emu.update_channel(channel["channel_id"], webhook_url=None)
    with pytest.raises(sdk_errors.NotFoundException):
        api.get_webhook_endpoint(_request_timeout=TIMEOUT)
    api.set_webhook_endpoint(messaging.SetWebhookEndpointRequest(endpoint="https://example.com/hook"),
                             _request_timeout=TIMEOUT)
    endpoint = api.get_webhook_endpoint(_request_timeout=TIMEOUT)
    assert (endpoint.endpoint, endpoint.active) == ("https://example.com/hook", True)


def test_webhook_test_endpoint_results(api, emu, channel, receiver):
    ok = api.test_webhook_endpoint(None, _request_timeout=TIMEOUT)
    assert (ok.success, ok.status_code, ok.reason) == (True, 200, "OK")
    body = receiver.wait_for(1)[0]["body"]
    assert body == {"destination": channel["bot_user_id"], "events": []}
    receiver.status = 503
    failed = api.test_webhook_endpoint(None, _request_timeout=TIMEOUT)
    assert (failed.success, failed.status_code, failed.reason) == (False, 503, "ERROR_STATUS_CODE")
    unreachable = api.test_webhook_endpoint(messaging.TestWebhookEndpointRequest(endpoint="http://127.0.0.1:9/x"),
                                            _request_timeout=TIMEOUT)
    assert (unreachable.success, unreachable.reason) == (False, "COULD_NOT_CONNECT")
    receiver.status, receiver.delay = 200, 0.6
    emu.update_channel(channel["channel_id"], webhook_timeout=0.2)
    slow = api.test_webhook_endpoint(None, _request_timeout=TIMEOUT)
    assert (slow.success, slow.reason) == (False, "REQUEST_TIMEOUT")


def test_quota_and_consumption(api, emu, channel, friend):
    assert api.get_message_quota(_request_timeout=TIMEOUT).type == "none"
    emu.update_channel(channel["channel_id"], quota=2)
    push(api, friend["user_id"], messaging.TextMessage(text="a"), messaging.TextMessage(text="b"))
    quota = api.get_message_quota(_request_timeout=TIMEOUT)
    assert (quota.type, quota.value) == ("limited", 2)
    assert api.get_message_quota_consumption(_request_timeout=TIMEOUT).total_usage == 1  # per recipient
    push(api, friend["user_id"])
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"])
    assert caught.value.status == 429 and "You have reached your monthly limit." in caught.value.body
    assert emu.quota(channel["channel_id"]) == {"type": "limited", "value": 2, "usage": 2}


def test_profile_and_404s(api, emu, channel, friend):
    profile = api.get_profile(friend["user_id"], _request_timeout=TIMEOUT)
    assert (profile.display_name, profile.language, profile.status_message) == ("Hanako", "ja", "hello")
    assert profile.picture_url.endswith(".png")
    assert requests.get(profile.picture_url, timeout=TIMEOUT).content.startswith(b"\x89PNG")
    stranger = emu.create_user(provider_id="provider-a", display_name="Not a friend")
    other = emu.create_user(provider_id="provider-b", display_name="Other provider")
    emu.unfollow(channel["channel_id"], friend["user_id"])
    for user_id in (friend["user_id"], stranger["user_id"], other["user_id"], "U" + "0" * 32):
        with pytest.raises(sdk_errors.NotFoundException):
            api.get_profile(user_id, _request_timeout=TIMEOUT)


# -- push ------------------------------------------------------------------------------------------

def test_push_answers_sent_messages_and_is_logged(api, emu, friend):
    response = push(api, friend["user_id"], messaging.TextMessage(text="hello"))
    assert response.status_code == 200
    [sent_message] = response.data.sent_messages
    assert sent_message.id.isdigit() and sent_message.quote_token
    [sent] = emu.sent(user_id=friend["user_id"])
    assert (sent["kind"], sent["delivered"], sent["counted"], sent["free"]) == ("push", True, True, False)
    assert sent["request_id"] == response.headers["x-line-request-id"]
    assert sent["messages"] == [{"type": "text", "text": "hello"}]


def test_retry_key_resend_is_409_with_the_first_request_id(api, emu, friend):
    key = str(uuid.uuid4())
    first = push(api, friend["user_id"], key=key)
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"], key=key)
    conflict = caught.value
    assert conflict.status == 409 and "The retry key is already accepted" in conflict.body
    assert conflict.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert first.data.sent_messages[0].id in conflict.body
    assert len(emu.sent(user_id=friend["user_id"])) == 1


def test_concurrent_pushes_with_one_retry_key_deliver_once(api, emu, friend, receiver):
    # Each push fetches its image from the receiver, which answers slowly: the first request is still
    # being processed when the others arrive with the same key.
    receiver.delay = 0.5
    image = messaging.ImageMessage(original_content_url=receiver.url + "/a.png",
                                   preview_image_url=receiver.url + "/p.png")
    key, results = str(uuid.uuid4()), []

    def send():
        try:
            results.append(push(api, friend["user_id"], image, key=key))
        except sdk_errors.ApiException as error:
            results.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    [accepted] = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, Exception)]
    assert [c.status for c in conflicts] == [409, 409, 409]
    first_id = accepted.headers["x-line-request-id"]
    assert {c.headers["x-line-accepted-request-id"] for c in conflicts} == {first_id}
    assert all(accepted.data.sent_messages[0].id in c.body for c in conflicts)
    [sent] = emu.sent(user_id=friend["user_id"])
    assert sent["request_id"] == first_id


def test_retry_key_must_be_a_uuid_and_is_refused_on_reply(api, emulator, emu, channel, friend, issue_token):
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"], key="not-a-uuid")
    assert caught.value.status == 400
    event = emu.send_text(channel["channel_id"], friend["user_id"], "hi")["events"][0]
    response = raw_post(emulator, issue_token(), "/v2/bot/message/reply",
                        {"replyToken": event["replyToken"], "messages": [{"type": "text", "text": "x"}]},
                        {"X-Line-Retry-Key": str(uuid.uuid4())})
    assert response.status_code == 400


def test_a_refused_push_does_not_accept_its_retry_key(api, emu, channel, friend):
    key = str(uuid.uuid4())
    emu.update_channel(channel["channel_id"], quota=0)
    with pytest.raises(sdk_errors.ApiException):
        push(api, friend["user_id"], key=key)
    emu.update_channel(channel["channel_id"], quota=10)
    assert push(api, friend["user_id"], key=key).status_code == 200


def test_push_to_unknown_or_other_provider_user_is_400(api, emu):
    other = emu.create_user(provider_id="provider-b")
    for to in ("U" + "f" * 32, other["user_id"]):
        with pytest.raises(sdk_errors.ApiException) as caught:
            push(api, to)
        assert caught.value.status == 400 and "Failed to send messages" in caught.value.body
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, "hanako")
    assert "'to'" in caught.value.body


def test_push_to_blocked_user_is_200_but_not_delivered(api, emu, channel, friend):
    emu.unfollow(channel["channel_id"], friend["user_id"])
    assert push(api, friend["user_id"]).status_code == 200
    [sent] = emu.sent(user_id=friend["user_id"])
    assert (sent["delivered"], sent["reason"], sent["counted"]) == (False, "blocked", False)
    assert emu.quota(channel["channel_id"])["usage"] == 0


def test_push_to_non_friend_who_wrote_recently_is_delivered(api, emu, channel):
    user = emu.create_user(provider_id="provider-a")
    push(api, user["user_id"])
    emu.send_text(channel["channel_id"], user["user_id"], "hello?")
    push(api, user["user_id"])
    assert [s["delivered"] for s in emu.sent(user_id=user["user_id"])] == [False, True]


def test_validation_errors_carry_details_property(emulator, api, friend, issue_token):
    token = issue_token()
    cases = [
        ([{"type": "text", "text": "x" * 5001}], "messages[0].text"),
        ([{"type": "text", "text": "🙂" * 2501}], "messages[0].text"),  # 5002 UTF-16 units
        ([{"type": "file", "fileName": "a.pdf"}], "messages[0].type"),
        ([{"type": "hologram"}], "messages[0].type"),
        ([{"type": "audio", "originalContentUrl": "https://example.com/a.m4a"}], "messages[0].duration"),
        ([{"type": "text", "text": "ok"}, {"type": "sticker", "packageId": "446"}], "messages[1].stickerId"),
        ([{"type": "text", "text": str(i)} for i in range(6)], "messages"),
    ]
    for messages, prop in cases:
        response = raw_post(emulator, token, "/v2/bot/message/push", {"to": friend["user_id"], "messages": messages})
        body = response.json()
        assert response.status_code == 400, messages
        assert body["message"] == f"The request body has {len(body['details'])} error(s)"
        assert prop in [d["property"] for d in body["details"]], body
    with pytest.raises(sdk_errors.ApiException) as caught:  # through the SDK too
        push(api, friend["user_id"], messaging.TextMessage(text="x" * 5001))
    assert caught.value.status == 400 and "messages[0].text" in caught.value.body


def test_http_media_urls_only_when_allowed(emulator, emu, channel, friend, issue_token):
    image = {"type": "image", "originalContentUrl": "http://127.0.0.1:9/a.jpg",
             "previewImageUrl": "http://127.0.0.1:9/p.jpg"}
    body = {"to": friend["user_id"], "messages": [image]}
    assert raw_post(emulator, issue_token(), "/v2/bot/message/push", body).status_code == 200
    emu.update_channel(channel["channel_id"], allow_http_media=False)
    response = raw_post(emulator, issue_token(), "/v2/bot/message/push", body)
    assert response.status_code == 400
    assert {d["property"] for d in response.json()["details"]} == {"messages[0].originalContentUrl",
                                                                   "messages[0].previewImageUrl"}


def test_media_urls_are_fetched_as_line_would(api, emu, emulator, channel, friend):
    avatar = f"{emulator.base_url}/_emulator/avatars/{friend['user_id']}.png"
    missing = f"{emulator.base_url}/_emulator/content/404"
    push(api, friend["user_id"], messaging.ImageMessage(original_content_url=avatar, preview_image_url=missing))
    [sent] = emu.sent(user_id=friend["user_id"])
    fetched = {f["url"]: f for f in sent["media_fetches"]}
    assert (fetched[avatar]["status"], fetched[avatar]["content_type"], fetched[avatar]["ok"]) == (
        200, "image/png", True)
    assert fetched[avatar]["size"] > 0
    assert (fetched[missing]["status"], fetched[missing]["ok"]) == (404, False)


# -- reply ------------------------------------------------------------------------------------------

def test_reply_token_single_use_free_and_shown_on_the_phone(api, emu, channel, friend):
    emu.update_channel(channel["channel_id"], quota=0)
    event = emu.send_text(channel["channel_id"], friend["user_id"], "hi")["events"][0]
    assert reply(api, event["replyToken"]).status_code == 200
    with pytest.raises(sdk_errors.ApiException) as caught:
        reply(api, event["replyToken"])
    assert caught.value.status == 400 and "Invalid reply token" in caught.value.body
    [sent] = emu.sent(user_id=friend["user_id"])
    assert (sent["kind"], sent["free"], sent["counted"]) == ("reply", True, False)
    chat = emu.chat(channel["channel_id"], friend["user_id"])
    assert [(c["direction"], c["message"].get("text")) for c in chat if c["direction"] != "system"] == [
        ("user", "hi"), ("bot", "thanks")]


def test_reply_token_expires(api, emu, channel, friend):
    emu.update_channel(channel["channel_id"], reply_token_ttl=0.2)
    event = emu.send_text(channel["channel_id"], friend["user_id"], "hi")["events"][0]
    time.sleep(0.3)
    with pytest.raises(sdk_errors.ApiException) as caught:
        reply(api, event["replyToken"])
    assert "Invalid reply token" in caught.value.body


def test_no_reply_token_in_standby(emu, channel, friend):
    emu.update_channel(channel["channel_id"], mode="standby")
    event = emu.send_text(channel["channel_id"], friend["user_id"], "hi")["events"][0]
    assert event["mode"] == "standby" and "replyToken" not in event


# -- content ----------------------------------------------------------------------------------------------

def test_image_content_and_preview(blob, emu, channel, friend):
    event = emu.send_image(channel["channel_id"], friend["user_id"], PNG)["events"][0]
    message_id = event["message"]["id"]
    response = blob.get_message_content_with_http_info(message_id, _request_timeout=TIMEOUT)
    assert (response.status_code, response.raw_data, response.headers["Content-Type"]) == (200, PNG, "image/png")
    assert blob.get_message_content_preview(message_id, _request_timeout=TIMEOUT) == PNG


def test_video_is_202_while_transcoding_then_200(blob, emu, channel, friend):
    emu.update_channel(channel["channel_id"], transcoding_polls=2)
    video = b"\x00\x00\x00\x18ftypmp42" + b"v" * 100
    message_id = emu.send_video(channel["channel_id"], friend["user_id"], video)["events"][0]["message"]["id"]
    first = blob.get_message_content_with_http_info(message_id, _request_timeout=TIMEOUT)
    assert first.status_code == 202
    status = blob.get_message_content_transcoding_by_message_id(message_id, _request_timeout=TIMEOUT)
    assert status.status == "processing"
    assert blob.get_message_content_transcoding_by_message_id(message_id, _request_timeout=TIMEOUT).status == \
        "succeeded"
    done = blob.get_message_content_with_http_info(message_id, _request_timeout=TIMEOUT)
    assert (done.status_code, done.raw_data, done.headers["Content-Type"]) == (200, video, "video/mp4")
    assert blob.get_message_content_preview(message_id, _request_timeout=TIMEOUT).startswith(b"\x89PNG")


def test_content_404_unknown_and_410_after_unsend(blob, emu, channel, friend):
    with pytest.raises(sdk_errors.NotFoundException):
        blob.get_message_content("123", _request_timeout=TIMEOUT)
    message_id = emu.send_image(channel["channel_id"], friend["user_id"], PNG)["events"][0]["message"]["id"]
    unsent = emu.unsend(channel["channel_id"], friend["user_id"], message_id)["events"][0]
    assert unsent["unsend"] == {"messageId": message_id}
    with pytest.raises(sdk_errors.ApiException) as caught:
        blob.get_message_content(message_id, _request_timeout=TIMEOUT)
    assert caught.value.status == 410


def test_a_large_video_is_streamed_as_it_is_made(emulator, emu, channel, friend, issue_token):
    """A 64 MB video (a benchmark's 200 MB one, smaller): the whole size arrives, as an mp4, while the
    emulator (this process) never holds more than a few chunks of it."""
    size = 64 * 1024 * 1024 + 123
    message_id = emu.send_video(channel["channel_id"], friend["user_id"], None, generated_size=size)[
        "events"][0]["message"]["id"]
    url = f"{emulator.base_url}/v2/bot/message/{message_id}/content"
    tracemalloc.start()
    try:
        with requests.get(url, headers={"Authorization": f"Bearer {issue_token()}"}, stream=True,
                          timeout=TIMEOUT) as response:
            chunks = response.iter_content(1024 * 1024)
            head = next(chunks)
            received = len(head) + sum(len(chunk) for chunk in chunks)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (response.status_code, response.headers["Content-Type"], response.headers["Content-Length"]) == (
        200, "video/mp4", str(size))
    assert head[4:8] == b"ftyp" and received == size
    assert peak < 16 * 1024 * 1024, f"{peak} bytes held at once for a {size}-byte video"


def test_file_content_keeps_its_bytes(blob, emu, channel, friend):
    event = emu.send_file(channel["channel_id"], friend["user_id"], b"%PDF-1.4 hi", file_name="見積書.pdf")["events"][0]
    assert (event["message"]["fileName"], event["message"]["fileSize"]) == ("見積書.pdf", 11)
    assert blob.get_message_content(event["message"]["id"], _request_timeout=TIMEOUT) == b"%PDF-1.4 hi"


# -- chat -------------------------------------------------------------------------------------------------

def test_loading_indicator_and_mark_as_read(api, emu, channel, friend):
    event = emu.send_text(channel["channel_id"], friend["user_id"], "read me")["events"][0]
    response = api.show_loading_animation_with_http_info(
        messaging.ShowLoadingAnimationRequest(chat_id=friend["user_id"], loading_seconds=5), _request_timeout=TIMEOUT)
    assert response.status_code == 202
    with pytest.raises(sdk_errors.ApiException):
        api.show_loading_animation(messaging.ShowLoadingAnimationRequest(chat_id=friend["user_id"], loading_seconds=7),
                                   _request_timeout=TIMEOUT)
    api.mark_messages_as_read_by_token(
        messaging.MarkMessagesAsReadByTokenRequest(mark_as_read_token=event["message"]["markAsReadToken"]),
        _request_timeout=TIMEOUT)
    [entry] = [c for c in emu.chat(channel["channel_id"], friend["user_id"]) if c["direction"] == "user"]
    assert entry["read"] is True
    assert [c["body"]["chatId"] for c in emu.calls(endpoint="loading") if c["status"] == 202] == [friend["user_id"]]


# -- faults, rate limits, request IDs ---------------------------------------------------------------------------

def test_fault_500_for_the_next_call_only(api, emu, friend):
    emu.set_fault("push", "500", count=1)
    with pytest.raises(sdk_errors.ServiceException) as caught:
        push(api, friend["user_id"])
    assert caught.value.status == 500 and caught.value.headers["x-line-request-id"]
    assert push(api, friend["user_id"]).status_code == 200
    assert len(emu.sent(user_id=friend["user_id"])) == 1


def test_fault_share_of_calls(api, emu, friend):
    emu.set_fault("info", "503", rate=1.0)
    with pytest.raises(sdk_errors.ServiceException):
        api.get_bot_info(_request_timeout=TIMEOUT)
    emu.clear_faults()
    emu.set_fault("info", "503", rate=0.0)
    assert api.get_bot_info(_request_timeout=TIMEOUT).user_id


def test_fault_delay_past_the_timeout_after_the_push_was_accepted(api, emu, friend):
    emu.set_fault("push", "delay", count=1, delay=1.0)
    key = str(uuid.uuid4())
    request = messaging.PushMessageRequest(to=friend["user_id"], messages=[messaging.TextMessage(text="x")])
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        api.push_message(request, x_line_retry_key=key, _request_timeout=(1, 0.3))
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"], key=key)
    assert caught.value.status == 409
    assert len(emu.sent(user_id=friend["user_id"])) == 1


def test_fault_drop_closes_the_connection(api, emu, friend):
    emu.set_fault("push", "drop", count=1)
    with pytest.raises((urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError)):
        push(api, friend["user_id"])
    assert emu.sent(user_id=friend["user_id"]) == []
    assert push(api, friend["user_id"]).status_code == 200


def test_rate_limit_429(api, emu, friend):
    emu.set_rate_limit("push", 2)
    push(api, friend["user_id"])
    push(api, friend["user_id"])
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"])
    assert caught.value.status == 429 and "Too many requests" in caught.value.body
    emu.set_rate_limit("push", None)
    assert push(api, friend["user_id"]).status_code == 200


def test_request_id_on_every_response(emulator, channel, issue_token):
    token = issue_token()
    for method, path in (("GET", "/v2/bot/info"), ("GET", "/v2/bot/profile/U" + "0" * 32),
                         ("POST", "/v2/bot/message/push"), ("GET", "/v2/bot/nothing"),
                         ("GET", "/v2/bot/message/1/content"), ("POST", "/oauth2/v3/token")):
        response = requests.request(method, emulator.base_url + path, timeout=TIMEOUT, data=b"{",
                                    headers={"Authorization": f"Bearer {token}"})
        assert response.headers.get("x-line-request-id"), path


def test_a_quick_reply_label_over_20_characters_is_refused(api, friend):
    def with_buttons(*labels):
        items = [messaging.QuickReplyItem(action=messaging.MessageAction(label=label, text=label)) for label in labels]
        return messaging.TextMessage(text="choose", quick_reply=messaging.QuickReply(items=items))

    assert push(api, friend["user_id"], with_buttons("あ" * 20, "b")).status_code == 200
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"], with_buttons("あ" * 21))
    assert caught.value.status == 400 and "quickReply.items[0].action.label" in caught.value.body
