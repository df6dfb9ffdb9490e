"""The phone page in real headless Chromium: a person chats with the Official Account."""

import json
import os

import pytest
from linebot.v3 import messaging

from .cdp import CHROMIUM, Browser
from .conftest import TIMEOUT

pytestmark = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                                reason=f"{CHROMIUM} is missing (the project's setup installs Debian's chromium)")


@pytest.fixture
def browser(emulator, channel):
    page = Browser(f"{emulator.base_url}/?channel={channel['channel_id']}")
    yield page
    page.close()


def fill(browser, element_id, value):
    browser.evaluate(f"document.getElementById({json.dumps(element_id)}).value = {json.dumps(value)}")


def click(browser, element_id):
    browser.evaluate(f"document.getElementById({json.dumps(element_id)}).click()")


def test_a_person_writes_from_the_phone_and_sees_the_reply(browser, emu, channel, receiver, api):
    browser.wait_for("document.body.dataset.ready === '1'")
    fill(browser, "new-user-name", "Phone Hanako")
    click(browser, "create-user")
    browser.wait_for("document.getElementById('user').selectedOptions[0]?.textContent === 'Phone Hanako'")
    browser.wait_for("document.getElementById('friend-button').textContent === 'Add friend'")
    click(browser, "friend-button")
    browser.wait_for("document.getElementById('friend-button').textContent === 'Block'")
    fill(browser, "text", "Is the shop open today?")
    click(browser, "send")

    requests_ = receiver.wait_for(2)
    follow, message = (r["body"]["events"][0] for r in requests_[:2])
    assert follow["type"] == "follow"
    assert (message["type"], message["message"]["text"]) == ("message", "Is the shop open today?")
    [user] = [u for u in emu.users(provider_id="provider-a") if u["display_name"] == "Phone Hanako"]
    assert message["source"]["userId"] == user["user_id"]
    browser.wait_for("[...document.querySelectorAll('.msg.user')]"
                     ".some(m => m.dataset.text === 'Is the shop open today?')")

    api.reply_message(messaging.ReplyMessageRequest(
        reply_token=message["replyToken"],
        messages=[messaging.TextMessage(text="Yes, until 8 pm! https://example.com/hours")]),
        _request_timeout=TIMEOUT)
    api.push_message(messaging.PushMessageRequest(
        to=user["user_id"], messages=[messaging.StickerMessage(package_id="446", sticker_id="1988")]),
        _request_timeout=TIMEOUT)
    browser.wait_for("[...document.querySelectorAll('.msg.bot')]"
                     ".some(m => m.dataset.text.startsWith('Yes, until 8 pm!'))")
    assert browser.evaluate("document.querySelector('.msg.bot a')?.href") == "https://example.com/hours"
    browser.wait_for("document.querySelector('.msg.bot[data-type=sticker] .label:not([hidden])')?.textContent === '👍'")

    browser.evaluate("document.querySelector('#stickers button[data-sticker-id=\"1989\"]').click()")
    sticker = receiver.wait_for(3)[2]["body"]["events"][0]["message"]
    assert (sticker["type"], sticker["packageId"], sticker["stickerId"]) == ("sticker", "446", "1989")
