import threading
import time
import uuid

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .common import CommittingCase


@tagged("post_install", "-at_install")
class TestJobsInParallel(CommittingCase):
    """Two processing jobs at once, each in its own transaction, as Odoo's cron workers run them.

    The jobs share the queue, so they meet the same customers. No class set-up: the test's own
    transaction must hold no lock the jobs need (``CommittingCase``).
    """

    def _waiting_on_a_lock(self):
        with self._cursor() as cr:
            cr.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
            return cr.fetchone()[0]

    def _line_account(self, name):
        """A LINE account on its own emulator and its channel in Odoo, committed (the jobs' cursors
        must see it), removed after the test: (emulator client, LINE channel ID, provider, channel)."""
        emulator, emu, provider, emu_channel = self._emulated_account(name)
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["line.channel"].create({
                "name": name, "channel_number": emu_channel["channel_id"],
                "channel_secret": emu_channel["channel_secret"], "provider_name": provider,
                "api_url": emulator.base_url, "data_url": emulator.base_url,
                "responsible_user_ids": [(6, 0, env.ref("base.user_admin").ids)]})
        self.addCleanup(self._clean, channel.id, provider)
        return emu, emu_channel["channel_id"], provider, channel.id

    def test_two_jobs_creating_one_new_customer_give_one_identity_and_every_message(self):
        emu, channel_id, provider, line_channel = self._line_account("Race")
        customer = emu.create_user(provider_id=provider, display_name="Racer")
        emu.follow(channel_id, customer["user_id"])
        group = {"type": "group", "groupId": "C" + uuid.uuid4().hex, "userId": customer["user_id"]}
        events = [emu.build_event(channel_id, customer["user_id"], "text", text="one to one"),
                  emu.build_event(channel_id, customer["user_id"], "text", text="in the group", source=group)]
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["line.event"]._store(env["line.channel"].browse(line_channel), events)
            one_to_one = env["line.event"].search([("webhook_event_id", "=", events[0]["webhookEventId"])]).id

        first_created = threading.Event()
        results = {}

        def other_job():
            """The group message's job: creates the identity, and commits only once the other waits for it."""
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["line.identity"]._get_or_create(provider, customer["user_id"])
                env.flush_all()
                first_created.set()
                deadline = time.monotonic() + 10
                while not self._waiting_on_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.02)
                results["other_saw_the_wait"] = time.monotonic() < deadline

        def this_job():
            first_created.wait(10)
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                event = env["line.event"].browse(one_to_one)
                event._queue_process_one()
                results["after_race"] = (event.state, event.attempts, event.error, bool(event.next_attempt))

        threads = [threading.Thread(target=other_job), threading.Thread(target=this_job)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertTrue(results.get("other_saw_the_wait"), "the second job waited for the first one's identity")
        self.assertEqual(results["after_race"], ("new", 0, False, True),
                         "the job that lost the race tries its event again shortly, with no error, and a lost "
                         "race is no failed attempt")

        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["line.event"].search([("channel_id", "=", line_channel)]).next_attempt = False  # its jitter
            env["line.event"]._cron_process_events()
            stored = env["line.event"].search([("channel_id", "=", line_channel)])
            self.assertEqual(set(stored.mapped("state")), {"done"})
            identity = env["line.identity"].search([("provider_name", "=", provider)])
            self.assertEqual(len(identity), 1)
            conversations = env["discuss.channel"].search([("line_channel_id", "=", line_channel)])
            self.assertEqual(len(conversations), 2, "the one-to-one chat and the group")
            bodies = conversations.message_ids.filtered(lambda m: m.message_type == "comment").mapped("body")
            self.assertEqual(sorted(str(b).replace("<p>", "").replace("</p>", "") for b in bodies),
                             ["in the group", "one to one"])

    def test_two_jobs_share_a_backlog_and_keep_each_customers_order(self):
        emu, channel_id, provider, line_channel = self._line_account("Share")
        anna, ben = (emu.create_user(provider_id=provider, display_name=name)["user_id"] for name in ("Anna", "Ben"))

        def text(user, body):
            return emu.build_event(channel_id, user, "text", text=body)

        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["line.channel"].browse(line_channel)
            # Both are known customers already: their conversations exist.
            env["line.event"]._store(channel, [text(anna, "a0"), text(ben, "b0")])
            env["line.event"]._cron_process_events()
            events = [text(anna, "a1"), text(ben, "b1"), text(anna, "a2"), text(ben, "b2")]
            env["line.event"]._store(channel, events)
            a1 = env["line.event"].search([("webhook_event_id", "=", events[0]["webhookEventId"])]).id

        holding, release = threading.Event(), threading.Event()
        results = {}

        def first_job():
            """Is in the middle of Anna's a1 (processed, not committed) while the other job runs."""
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                event = env["line.event"].browse(a1)
                results["first_locked"] = event._queue_lock()
                event._queue_process_one()
                env.flush_all()
                holding.set()
                release.wait(30)

        def second_job():
            holding.wait(30)
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                last_trigger = env["ir.cron.trigger"].search([], order="id desc", limit=1).id or 0
                env["line.event"]._cron_process_events()
                stored = env["line.event"].search([("channel_id", "=", line_channel)])
                results["second"] = {e.payload and e._data()["message"]["text"]: e.state for e in stored}
                results["second_woke_again"] = bool(env["ir.cron.trigger"].search([("id", ">", last_trigger)]))

        threads = [threading.Thread(target=first_job), threading.Thread(target=second_job)]
        for thread in threads:
            thread.start()
        threads[1].join(60)
        release.set()
        threads[0].join(60)
        self.assertTrue(results.get("first_locked"))
        self.assertEqual(results.get("second"), {"a0": "done", "b0": "done", "a1": "new", "b1": "done",
                                                 "a2": "new", "b2": "done"},
                         "the second job took Ben's events, and left Anna's to the job in the middle of them")
        self.assertTrue(results["second_woke_again"], "the job comes back for what it left")

        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["line.event"]._cron_process_events()
            for user, expected in ((anna, ["a0", "a1", "a2"]), (ben, ["b0", "b1", "b2"])):
                conversation = env["discuss.channel"].search([("line_identity_id.line_user_id", "=", user)])
                bodies = conversation.message_ids.filtered(lambda m: m.message_type == "comment").sorted("id")
                self.assertEqual([str(b).replace("<p>", "").replace("</p>", "") for b in bodies.mapped("body")],
                                 expected)

    def test_a_job_meeting_an_event_another_job_has_just_processed_moves_on(self):
        """A job read the queue, then another job processed one of its events and committed: the
        first job neither fails on it (Odoo's snapshot is older than that change) nor takes it again."""
        emu, channel_id, provider, line_channel = self._line_account("Moves")
        customer = emu.create_user(provider_id=provider, display_name="Chika")["user_id"]
        event = emu.build_event(channel_id, customer, "text", text="hello")
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["line.event"]._store(env["line.channel"].browse(line_channel), [event])
            event_id = env["line.event"].search([("webhook_event_id", "=", event["webhookEventId"])]).id

        with self._cursor() as late_cr:
            late = api.Environment(late_cr, SUPERUSER_ID, {})["line.event"].browse(event_id)
            self.assertEqual(late.state, "new")  # this job's snapshot is taken
            with self._cursor() as cr:
                other = api.Environment(cr, SUPERUSER_ID, {})["line.event"].browse(event_id)
                self.assertTrue(other._queue_lock())
                other._queue_process_one()
            self.assertIs(late._queue_lock(), False, "the event left the queue: nothing to do")
            self.assertEqual(late.state, "done")

    def _clean(self, channel_id, provider):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            identities = env["line.identity"].search([("provider_name", "=", provider)])
            guests = identities.guest_id
            env["line.channel"].browse(channel_id).unlink()
            identities.unlink()
            guests.unlink()
