import json
import select
import threading
import time
import uuid
from contextlib import contextmanager
from unittest.mock import patch

import psycopg2
import requests

from line_emulator.webhook import sign

from odoo import SUPERUSER_ID, api, sql_db
from odoo.modules.registry import DummyRLock, Registry
from odoo.service import model as service_model
from odoo.tests import HOST, TransactionCase, tagged
from odoo.tools import config

from odoo.addons.line_connector import const
from odoo.addons.line_connector.controllers import main as webhook_controller

from .common import LineHttpCase


@tagged("post_install", "-at_install")
class TestWebhookHttp(LineHttpCase):
    """The webhook route through Odoo's real HTTP stack."""

    def _post(self, path, body, signature=None, secret=None):
        headers = {"Content-Type": "application/json"}
        if signature is None and secret:
            signature = sign(secret, body)
        if signature is not None:
            headers["X-Line-Signature"] = signature
        return self.url_open(path, data=body, headers=headers)

    def _deliver(self, *events, body=None):
        """LINE delivers ``events`` (or the raw ``body``), correctly signed."""
        if body is None:
            body = json.dumps({"destination": "Uxxx", "events": list(events)}).encode()
        return self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)

    def _text_event(self, customer=None, text="hi", **changes):
        """A real message event, as LINE would send it, with ``changes``."""
        customer = customer or self.new_customer("Rejected Sender")
        event = self.emu.build_event(self.emu_channel["channel_id"], customer["user_id"], "text", text=text)
        return dict(event, **changes)

    def _text_body(self, *extra_events):
        """A real message event, as LINE would send it, and anything else given."""
        return json.dumps({"destination": "Uxxx", "events": [self._text_event(), *extra_events]}).encode()

    def _stored(self):
        return self.env["line.event"].search([("channel_id", "=", self.line_channel.id)], order="id")

    def assertNothingStored(self):
        self.assertFalse(self._stored())

    def assertParked(self, event, *words):
        """Parked at once for a LINE manager, the error saying what was wrong."""
        self.assertEqual((event.state, event.attempts, event.next_attempt), ("failed", 0, False))
        for word in words:
            self.assertIn(word, event.error)

    def _comments(self, customer):
        messages = self.conversation_of(customer).message_ids.filtered(lambda m: m.message_type == "comment")
        return [str(body).replace("<p>", "").replace("</p>", "") for body in messages.mapped("body")]

    def test_a_good_signature_stores_the_events(self):
        body = self._text_body()
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._stored()), 1)
        self.assertEqual(self._stored().state, "new")

    def test_verify_call_with_no_events_is_ok(self):
        body = json.dumps({"destination": "Uxxx", "events": []}).encode()
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 200)

    def test_wrong_or_missing_signature_is_refused(self):
        body = self._text_body()
        self.assertEqual(self._post(self.line_channel.webhook_url, body, signature="AAAA").status_code, 401)
        self.assertEqual(self._post(self.line_channel.webhook_url, body).status_code, 401)
        wrong_secret = self._post(self.line_channel.webhook_url, body, secret="not-the-channel-secret")
        self.assertEqual(wrong_secret.status_code, 401)
        self.assertNothingStored()

    def test_unknown_channel_is_404_and_a_disconnected_channel_keeps_what_line_sends(self):
        body = self._text_body()
        url = self.line_channel.webhook_url
        self.assertEqual(self._post(url + "x", body, secret="whatever").status_code, 404)
        self.line_channel.active = False
        verify = json.dumps({"destination": "Uxxx", "events": []}).encode()
        self.assertEqual(self._post(url, verify, secret=self.line_channel.channel_secret).status_code, 200,
                         "LINE's verify call succeeds")
        self.assertEqual(self._post(url, body, signature="AAAA").status_code, 401)
        self.assertEqual(self._post(url, body, secret=self.line_channel.channel_secret).status_code, 200)
        event = self._stored()
        self.assertEqual(len(event), 1)
        self.assertParked(event)
        self.assertEqual(event.error, const.EVENT_DISCONNECTED_REASON)
        self.env["line.event"]._cron_process_events()
        self.assertEqual(event.state, "failed", "the queue does not take it")
        event.action_reprocess()
        self.assertEqual(event.state, "failed", "not even when asked, while the channel is off")
        self.line_channel.active = True
        self.assertEqual(event.state, "new", "connected again, what LINE sent meanwhile is processed")
        self.env["line.event"]._cron_process_events()
        self.assertEqual(event.state, "done")
        self.assertIn("hi", event.message_id.body)

    def test_malformed_json_is_400(self):
        deep_list = b"[" * 5000 + b"]" * 5000
        for body in (b"{not json", b'{"events": "nope"}', b"[]", b"\xff\xfe{}", b'{"events": [1}', deep_list):
            response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
            self.assertEqual(response.status_code, 400, body[:20])
        self.assertNothingStored()

    def test_oversized_body_is_413(self):
        body = self._text_body()[:-1] + b', "pad": "' + b"x" * (1024 * 1024 + 1) + b'"}'
        response = self._post(self.line_channel.webhook_url, body, secret=self.line_channel.channel_secret)
        self.assertEqual(response.status_code, 413)
        self.assertNothingStored()

    def test_a_badly_typed_event_is_parked_and_the_good_one_beside_it_is_processed(self):
        customer = self.new_customer("Good Writer")
        self.befriend(customer)
        good = self._text_event(customer, text="I am fine")
        bad = [dict(good, webhookEventId=str(uuid.uuid4()), **{key: value}) for key, value in (
            ("timestamp", "yesterday"), ("source", "U123"), ("message", {"id": {"nested": 1}, "type": "text"}))]
        bad += [dict(good, webhookEventId=42), {"no": "type"}, 42]
        self.assertEqual(self._deliver(*bad, good).status_code, 200)
        stored = self._stored()
        self.assertEqual(len(stored), 7)
        for event, field in zip(stored[:4], ("'timestamp'", "'source'", "'message.id'", "'webhookEventId'"),
                                strict=True):
            self.assertParked(event, field, "not of the type LINE sends")
        for event in stored[4:6]:
            self.assertParked(event, "not an object with a type")
            self.assertEqual(event.event_type, const.EVENT_TYPE_INVALID)
        self.assertEqual(stored[6].state, "new")
        self.env["line.event"]._cron_process_events()
        self.assertEqual(self._comments(customer), ["I am fine"])
        self.assertEqual(stored.mapped("state"), ["failed"] * 6 + ["done"])

    def test_a_nul_or_a_lone_surrogate_in_a_text_reaches_the_conversation_as_a_replacement_character(self):
        customer = self.new_customer("Odd Writer")
        self.befriend(customer)
        nul, surrogate = self._text_event(customer), self._text_event(customer)
        nul["message"]["text"], surrogate["message"]["text"] = "before\x00after", "half \ud83d a pair"
        self.assertEqual(self._deliver(nul, surrogate).status_code, 200)
        self.assertEqual(self._stored().mapped("state"), ["new", "new"], "nothing wrong where LINE's IDs are")
        self.assertNotIn("\\u0000", self._stored()[0].payload)
        self.env["line.event"]._cron_process_events()
        self.assertEqual(sorted(self._comments(customer)), ["before\ufffdafter", "half \ufffd a pair"])

    def test_a_nul_in_a_user_id_parks_the_event(self):
        event = self._text_event()
        event["source"]["userId"] += "\x00"
        self.assertEqual(self._deliver(event).status_code, 200)
        stored = self._stored()
        self.assertParked(stored, "'source.userId'", "NUL")
        self.assertTrue(stored.line_user_id.endswith("\ufffd"))

    def test_ten_thousand_character_ids_are_cut_parked_and_still_stored_once(self):
        event = self._text_event()
        event["webhookEventId"], event["source"]["userId"] = "E" * 10000, "U" * 10000
        event["message"]["id"] = "7" * 10000
        other = dict(event, webhookEventId="E" * 9999 + "F")  # the same first 255 characters
        for _delivery in range(2):
            self.assertEqual(self._deliver(event, other).status_code, 200)
        stored = self._stored()
        self.assertEqual(len(stored), 2, "the redelivery is recognised, the other event is not mistaken for it")
        self.assertParked(stored[0], "'webhookEventId'", "'source.userId'", "'message.id'", "255")
        self.assertEqual(len(stored[0].line_user_id), const.WEBHOOK_COLUMN_MAX_CHARS)
        self.assertEqual(len(stored[0].line_message_id), const.WEBHOOK_COLUMN_MAX_CHARS)
        self.assertEqual(json.loads(stored[0].payload)["webhookEventId"], "E" * 10000, "kept whole in the payload")

    def test_out_of_range_timestamps_are_parked_and_listed(self):
        events = [self._text_event(timestamp=value) for value in (10 ** 400, float("nan"), float("inf"),
                                                                   -float("inf"), -1)]
        self.assertEqual(self._deliver(*events).status_code, 200)
        stored = self._stored()
        self.assertEqual(len(stored), 5)
        for event in stored:
            self.assertParked(event, "'timestamp'", "NaN, Infinity or out of range")
        rows = self.env["line.event"].web_search_read(
            [("id", "in", stored.ids)], {"event_date": {}, "event_timestamp": {}, "error": {}})["records"]
        self.assertEqual({(row["event_date"], row["event_timestamp"]) for row in rows}, {(False, 0.0)},
                         "the Webhook Events list shows them")

    def test_a_body_nested_5000_deep_is_kept_as_one_unreadable_event(self):
        body = b'{"destination": "Uxxx", "events": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
        for _delivery in range(2):
            self.assertEqual(self._deliver(body=body).status_code, 200)
        event = self._stored()
        self.assertEqual(len(event), 1, "its redelivery is recognised")
        self.assertEqual(event.event_type, const.EVENT_TYPE_UNREADABLE)
        self.assertParked(event, "nested deeper than Python reads")
        self.assertEqual(event.payload, body.decode(), "kept as LINE sent it")
        huge = b'{"events": [' + b"[" * 60000 + b"\x00" + b"]" * 60000 + b"]}"
        self.assertEqual(self._deliver(body=huge).status_code, 200)
        self.assertEqual(len(self._stored()[1].payload), const.WEBHOOK_UNREADABLE_MAX_CHARS)

    def test_reprocessing_an_event_odoo_cannot_understand_keeps_it_parked(self):
        self._deliver(self._text_event(source="U123"))
        self._deliver(body=b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}")
        customer = self.new_customer("Patient Writer")
        self.befriend(customer)
        self._deliver(self._text_event(customer, text="try me again"))
        unreadable, good = self._stored()[:2], self._stored()[2]
        good._queue_park("LINE could not be reached")
        errors = unreadable.mapped("error")
        action = (unreadable | good).action_reprocess()
        self.assertIn("2 event(s) stay parked", action["params"]["message"])
        self.env["line.event"]._cron_process_events()
        self.assertEqual(unreadable.mapped("state"), ["failed", "failed"])
        self.assertEqual(unreadable.mapped("error"), errors)
        self.assertEqual(good.state, "done")
        self.assertEqual(self._comments(customer), ["try me again"])

    def test_a_nul_in_a_customers_line_name_is_replaced(self):
        customer = self.emu.create_user(provider_id="provider-osaka", display_name="Ha\x00nako")
        self.befriend(customer)
        self.assertEqual(self._deliver(self._text_event(customer, text="hello")).status_code, 200)
        self.env["line.event"]._cron_process_events()
        conversation = self.conversation_of(customer)
        self.assertEqual(conversation.line_identity_id.name, "Ha\ufffdnako")
        self.assertEqual(conversation.name, "Ha\ufffdnako")
        self.assertEqual(self._comments(customer), ["hello"])

    def test_wrong_signatures_are_logged_once_per_burst_without_secret_or_body(self):
        webhook_controller._signature_warnings.pop(self.line_channel.id, None)  # no earlier burst
        body = self._text_body()
        with self.assertLogs("odoo.addons.line_connector.controllers.main", "WARNING") as logs:
            for _attempt in range(3):
                self.assertEqual(self._post(self.line_channel.webhook_url, body, signature="AAAA").status_code, 401)
        self.assertEqual(len(logs.records), 1)
        self.assertNotIn(self.line_channel.channel_secret, logs.output[0])
        self.assertNotIn("Rejected Sender", logs.output[0])


@tagged("post_install", "-at_install")
class TestWebhookRace(TransactionCase):
    """LINE delivers an event while another transaction holds it: each request in a transaction of its
    own over real HTTP, as in production. No class set-up: the test's own transaction holds no lock."""

    def _cursor(self):
        cr = self.registry.cursor()
        # The test runner holds the registry lock: give the cursor its registry directly.
        cr.transaction = api.Transaction(self.registry)
        return cr

    @contextmanager
    def _requests_in_transactions_of_their_own(self):
        """Odoo's test runner holds the registry lock while post-install tests run; HttpCase swaps
        it for a dummy and makes its requests share the test's transaction. These requests need
        transactions of their own: only the lock is swapped. Odoo's own retry of a request that
        met a serialization failure (after a random wait of up to 2 s, 4 times) is off: the
        webhook must not need it."""
        saved, Registry._lock = Registry._lock, DummyRLock()
        try:
            with patch.object(service_model, "MAX_TRIES_ON_CONCURRENCY_FAILURE", 1):
                yield
        finally:
            Registry._lock = saved

    def setUp(self):
        super().setUp()
        self.secret, user_id = uuid.uuid4().hex, "U" + uuid.uuid4().hex
        with self._cursor() as cr:
            channel = api.Environment(cr, SUPERUSER_ID, {})["line.channel"].create({
                "name": "Race", "channel_number": "2009999999", "channel_secret": self.secret,
                "provider_name": f"provider-race-{user_id}",
                "responsible_user_ids": [(6, 0, self.env.ref("base.user_admin").ids)]})
            self.channel_id = channel.id
            self.url = f"http://{HOST}:{config['http_port']}{const.WEBHOOK_ROUTE}/{channel.webhook_token}"
        self.addCleanup(self._clean)
        self.event = {
            "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
            "webhookEventId": uuid.uuid4().hex, "replyToken": uuid.uuid4().hex,
            "source": {"type": "user", "userId": user_id}, "deliveryContext": {"isRedelivery": True},
            "message": {"type": "text", "id": str(time.time_ns()), "text": "hello", "quoteToken": "q"}}
        self.body = json.dumps({"destination": "Ubot", "events": [self.event]}).encode()

    def _clean(self):
        with self._cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["line.channel"].browse(self.channel_id).unlink()

    def _store_once(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["line.event"]._store(env["line.channel"].browse(self.channel_id), [self.event])

    def _deliver_in_background(self):
        """LINE delivers the body again: the answer and when it came."""
        answer = {}

        def deliver():
            response = requests.post(self.url, data=self.body, timeout=60, headers={
                "Content-Type": "application/json", "X-Line-Signature": sign(self.secret, self.body)})
            answer.update(status=response.status_code, at=time.monotonic())

        thread = threading.Thread(target=deliver)
        thread.start()
        return thread, answer

    def _deliver_new_event(self):
        """LINE delivers an event Odoo has not had yet: the answer's status."""
        event = dict(self.event, webhookEventId=uuid.uuid4().hex)
        body = json.dumps({"destination": "Ubot", "events": [event]}).encode()
        return requests.post(self.url, data=body, timeout=60, headers={
            "Content-Type": "application/json", "X-Line-Signature": sign(self.secret, body)}).status_code

    @contextmanager
    def _listening_as_the_cron_workers(self):
        """A connection listening where Odoo's cron workers wait to be woken (ir.cron._notifydb)."""
        listener = psycopg2.connect(**sql_db.connection_info_for("postgres")[1])
        listener.autocommit = True
        try:
            with listener.cursor() as cr:
                cr.execute("LISTEN cron_trigger")
            yield listener
        finally:
            listener.close()

    def _woken(self, listener):
        """Whether this database's cron workers are woken (soon), as told since the last call. The
        channel is the server's: other databases' wake-ups are heard too."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            select.select([listener], [], [], 0.1)
            listener.poll()
            woken = {notify.payload for notify in listener.notifies}
            listener.notifies.clear()
            if self.registry.db_name in woken:
                return True
        return False

    def _waiting_on_a_lock(self):
        with self._cursor() as cr:
            cr.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
            return cr.fetchone()[0]

    def _stored(self):
        with self._cursor() as cr:
            cr.execute("SELECT state FROM line_event WHERE channel_id = %s", [self.channel_id])
            return [state for (state,) in cr.fetchall()]

    def test_a_redelivery_while_its_event_is_processed_is_answered_at_once(self):
        with self._cursor() as cr:
            self._store_once(cr)
        with self._requests_in_transactions_of_their_own():
            with self._cursor() as processing:
                # A processing job has written the event and not committed yet.
                processing.execute("UPDATE line_event SET state = 'done', attempts = 1 WHERE webhook_event_id = %s",
                                   [self.event["webhookEventId"]])
                thread, answer = self._deliver_in_background()
                # Waiting on the job's row lock, it would wait until the job commits: never, here.
                thread.join(15)
                answered_while_processed = not thread.is_alive()
            thread.join(60)
        self.assertTrue(answered_while_processed, "the webhook does not wait for the processing job")
        self.assertEqual(answer["status"], 200)
        self.assertEqual(self._stored(), ["done"], "stored once, as the processing job left it")

    def test_two_deliveries_of_a_new_event_at_once_store_it_once_and_answer_at_once(self):
        with self._requests_in_transactions_of_their_own():
            with self._cursor() as first_delivery:
                self._store_once(first_delivery)
                thread, answer = self._deliver_in_background()
                deadline = time.monotonic() + 10
                while not self._waiting_on_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.02)
                second_waited = time.monotonic() < deadline
            committed = time.monotonic()
            thread.join(60)
        self.assertTrue(second_waited, "the second delivery waited for the first one's event")
        self.assertEqual(answer["status"], 200)
        self.assertLess(answer["at"] - committed, 1, "answered at once")
        self.assertEqual(self._stored(), ["new"])

    def test_each_new_event_wakes_the_processing_jobs_even_after_their_connection_broke(self):
        app_name = sql_db.connection_info_for("postgres")[1]["application_name"]
        with self._requests_in_transactions_of_their_own(), self._listening_as_the_cron_workers() as listener:
            self.assertEqual(self._deliver_new_event(), 200)
            self.assertTrue(self._woken(listener), "the jobs start at once")
            # PostgreSQL ends the connection the wake-ups go over (a restart, an idle timeout).
            with self._cursor() as cr:
                cr.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'postgres' "
                           "AND application_name = %s AND pid <> %s", [app_name, listener.get_backend_pid()])
            self.assertEqual(self._deliver_new_event(), 200)
            self.assertTrue(self._woken(listener), "the jobs still start at once")
        self.assertEqual(self._stored(), ["new", "new"])
