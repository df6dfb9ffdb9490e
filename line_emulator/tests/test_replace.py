"""Replacing an Official Account: a new channel of its own, and who the customers are there.

LINE gives a person one user ID per provider: the same ID on every channel of one provider, another
under another provider (so only a person can tell that two IDs are the same customer).
"""

import pytest

from line_emulator.client import EmulatorClientError


def test_a_replacing_account_is_a_new_channel_with_its_own_ids(emu, channel):
    new = emu.replace_channel(channel["channel_id"], display_name="Test Shop (new)")
    assert new["replaces"] == channel["channel_id"]
    for key in ("channel_id", "channel_secret", "bot_user_id", "basic_id"):
        assert new[key] and new[key] != channel[key], key
    assert (new["provider_id"], new["display_name"]) == ("provider-a", "Test Shop (new)")
    assert new["webhook_url"] is None, "each channel has its own webhook URL, set for it"
    assert emu.channel(channel["channel_id"])["replaces"] is None, "the old account goes on at LINE"
    with pytest.raises(EmulatorClientError) as caught:
        emu.replace_channel("1")
    assert caught.value.status == 404


def test_under_the_same_provider_a_customer_keeps_their_user_id(emu, channel, friend, receiver):
    new = emu.replace_channel(channel["channel_id"], webhook_url=receiver.url)
    assert emu.user_under(friend["user_id"], "provider-a")["user_id"] == friend["user_id"]
    emu.follow(new["channel_id"], friend["user_id"])
    follow = receiver.wait_for(2)[-1]
    assert follow["body"]["destination"] == new["bot_user_id"]
    assert follow["body"]["events"][0]["source"]["userId"] == friend["user_id"]
    friends = {u["user_id"]: u["friend_state"] for u in emu.users(channel_id=new["channel_id"])}
    assert friends[friend["user_id"]] == "friend"


def test_under_another_provider_the_same_person_has_another_user_id(emu, channel, friend, receiver, emulator):
    new = emu.replace_channel(channel["channel_id"], provider_id="provider-b", webhook_url=receiver.url)
    assert new["provider_id"] == "provider-b"
    other = emu.user_under(friend["user_id"], "provider-b")
    assert other["user_id"] != friend["user_id"] and other["person_id"] == friend["person_id"]
    assert other["display_name"] == "Hanako"
    assert emu.user_under(friend["user_id"], "provider-b") == other, "one user ID per provider, made once"
    assert emu.user_under(other["user_id"], "provider-a")["user_id"] == friend["user_id"]
    emu.follow(new["channel_id"], other["user_id"])
    assert receiver.wait_for(1)[-1]["body"]["events"][0]["source"]["userId"] == other["user_id"]
