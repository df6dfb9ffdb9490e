import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import tagged

from .. import const
from .common import CommittingCase


@tagged("post_install", "-at_install")
class TestSendingJobsCommit(CommittingCase):
    """The sending job with its real commits, in cursors of its own, as Odoo's cron workers run it:
    two jobs at once, and a worker killed after LINE accepted a request."""

    def _account(self, customers):
        """A LINE account on its own emulator, its channel in Odoo and a conversation with each of
        ``customers`` (LINE friends), committed and removed after the test: (emulator client,
        channel ID, {name: (LINE user ID, conversation ID)})."""
        emulator, emu, provider, emu_channel = self._emulated_account("send")
        people = {}
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["line.channel"].create({
                "name": "Send", "channel_number": emu_channel["channel_id"],
                "channel_secret": emu_channel["channel_secret"], "provider_name": provider,
                "api_url": emulator.base_url, "data_url": emulator.base_url,
                "responsible_user_ids": [(6, 0, env.ref("base.user_admin").ids)]})
            for name in customers:
                user_id = emu.create_user(provider_id=provider, display_name=name)["user_id"]
                emu.follow(emu_channel["channel_id"], user_id)
                identity, _created = env["line.identity"]._get_or_create(provider, user_id)
                identity.name = name
                people[name] = (user_id, env["discuss.channel"]._line_create(channel, identity).id)
        self.addCleanup(self._clean, channel.id, provider)
        return emu, emu_channel["channel_id"], people

    def _post(self, conversation_id, *texts):
        """An operator answers, committed (as Discuss's route does)."""
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            conversation = env["discuss.channel"].browse(conversation_id).with_user(env.ref("base.user_admin"))
            for text in texts:
                conversation.message_post(body=text, message_type="comment", subtype_xmlid="mail.mt_comment")

    def _send(self):
        with self._cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["line.message"]._cron_send()

    @staticmethod
    def _texts(requests):
        return [[message["text"] for message in request["messages"]] for request in requests]

    def test_two_sending_jobs_at_once_deliver_every_message_once_and_in_order(self):
        emu, _channel_id, people = self._account([f"C{i}" for i in range(6)])
        for name, (_user_id, conversation_id) in people.items():
            self._post(conversation_id, *(f"{name}-{n}" for n in range(7)))  # more than one request holds

        errors = []

        def job():
            try:
                for _round in range(8):
                    self._send()
            except Exception as error:  # reported by the test below
                errors.append(error)

        threads = [threading.Thread(target=job) for _job in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(errors, [])
        for name, (user_id, _conversation_id) in people.items():
            received = [text for request in self._texts(emu.sent(user_id=user_id)) for text in request]
            self.assertEqual(received, [f"{name}-{n}" for n in range(7)], "each message once, in order")
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            ledger = env["line.message"].search([("conversation_id", "in", [c for _u, c in people.values()])])
            self.assertEqual(set(ledger.mapped("state")), {"sent"})
            self.assertEqual(set(ledger.notification_id.mapped("notification_status")), {"sent"})

    def test_a_worker_killed_after_line_accepted_a_request_sends_it_once_and_loses_no_later_post(self):
        """A run committed its plan, LINE accepted the request, and the worker died before recording
        it. The next run sends the same request (LINE answers 409: accepted already), not one grown
        by what the operator posted meanwhile, which goes in a request of its own."""
        emu, _channel_id, people = self._account(["Dai"])
        user_id, conversation_id = people["Dai"]
        self._post(conversation_id, "one", "two")
        with self._cursor() as cr:  # the run that dies: its cursor closes without committing the rest
            env = api.Environment(cr, SUPERUSER_ID, {})
            Message = env["line.message"]
            rows, held, _full = Message._send_take(fields.Datetime.now(), {})
            plans = Message._send_checkpoint(rows._send_plan(held)[0])
            [(bundle, _event)] = plans
            self.assertEqual(len(bundle), 2, "posted one after the other: one request")
            bundle.channel_id._line_client().push(user_id, [{"type": "text", "text": "one"},
                                                            {"type": "text", "text": "two"}],
                                                  retry_key=bundle[0].retry_key)
            cr.rollback()
        self._post(conversation_id, "three")
        self._send()
        self._send()
        self.assertEqual(self._texts(emu.sent(user_id=user_id)), [["one", "two"], ["three"]])
        self.assertEqual([call["status"] for call in emu.calls(endpoint="push")], [200, 409, 200])
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            ledger = env["line.message"].search([("conversation_id", "=", conversation_id)])
            self.assertEqual(ledger.mapped("state"), ["sent"] * 3)

    def test_a_cron_run_waits_for_the_next_answer_and_gives_way_when_another_job_is_due(self):
        """Operators answering one after the other cost one run of Odoo's cron: a run that sent
        everything waits for the next request (woken by its notification), and ends at once when
        another job is due."""
        emu, _channel_id, people = self._account(["Eri"])
        user_id, conversation_id = people["Eri"]
        self._hold_other_jobs()
        with self._cursor() as cr:
            job = api.Environment(cr, SUPERUSER_ID, {})["line.message"]._queue_jobs()[:1].id
        self._post(conversation_id, "one")
        errors = []

        run = self._waiting_run(job, errors)

        thread = threading.Thread(target=run)
        with patch.object(const, "SEND_LINGER_SECONDS", 60):
            thread.start()
            self._wait_until(lambda: self._texts(emu.sent(user_id=user_id)) == [["one"]])
            self._post(conversation_id, "two")
            self._wait_until(lambda: self._texts(emu.sent(user_id=user_id)) == [["one"], ["two"]])
            self.assertTrue(thread.is_alive(), "the run that sent the first answer sent the second")
            with self._cursor() as cr:
                api.Environment(cr, SUPERUSER_ID, {}).ref("base.autovacuum_job")._trigger()
            thread.join(30)
        self.assertFalse(thread.is_alive(), "another job was due: the run ended long before its wait")
        self.assertEqual(errors, [])

    def test_while_a_run_waits_a_post_wakes_it_alone_and_one_that_saw_it_waiting_is_never_left_behind(self):
        """A post into a LINE conversation writes no cron trigger while a run waits (a trigger's
        notification wakes every cron worker): the waiting run sends it. A post that saw the run
        waiting, committed only after the run stopped waiting, still gets a job called for it."""
        emu, _channel_id, people = self._account(["Fumi"])
        user_id, conversation_id = people["Fumi"]
        self._hold_other_jobs()
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            jobs = env["line.message"]._queue_jobs().ids
        self._post(conversation_id, "one")
        errors = []

        run = self._waiting_run(jobs[0], errors)

        def the_run_waits_for_the_gate():  # it stopped waiting, and waits for the posts that saw it waiting
            with self._cursor() as cr:
                cr.execute("SELECT objid, granted FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                           "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                           [const.SEND_LOCK_SPACE])
                return set(cr.fetchall()) == {(const.SEND_GATE_LOCK[1], True), (const.SEND_GATE_LOCK[1], False)}

        thread = threading.Thread(target=run)
        with patch.object(const, "SEND_LINGER_SECONDS", 3), patch.object(const, "SEND_GATE_SECONDS", 60):
            thread.start()
            self._wait_until(lambda: self._texts(emu.sent(user_id=user_id)) == [["one"]])
            before = self._due_triggers(jobs)
            self._post(conversation_id, "two")
            self._wait_until(lambda: self._texts(emu.sent(user_id=user_id)) == [["one"], ["two"]])
            self.assertEqual(self._due_triggers(jobs), before, "the waiting run was woken alone: no cron trigger")
            # A post that sees the run waiting, and commits after the run stopped waiting.
            late = self._cursor()
            self.addCleanup(late.close)  # before the account's clean-up, which its locks would hold
            env = api.Environment(late, SUPERUSER_ID, {})
            env["discuss.channel"].browse(conversation_id).with_user(env.ref("base.user_admin")).message_post(
                body="three", message_type="comment", subtype_xmlid="mail.mt_comment")
            self._wait_until(the_run_waits_for_the_gate)
            self.assertTrue(thread.is_alive(), "the run waits for the post that saw it waiting")
            late.commit()
            thread.join(30)
        self.assertFalse(thread.is_alive())
        self.assertEqual(errors, [])
        self.assertGreater(self._due_triggers(jobs), before, "a job is called for the late post")
        self._send()
        self.assertEqual(self._texts(emu.sent(user_id=user_id)), [["one"], ["two"], ["three"]])

    def test_the_waiting_run_sends_a_retry_that_falls_due_before_its_end(self):
        """LINE failed once: the run that waits sends the retry when it falls due (2 s later), not
        Odoo's cron a minute later."""
        emu, _channel_id, people = self._account(["Gen"])
        user_id, conversation_id = people["Gen"]
        self._hold_other_jobs()
        with self._cursor() as cr:
            job = api.Environment(cr, SUPERUSER_ID, {})["line.message"]._queue_jobs()[:1].id
        emu.set_fault("push", "500", count=1)
        self._post(conversation_id, "again")
        with patch.object(const, "SEND_LINGER_SECONDS", 0.2), self._cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {"cron_id": job, const.CTX_SEND_LINGER: True})[
                "line.message"]._cron_send()
        self.assertEqual(self._texts(emu.sent(user_id=user_id)), [["again"]], "sent by the same run, once")
        self.assertEqual([call["status"] for call in emu.calls(endpoint="push")], [500, 200])

    def test_a_waiting_run_that_fails_lets_go_and_calls_the_next_run_for_what_was_posted(self):
        """The waiting run fails (a database error, a bug): the post that woke it is not left for
        Odoo's next cron poll, and the next run can wait in its turn."""
        emu, _channel_id, people = self._account(["Hana"])
        user_id, conversation_id = people["Hana"]
        self._hold_other_jobs()
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            model, jobs = type(env["line.message"]), env["line.message"]._queue_jobs().ids
        self._post(conversation_id, "one")
        posted, errors, send_round = threading.Event(), [], model._send_round

        def failing_round(this, run):
            if posted.is_set():
                raise RuntimeError("the round failed")
            return send_round(this, run)

        run = self._waiting_run(jobs[0], errors)

        thread = threading.Thread(target=run)
        with patch.object(const, "SEND_LINGER_SECONDS", 30), patch.object(model, "_send_round", failing_round):
            thread.start()
            self._wait_until(lambda: self._texts(emu.sent(user_id=user_id)) == [["one"]])
            before = self._due_triggers(jobs)
            posted.set()
            self._post(conversation_id, "two")
            thread.join(30)
        self.assertFalse(thread.is_alive())
        self.assertEqual([str(error) for error in errors], ["the round failed"])
        self.assertGreater(self._due_triggers(jobs), before, "a job is called for the post")
        with self._cursor() as cr:
            waits = api.Environment(cr, SUPERUSER_ID, {"cron_id": jobs[0], const.CTX_SEND_LINGER: True})[
                "line.message"]._send_wait_begin()
            self.assertTrue(waits, "the failed run let its lock go: the next run waits in its turn")
            api.Environment(cr, SUPERUSER_ID, {})["line.message"]._send_wait_end()
        self._send()
        self.assertEqual(self._texts(emu.sent(user_id=user_id)), [["one"], ["two"]])

    def _waiting_run(self, job, errors):
        """A thread's target: ``job`` run as Odoo's cron runs it, waiting for requests; what it
        raises goes to ``errors``."""

        def run():
            try:
                with self._cursor() as cr:
                    api.Environment(cr, SUPERUSER_ID, {"cron_id": job, const.CTX_SEND_LINGER: True})[
                        "line.message"]._cron_send()
            except Exception as error:  # reported by the test
                errors.append(error)
        return run

    def _due_triggers(self, jobs):
        """The due triggers of ``jobs``: what makes Odoo's cron run them at once."""
        with self._cursor() as cr:
            cr.execute("SELECT count(*) FROM ir_cron_trigger WHERE cron_id = ANY(%s) "
                       "AND call_at <= now() AT TIME ZONE 'UTC'", [jobs])
            return cr.fetchone()[0]

    def _hold_other_jobs(self):
        """No cron job is due during the test (no cron worker runs them in tests)."""
        with self._cursor() as cr:
            cr.execute("UPDATE ir_cron SET nextcall = nextcall + interval '100 years' "
                       "WHERE nextcall <= now() AT TIME ZONE 'UTC' RETURNING id")
            jobs = [job_id for (job_id,) in cr.fetchall()]
            cr.execute("UPDATE ir_cron_trigger SET call_at = call_at + interval '100 years' "
                       "WHERE call_at <= now() AT TIME ZONE 'UTC' RETURNING id")
            triggers = [trigger_id for (trigger_id,) in cr.fetchall()]

        def restore():
            with self._cursor() as cr:
                cr.execute("DELETE FROM ir_cron_trigger WHERE call_at <= now() AT TIME ZONE 'UTC'")
                cr.execute("UPDATE ir_cron SET nextcall = nextcall - interval '100 years' WHERE id = ANY(%s)", [jobs])
                cr.execute("UPDATE ir_cron_trigger SET call_at = call_at - interval '100 years' WHERE id = ANY(%s)",
                           [triggers])
        self.addCleanup(restore)

    @staticmethod
    def _wait_until(condition, seconds=30):
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("not reached in time")
            time.sleep(0.1)

    def _clean(self, channel_id, provider):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            identities = env["line.identity"].search([("provider_name", "=", provider)])
            guests = identities.guest_id
            conversations = env["discuss.channel"].search([("line_channel_id", "=", channel_id)])
            env["line.message"].search([("conversation_id", "in", conversations.ids)]).unlink()
            conversations.unlink()
            env["line.channel"].browse(channel_id).unlink()
            identities.unlink()
            guests.unlink()
