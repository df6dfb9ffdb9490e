import json
import threading
from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import LineHttpCase

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@tagged("post_install", "-at_install")
class TestInbound(LineHttpCase):
    """What LINE customers send becomes Discuss conversations, through the real webhook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.responsible_user_ids = cls.operator
        cls.emu.update_channel(cls.emu_channel["channel_id"], webhook_url=cls.line_channel.webhook_url,
                               webhook_active=True)
        cls.channel_id = cls.emu_channel["channel_id"]

    def setUp(self):
        super().setUp()
        self.hanako = self.emu.create_user(provider_id="provider-osaka", display_name="Hanako Yamada",
                                           language="ja")

    # -- helpers -----------------------------------------------------------------

    def process(self):
        self.env["line.event"]._cron_process_events()

    def conversation_of(self, user):
        return self.env["discuss.channel"].search([("line_identity_id.line_user_id", "=", user["user_id"])])

    def customer_messages(self, conversation):
        bot = self.env.ref("base.partner_root")  # OdooBot's notes (a new friend) count as unread: not theirs
        return conversation.message_ids.filtered(
            lambda m: m.message_type == "comment" and m.author_id != bot).sorted("id")

    def content_calls(self, line_message_id):
        return [call for call in self.emu.calls(self.channel_id, endpoint="content")
                if f"/{line_message_id}/" in call["path"]]

    def assertDelivered(self, result):
        self.assertEqual(result["delivery"]["status_code"], 200, result)

    # -- text and the conversation -------------------------------------------------

    def test_first_message_makes_identity_and_conversation(self):
        self.emu.follow(self.channel_id, self.hanako["user_id"])
        self.assertDelivered(self.emu.send_text(self.channel_id, self.hanako["user_id"], "こんにちは (love)"))
        self.process()
        identity = self.env["line.identity"].search([("line_user_id", "=", self.hanako["user_id"])])
        self.assertEqual(identity.name, "Hanako Yamada")
        self.assertEqual(identity.language, "ja")
        self.assertEqual(identity.friend_state, "friend")
        self.assertTrue(identity.image_128, "the LINE picture becomes the avatar")
        conversation = self.conversation_of(self.hanako)
        self.assertEqual(conversation.channel_type, "line")
        self.assertEqual(conversation.name, "Hanako Yamada")
        self.assertEqual(conversation.line_channel_id, self.line_channel)
        self.assertIn(self.operator.partner_id, conversation.channel_member_ids.partner_id)
        self.assertIn(identity.guest_id, conversation.channel_member_ids.guest_id)
        self.assertNotIn(self.env.ref("base.partner_root"), conversation.channel_member_ids.partner_id,
                         "the LINE job's OdooBot is not told of every message")
        message = self.customer_messages(conversation)
        self.assertEqual(len(message), 1)
        self.assertIn("こんにちは (love)", message.body)
        self.assertEqual(message.author_guest_id, identity.guest_id)
        self.assertFalse(message.author_id)
        self.assertTrue(message.line_message_id)
        self.assertTrue(message.sudo().line_mark_as_read_token)

    def test_operator_sees_the_conversation_in_discuss(self):
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "hello")
        self.process()
        conversation = self.conversation_of(self.hanako)
        member = conversation.channel_member_ids.filtered(lambda m: m.partner_id == self.operator.partner_id)
        self.assertTrue(member.is_pinned)
        self.assertEqual(member.message_unread_counter, 1)
        as_operator = self.env["discuss.channel"].with_user(self.operator)._get_channels_as_member()
        self.assertIn(conversation, as_operator)

    def test_linked_customer_writes_as_the_contact(self):
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "first")
        self.process()
        partner = self.env["res.partner"].create({"name": "Hanako Yamada (customer)"})
        self.conversation_of(self.hanako).line_identity_id.partner_id = partner
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "second")
        self.process()
        self.assertEqual(self.customer_messages(self.conversation_of(self.hanako))[-1].author_id, partner)

    def test_same_provider_same_identity_other_channel_other_conversation(self):
        other, emu_other = self._make_channel("Osaka Store 2", provider_id="provider-osaka")
        self.emu.update_channel(emu_other["channel_id"], webhook_url=other.webhook_url)
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "to the first")
        self.emu.send_text(emu_other["channel_id"], self.hanako["user_id"], "to the second")
        self.process()
        identity = self.env["line.identity"].search([("line_user_id", "=", self.hanako["user_id"])])
        self.assertEqual(len(identity), 1)
        self.assertEqual(len(identity.conversation_ids), 2)

    # -- exactly once ------------------------------------------------------------

    def test_redelivery_and_duplicates_give_one_message(self):
        result = self.emu.send_text(self.channel_id, self.hanako["user_id"], "only once")
        event = result["events"][0]
        self.emu.deliver_raw(self.channel_id, [event])  # a duplicate, as LINE may send
        redelivered = dict(event, deliveryContext={"isRedelivery": True})
        self.emu.deliver_raw(self.channel_id, [redelivered])
        self.process()
        self.assertEqual(self.env["line.event"].search_count([("webhook_event_id", "=", event["webhookEventId"])]), 1)
        self.assertEqual(len(self.customer_messages(self.conversation_of(self.hanako))), 1)

    def test_concurrent_first_messages_give_one_identity(self):
        newcomer = self.emu.create_user(provider_id="provider-osaka", display_name="Taro")
        events = [self.emu.build_event(self.channel_id, newcomer["user_id"], "text", text=f"msg {i}")
                  for i in range(4)]
        results = []

        def deliver(event):
            results.append(self.emu.deliver_raw(self.channel_id, [event]))

        threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(r["status_code"] for r in results), [200] * 4)
        self.process()
        identities = self.env["line.identity"].search([("line_user_id", "=", newcomer["user_id"])])
        self.assertEqual(len(identities), 1)
        self.assertEqual(len(identities.conversation_ids), 1)
        self.assertEqual(len(self.customer_messages(identities.conversation_ids)), 4)

    def test_messages_are_posted_in_line_timestamp_order(self):
        late = self.emu.build_event(self.channel_id, self.hanako["user_id"], "text", text="second", timestamp=2000)
        early = self.emu.build_event(self.channel_id, self.hanako["user_id"], "text", text="first", timestamp=1000)
        self.emu.deliver_raw(self.channel_id, [late, early])
        self.process()
        bodies = self.customer_messages(self.conversation_of(self.hanako)).mapped("body")
        self.assertIn("first", bodies[0])
        self.assertIn("second", bodies[1])

    def test_processing_jobs_share_every_customer(self):
        """The processing jobs share the events: a burst wakes each of them, and either one alone
        takes every customer's events, each customer's in order."""
        crons = self.env["line.event"]._queue_jobs()
        Trigger = self.env["ir.cron.trigger"].sudo()
        last_trigger = Trigger.search([], order="id desc", limit=1).id or 0
        customers = [self.emu.create_user(provider_id="provider-osaka", display_name=f"P{i}") for i in range(6)]
        for customer in customers:
            for text in ("one", "two"):
                self.emu.send_text(self.channel_id, customer["user_id"], text)
        self.assertEqual(Trigger.search([("id", ">", last_trigger)]).cron_id, crons, "every job is woken")
        self.env["line.event"].with_context(cron_id=crons[-1].id)._cron_process_events()
        events = self.env["line.event"].search([("line_user_id", "in", [c["user_id"] for c in customers])])
        self.assertEqual(set(events.mapped("state")), {"done"})
        for customer in customers:
            bodies = self.customer_messages(self.conversation_of(customer)).mapped("body")
            self.assertEqual([str(body) for body in bodies], ["<p>one</p>", "<p>two</p>"])

    def test_a_run_never_takes_an_event_another_run_set_to_wait(self):
        """A run lists what is due, then another run sets one of those events to wait (an image
        set, a race): the first run leaves it, and the customer's later events, to their time."""
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "first")
        event = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])])
        self.assertTrue(event._queue_lock())
        event.next_attempt = datetime.now() + timedelta(minutes=1)
        self.env.flush_all()
        self.assertIsNone(event._queue_lock())

    def test_standby_is_stored_shown_and_never_answered(self):
        self.emu.update_channel(self.channel_id, mode="standby")
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "someone else answers")
        self.emu.update_channel(self.channel_id, mode="active")
        event = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])])
        self.assertEqual(event.mode, "standby")
        self.assertFalse(event.reply_token)
        self.process()
        conversation = self.conversation_of(self.hanako)
        self.assertIn("someone else answers", self.customer_messages(conversation).body, "kept for the record")
        self.assertTrue(conversation.line_standby)
        answer = conversation.with_user(self.operator).message_post(
            body="Can I help?", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_process_queue()
        self.assertEqual(answer.notification_ids.filtered(lambda n: n.notification_type == "line").failure_type,
                         "line_standby", "the operator sees why it was not sent")
        self.assertFalse(self.emu.sent(self.channel_id, user_id=self.hanako["user_id"]))
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "back to the shop's own chat")
        self.process()
        self.assertFalse(conversation.line_standby, "an active event lets Odoo answer again")

    # -- media -----------------------------------------------------------------------

    def test_image_is_downloaded_with_bytes_and_mimetype(self):
        self.emu.send_image(self.channel_id, self.hanako["user_id"], PNG)
        self.process()
        attachment = self.customer_messages(self.conversation_of(self.hanako)).attachment_ids
        self.assertEqual(attachment.raw, PNG)
        self.assertEqual(attachment.mimetype, "image/png")
        self.assertTrue(attachment.name.endswith(".png"))

    def test_file_keeps_its_name(self):
        data = b"%PDF-1.4 quote"
        self.emu.send_file(self.channel_id, self.hanako["user_id"], data, file_name="見積書.pdf")
        self.process()
        attachment = self.customer_messages(self.conversation_of(self.hanako)).attachment_ids
        self.assertEqual((attachment.name, attachment.raw), ("見積書.pdf", data))

    def test_video_waits_until_line_has_transcoded_it(self):
        self.emu.update_channel(self.channel_id, transcoding_polls=1)
        self.addCleanup(self.emu.update_channel, self.channel_id, transcoding_polls=0)
        video = b"\x00\x00\x00\x18ftypmp42" + b"v" * 100
        self.emu.send_video(self.channel_id, self.hanako["user_id"], video)
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "Did you get my video?")
        self.process()
        event = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"]),
                                               ("message_type", "=", "video")])
        self.assertEqual(event.state, "new", "202: not ready, tried again shortly")
        self.assertTrue(event.next_attempt)
        # The operator sees the video's place at once, before the question about it.
        posted, question = self.customer_messages(self.conversation_of(self.hanako))
        self.assertIn("still preparing this video", posted.body)
        self.assertIn("Did you get my video?", question.body)
        event.next_attempt = False
        self.process()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.customer_messages(self.conversation_of(self.hanako)), posted | question)
        self.assertEqual(posted.attachment_ids.raw, video)
        self.assertNotIn("still preparing", posted.body)

    def test_image_set_is_one_message_in_order(self):
        images = [PNG + bytes([i]) for i in range(3)]
        events = [self.emu.build_event(self.channel_id, self.hanako["user_id"], "image", data=data,
                                       image_set={"id": "SET1", "index": i + 1, "total": 3})
                  for i, data in enumerate(images)]
        self.emu.deliver_raw(self.channel_id, [events[2], events[0], events[1]])
        self.process()
        messages = self.customer_messages(self.conversation_of(self.hanako))
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages.attachment_ids.sorted("id").mapped("raw"), images)

    def test_sticker_and_location(self):
        self.emu.send_sticker(self.channel_id, self.hanako["user_id"], package_id="446", sticker_id="1988",
                              keywords=["happy"])
        self.emu.send_location(self.channel_id, self.hanako["user_id"], title="Osaka Castle",
                               address="1-1 Osakajo, Chuo-ku", latitude=34.6873, longitude=135.5262)
        self.process()
        sticker, location = self.customer_messages(self.conversation_of(self.hanako))
        self.assertIn("sticker/1988/", sticker.body)
        self.assertIn("happy", sticker.body)
        self.assertIn("Osaka Castle", location.body)
        self.assertIn("34.6873", location.body)

    def test_image_of_a_set_arriving_after_the_set_was_posted_joins_it(self):
        images = [PNG + bytes([i]) for i in range(3)]
        events = [self.emu.build_event(self.channel_id, self.hanako["user_id"], "image", data=data,
                                       image_set={"id": "LATE", "index": i + 1, "total": 3})
                  for i, data in enumerate(images)]
        self.emu.deliver_raw(self.channel_id, events[:2])
        stored = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])])
        # LINE did not send the third in time
        self.env.cr.execute("UPDATE line_event SET create_date = %s WHERE id IN %s",
                            (datetime.now() - timedelta(minutes=5), tuple(stored.ids)))
        stored.invalidate_recordset(["create_date"])
        self.process()
        [message] = self.customer_messages(self.conversation_of(self.hanako))
        self.assertEqual(len(message.attachment_ids), 2, "posted with the images that came")
        self.emu.deliver_raw(self.channel_id, events[2:])
        self.process()
        self.assertEqual(self.customer_messages(self.conversation_of(self.hanako)), message)
        self.assertEqual(message.attachment_ids.sorted("id").mapped("raw"), images)

    def test_an_image_set_being_completed_holds_back_the_next_message(self):
        events = [self.emu.build_event(self.channel_id, self.hanako["user_id"], "image", data=PNG + bytes([i]),
                                       image_set={"id": "HOLD", "index": i + 1, "total": 3}, timestamp=1000 + i)
                  for i in range(3)]
        question = self.emu.build_event(self.channel_id, self.hanako["user_id"], "text", text="Which one?",
                                        timestamp=2000)
        self.emu.deliver_raw(self.channel_id, [events[0], events[1], question])
        self.process()
        self.assertFalse(self.customer_messages(self.conversation_of(self.hanako)),
                         "the question waits for the images it is about")
        self.emu.deliver_raw(self.channel_id, [events[2]])
        self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])]).next_attempt = False
        self.process()
        images, text = self.customer_messages(self.conversation_of(self.hanako))
        self.assertEqual(len(images.attachment_ids), 3)
        self.assertIn("Which one?", text.body)

    def test_external_content_is_kept_as_a_link(self):
        url = "https://cdn.example.com/photos/osaka.jpg"
        self.emu.send_image(self.channel_id, self.hanako["user_id"], content_provider={
            "type": "external", "originalContentUrl": url, "previewImageUrl": url})
        self.process()
        message = self.customer_messages(self.conversation_of(self.hanako))
        self.assertIn(f'href="{url}"', message.body)
        self.assertFalse(message.attachment_ids)
        message_id = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])]).line_message_id
        self.assertFalse(self.content_calls(message_id), "nothing to fetch from LINE")

    def test_audio_arrives_as_a_file_to_play(self):
        audio = b"\x00\x00\x00\x20ftypM4A " + b"a" * 64
        self.emu.send_audio(self.channel_id, self.hanako["user_id"], audio, content_type="audio/x-m4a")
        self.process()
        attachment = self.customer_messages(self.conversation_of(self.hanako)).attachment_ids
        self.assertEqual((attachment.raw, attachment.mimetype), (audio, "audio/x-m4a"))

    # -- follow, block, unsend, edit -------------------------------------------------

    def test_follow_block_unblock(self):
        self.emu.follow(self.channel_id, self.hanako["user_id"])
        self.process()
        identity = self.env["line.identity"].search([("line_user_id", "=", self.hanako["user_id"])])
        self.assertEqual(identity.friend_state, "friend")
        self.emu.unfollow(self.channel_id, self.hanako["user_id"])
        self.process()
        self.assertEqual(identity.friend_state, "blocked")
        self.assertIn("blocked the account", self.conversation_of(self.hanako).message_ids[0].body)
        self.emu.follow(self.channel_id, self.hanako["user_id"])
        self.process()
        self.assertEqual(identity.friend_state, "friend")
        self.assertIn("unblocked", self.conversation_of(self.hanako).message_ids[0].body)

    def test_unsend_removes_text_and_files(self):
        sent = self.emu.send_image(self.channel_id, self.hanako["user_id"], PNG)
        self.process()
        message = self.customer_messages(self.conversation_of(self.hanako))
        attachment = message.attachment_ids
        self.emu.unsend(self.channel_id, self.hanako["user_id"], sent["events"][0]["message"]["id"])
        self.process()
        self.assertIn("message unsent", message.body)
        self.assertFalse(message.attachment_ids)
        self.assertFalse(attachment.exists())

    def test_image_unsent_before_it_was_fetched(self):
        sent = self.emu.send_image(self.channel_id, self.hanako["user_id"], PNG)
        self.emu.unsend(self.channel_id, self.hanako["user_id"], sent["events"][0]["message"]["id"])
        image = self.env["line.event"].search([("message_type", "=", "image"),
                                              ("line_user_id", "=", self.hanako["user_id"])])
        image._queue_process_one()  # fetched after LINE forgot it (410), before the unsend is read
        [message] = self.customer_messages(self.conversation_of(self.hanako))
        self.assertIn("message unsent", message.body)
        self.assertFalse(message.attachment_ids)
        self.process()
        self.assertEqual(len(self.customer_messages(self.conversation_of(self.hanako))), 1)

    def test_edits_keep_the_latest(self):
        sent = self.emu.send_text(self.channel_id, self.hanako["user_id"], "original")
        message_id = sent["events"][0]["message"]["id"]
        base = sent["events"][0]["timestamp"]
        edits = [self.emu.build_event(self.channel_id, self.hanako["user_id"], "messageEdited",
                                      message_id=message_id, text=text, timestamp=base + delta)
                 for text, delta in (("latest edit", 3000), ("older edit", 1000))]
        self.emu.deliver_raw(self.channel_id, edits)
        self.process()
        self.assertIn("latest edit", self.customer_messages(self.conversation_of(self.hanako)).body)

    def test_unsent_before_its_message_was_processed_its_content_is_not_kept(self):
        message_event = self.emu.build_event(self.channel_id, self.hanako["user_id"], "image", data=PNG)
        line_message_id = message_event["message"]["id"]
        unsend = self.emu.build_event(self.channel_id, self.hanako["user_id"], "unsend", message_id=line_message_id,
                                      timestamp=message_event["timestamp"] + 1000)
        self.emu.deliver_raw(self.channel_id, [unsend])  # the message's own delivery failed: LINE redelivers it
        self.process()
        self.emu.deliver_raw(self.channel_id, [message_event], redeliver=True)
        self.process()
        [message] = self.customer_messages(self.conversation_of(self.hanako))
        self.assertIn("message unsent", message.body)
        self.assertFalse(message.attachment_ids)
        self.assertFalse(self.content_calls(line_message_id), "the unsent image is not fetched")

    def test_edit_before_its_message_was_processed_shows_the_edit(self):
        group = {"type": "group", "groupId": "C" + "e" * 32, "userId": self.hanako["user_id"]}
        original = self.emu.build_event(self.channel_id, self.hanako["user_id"], "text", text="typo", source=group)
        edit = self.emu.build_event(self.channel_id, self.hanako["user_id"], "messageEdited", source=group,
                                    message_id=original["message"]["id"], text="fixed",
                                    timestamp=original["timestamp"] + 1000)
        self.emu.deliver_raw(self.channel_id, [edit])
        self.process()
        self.emu.deliver_raw(self.channel_id, [original], redeliver=True)
        self.process()
        conversation = self.env["discuss.channel"].search([("line_chat_id", "=", group["groupId"])])
        [message] = self.customer_messages(conversation)
        self.assertIn("fixed", message.body)

    def test_an_older_edit_arriving_last_changes_nothing(self):
        sent = self.emu.send_text(self.channel_id, self.hanako["user_id"], "original")
        message_id, base = sent["events"][0]["message"]["id"], sent["events"][0]["timestamp"]
        for text, delta in (("latest edit", 3000), ("older edit", 1000)):  # each in its own webhook, late
            self.emu.deliver_raw(self.channel_id, [self.emu.build_event(
                self.channel_id, self.hanako["user_id"], "messageEdited", message_id=message_id, text=text,
                timestamp=base + delta)])
            self.process()
        self.assertIn("latest edit", self.customer_messages(self.conversation_of(self.hanako)).body)

    # -- profiles, rooms -----------------------------------------------------------

    def test_profile_is_refreshed_daily_and_on_follow(self):
        self.emu.follow(self.channel_id, self.hanako["user_id"])
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "hello")
        self.process()
        identity = self.conversation_of(self.hanako).line_identity_id
        self.emu.update_user(self.hanako["user_id"], display_name="Hanako Y.", status_message="Off to Kyoto")
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "an hour later")
        self.process()
        self.assertEqual(identity.name, "Hanako Yamada", "no profile call for every message")
        identity.profile_date = datetime.now() - timedelta(days=2)
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "two days later")
        self.process()
        self.assertEqual((identity.name, identity.status_message), ("Hanako Y.", "Off to Kyoto"))
        self.assertEqual(self.conversation_of(self.hanako).name, "Hanako Y.")
        self.emu.update_user(self.hanako["user_id"], display_name="Hanako")
        self.emu.unfollow(self.channel_id, self.hanako["user_id"])
        self.emu.follow(self.channel_id, self.hanako["user_id"])
        self.process()
        self.assertEqual(identity.name, "Hanako", "a follow fetches the profile again")

    def test_a_chat_room_is_one_conversation(self):
        room = {"type": "room", "roomId": "R" + "r" * 32}
        taro = self.emu.create_user(provider_id="provider-osaka", display_name="Taro")
        for user in (self.hanako, taro):
            self.emu.send_text(self.channel_id, user["user_id"], "in the room",
                               source=dict(room, userId=user["user_id"]))
        self.process()
        conversation = self.env["discuss.channel"].search([("line_chat_id", "=", room["roomId"])])
        self.assertEqual(len(conversation), 1)
        self.assertIn("LINE chat room", conversation.name)
        self.assertEqual(len(self.customer_messages(conversation)), 2)

    # -- groups, unknown types, failures ------------------------------------------

    def test_group_chat_is_one_conversation_with_named_senders(self):
        taro = self.emu.create_user(provider_id="provider-osaka", display_name="Taro")
        group = {"type": "group", "groupId": "C" + "a" * 32}
        for user, text in ((self.hanako, "hi all"), (taro, "hello")):
            self.emu.send_text(self.channel_id, user["user_id"], text, source=dict(group, userId=user["user_id"]))
        self.process()
        conversation = self.env["discuss.channel"].search([("line_chat_id", "=", group["groupId"])])
        self.assertEqual(len(conversation), 1)
        authors = self.customer_messages(conversation).author_guest_id.mapped("name")
        self.assertEqual(sorted(authors), ["Hanako Yamada", "Taro"])

    def test_group_life_postback_and_unnamed_senders(self):
        joined = self.emu.group_event(self.channel_id, "join")
        chat_id = joined["chat_id"]
        self.emu.group_event(self.channel_id, "memberJoined", chat_id=chat_id, user_ids=[self.hanako["user_id"]])
        self.process()  # LINE names a member only while they are in the group
        # LINE leaves userId out for a member who has not agreed to share it: their file is kept all the same.
        self.emu.send_image(self.channel_id, self.hanako["user_id"], PNG, source={"type": "group", "groupId": chat_id})
        self.emu.group_event(self.channel_id, "memberLeft", chat_id=chat_id, user_ids=[self.hanako["user_id"]])
        self.emu.group_event(self.channel_id, "leave", chat_id=chat_id)
        self.emu.postback(self.channel_id, self.hanako["user_id"], "action=reserve&date=2026-12-01")
        self.process()
        group = self.env["discuss.channel"].search([("line_chat_id", "=", chat_id)])
        notes = group.message_ids.sorted("id")
        self.assertEqual(len(notes), 5)
        self.assertIn("The account joined", notes[0].body)
        self.assertIn("Hanako Yamada joined", notes[1].body)
        self.assertEqual(notes[2].attachment_ids.mimetype, "image/png")
        self.assertIn("Hanako Yamada left", notes[3].body)
        self.assertIn("The account left", notes[4].body)
        postback = self.conversation_of(self.hanako).message_ids[0]
        self.assertIn("action=reserve&amp;date=2026-12-01", postback.body)

    def test_unknown_event_and_message_types_are_kept_and_said(self):
        event = self.emu.build_event(self.channel_id, self.hanako["user_id"], "text", text="x")
        futuristic = dict(event, type="hologram", webhookEventId=event["webhookEventId"] + "H")
        futuristic.pop("message")
        odd = dict(event, message={"id": "999", "type": "smell", "scent": "yuzu"})
        self.assertEqual(self.emu.deliver_raw(self.channel_id, [futuristic, odd])["status_code"], 200)
        self.process()
        stored = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])])
        self.assertEqual(set(stored.mapped("state")), {"done"})
        self.assertIn("yuzu", " ".join(stored.mapped("payload")))
        bodies = " ".join(self.conversation_of(self.hanako).message_ids.mapped("body"))
        self.assertIn("Unsupported LINE event hologram", bodies)
        self.assertIn("Unsupported LINE message smell", bodies)

    def test_failing_event_is_retried_then_parked_and_can_be_reprocessed(self):
        event = self.emu.build_event(self.channel_id, self.hanako["user_id"], "text", text="x")
        event["message"] = "not an object"
        self.emu.deliver_raw(self.channel_id, [event])
        stored = self.env["line.event"].search([("webhook_event_id", "=", event["webhookEventId"])])
        for _attempt in range(5):
            stored.next_attempt = False
            self.process()
        self.assertEqual((stored.state, stored.attempts), ("failed", 5))
        self.assertIn("Error", stored.error)
        stored.action_reprocess()
        self.assertEqual((stored.state, stored.attempts), ("new", 0))

    def test_later_messages_wait_for_an_earlier_one_being_retried(self):
        """LINE failed once on the image's download: the texts sent after it wait, and all three
        are shown in the order the customer sent them."""
        self.emu.set_fault("content", "500", rate=1.0)
        self.emu.send_image(self.channel_id, self.hanako["user_id"], PNG)
        for text in ("look at this", "what do you think?"):
            self.emu.send_text(self.channel_id, self.hanako["user_id"], text)
        self.process()
        self.assertFalse(self.customer_messages(self.conversation_of(self.hanako)), "nothing overtakes the image")
        self.emu.clear_faults()
        self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])]).next_attempt = False
        self.process()
        first, second, third = self.customer_messages(self.conversation_of(self.hanako))
        self.assertEqual(first.attachment_ids.raw, PNG)
        self.assertIn("look at this", second.body)
        self.assertIn("what do you think?", third.body)

    def test_a_failing_event_holds_back_the_customer_until_it_is_parked(self):
        self.emu.set_fault("content", "500", rate=1.0)
        self.addCleanup(self.emu.clear_faults)
        self.emu.send_image(self.channel_id, self.hanako["user_id"], PNG)
        self.emu.send_text(self.channel_id, self.hanako["user_id"], "still here")
        image = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"]),
                                               ("message_type", "=", "image")])
        for attempt in range(1, 6):
            self.assertFalse(self.customer_messages(self.conversation_of(self.hanako)), f"waits ({attempt})")
            image.next_attempt = False
            self.process()
        self.assertEqual((image.state, image.attempts), ("failed", 5))
        self.assertIn("still here", self.customer_messages(self.conversation_of(self.hanako)).body,
                      "parked, it holds back nothing any more")

    def test_an_event_parked_while_line_failed_is_reprocessed_into_its_message(self):
        self.emu.set_fault("content", "500", rate=1.0)
        self.addCleanup(self.emu.clear_faults)
        self.emu.send_image(self.channel_id, self.hanako["user_id"], PNG)
        stored = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])])
        for _attempt in range(5):
            stored.next_attempt = False
            self.process()
        self.assertEqual(stored.state, "failed")
        self.assertIn("Internal server error", stored.error, "LINE's answer, for the LINE manager")
        self.emu.clear_faults()
        stored.action_reprocess()
        self.process()
        self.assertEqual(stored.state, "done")
        self.assertEqual(self.customer_messages(self.conversation_of(self.hanako)).attachment_ids.raw, PNG)

    def test_webhook_answers_before_processing(self):
        result = self.emu.send_text(self.channel_id, self.hanako["user_id"], "quick")
        self.assertDelivered(result)
        event = self.env["line.event"].search([("line_user_id", "=", self.hanako["user_id"])])
        self.assertEqual(event.state, "new")
        self.assertEqual(json.loads(event.payload)["message"]["text"], "quick")
        self.assertFalse(self.conversation_of(self.hanako))
