"""The phone page in real headless Chromium: a person chats with the Official Account."""

import json
import os
import time

import pytest
from linebot.v3 import messaging
from linebot.v3.messaging import exceptions as sdk_errors

from line_emulator import media

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


def become_a_friend(browser, name):
    """On the page: create the LINE user ``name`` and add the account as a friend."""
    browser.wait_for("document.body.dataset.ready === '1'")
    fill(browser, "new-user-name", name)
    click(browser, "create-user")
    browser.wait_for(f"document.getElementById('user').selectedOptions[0]?.textContent === {json.dumps(name)}")
    browser.wait_for("document.getElementById('friend-button').textContent === 'Add friend'")
    click(browser, "friend-button")
    browser.wait_for("document.getElementById('friend-button').textContent === 'Block'")


def shown(selector):
    """JS: the message bubble at ``selector`` is on the page."""
    return f"document.querySelector({json.dumps(selector)}) !== null"


def test_a_person_writes_from_the_phone_and_sees_the_reply(browser, emu, channel, receiver, api):
    become_a_friend(browser, "Phone Hanako")
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


def test_a_person_sends_an_image_and_a_location_unsends_and_blocks(browser, emu, channel, receiver, api, blob,
                                                                   emulator, tmp_path):
    become_a_friend(browser, "Phone Taro")
    [user] = [u for u in emu.users(provider_id="provider-a") if u["display_name"] == "Phone Taro"]
    picture = tmp_path / "shop-front.png"
    picture.write_bytes(media.png(40, 30, (200, 30, 30)))

    browser.set_files("#file", picture)
    image = receiver.wait_for(2)[1]["body"]["events"][0]
    assert (image["type"], image["message"]["type"], image["source"]["userId"]) == ("message", "image", user["user_id"])
    assert image["message"]["contentProvider"] == {"type": "line"}
    assert blob.get_message_content(image["message"]["id"], _request_timeout=TIMEOUT) == picture.read_bytes()
    image_bubble = f".msg.user[data-message-id='{image['message']['id']}']"
    browser.wait_for(f"document.querySelector(\"{image_bubble} img.media\")?.naturalWidth === 40")

    # The business answers with a picture: it appears on the phone.
    avatar = f"{emulator.base_url}/_emulator/avatars/{channel['bot_user_id']}.png"
    api.reply_message(messaging.ReplyMessageRequest(reply_token=image["replyToken"], messages=[
        messaging.ImageMessage(original_content_url=avatar, preview_image_url=avatar)]), _request_timeout=TIMEOUT)
    browser.wait_for(f"document.querySelector('.msg.bot[data-type=image] img.media')?.src === {json.dumps(avatar)}")
    browser.wait_for("document.querySelector('.msg.bot[data-type=image] img.media').naturalWidth > 0")

    click(browser, "location-button")
    browser.wait_for("!document.getElementById('location').hidden")
    fill(browser, "location-title", "Dotonbori")
    fill(browser, "location-address", "Chuo-ku, Osaka")
    fill(browser, "location-latitude", "34.6687")
    fill(browser, "location-longitude", "135.5013")
    browser.evaluate("document.querySelector('#location button[type=submit]').click()")
    location = receiver.wait_for(3)[2]["body"]["events"][0]["message"]
    assert (location["type"], location["title"], location["address"]) == ("location", "Dotonbori", "Chuo-ku, Osaka")
    assert (location["latitude"], location["longitude"]) == (34.6687, 135.5013)
    browser.wait_for(f"document.querySelector(\".msg.user[data-message-id='{location['id']}']\")"
                     "?.textContent.includes('📍 Dotonbori')")

    browser.evaluate(f"document.querySelector(\"{image_bubble} button.unsend\").click()")
    unsend = receiver.wait_for(4)[3]["body"]["events"][0]
    assert (unsend["type"], unsend["unsend"]) == ("unsend", {"messageId": image["message"]["id"]})
    browser.wait_for(f"document.querySelector(\"{image_bubble}\")?.classList.contains('unsent')")
    assert browser.evaluate(f"document.querySelector(\"{image_bubble}\").textContent").startswith("message unsent")
    assert browser.evaluate(f"document.querySelector(\"{image_bubble} img\")") is None
    with pytest.raises(sdk_errors.ApiException) as caught:
        blob.get_message_content(image["message"]["id"], _request_timeout=TIMEOUT)
    assert caught.value.status == 410

    click(browser, "friend-button")
    blocked = receiver.wait_for(5)[4]["body"]["events"][0]
    assert (blocked["type"], blocked["source"]["userId"]) == ("unfollow", user["user_id"])
    browser.wait_for("document.getElementById('friend-button').textContent === 'Unblock'")
    assert browser.evaluate("document.getElementById('friend-state').textContent") == "blocked"
    browser.wait_for("[...document.querySelectorAll('.msg.system')].some(m => m.textContent === 'blocked the account')")
    assert browser.evaluate(shown(f".msg.user[data-message-id='{location['id']}']"))  # the conversation stays
    api.push_message(messaging.PushMessageRequest(
        to=user["user_id"], messages=[messaging.TextMessage(text="Come back")]), _request_timeout=TIMEOUT)
    assert [s["delivered"] for s in emu.sent(user_id=user["user_id"]) if s["kind"] == "push"] == [False]


def displayed(element_id):
    """JS: how the element ``element_id`` is displayed ('none' when hidden)."""
    return f"getComputedStyle(document.getElementById({json.dumps(element_id)})).display"


def test_the_sticker_tray_and_location_form_open_only_when_asked(browser):
    become_a_friend(browser, "Phone Jiro")
    assert browser.evaluate(displayed("stickers")) == "none"
    assert browser.evaluate(displayed("location")) == "none"
    click(browser, "sticker-button")
    assert browser.evaluate(displayed("stickers")) == "grid"
    click(browser, "sticker-button")
    assert browser.evaluate(displayed("stickers")) == "none"
    click(browser, "location-button")
    assert browser.evaluate(displayed("location")) == "grid"


def test_after_a_reload_the_phone_shows_the_same_person_s_newest_message(browser, emu, channel, api, emulator):
    # Someone else is first in the page's list of users: a reload must not switch to them.
    other = emu.create_user(provider_id="provider-a", display_name="Phone Ichiro")
    emu.follow(channel["channel_id"], other["user_id"])
    become_a_friend(browser, "Phone Saburo")
    [user] = [u for u in emu.users(provider_id="provider-a") if u["display_name"] == "Phone Saburo"]
    for number in range(25):
        emu.send_text(channel["channel_id"], user["user_id"], f"Question {number}")
    # The newest message is a picture: it grows the conversation after the bubbles are drawn.
    avatar = f"{emulator.base_url}/_emulator/avatars/{channel['bot_user_id']}.png"
    api.push_message(messaging.PushMessageRequest(to=user["user_id"], messages=[
        messaging.ImageMessage(original_content_url=avatar, preview_image_url=avatar)]), _request_timeout=TIMEOUT)
    browser.wait_for("document.querySelector('.msg.bot[data-type=image] img.media')?.naturalWidth > 0")

    # As on a first visit: the picture comes over the network again, after the bubbles are drawn.
    browser.send("Network.enable")
    browser.send("Network.setCacheDisabled", cacheDisabled=True)
    browser.evaluate("window.beforeReload = true; location.reload()")
    browser.wait_for("!window.beforeReload && document.body.dataset.ready === '1'")
    browser.wait_for("document.querySelector('.msg.bot[data-type=image] img.media')?.complete")
    assert browser.evaluate("document.getElementById('user').selectedOptions[0].textContent") == "Phone Saburo"
    at_bottom = ("(box => box.scrollHeight > box.clientHeight"
                 " && box.scrollHeight - box.scrollTop - box.clientHeight < 2)(document.getElementById('messages'))")
    browser.wait_for(at_bottom, timeout=3)
    # Still there a moment later: nothing that loads late pushes the newest message out of view.
    time.sleep(1.5)
    assert browser.evaluate(at_bottom)


def test_quick_replies_show_under_the_newest_message_and_a_tap_sends_their_text(browser, emu, channel, receiver, api):
    become_a_friend(browser, "Quick Hanako")
    [user] = [u for u in emu.users(provider_id="provider-a") if u["display_name"] == "Quick Hanako"]
    items = [messaging.QuickReplyItem(action=messaging.MessageAction(label=label, text=text))
             for label, text in (("今日", "今日でお願いします"), ("明日", "明日でお願いします"))]
    api.push_message(messaging.PushMessageRequest(to=user["user_id"], messages=[
        messaging.TextMessage(text="ご希望の日は?", quick_reply=messaging.QuickReply(items=items))]),
        _request_timeout=TIMEOUT)
    browser.wait_for("[...document.querySelectorAll('#quick-replies:not([hidden]) button.quick-reply')]"
                     ".map(b => b.textContent).join(',') === '今日,明日'")

    browser.evaluate("document.querySelectorAll('#quick-replies button.quick-reply')[1].click()")
    tapped = receiver.wait_for(2)[1]["body"]["events"][0]["message"]
    assert (tapped["type"], tapped["text"]) == ("text", "明日でお願いします")
    browser.wait_for("document.getElementById('quick-replies').hidden")

    # Another message without quick replies: the earlier buttons do not come back.
    api.push_message(messaging.PushMessageRequest(to=user["user_id"], messages=[
        messaging.TextMessage(text="かしこまりました")]), _request_timeout=TIMEOUT)
    browser.wait_for("[...document.querySelectorAll('.msg.bot')].some(m => m.dataset.text === 'かしこまりました')")
    assert browser.evaluate("document.getElementById('quick-replies').hidden")


def test_a_customer_adds_the_replacing_account_from_the_friend_link_they_were_sent(browser, emu, channel, receiver,
                                                                                   api):
    """The business sends the new account's add-friend link; tapping it opens that account, as the same person."""
    become_a_friend(browser, "Phone Shiro")
    [user] = [u for u in emu.users(provider_id="provider-a") if u["display_name"] == "Phone Shiro"]
    for provider, same_id in (("provider-a", True), ("provider-b", False)):
        new = emu.replace_channel(channel["channel_id"], provider_id=provider, webhook_url=receiver.url,
                                  display_name=f"Test Shop ({provider})")
        link = "https://line.me/R/ti/p/" + new["basic_id"].replace("@", "%40")
        api.push_message(messaging.PushMessageRequest(
            to=user["user_id"], messages=[messaging.TextMessage(text=f"We have a new account: {link}")]),
            _request_timeout=TIMEOUT)
        browser.wait_for(shown(f".msg.bot a.friend-link[data-basic-id='{new['basic_id']}']"))
        before = len(receiver.requests)
        browser.evaluate(f"document.querySelector('a.friend-link[data-basic-id=\"{new['basic_id']}\"]').click()")
        browser.wait_for(f"document.getElementById('channel').value === {json.dumps(new['channel_id'])}")
        browser.wait_for("document.getElementById('friend-button').textContent === 'Add friend'")
        assert browser.evaluate("document.getElementById('user').selectedOptions[0].textContent") == "Phone Shiro"
        click(browser, "friend-button")
        follow = receiver.wait_for(before + 1)[before]["body"]
        assert follow["destination"] == new["bot_user_id"]
        assert (follow["events"][0]["source"]["userId"] == user["user_id"]) is same_id, provider
        # Back to the old account for the next round: the same person again, with their old user ID.
        fill(browser, "channel", channel["channel_id"])
        browser.evaluate("document.getElementById('channel').dispatchEvent(new Event('change'))")
        browser.wait_for(f"new URL(location.href).searchParams.get('user') === {json.dumps(user['user_id'])}")
