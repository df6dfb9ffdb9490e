import base64
import json
import select
from datetime import timedelta

import psycopg2
from freezegun import freeze_time
from markupsafe import Markup

from odoo import fields, sql_db
from odoo.tests import tagged

from .. import const
from ..tools.pg_notify import notifier
from .common import LineConversationCase, LineHttpCase

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@tagged("post_install", "-at_install")
class TestOutbound(LineConversationCase):
    """What an operator posts in a LINE conversation reaches the customer once."""

    first_message = "Do you have this in blue?"

    # -- helpers ------------------------------------------------------------------

    def post(self, body="", **kwargs):
        return self.conversation.with_user(self.operator).message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_comment", **kwargs)

    def send(self):
        self.env["line.message"]._cron_send()

    def ledger(self, message):
        return self.env["line.message"].search([("mail_message_id", "=", message.id)]).sorted("id")

    def received(self):
        return [s for s in self.emu.sent(user_id=self.customer["user_id"]) if s["delivered"]]

    def expire_reply_tokens(self):
        self.env["line.event"].search([]).write({"reply_token_used": True})

    def retry_now(self, ledger):
        ledger.write({"next_attempt": fields.Datetime.now() - timedelta(seconds=1)})

    def send_until_done(self, rounds=6):
        """Run the sending job, each retry made due at once, until nothing is queued."""
        for _round in range(rounds):
            queued = self.env["line.message"].search([
                ("conversation_id", "=", self.conversation.id), ("state", "=", "queued")])
            if not queued:
                return
            self.retry_now(queued.filtered("next_attempt"))
            self.send()
        self.fail("messages still queued")

    def all_sent(self):
        """Everything the bot sent the customer, delivered or not (LINE answers 200 to a push
        to a customer who blocked the account, and delivers nothing)."""
        return self.emu.sent(user_id=self.customer["user_id"])

    def set_quota(self, limit, used):
        """The channel's quota as the last check found it."""
        self.line_channel.write({"quota_type": "limited", "quota_limit": limit, "quota_checked_used": used,
                                 "quota_checked_date": fields.Datetime.now() - timedelta(minutes=1)})

    # -- reply or push ----------------------------------------------------------------

    def test_answer_within_a_minute_is_a_free_reply(self):
        message = self.post("Yes, we do!")
        self.assertEqual(self.ledger(message).state, "queued", "the operator does not wait on LINE")
        self.send()
        ledger = self.ledger(message)
        self.assertEqual((ledger.state, ledger.method), ("sent", "reply"))
        [sent] = self.received()
        self.assertEqual(sent["kind"], "reply")
        self.assertEqual(sent["messages"], [{"type": "text", "text": "Yes, we do!"}])
        self.assertEqual(message.notification_ids.notification_status, "sent")

    def test_later_answer_is_a_push_with_a_retry_key(self):
        self.expire_reply_tokens()
        message = self.post("Here is the blue one.")
        self.send()
        ledger = self.ledger(message)
        [sent] = self.received()
        self.assertEqual((ledger.method, sent["kind"]), ("push", "push"))
        self.assertEqual(sent["retry_key"], ledger.retry_key)
        self.assertTrue(ledger.request_id and ledger.sent_message_ids)

    def test_inbound_messages_are_never_sent_back(self):
        self.send()
        self.assertEqual(self.received(), [])
        self.assertFalse(self.env["line.message"].search([("conversation_id", "=", self.conversation.id)]))

    def test_sending_jobs_share_every_conversation(self):
        """The sending jobs share the messages: replies to many customers wake each of them, and
        either one alone sends every conversation's messages, each conversation's in order."""
        crons = self.env["line.message"]._queue_jobs()
        conversations = self.conversation
        for i in range(5):
            customer = self.emu.create_user(provider_id="provider-osaka", display_name=f"S{i}")
            self.emu.follow(self.channel_id, customer["user_id"])
            self.env["line.event"]._cron_process_events()
            conversations |= self.env["discuss.channel"].search([
                ("line_identity_id.line_user_id", "=", customer["user_id"])])
        self.expire_reply_tokens()
        last_trigger = self.env["ir.cron.trigger"].sudo().search([], order="id desc", limit=1).id or 0
        for conversation in conversations:
            for text in ("first", "second"):
                conversation.with_user(self.operator).message_post(
                    body=text, message_type="comment", subtype_xmlid="mail.mt_comment")
        ledger = self.env["line.message"].search([("conversation_id", "in", conversations.ids)])
        self.assertEqual(self.env["ir.cron.trigger"].sudo().search([("id", ">", last_trigger)]).cron_id, crons,
                         "every sending job is woken")
        self.env["line.message"].with_context(cron_id=crons[-1].id)._cron_send()
        self.assertEqual(set(ledger.mapped("state")), {"sent"})
        for conversation in conversations:
            texts = [m["text"] for s in self.emu.sent(
                user_id=conversation.line_identity_id.line_user_id) if s["delivered"] for m in s["messages"]]
            self.assertEqual(texts, ["first", "second"])

    def listen(self, channel):
        """A connection listening, as Odoo's cron workers and bus do, on the postgres database."""
        _db, info = sql_db.connection_info_for("postgres")
        listener = psycopg2.connect(**info)
        self.addCleanup(listener.close)
        listener.autocommit = True
        listener.cursor().execute(f"LISTEN {channel}")
        return listener

    def heard(self, listener):
        """What ``listener`` is told once the transaction commits (its post-commit hooks run)."""
        self.env.cr.postcommit.run()
        select.select([listener], [], [], 5)
        listener.poll()
        heard = [(notice.pid, notice.payload) for notice in listener.notifies]
        listener.notifies.clear()
        return heard

    def test_a_post_wakes_the_cron_workers_at_once(self):
        """When the post commits, Odoo's cron workers are told, over the connection the process
        keeps, and a new one if it broke."""
        listener = self.listen("cron_trigger")
        self.post("first")
        heard = self.heard(listener)
        self.assertIn((notifier.backend_pid(), self.env.cr.dbname), heard)
        listener.cursor().execute("SELECT pg_terminate_backend(%s)", [notifier.backend_pid()])
        self.post("second")
        heard = self.heard(listener)
        self.assertIn((notifier.backend_pid(), self.env.cr.dbname), heard, "a broken connection is opened again")

    def test_the_job_tells_the_authors_open_discuss_at_once(self):
        self.expire_reply_tokens()
        self.post("first")
        self.env.cr.postcommit.run()
        listener = self.listen("imbus")
        self.send()
        # Every database's bus is heard on this channel: only this one's counts.
        [(pid, payload)] = [(pid, payload) for pid, payload in self.heard(listener)
                            if f'["{self.env.cr.dbname}",' in payload]
        self.assertEqual(pid, notifier.backend_pid(), "over the connection the process keeps")
        self.assertIn(f'"res.partner",{self.operator.partner_id.id}]', payload)

    # -- exactly once under failures ------------------------------------------------

    def test_server_errors_are_retried_with_the_same_key_and_delivered_once(self):
        self.expire_reply_tokens()
        self.emu.set_fault("push", "500", count=2)
        message = self.post("Retry me")
        ledger = self.ledger(message)
        for _attempt in range(3):
            self.retry_now(ledger)
            self.send()
        self.assertEqual((ledger.state, ledger.attempts), ("sent", 3))
        self.assertEqual(len(self.received()), 1)

    def test_timeout_after_delivery_is_not_sent_twice(self):
        self.expire_reply_tokens()
        # LINE accepts the push but the answer never arrives: the retry gets 409, i.e. success.
        self.emu.set_fault("push", "delay", count=1, delay=12)
        message = self.post("Once only")
        ledger = self.ledger(message)
        self.send()
        self.assertEqual(ledger.state, "queued")
        self.retry_now(ledger)
        self.send()
        self.assertEqual(ledger.state, "sent")
        self.assertEqual(len(self.received()), 1)

    def test_a_conversations_messages_go_in_order_under_retries(self):
        """The first push fails: the second message waits for it, not overtakes it."""
        self.expire_reply_tokens()
        self.emu.set_fault("push", "500", count=1)
        first, second = self.post("first"), self.post("second")
        self.send()
        self.assertEqual((self.ledger(first).state, self.ledger(second).state), ("queued", "queued"))
        self.assertEqual(self.received(), [])
        self.send_until_done()
        self.assertEqual([m["text"] for s in self.received() for m in s["messages"]], ["first", "second"])
        self.assertEqual([self.ledger(m).state for m in (first, second)], ["sent", "sent"])

    def test_a_retry_falling_due_as_the_job_starts_is_not_overtaken(self):
        """The first message's retry falls due while the job looks at the queue (its clock ticks
        between its questions): the second message still waits for it."""
        self.expire_reply_tokens()
        first = self.post("first")
        start = fields.Datetime.now()
        # Each reading of the clock ticks it by a second: the retry falls due at the run's second one.
        self.ledger(first).write({"attempts": 1, "retry_key_used": True, "next_attempt": start + timedelta(seconds=2)})
        second = self.post("second")
        with freeze_time(start, auto_tick_seconds=1):
            self.send()
        self.assertEqual(self.received(), [])
        self.assertEqual(self.ledger(second).state, "queued")
        self.send_until_done()
        self.assertEqual([m["text"] for s in self.received() for m in s["messages"]], ["first", "second"])

    def test_a_conversation_waiting_for_a_retry_holds_back_no_other(self):
        """More messages than a run takes wait behind a retry in one conversation: another
        customer's answer still goes at once."""
        self.expire_reply_tokens()
        self.emu.set_fault("push", "500", count=1)
        first = self.post("first")
        self.send()  # refused: retried later, the rest of this conversation waits for it
        # Later than the test takes on a busy machine (the first delay is 2 s).
        self.ledger(first).next_attempt = fields.Datetime.now() + timedelta(hours=1)
        for i in range(const.SEND_BATCH + 1):
            self.post(f"later {i}")
        other = self.emu.create_user(provider_id="provider-osaka", display_name="Other")
        self.emu.follow(self.channel_id, other["user_id"])
        self.env["line.event"]._cron_process_events()
        conversation = self.env["discuss.channel"].search([("line_identity_id.line_user_id", "=", other["user_id"])])
        conversation.with_user(self.operator).message_post(
            body="Hello Other", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.send()
        self.assertEqual([m["text"] for s in self.emu.sent(user_id=other["user_id"]) for m in s["messages"]],
                         ["Hello Other"])
        self.assertEqual(self.received(), [], "the waiting conversation's messages still wait")
        self.send_until_done()
        self.assertEqual([m["text"] for s in self.received() for m in s["messages"]],
                         ["first"] + [f"later {i}" for i in range(const.SEND_BATCH + 1)])

    def test_the_parts_of_a_long_message_go_in_order_under_retries(self):
        self.expire_reply_tokens()
        self.emu.set_fault("push", "500", count=1)
        attachments = self.env["ir.attachment"].create([
            {"name": f"p{i}.png", "raw": PNG, "mimetype": "image/png", "res_model": "discuss.channel",
             "res_id": self.conversation.id} for i in range(6)])
        message = self.post("Six pictures", attachment_ids=attachments.ids)
        self.send_until_done()
        self.assertEqual([len(s["messages"]) for s in self.received()], [5, 2])
        self.assertEqual(self.ledger(message).mapped("state"), ["sent", "sent"])

    def test_reply_that_times_out_is_delivered_once_and_resend_pushes(self):
        # LINE takes the reply but its answer never arrives: the customer may have it.
        self.emu.set_fault("reply", "delay", count=1, delay=12)
        message = self.post("Yes, in blue too.")
        ledger = self.ledger(message)
        self.send()
        self.assertEqual((ledger.state, ledger.attempts), ("queued", 1))
        self.assertLess(ledger.next_attempt, fields.Datetime.now() + timedelta(minutes=1),
                        "the first retry comes soon, not after the longest delay")
        self.retry_now(ledger)
        self.send()
        # The token is used now: LINE refuses it, so the reply was delivered; never pushed again.
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_error"))
        self.assertIn("may have received it", message.notification_ids.failure_reason)
        self.assertEqual(ledger.request_id, self.emu.calls(endpoint="reply")[-1]["request_id"])
        self.assertEqual([s["kind"] for s in self.received()], ["reply"])
        # Minutes later, the operator checked with the customer and resends: no reply token is
        # fresh any more, and the one tried is not tried again: a push with the message's retry key.
        self.expire_reply_tokens()
        self.assertTrue(self.conversation.with_user(self.operator).line_resend_message(message.id))
        self.send()
        self.assertEqual((ledger.state, ledger.method), ("sent", "push"))
        self.assertEqual([(s["kind"], s["retry_key"]) for s in self.received()],
                         [("reply", None), ("push", ledger.retry_key)])

    def test_reply_accepted_before_a_crash_is_not_sent_again(self):
        """A run takes the reply token, LINE delivers the reply, and the run dies before it records
        it: what it wrote before calling LINE tells the next run not to push it a second time."""
        message = self.post("Only once, please")
        ledger = self.ledger(message)
        event = ledger._free_reply_event()
        # The run planned the reply (the token taken) and committed that before calling LINE.
        [(bundle, planned)] = ledger._send_plan(set(ledger.ids))[0]
        self.assertEqual((bundle, planned, ledger.reply_event_id), (ledger, event, event))
        self.line_channel._line_client().reply(event.reply_token, json.loads(ledger.payload))
        self.send()
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_error"))
        self.assertIn("may have received it", message.notification_ids.failure_reason)
        self.assertEqual(len(self.all_sent()), 1)

    def test_rate_limited_push_is_retried(self):
        self.expire_reply_tokens()
        self.emu.set_fault("push", "429", count=1)
        message = self.post("Busy?")
        ledger = self.ledger(message)
        self.send()
        self.retry_now(ledger)
        self.send()
        self.assertEqual(ledger.state, "sent")
        self.assertEqual(len(self.received()), 1)

    def test_refusal_marks_the_message_failed_with_lines_reason_and_resend_works(self):
        self.expire_reply_tokens()
        self.line_channel.api_url = self.emulator.base_url  # unchanged: LINE refuses for another reason
        self.emu.update_channel(self.channel_id, quota=0)
        message = self.post("Over quota")
        self.send()
        ledger = self.ledger(message)
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_quota"))
        notification = message.notification_ids
        self.assertEqual(notification.notification_status, "exception")
        self.assertIn("quota is spent", notification.failure_reason)
        self.assertEqual(self.received(), [])
        # The quota grows again (a new month, a new plan): Resend, with the same retry key.
        self.emu.update_channel(self.channel_id, quota=1000)
        key = ledger.retry_key
        self.assertTrue(self.conversation.with_user(self.operator).line_resend_message(message.id))
        self.send()
        self.assertEqual((ledger.state, ledger.retry_key), ("sent", key))
        self.assertEqual(notification.notification_status, "sent")
        self.assertEqual(len(self.received()), 1)

    def test_resend_to_a_customer_who_blocked_since_fails_at_once(self):
        self.expire_reply_tokens()
        self.emu.update_channel(self.channel_id, quota=0)
        self.addCleanup(self.emu.update_channel, self.channel_id, quota=None)
        message = self.post("Over quota")
        self.send()
        self.assertEqual(self.ledger(message).failure_type, "line_quota")
        self.emu.update_channel(self.channel_id, quota=None)
        self.emu.unfollow(self.channel_id, self.customer["user_id"])
        self.env["line.event"]._cron_process_events()
        self.conversation.with_user(self.operator).line_resend_message(message.id)
        self.send()
        ledger = self.ledger(message)
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_blocked"))
        self.assertIn("blocked the account", message.notification_ids.failure_reason)
        self.assertEqual(self.all_sent(), [])

    # -- refused before asking LINE ---------------------------------------------------

    def test_blocked_customer_fails_at_once(self):
        self.emu.unfollow(self.channel_id, self.customer["user_id"])
        self.env["line.event"]._cron_process_events()
        message = self.post("Are you there?")
        ledger = self.ledger(message)
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_blocked"))
        self.assertIn("blocked the account", message.notification_ids.failure_reason)
        self.send()
        self.assertEqual(self.received(), [])

    def test_a_disconnected_channel_sends_nothing_until_turned_on_again(self):
        queued = self.post("Queued before the channel was turned off")
        self.line_channel.active = False
        self.addCleanup(setattr, self.line_channel, "active", True)
        notice = self.conversation._line_store_values()["line_composer_notice"]
        self.assertIn("disconnected", notice, "the composer says it before the operator writes")
        new = self.post("Written while it is off")
        self.send()
        for message in (queued, new):
            ledger = self.ledger(message)
            self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_disconnected"))
            self.assertIn("disconnected", message.notification_ids.failure_reason)
        self.assertEqual(self.all_sent(), [], "nothing reached LINE")
        self.line_channel.active = True
        self.assertFalse(self.conversation._line_store_values()["line_composer_notice"])
        self.conversation.with_user(self.operator).line_resend_message(new.id)
        self.send()
        self.assertEqual([m["text"] for s in self.received() for m in s["messages"]], ["Written while it is off"])

    def test_customer_who_blocks_after_queueing_gets_nothing(self):
        message = self.post("Queued while a friend")
        self.assertEqual(self.ledger(message).state, "queued")
        self.emu.unfollow(self.channel_id, self.customer["user_id"])
        self.env["line.event"]._cron_process_events()
        self.send()
        ledger = self.ledger(message)
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_blocked"))
        self.assertEqual(message.notification_ids.notification_status, "exception")
        self.assertIn("blocked the account", message.notification_ids.failure_reason)
        self.assertEqual(self.all_sent(), [])

    def test_spent_quota_known_fails_at_once_unless_a_reply_is_free(self):
        self.set_quota(10, 10)
        free = self.post("Reply tokens are free")
        self.assertEqual(self.ledger(free).state, "queued")
        self.expire_reply_tokens()
        counted = self.post("This one would be counted")
        self.assertEqual((self.ledger(counted).state, self.ledger(counted).failure_type), ("failed", "line_quota"))

    def test_customer_of_another_provider(self):
        self.line_channel.provider_name = "new-provider"
        message = self.post("Hello?")
        self.assertEqual(self.ledger(message).failure_type, "line_provider")

    def test_pushes_count_against_the_quota_without_writing_the_channel(self):
        """Two sending jobs never write the shared channel row; the form still counts the pushes."""
        self.expire_reply_tokens()
        self.set_quota(10, 9)
        before = fields.Datetime.now() - timedelta(days=1)
        self.env.flush_all()
        self.env.cr.execute("UPDATE line_channel SET write_date = %s WHERE id = %s", (before, self.line_channel.id))
        self.line_channel.invalidate_recordset()
        message = self.post("The last push of the month")
        self.send()
        self.assertEqual(self.ledger(message).state, "sent")
        self.env.flush_all()
        self.line_channel.invalidate_recordset()
        self.assertEqual(self.line_channel.write_date, before, "sending wrote the channel")
        self.assertEqual(self.line_channel.quota_used, 10)
        over = self.post("One too many")
        ledger = self.ledger(over)
        self.assertEqual((ledger.state, ledger.failure_type), ("failed", "line_quota"))
        self.assertIn("quota is spent (10 of 10)", over.notification_ids.failure_reason)
        self.assertEqual(len(self.all_sent()), 1)

    def test_messages_posted_one_after_another_go_as_one_request_and_count_once(self):
        """LINE counts a push once whatever its bubbles (at most five): what an operator typed in a
        row, before the job ran, goes in one request, in order."""
        self.expire_reply_tokens()
        self.set_quota(10, 0)
        posts = [self.post(text) for text in ("Thank you!", "Your order ships today.", "Tracking: 1234")]
        self.send()
        [sent] = self.all_sent()
        self.assertEqual([m["text"] for m in sent["messages"]], ["Thank you!", "Your order ships today.",
                                                                   "Tracking: 1234"])
        ledgers = [self.ledger(post) for post in posts]
        self.assertEqual({(ledger.state, ledger.request_id) for ledger in ledgers}, {("sent", ledgers[0].request_id)})
        self.assertEqual(len({ledger.sent_message_ids for ledger in ledgers}), 3, "each keeps its LINE ID")
        self.assertEqual(self.line_channel.quota_used, 1)

    def test_the_author_sees_the_marks_turn_sent_with_the_time_line_took_them(self):
        """The operator's open Discuss is told, once for the request, that its messages reached
        LINE, and when (the mark's popover); the job's OdooBot is told nothing."""
        self.expire_reply_tokens()
        posts = [self.post(text) for text in ("first", "second")]
        self.env.cr.precommit.run()
        self.env["bus.bus"].sudo().search([]).unlink()
        self.send()
        self.env.cr.precommit.run()
        updates = self.env["bus.bus"].sudo().search([("message", "like", "mail.notification")])
        self.assertEqual([json.loads(bus.channel)[-1] for bus in updates], [self.operator.partner_id.id])
        marks = {mark["message"]: mark for mark in json.loads(updates.message)["payload"]["mail.notification"]}
        for post in posts:
            self.assertEqual(marks[post.id]["notification_status"], "sent")
            self.assertEqual(marks[post.id]["line_sent_date"],
                             fields.Datetime.to_string(self.ledger(post).sent_date))

    def test_a_request_holds_five_messages_at_most(self):
        self.expire_reply_tokens()
        for i in range(7):
            self.post(f"line {i}")
        self.send()
        self.assertEqual([[m["text"] for m in s["messages"]] for s in self.all_sent()],
                         [[f"line {i}" for i in range(5)], ["line 5", "line 6"]])

    def test_messages_sent_together_are_retried_together_and_delivered_once(self):
        """The retry sends exactly what LINE may have accepted, with the same key: a message posted
        meanwhile is not slipped into it (LINE would answer 409 and it would never arrive)."""
        self.expire_reply_tokens()
        self.emu.set_fault("push", "delay", count=1, delay=12)  # accepted, the answer lost
        first, second = self.post("first"), self.post("second")
        self.send()
        self.assertEqual((self.ledger(first).state, self.ledger(second).state), ("queued", "queued"))
        third = self.post("third")
        self.send_until_done()
        self.assertEqual([[m["text"] for m in s["messages"]] for s in self.received()],
                         [["first", "second"], ["third"]])
        self.assertEqual([self.ledger(m).state for m in (first, second, third)], ["sent"] * 3)

    def test_resending_a_failed_request_sends_all_it_carried(self):
        self.expire_reply_tokens()
        self.emu.update_channel(self.channel_id, quota=0)
        first, second = self.post("first"), self.post("second")
        self.send()
        self.assertEqual([self.ledger(m).state for m in (first, second)], ["failed", "failed"])
        self.emu.update_channel(self.channel_id, quota=1000)
        self.conversation.with_user(self.operator).line_resend_message(second.id)
        self.send()
        self.assertEqual([[m["text"] for m in s["messages"]] for s in self.received()], [["first", "second"]])

    def test_reply_window_refusal_shows_on_the_message(self):
        self.line_channel.reply_window_days = 3
        self.conversation.line_last_customer_date = fields.Datetime.now() - timedelta(days=4)
        self.emu.follow(self.channel_id, self.customer["user_id"])  # a follow is not a message
        self.env["line.event"]._cron_process_events()
        late = self.post("Too late")
        self.assertIn(late, self.conversation.message_ids, "the message is posted, marked failed")
        notification = late.notification_ids
        self.assertEqual((notification.notification_status, notification.failure_type), ("exception", "line_window"))
        self.assertIn("more than 3 days ago", notification.failure_reason)
        self.send()
        self.assertEqual(self.all_sent(), [])
        self.emu.send_text(self.channel_id, self.customer["user_id"], "Still there?")
        self.env["line.event"]._cron_process_events()
        self.post("In time")
        self.send()
        self.assertEqual([m["text"] for s in self.received() for m in s["messages"]], ["In time"])

    # -- content ------------------------------------------------------------------------

    def test_text_reads_as_written(self):
        """Links as "label (url)", mentions as "@Name", paragraphs and line breaks kept, no markdown."""
        partner = self.operator.partner_id
        self.post(Markup(
            '<p>See <a href="https://example.com/shoes">our <b>blue</b> shoes</a> or '
            '<a href="https://example.com/sale" target="_blank" rel="noreferrer">https://example.com/sale</a>; '
            '<a href="/odoo/res.partner/%(id)s" class="o_mail_redirect" data-oe-id="%(id)s" '
            'data-oe-model="res.partner" target="_blank" contenteditable="false">@%(name)s</a> '
            'will help <b>you</b>.</p><p>Second paragraph,<br>second line.</p>') % {
                "id": partner.id, "name": partner.name}, partner_ids=partner.ids)
        self.post(Markup("As typed in Discuss:<br/><br/>a blank line, then<br/>a line break."))
        self.send_until_done()
        self.assertEqual([m["text"] for s in self.received() for m in s["messages"]], [
            f"See our blue shoes (https://example.com/shoes) or https://example.com/sale; @{partner.name} "
            "will help you.\n\nSecond paragraph,\nsecond line.",
            "As typed in Discuss:\n\na blank line, then\na line break.",
        ])

    def test_long_text_is_split_on_word_boundaries(self):
        words = " ".join(f"word{i}" for i in range(1500))  # ~ 10,000 characters
        message = self.post(words)
        self.send()
        [sent] = self.received()
        texts = [m["text"] for m in sent["messages"]]
        self.assertGreater(len(texts), 1)
        self.assertTrue(all(len(t) <= 5000 for t in texts))
        self.assertEqual(" ".join(texts), words)
        self.assertEqual(self.ledger(message).state, "sent")

    def test_more_than_five_objects_go_in_order_in_several_requests(self):
        attachments = self.env["ir.attachment"].create([
            {"name": f"p{i}.png", "raw": PNG, "mimetype": "image/png", "res_model": "discuss.channel",
             "res_id": self.conversation.id} for i in range(6)])
        message = self.post("Six pictures", attachment_ids=attachments.ids)
        self.send()
        ledgers = self.ledger(message)
        self.assertEqual(len(ledgers), 2)
        self.assertEqual(len(set(ledgers.mapped("retry_key"))), 2)
        sent = self.received()
        self.assertEqual([len(s["messages"]) for s in sent], [5, 2])
        self.assertEqual(sent[0]["messages"][0], {"type": "text", "text": "Six pictures"})

    def test_image_goes_as_an_image_line_can_fetch(self):
        attachment = self.env["ir.attachment"].create({
            "name": "blue.png", "raw": PNG, "mimetype": "image/png", "res_model": "discuss.channel",
            "res_id": self.conversation.id})
        self.post("", attachment_ids=attachment.ids)
        self.send()
        [sent] = self.received()
        [image] = [m for m in sent["messages"] if m["type"] == "image"]
        self.assertIn("access_token=", image["originalContentUrl"])
        fetched = {f["url"]: f for f in sent["media_fetches"]}
        self.assertEqual(fetched[image["originalContentUrl"]]["status"], 200)
        self.assertEqual(fetched[image["previewImageUrl"]]["status"], 200)

    def test_image_on_a_plain_http_odoo_is_refused_with_lines_reason(self):
        """As LINE does: media links must be HTTPS. The operator sees why, on the message."""
        self.emu.update_channel(self.channel_id, allow_http_media=False)
        self.addCleanup(self.emu.update_channel, self.channel_id, allow_http_media=True)
        self.expire_reply_tokens()
        attachment = self.env["ir.attachment"].create({
            "name": "blue.png", "raw": PNG, "mimetype": "image/png", "res_model": "discuss.channel",
            "res_id": self.conversation.id})
        message = self.post("", attachment_ids=attachment.ids)
        self.send()
        ledger = self.ledger(message)
        self.assertEqual((ledger.state, ledger.failure_type, ledger.attempts), ("failed", "line_invalid", 1))
        self.assertIn("LINE refused the message", message.notification_ids.failure_reason)
        self.assertIn("originalContentUrl", message.notification_ids.failure_reason)
        self.assertEqual(ledger.request_id, self.emu.calls(endpoint="push")[-1]["request_id"])
        self.assertEqual(self.received(), [])

    def test_pdf_goes_as_a_link(self):
        attachment = self.env["ir.attachment"].create({
            "name": "quote.pdf", "raw": b"%PDF-1.4 quote", "mimetype": "application/pdf",
            "res_model": "discuss.channel", "res_id": self.conversation.id})
        self.post("Your quote", attachment_ids=attachment.ids)
        self.send()
        [sent] = self.received()
        [text] = sent["messages"]
        self.assertIn("quote.pdf: http", text["text"])
        url = text["text"].split("quote.pdf: ")[1]
        self.assertEqual(self.url_open(url.replace(self.base_url(), "")).content, b"%PDF-1.4 quote")

    def test_sticker_from_the_picker(self):
        sticker = self.env.ref("line_connector.sticker_446_1988")
        sticker.with_user(self.operator).with_context(line_conversation_id=self.conversation.id).action_send()
        self.assertIn("sticker/1988/", self.conversation.message_ids[0].body)
        self.send()
        [sent] = self.received()
        self.assertEqual(sent["messages"], [{"type": "sticker", "packageId": "446", "stickerId": "1988"}])

    # -- templates, loading indicator, read marks ------------------------------------

    def test_template_renders_placeholders_per_customer(self):
        self.env["line.template"].create({
            "name": "Thanks", "code": "thanks",
            "body": "{{ object.line_identity_id.name }}様、{{ user.name }}です。ありがとうございます。"})
        self.conversation.with_user(self.operator).execute_command_line_template(body="/template thanks")
        self.send()
        [sent] = self.received()
        self.assertEqual(sent["messages"][0]["text"], f"Hanako様、{self.operator.name}です。ありがとうございます。")

    def test_template_in_the_customers_language_with_contact_and_company(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        template = self.env["line.template"].create({
            "name": "Welcome", "code": "welcome",
            "body": "Dear {{ object.line_partner_id.name }}, {{ user.company_id.name }} thanks you."})
        template.with_context(lang="ja_JP").body = (
            "{{ object.line_partner_id.name }}様、{{ user.company_id.name }}です。")
        partner = self.env["res.partner"].create({"name": "Tanaka Hanako", "lang": False})
        self.conversation.line_identity_id._link_partner(partner)
        conversation = self.conversation.with_user(self.operator)
        conversation.execute_command_line_template(body="/template welcome")  # LINE's language: ja
        partner.lang = "en_US"  # the contact's language comes first
        conversation.execute_command_line_template(body="/template welcome")
        self.send_until_done()
        company = self.operator.company_id.name
        self.assertEqual([m["text"] for s in self.received() for m in s["messages"]], [
            f"Tanaka Hanako様、{company}です。", f"Dear Tanaka Hanako, {company} thanks you."])

    def test_odoo_canned_response_in_a_line_conversation(self):
        """Odoo's "::" shortcut: the composer puts the substitution in place and posts it."""
        self.env["mail.canned.response"].with_user(self.operator).create({
            "source": "hours", "substitution": "We are open from 10:00 to 20:00, every day."})
        [canned] = self.env["mail.canned.response"].with_user(self.operator).search([("source", "=", "hours")])
        self.post(canned.substitution)
        self.send()
        self.assertEqual([s["messages"] for s in self.received()],
                         [[{"type": "text", "text": "We are open from 10:00 to 20:00, every day."}]])

    def test_typing_shows_lines_loading_indicator(self):
        member = self.conversation.channel_member_ids.filtered(lambda m: m.partner_id == self.operator.partner_id)
        member.with_user(self.operator)._notify_typing(True)
        self.env.cr.postcommit.run()
        calls = self.emu.calls(endpoint="loading")
        self.assertEqual([c["body"]["chatId"] for c in calls], [self.customer["user_id"]])

    def test_reading_marks_the_customers_messages_read_when_chat_is_on(self):
        self.line_channel.chat_mode = "chat"
        member = self.conversation.channel_member_ids.filtered(lambda m: m.partner_id == self.operator.partner_id)
        member.with_user(self.operator)._mark_as_read(self.conversation.message_ids[0].id)
        self.env.cr.postcommit.run()
        self.assertEqual(len(self.emu.calls(endpoint="markAsRead")), 1)


@tagged("post_install", "-at_install")
class TestDiscussUi(LineHttpCase):
    """In a real browser: the LINE section of Discuss, and an answer that reaches LINE."""

    def customer_writes(self, name, text):
        """A new friend of the account writes to it; the operator is responsible for the channel."""
        channel_id = self.emu_channel["channel_id"]
        self.emu.update_channel(channel_id, webhook_url=self.line_channel.webhook_url)
        self.line_channel.responsible_user_ids = self.operator
        customer = self.emu.create_user(provider_id="provider-osaka", display_name=name)
        self.emu.follow(channel_id, customer["user_id"])
        self.emu.send_text(channel_id, customer["user_id"], text)
        return customer

    def test_operator_answers_from_the_line_section(self):
        customer = self.customer_writes("Hanako Tour", "Is the shop open today?")
        self.env["line.event"]._cron_process_events()
        self.start_tour("/odoo/discuss", "line_connector_discuss", login="line_operator")
        self.env["line.message"]._cron_send()
        texts = [m["text"] for s in self.emu.sent(user_id=customer["user_id"]) for m in s["messages"]]
        self.assertEqual(texts, ["Yes, until 8 pm!"])

    def test_a_line_failure_in_the_messaging_menu(self):
        customer = self.customer_writes("Hanako Blocked", "Hello")
        self.emu.unfollow(self.emu_channel["channel_id"], customer["user_id"])
        self.env["line.event"]._cron_process_events()
        conversation = self.env["discuss.channel"].search([("line_identity_id.line_user_id", "=", customer["user_id"])])
        conversation.with_user(self.operator).message_post(
            body="Are you there?", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.start_tour("/odoo", "line_connector_failure", login="line_operator")
