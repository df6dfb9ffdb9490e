"""The LINE adapter, on its own: against the LINE platform emulator and a scripted server."""

import http.server
import io
import json
import socket
import threading
import time
import uuid

import pytest
import requests

SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def channel(emu):
    return emu.create_channel(channel_id="1650000001", channel_secret=SECRET, provider_id="provider-a",
                              display_name="Test Shop")


@pytest.fixture
def client(line_api, emulator, channel):
    line_api.clear_token_cache()
    return line_api.LineClient(channel["channel_id"], SECRET, api_url=emulator.base_url,
                               data_url=emulator.base_url, timeout=(5, 5), content_timeout=(5, 8))


@pytest.fixture
def friend(emu, channel):
    user = emu.create_user(provider_id="provider-a", display_name="Hanako")
    emu.follow(channel["channel_id"], user["user_id"])
    return user


# -- credentials and channel information -------------------------------------

def test_stateless_token_is_issued_once_and_cached(line_api, client, emu):
    first = client.token()
    assert first and client.token() == first


def test_wrong_secret_is_an_auth_error_with_lines_text(line_api, emulator, emu, channel):
    line_api.clear_token_cache()
    bad = line_api.LineClient(channel["channel_id"], "wrong", api_url=emulator.base_url, data_url=emulator.base_url)
    with pytest.raises(line_api.LineAuthError) as caught:
        bad.bot_info()
    assert "invalid" in str(caught.value).lower()
    assert len(emu.calls(endpoint="token")) == 1, "a refused secret is asked once, not in a loop"


def test_bad_long_lived_token_is_an_auth_error(line_api, emulator, emu, channel):
    bad = line_api.LineClient(channel["channel_id"], SECRET, access_token="not-a-token",
                              api_url=emulator.base_url, data_url=emulator.base_url)
    with pytest.raises(line_api.LineAuthError) as caught:
        bad.bot_info()
    assert caught.value.status == 401 and caught.value.request_id
    assert len(emu.calls(endpoint="info")) == 1
    assert not emu.calls(endpoint="token"), "the admin's long-lived token is never replaced by another"


def _revoke(emulator, token):
    """LINE stops accepting ``token`` (its own revoke endpoint)."""
    requests.post(emulator.base_url + "/v2/oauth/revoke", data={"access_token": token}, timeout=5).raise_for_status()


def test_a_refused_cached_token_is_replaced_and_the_push_sent_once(client, emulator, emu, friend):
    old = client.token()
    _revoke(emulator, old)
    client.push(friend["user_id"], [{"type": "text", "text": "still works"}])
    assert len(emu.calls(endpoint="token")) == 2
    assert [c["status"] for c in emu.calls(endpoint="push")] == [401, 200]
    assert [s["messages"][0]["text"] for s in emu.sent(user_id=friend["user_id"])] == ["still works"]
    assert client.token() != old


def test_after_line_restarts_the_next_call_gets_a_new_token(line_api, client, emu, channel):
    client.bot_info()
    emu.reset()  # the emulator forgets every token, as after a restart
    emu.create_channel(channel_id=channel["channel_id"], channel_secret=SECRET, provider_id="provider-a",
                       display_name="Test Shop again")
    assert client.bot_info()["displayName"] == "Test Shop again"
    assert len(emu.calls(endpoint="token")) == 1, "the new token (the first one was issued before the reset)"


def test_a_token_refused_again_is_retried_only_once(line_api, scripted):
    line_api.clear_token_cache()
    client = line_api.LineClient("1", "s", api_url=scripted.base_url, data_url=scripted.base_url)
    scripted.answer(401, {"message": "Authentication failed. Confirm that the access token is valid."})
    with pytest.raises(line_api.LineAuthError) as caught:
        client.bot_info()
    assert "access token" in caught.value.message
    assert len(scripted.token_requests()) == 2
    assert scripted.api_requests() == [("/v2/bot/info", "scripted-1"), ("/v2/bot/info", "scripted-2")]


def test_a_refused_long_lived_token_is_not_retried(line_api, scripted):
    client = line_api.LineClient("1", "s", access_token="long-lived", api_url=scripted.base_url,
                                 data_url=scripted.base_url)
    scripted.answer(401, {"message": "Authentication failed."})
    with pytest.raises(line_api.LineAuthError):
        client.bot_info()
    assert not scripted.token_requests()
    assert scripted.api_requests() == [("/v2/bot/info", "long-lived")]


def test_a_token_is_renewed_shortly_before_it_expires(line_api, scripted):
    line_api.clear_token_cache()
    scripted.answer(200, {"userId": "U1", "basicId": "@1", "displayName": "Bot", "chatMode": "bot",
                          "markAsReadMode": "auto"})
    # 900 s, renewed 899.7 s early: fresh for 0.3 s.
    client = line_api.LineClient("1", "s", api_url=scripted.base_url, data_url=scripted.base_url,
                                 token_margin=899.7)
    client.bot_info()
    time.sleep(0.5)
    client.bot_info()
    assert [token for _path, token in scripted.api_requests()] == ["scripted-1", "scripted-2"]


class _KeepAliveLine(http.server.BaseHTTPRequestHandler):
    """Answers bot info over HTTP/1.1 keep-alive, as LINE does (werkzeug's server closes every
    connection), and notes the client's end of the connection of each request."""

    protocol_version = "HTTP/1.1"
    ports = []

    def do_GET(self):
        self.ports.append(self.client_address[1])
        body = json.dumps({"userId": "U1", "basicId": "@1", "displayName": "Bot", "chatMode": "bot",
                           "markAsReadMode": "auto"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_calls_in_a_row_reuse_one_connection_until_it_has_been_idle(line_api, monkeypatch):
    """Calls in a row go over one kept connection (one TCP and TLS handshake with LINE, not one per
    call); one left idle longer than ``KEPT_CLIENT_IDLE`` is not used again (LINE may be closing it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveLine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _KeepAliveLine.ports = []
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        client = line_api.LineClient("3", "s", access_token="long-lived", api_url=url, data_url=url)
        for _call in range(3):
            assert client.bot_info()["displayName"] == "Bot"
        assert len(set(_KeepAliveLine.ports)) == 1, _KeepAliveLine.ports
        monkeypatch.setattr(line_api, "KEPT_CLIENT_IDLE", 0)
        client.bot_info()
        assert len(set(_KeepAliveLine.ports)) == 2, "a connection left idle is replaced"
    finally:
        server.shutdown()
        server.server_close()


def test_a_token_expiring_within_the_margin_is_not_kept(line_api, scripted):
    line_api.clear_token_cache()
    scripted.token_expires_in = 30
    client = line_api.LineClient("2", "s", api_url=scripted.base_url, data_url=scripted.base_url,
                                 token_margin=60)
    assert client.token() == "scripted-1"
    assert client.token() == "scripted-2"


def test_bot_info(client, channel):
    info = client.bot_info()
    assert info["userId"] == channel["bot_user_id"]
    assert info["displayName"] == "Test Shop"
    assert info["chatMode"] in ("chat", "bot")


def test_webhook_endpoint_unset_set_and_tested(client, emulator):
    assert client.get_webhook_endpoint() is None
    client.set_webhook_endpoint("http://127.0.0.1:9/unreachable")
    assert client.get_webhook_endpoint() == {"endpoint": "http://127.0.0.1:9/unreachable", "active": True}
    result = client.test_webhook_endpoint()
    assert result["success"] is False and result["reason"]


def test_quota_and_usage(client, emu, channel, friend):
    emu.update_channel(channel["channel_id"], quota=10)
    client.push(friend["user_id"], [{"type": "text", "text": "hello"}])
    assert client.quota() == {"type": "limited", "value": 10, "used": 1}


def test_profile_and_not_found(line_api, client, friend):
    assert client.profile(friend["user_id"])["displayName"] == "Hanako"
    with pytest.raises(line_api.LineNotFoundError):
        client.profile("U" + "0" * 32)


# -- sending -------------------------------------------------------------------

def test_push_with_retry_key_is_sent_once(client, emu, friend):
    key = str(uuid.uuid4())
    first = client.push(friend["user_id"], [{"type": "text", "text": "once"}], retry_key=key)
    again = client.push(friend["user_id"], [{"type": "text", "text": "once"}], retry_key=key)
    assert not first["already_accepted"] and again["already_accepted"]
    assert again["request_id"] == first["request_id"]
    assert [m["id"] for m in again["sent_messages"]] == [m["id"] for m in first["sent_messages"]]
    assert len([s for s in emu.sent(user_id=friend["user_id"]) if s["kind"] == "push"]) == 1


def test_reply_token_is_single_use(line_api, client, emu, channel, friend):
    event = emu.send_text(channel["channel_id"], friend["user_id"], "hi")["events"][0]
    client.reply(event["replyToken"], [{"type": "text", "text": "hello"}])
    with pytest.raises(line_api.LineInvalidRequestError) as caught:
        client.reply(event["replyToken"], [{"type": "text", "text": "again"}])
    assert "reply token" in caught.value.message.lower()


def test_invalid_message_carries_lines_details(line_api, client, friend):
    with pytest.raises(line_api.LineInvalidRequestError) as caught:
        client.push(friend["user_id"], [{"type": "text", "text": "x" * 5001}])
    assert caught.value.status == 400
    assert any("messages[0]" in (d.get("property") or "") for d in caught.value.details)


def test_quota_spent_is_a_quota_error(line_api, client, emu, channel, friend):
    emu.update_channel(channel["channel_id"], quota=0)
    with pytest.raises(line_api.LineQuotaError) as caught:
        client.push(friend["user_id"], [{"type": "text", "text": "no"}])
    assert caught.value.status == 429 and not caught.value.retryable


def test_rate_limit_is_retryable(line_api, client, emu, friend):
    emu.set_rate_limit("push", 1)
    client.push(friend["user_id"], [{"type": "text", "text": "1"}])
    with pytest.raises(line_api.LineRateLimitError) as caught:
        client.push(friend["user_id"], [{"type": "text", "text": "2"}])
    assert caught.value.retryable


def test_server_error_is_retryable(line_api, client, emu, friend):
    emu.set_fault("push", "500", count=1)
    with pytest.raises(line_api.LineServerError) as caught:
        client.push(friend["user_id"], [{"type": "text", "text": "x"}])
    assert caught.value.retryable and caught.value.status == 500


@pytest.mark.parametrize("kind,after,delivered", [
    ("delay", True, True),  # LINE sends, its answer comes after the read timeout (5 s)
    ("drop", False, False),  # the connection drops before LINE acts
    ("drop", True, True),  # LINE sends, then the connection drops: the answer is lost
])
def test_timeouts_and_dropped_connections_are_network_errors(line_api, client, emu, friend, kind, after,
                                                              delivered):
    client.token()  # the fault is for the push, not for the token issued before it
    emu.set_fault("push", kind, count=1, delay=7 if kind == "delay" else None, after=after)
    with pytest.raises(line_api.LineNetworkError) as caught:
        client.push(friend["user_id"], [{"type": "text", "text": "x"}])
    assert caught.value.retryable
    assert caught.value.maybe_delivered, "sent: LINE may have acted on it, so resend with the same retry key"
    timed_out = "Timeout" in str(caught.value)
    assert timed_out == (kind == "delay"), str(caught.value)
    assert bool(emu.sent(user_id=friend["user_id"])) == delivered


def test_loading_indicator_and_mark_as_read(client, emu, channel, friend):
    event = emu.send_text(channel["channel_id"], friend["user_id"], "read me")["events"][0]
    client.show_loading(friend["user_id"], 5)
    client.mark_as_read(event["message"]["markAsReadToken"])


# -- content -----------------------------------------------------------------------

def test_content_is_streamed_to_a_file(client, emu, channel, friend):
    data = b"\x89PNG\r\n\x1a\n" + b"x" * 200_000
    event = emu.send_image(channel["channel_id"], friend["user_id"], data)["events"][0]
    out = io.BytesIO()
    meta = client.download_content(event["message"]["id"], out)
    assert out.getvalue() == data and meta["size"] == len(data) and meta["content_type"] == "image/png"


def test_content_too_large_is_refused(line_api, client, emu, channel, friend):
    event = emu.send_image(channel["channel_id"], friend["user_id"], b"\x89PNG" + b"x" * 100_000)["events"][0]
    with pytest.raises(line_api.LineInvalidRequestError):
        client.download_content(event["message"]["id"], io.BytesIO(), max_bytes=1000)


def test_video_is_202_until_transcoded(client, emu, channel, friend):
    emu.update_channel(channel["channel_id"], transcoding_polls=1)
    video = b"\x00\x00\x00\x18ftypmp42" + b"v" * 1000
    event = emu.send_video(channel["channel_id"], friend["user_id"], video)["events"][0]
    message_id = event["message"]["id"]
    assert client.download_content(message_id, io.BytesIO()) is None
    out = io.BytesIO()
    assert client.download_content(message_id, out)["size"] == len(out.getvalue()) > 0


def test_unsent_content_is_gone(line_api, client, emu, channel, friend):
    event = emu.send_image(channel["channel_id"], friend["user_id"], b"\x89PNG" + b"y" * 100)["events"][0]
    emu.unsend(channel["channel_id"], friend["user_id"], event["message"]["id"])
    with pytest.raises(line_api.LineGoneError):
        client.download_content(event["message"]["id"], io.BytesIO())


# -- error mapping, status by status (a scripted server) -------------------------

@pytest.mark.parametrize("status,body,error", [
    (400, {"message": "The request body has 1 error(s)",
           "details": [{"message": "May not be empty", "property": "messages[0].text"}]}, "LineInvalidRequestError"),
    (401, {"message": "Authentication failed."}, "LineAuthError"),
    (403, {"message": "Access to this API is not available for your account"}, "LineForbiddenError"),
    (404, {"message": "Not found"}, "LineNotFoundError"),
    (410, {"message": "Gone"}, "LineGoneError"),
    (429, {"message": "Too many requests"}, "LineRateLimitError"),
    (429, {"message": "You have reached your monthly limit."}, "LineQuotaError"),
    (500, {"message": "Internal error"}, "LineServerError"),
    (503, {"message": "Service unavailable"}, "LineServerError"),
])
def test_error_mapping(line_api, scripted, status, body, error):
    line_api.clear_token_cache()
    client = line_api.LineClient("1", "s", api_url=scripted.base_url, data_url=scripted.base_url)
    scripted.answer(status, body, {"x-line-request-id": "req-123"})
    with pytest.raises(getattr(line_api, error)) as caught:
        client.bot_info()
    assert caught.value.status == status
    assert caught.value.message == body["message"]
    assert caught.value.request_id == "req-123"
    if status == 400:
        assert caught.value.details == body["details"]


def test_push_409_is_success(line_api, scripted):
    client = line_api.LineClient("1", "s", access_token="t", api_url=scripted.base_url, data_url=scripted.base_url)
    scripted.answer(409, {"message": "The retry key is already accepted", "sentMessages": [{"id": "42"}]},
                    {"x-line-accepted-request-id": "first-request"})
    result = client.push("U" + "1" * 32, [{"type": "text", "text": "x"}], retry_key=str(uuid.uuid4()))
    assert result["already_accepted"] and result["request_id"] == "first-request"
    assert result["sent_messages"] == [{"id": "42"}]


def test_unreachable_line_is_a_network_error_and_nothing_was_sent(line_api):
    line_api.clear_token_cache()
    # A port bound but not listening refuses connections, and no other process can take it meanwhile
    # (a closed server's port can be reused by anything on a busy machine).
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = "http://127.0.0.1:%d" % closed.getsockname()[1]
    client = line_api.LineClient("1", "s", api_url=url, data_url=url)
    with_token = line_api.LineClient("1", "s", access_token="t", api_url=url, data_url=url)
    with pytest.raises(line_api.LineNetworkError) as caught:
        client.token()
    assert caught.value.retryable and not caught.value.maybe_delivered
    with pytest.raises(line_api.LineNetworkError) as caught:
        with_token.push("U" + "1" * 32, [{"type": "text", "text": "x"}])
    assert not caught.value.maybe_delivered, "the connection was refused: LINE never got the push"
    assert "NewConnectionError" in str(caught.value) or "Refused" in str(caught.value)
    closed.close()
