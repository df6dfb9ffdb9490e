import threading
import uuid
from collections import Counter

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestAssignment(LineTransactionCase):
    """Every new LINE customer reaches one person, by the channel's rule."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agents = [new_test_user(cls.env, f"agent{i}", groups="base.group_user,line_connector.group_line_operator")
                      for i in range(3)]
        cls.agent_ids = [a.id for a in cls.agents]
        cls.line_channel.write({"assign_target": "users", "assign_user_ids": [(6, 0, cls.agent_ids)]})

    def setUp(self):
        super().setUp()
        # Round robin's turns come from a sequence, which a test's rollback does not take back: each
        # test starts with the channel's first turn, as a new channel does.
        self.env.cr.execute(SQL("ALTER SEQUENCE %s RESTART", SQL.identifier(self.line_channel._turn_sequence())))

    def assignees(self, customers):
        return [self.conversation_of(c).line_assignee_id for c in customers]

    def test_round_robin_9_over_3_is_3_3_3_in_order(self):
        customers = [self.new_customer(f"Customer {i}") for i in range(9)]
        for customer in customers:
            self.receive(customer)
        assigned = self.assignees(customers)
        self.assertEqual([u.id for u in assigned], self.agent_ids * 3)
        self.assertEqual(Counter(u.id for u in assigned), dict.fromkeys(self.agent_ids, 3))

    def test_assignee_is_member_and_notified(self):
        customer = self.new_customer("Hanako")
        conversation = self.receive(customer, "hi")
        agent = conversation.line_assignee_id
        member = conversation.channel_member_ids.filtered(lambda m: m.partner_id == agent.partner_id)
        self.assertTrue(member)
        self.assertEqual(member.message_unread_counter, 1)

    def test_activity_when_the_channel_wants_one(self):
        self.line_channel.assign_activity = True
        conversation = self.receive(self.new_customer("Hanako"))
        activity = conversation.line_identity_id.activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref("line_connector.mail_activity_type_reply_line"))
        self.assertEqual(activity.user_id, conversation.line_assignee_id)

    def test_unavailable_people_are_skipped_then_fallback(self):
        self.line_channel.assign_only_available = True
        self.env["bus.presence"].create([{"user_id": self.agents[1].id, "status": "online"}])
        conversation = self.receive(self.new_customer("A"))
        self.assertEqual(conversation.line_assignee_id, self.agents[1])
        self.env["bus.presence"].search([("user_id", "=", self.agents[1].id)]).status = "offline"
        self.agents[1].invalidate_recordset(["im_status"])
        fallback = new_test_user(self.env, "fallback", groups="base.group_user")
        self.line_channel.assign_fallback_user_id = fallback
        self.assertEqual(self.receive(self.new_customer("B")).line_assignee_id, fallback)

    def test_cap_of_open_conversations(self):
        self.line_channel.assign_max_open = 1
        first = [self.receive(self.new_customer(f"C{i}")) for i in range(3)]
        self.assertEqual(sorted(c.line_assignee_id.id for c in first), self.agent_ids)
        self.assertFalse(self.receive(self.new_customer("C4")).line_assignee_id, "everyone is at the cap")
        first[0].with_user(first[0].line_assignee_id).message_post(
            body="answered", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(self.receive(self.new_customer("C5")).line_assignee_id, first[0].line_assignee_id)

    def test_unassigned_conversation_is_assigned_when_the_customer_writes_again(self):
        self.line_channel.assign_max_open = 1
        first = [self.receive(self.new_customer(f"C{i}")) for i in range(3)]
        waiting_customer = self.new_customer("Waiting")
        waiting = self.receive(waiting_customer, "anyone?")
        self.assertFalse(waiting.line_assignee_id, "everyone is at the cap")
        self.receive(waiting_customer, "still there?")
        self.assertFalse(waiting.line_assignee_id, "still everyone at the cap")
        self.answer(first[1])  # agent 1 is free again
        self.receive(waiting_customer, "hello again")
        self.assertEqual(waiting.line_assignee_id, self.agents[1])
        member = waiting.channel_member_ids.filtered(lambda m: m.partner_id == self.agents[1].partner_id)
        self.assertEqual(member.message_unread_counter, 3, "the customer's messages wait for them")
        self.assertIn("Assigned to agent1", " ".join(waiting.message_ids.mapped("body")))

    def test_unassigned_conversation_is_assigned_once_someone_is_available(self):
        self.line_channel.assign_only_available = True
        customer = self.new_customer("Night owl")
        conversation = self.receive(customer, "anyone?")
        self.assertFalse(conversation.line_assignee_id, "nobody is online")
        self.env["bus.presence"].create([{"user_id": self.agents[2].id, "status": "online"}])
        self.agents[2].invalidate_recordset(["im_status"])
        self.receive(customer, "good morning")
        self.assertEqual(conversation.line_assignee_id, self.agents[2])

    def open_conversations_for(self, agent, count):
        """``count`` customers waiting for ``agent`` (open = the customer wrote last)."""
        self.line_channel.assign_user_ids = agent
        conversations = [self.receive(self.new_customer(f"{agent.login} {i}")) for i in range(count)]
        self.assertEqual({c.line_assignee_id for c in conversations}, {agent})
        self.line_channel.assign_user_ids = self.agents[0] | self.agents[1] | self.agents[2]
        return conversations

    def answer(self, conversation):
        conversation.with_user(conversation.line_assignee_id).message_post(
            body="answered", message_type="comment", subtype_xmlid="mail.mt_comment")

    def test_least_busy(self):
        busy = self.open_conversations_for(self.agents[0], 2)
        self.open_conversations_for(self.agents[2], 1)
        # Round robin would now go on after agent 2, to agent 0: least busy gives agent 1 (none open).
        self.assertEqual(self.line_channel.assign_pointer_user_id, self.agents[2])
        self.line_channel.assign_method = "least_busy"
        self.assertEqual(self.receive(self.new_customer("L1")).line_assignee_id, self.agents[1])
        # Answered conversations are not open: agent 0 is then the least busy (0 against 1 and 1).
        for conversation in busy:
            self.answer(conversation)
        self.assertEqual(self.receive(self.new_customer("L2")).line_assignee_id, self.agents[0])

    def test_reassigning_moves_the_reply_activity(self):
        self.line_channel.assign_activity = True
        conversation = self.receive(self.new_customer("Hanako"))
        identity = conversation.line_identity_id
        self.assertEqual(identity.activity_ids.user_id, self.agents[0])
        conversation.with_user(self.agents[0]).action_line_reassign(self.agents[1].id)
        [activity] = identity.activity_ids
        self.assertEqual((activity.user_id, activity.activity_type_id.name), (self.agents[1], "Reply on LINE"))
        self.assertFalse(self.env["mail.activity"].search([("user_id", "=", self.agents[0].id)]),
                         "nothing left on the first assignee's to-do list")
        conversation.with_user(self.manager).action_line_reassign(self.agents[2].id)
        self.assertEqual(identity.activity_ids.user_id, self.agents[2])

    def test_team_and_group_targets(self):
        team = self.env["crm.team"].create({"name": "LINE desk", "member_ids": [(6, 0, self.agent_ids[1:])]})
        self.line_channel.write({"assign_target": "team", "assign_team_id": team.id})
        got = {self.receive(self.new_customer(f"T{i}")).line_assignee_id.id for i in range(2)}
        self.assertEqual(got, set(self.agent_ids[1:]))
        group = self.env["res.groups"].create({"name": "LINE night shift", "users": [(6, 0, self.agent_ids[:1])]})
        self.line_channel.write({"assign_target": "group", "assign_group_id": group.id})
        self.assertEqual(self.receive(self.new_customer("G")).line_assignee_id.id, self.agent_ids[0])

    def test_returning_customer_gets_previous_assignee(self):
        self.receive(self.new_customer("Before"))  # agent 0's turn: the regular goes to agent 1
        customer = self.new_customer("Regular")
        first = self.receive(customer)
        self.assertEqual(first.line_assignee_id, self.agents[1])
        # A second channel, whose round robin starts again at agent 0: the regular gets agent 1 again.
        other, emu_other = self._make_channel("Osaka Store 2", provider_id="provider-osaka",
                                              assign_target="users", assign_user_ids=[(6, 0, self.agent_ids)])
        second = self.receive(customer, channel=other, emu_channel=emu_other)
        self.assertEqual(second.line_assignee_id, self.agents[1])
        newcomer = self.receive(self.new_customer("Newcomer"), channel=other, emu_channel=emu_other)
        self.assertEqual(newcomer.line_assignee_id, self.agents[0], "a stranger would have had agent 0")

    def test_returning_customer_skips_an_unavailable_previous_assignee(self):
        customer = self.new_customer("Regular")
        self.assertEqual(self.receive(customer).line_assignee_id, self.agents[0])
        self.env["bus.presence"].create([{"user_id": agent.id, "status": "online"} for agent in self.agents[1:]])
        other, emu_other = self._make_channel("Osaka Store 2", provider_id="provider-osaka", assign_target="users",
                                              assign_user_ids=[(6, 0, self.agent_ids)], assign_only_available=True)
        second = self.receive(customer, channel=other, emu_channel=emu_other)
        self.assertEqual(second.line_assignee_id, self.agents[1], "agent 0 is offline: the next in turn")

    def test_changing_rules_reassigns_only_when_asked(self):
        conversation = self.receive(self.new_customer("Waiting"))
        before = conversation.line_assignee_id
        newcomer = new_test_user(self.env, "newcomer", groups="base.group_user")
        self.line_channel.write({"assign_user_ids": [(6, 0, newcomer.ids)]})
        self.assertEqual(conversation.line_assignee_id, before)
        with self.assertRaises(AccessError):  # applying a rule to everyone's conversations: managers only
            self.line_channel.with_user(self.operator).action_reassign_open_conversations()
        self.line_channel.with_user(self.manager).action_reassign_open_conversations()
        self.assertEqual(conversation.line_assignee_id, newcomer)
        self.assertIn("Assigned to newcomer", conversation.message_ids[0].body)

    def test_manual_reassign(self):
        conversation = self.receive(self.new_customer("Moving"))
        target = self.agents[2] if conversation.line_assignee_id != self.agents[2] else self.agents[0]
        action = conversation.with_user(self.manager).action_line_open_reassign()
        wizard = self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"]).create(
            {"user_id": target.id})
        wizard.action_reassign()
        self.assertEqual(conversation.line_assignee_id, target)
        self.assertIn(target.partner_id, conversation.channel_member_ids.partner_id)
        outsider = new_test_user(self.env, "outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            conversation.with_user(outsider).line_assignee_id = self.agents[0]
        with self.assertRaises(AccessError):
            conversation.with_user(outsider).action_line_reassign(self.agents[0].id)
        self.assertEqual(conversation.line_assignee_id, target)


@tagged("post_install", "-at_install")
class TestAssignmentConcurrency(TransactionCase):
    """Two workers assign at the same moment, on committed data, each in its own transaction.

    No class set-up here: the test's own transaction must hold no lock the workers need.
    """

    def test_concurrent_newcomers_never_share_or_skip_a_turn(self):
        """Two transactions pick at the same moment, on committed data, as two workers would: each gets
        its own turn at once (a row lock on the channel made one fail to serialize and retry)."""
        registry = self.env.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tag = uuid.uuid4().hex[:8]
            users = env["res.users"].create([{"name": f"Race {i}", "login": f"race-{tag}-{i}"} for i in range(3)])
            channel = env["line.channel"].create({
                "name": "Race", "channel_number": "race", "channel_secret": "s", "assign_target": "users",
                "assign_user_ids": [(6, 0, users.ids)], "responsible_user_ids": [(6, 0, users.ids)]})
            # The workers' data must be committed.
            cr.commit()  # pylint: disable=invalid-commit
        try:
            barrier, picks, failures = threading.Barrier(2), [], []

            def pick():
                with registry.cursor() as cr:
                    # The test runner holds the registry lock: give the cursor its registry directly.
                    cr.transaction = api.Transaction(registry)
                    barrier.wait(10)
                    for _attempt in range(5):  # as a cron worker does: a serialization failure is retried
                        env = api.Environment(cr, SUPERUSER_ID, {})
                        try:
                            user_id = env["line.channel"].browse(channel.id)._pick_assignee().id
                            env.flush_all()
                            # The workers' data must be committed.
                            cr.commit()  # pylint: disable=invalid-commit
                        except SerializationFailure as failure:
                            failures.append(failure)
                            cr.rollback()
                            env.invalidate_all()
                            continue
                        picks.append(user_id)
                        return

            threads = [threading.Thread(target=pick) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            self.assertEqual(sorted(picks), users.ids[:2], "two turns, in order, none shared or skipped")
            self.assertEqual(failures, [], "neither waited for the other nor failed: no row every newcomer locks")
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["line.channel"].browse(channel.id).unlink()
                env["res.users"].browse(users.ids).unlink()
                # The workers' data must be committed.
                cr.commit()  # pylint: disable=invalid-commit


@tagged("post_install", "-at_install")
class TestSharedChannel(LineTransactionCase):
    """One Official Account for every company: new friends go to a default company and team."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kyoto_agent = new_test_user(
            cls.env, "kyoto_agent", groups="base.group_user,line_connector.group_line_operator",
            company_ids=[(6, 0, cls.other_company.ids)], company_id=cls.other_company.id)
        cls.team = cls.env["crm.team"].create({"name": "Kyoto LINE desk", "company_id": cls.other_company.id,
                                               "member_ids": [(6, 0, cls.kyoto_agent.ids)]})
        cls.shared, cls.emu_shared = cls._make_channel("Japan HQ", scope="shared")

    def test_default_company_and_team(self):
        self.shared.write({"default_company_id": self.other_company.id, "default_team_id": self.team.id})
        self.assertFalse(self.shared.assignment_warning)
        conversation = self.receive(self.new_customer("Kyoto fan"), channel=self.shared, emu_channel=self.emu_shared)
        self.assertEqual((conversation.line_company_id, conversation.line_team_id), (self.other_company, self.team))
        self.assertIn(self.kyoto_agent.partner_id, conversation.channel_member_ids.partner_id, "the team is notified")
        Channel = self.env["discuss.channel"]
        self.assertIn(conversation, Channel.with_user(self.kyoto_operator).search([("channel_type", "=", "line")]))
        self.assertNotIn(conversation, Channel.with_user(self.operator).search([("channel_type", "=", "line")]))

    def test_conversations_that_came_before_the_default_company_are_routed_when_asked(self):
        waiting = [self.receive(self.new_customer(f"Early {i}"), channel=self.shared, emu_channel=self.emu_shared)
                   for i in range(2)]
        self.assertEqual(self.shared.unrouted_count, 2)
        self.shared.write({"default_company_id": self.other_company.id, "default_team_id": self.team.id,
                           "assign_target": "team", "assign_team_id": self.team.id})
        with self.assertRaises(AccessError):
            self.shared.with_user(self.kyoto_operator).action_route_unrouted()
        self.shared.with_user(self.manager).action_route_unrouted()
        self.assertEqual(self.shared.unrouted_count, 0)
        for conversation in waiting:
            self.assertEqual((conversation.line_company_id, conversation.line_team_id, conversation.line_assignee_id),
                             (self.other_company, self.team, self.kyoto_agent))
        visible = self.env["discuss.channel"].with_user(self.kyoto_operator).search(
            [("id", "in", [c.id for c in waiting])])
        self.assertEqual(set(visible.ids), {c.id for c in waiting}, "the company's people see them")

    def test_without_default_company_only_managers_see_it(self):
        self.assertIn("only LINE managers see them", self.shared.assignment_warning)
        self.shared.responsible_user_ids = self.manager | self.operator  # an operator among them, too
        conversation = self.receive(self.new_customer("Nobody's"), channel=self.shared, emu_channel=self.emu_shared)
        self.assertFalse(conversation.line_company_id)
        self.assertFalse(conversation.line_assignee_id)
        Channel = self.env["discuss.channel"]
        for user in (self.operator, self.kyoto_operator):
            self.assertFalse(Channel.with_user(user).search([("id", "=", conversation.id)]))
        manager = new_test_user(self.env, "other_manager", groups="base.group_user,line_connector.group_line_manager")
        self.assertTrue(Channel.with_user(manager).search([("id", "=", conversation.id)]))
