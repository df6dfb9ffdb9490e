"""Rate limits as LINE publishes them (per channel, each with its window), and a share of faults."""

import pytest
import requests
from linebot.v3 import messaging
from linebot.v3.messaging import exceptions as sdk_errors

from .conftest import TIMEOUT
from .test_api import push

HOUR = 3600


def test_lines_published_limits_are_in_force_by_default(emu):
    windows = emu.faults()["rate_limit_windows"]
    assert windows["webhookTest"] == {"limit": 60, "window": HOUR}
    assert windows["webhookEndpoint"] == {"limit": 1000, "window": 60}
    assert windows["loading"] == {"limit": 100, "window": 1}
    assert windows["push"] == windows["reply"] == windows["content"] == {"limit": 2000, "window": 1}
    assert "token" not in windows and "*" not in windows


def test_webhook_test_is_limited_to_sixty_an_hour(lasting_api, emu, channel, receiver):
    api = lasting_api
    for _ in range(60):
        api.test_webhook_endpoint(None, _request_timeout=TIMEOUT)
    with pytest.raises(sdk_errors.ApiException) as caught:
        api.test_webhook_endpoint(None, _request_timeout=TIMEOUT)
    assert caught.value.status == 429 and "Too many requests" in caught.value.body
    assert len(receiver.wait_for(60)) == 60  # the refused test posted nothing
    assert api.get_bot_info(_request_timeout=TIMEOUT).user_id  # other endpoints are not affected
    emu.advance_clock(HOUR)
    assert api.test_webhook_endpoint(None, _request_timeout=TIMEOUT).success


def test_webhook_endpoint_get_and_set_are_limited_per_minute(emulator, api, emu, channel, issue_token):
    # A minute later the stateless token (15 min) still works.
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token()}"
    url = emulator.base_url + "/v2/bot/channel/webhook/endpoint"
    statuses = [session.get(url, timeout=TIMEOUT).status_code for _ in range(999)]
    statuses.append(session.put(url, json={"endpoint": "https://example.com/b"}, timeout=TIMEOUT).status_code)
    assert set(statuses) == {200}
    with pytest.raises(sdk_errors.ApiException) as caught:
        api.get_webhook_endpoint(_request_timeout=TIMEOUT)
    assert caught.value.status == 429
    emu.advance_clock(60)
    assert api.get_webhook_endpoint(_request_timeout=TIMEOUT).endpoint == "https://example.com/b"


def test_a_limit_with_its_own_window_counts_per_channel(lasting_api, emu, channel, friend, issue_token, emulator):
    api = lasting_api
    emu.set_rate_limit("push", limit=2, window=HOUR)
    push(api, friend["user_id"])
    push(api, friend["user_id"])
    with pytest.raises(sdk_errors.ApiException) as caught:
        push(api, friend["user_id"])
    assert caught.value.status == 429
    other = emu.create_channel(channel_id="1650000002", channel_secret="f" * 32, provider_id="provider-a")
    user = emu.create_user(provider_id="provider-a")
    emu.follow(other["channel_id"], user["user_id"])
    config = messaging.Configuration(host=emulator.base_url, access_token=issue_token("1650000002", "f" * 32))
    with messaging.ApiClient(config) as client:
        assert push(messaging.MessagingApi(client), user["user_id"]).status_code == 200
    emu.advance_clock(HOUR)
    assert push(api, friend["user_id"]).status_code == 200
    assert [s["delivered"] for s in emu.sent(user_id=friend["user_id"])] == [True, True, True]


def test_the_star_limit_counts_all_endpoints_together(api, emu, friend):
    emu.set_rate_limit("*", limit=3, window=HOUR)
    api.get_bot_info(_request_timeout=TIMEOUT)
    api.get_profile(friend["user_id"], _request_timeout=TIMEOUT)
    push(api, friend["user_id"])
    for call in (lambda: api.get_bot_info(_request_timeout=TIMEOUT), lambda: push(api, friend["user_id"]),
                 lambda: api.get_message_quota(_request_timeout=TIMEOUT)):
        with pytest.raises(sdk_errors.ApiException) as caught:
            call()
        assert caught.value.status == 429
    emu.set_rate_limit("*", None)
    assert push(api, friend["user_id"]).status_code == 200


def test_a_share_of_500s_fails_about_that_share_of_calls(api, emu):
    emu.set_fault("info", "500", rate=0.5)
    failures = 0
    for _ in range(200):
        try:
            api.get_bot_info(_request_timeout=TIMEOUT)
        except sdk_errors.ServiceException as error:
            assert error.status == 500
            failures += 1
    # Binomial(200, 0.5): outside 60..140 with a probability below 1e-8.
    assert 60 <= failures <= 140, failures
