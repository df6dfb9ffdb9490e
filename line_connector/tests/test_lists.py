import datetime
from datetime import timedelta
from types import SimpleNamespace

import pytz
from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestConversationLists(LineTransactionCase):
    """Each filter of the LINE conversations list returns exactly what its name says."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.write({"assign_target": "users", "assign_user_ids": [(6, 0, cls.operator.ids)]})

    def setUp(self):
        super().setUp()
        C = self.env["discuss.channel"]
        self.unlinked_new = self.receive(self.new_customer("Unlinked new"))
        self.unlinked_old = self.receive(self.new_customer("Unlinked old"))
        self.unlinked_old.line_last_customer_date = fields.Datetime.now() - timedelta(days=3)
        self.unlinked_answered = self.receive(self.new_customer("Unlinked answered"))
        self.answer(self.unlinked_answered)
        self.my_contact = self.receive(self.new_customer("My contact"))
        self.my_contact.line_identity_id._link_partner(
            self.env["res.partner"].create({"name": "Contact of mine", "user_id": self.operator.id}))
        self.someone_elses = self.receive(self.new_customer("Someone else's"))
        self.someone_elses.line_assignee_id = self.manager
        self.all = C.search([("channel_type", "=", "line")])

    def answer(self, conversation):
        conversation.with_user(self.operator).message_post(
            body="answer", message_type="comment", subtype_xmlid="mail.mt_comment")

    def search_view(self, user):
        """The search view of the LINE conversations list, as the web client gets it for ``user``."""
        action = self.env.ref("line_connector.discuss_channel_action_line")
        views = self.env["discuss.channel"].with_user(user).get_views(
            [(action.search_view_id.id, "search")], {"action_id": action.id})
        return etree.fromstring(views["views"]["search"]["arch"])

    def filtered(self, name, user=None):
        """Search with the domain of the search view's filter ``name``, as the web client evaluates it."""
        user = user or self.operator
        [node] = self.search_view(user).xpath(f"//filter[@name='{name}']")
        tz = pytz.timezone(user.tz or "UTC")

        class ClientDatetime(datetime.datetime):
            def to_utc(self):  # the web client's helper: local time to UTC
                return tz.localize(self).astimezone(pytz.utc).replace(tzinfo=None)

        client_datetime = SimpleNamespace(datetime=ClientDatetime, time=datetime.time)
        context = {"uid": user.id, "datetime": client_datetime,
                   "context_today": lambda: fields.Date.context_today(user)}
        domain = safe_eval(node.get("domain"), context)
        return self.env["discuss.channel"].with_user(user).search(domain + [("channel_type", "=", "line")])

    def grouped(self, name, user=None):
        """Conversations counted per group of the search view's group-by ``name``."""
        user = user or self.operator
        [node] = self.search_view(user).xpath(f"//filter[@name='{name}']")
        group_by = safe_eval(node.get("context"))["group_by"]
        return dict(self.env["discuss.channel"].with_user(user)._read_group(
            [("channel_type", "=", "line")], [group_by], ["__count"]))

    def test_unlinked_filters(self):
        unlinked = self.unlinked_new | self.unlinked_old | self.unlinked_answered | self.someone_elses
        self.assertEqual(self.filtered("unlinked"), unlinked)
        unreplied = self.unlinked_new | self.unlinked_old | self.someone_elses
        self.assertEqual(self.filtered("unlinked_unreplied"), unreplied)
        self.assertEqual(self.filtered("unlinked_today"), unlinked - self.unlinked_old)

    def test_mine_filters(self):
        mine = self.unlinked_new | self.unlinked_old | self.unlinked_answered | self.my_contact
        self.assertEqual(self.filtered("mine"), mine)
        self.assertEqual(self.filtered("mine_unreplied"), mine - self.unlinked_answered)
        self.assertEqual(self.filtered("mine_today"), mine - self.unlinked_old)

    def test_my_contacts_filters(self):
        self.assertEqual(self.filtered("my_contacts"), self.my_contact)
        self.assertEqual(self.filtered("my_contacts_unreplied"), self.my_contact)
        self.answer(self.my_contact)
        self.assertFalse(self.filtered("my_contacts_unreplied"))
        self.assertEqual(self.filtered("my_contacts_today"), self.my_contact)

    def test_unreplied_and_unassigned_filters(self):
        self.assertEqual(self.filtered("unreplied"), self.all - self.unlinked_answered)
        self.assertFalse(self.filtered("unassigned"))
        # sudo: discuss.channel - a conversation nobody could take (everyone at their limit)
        self.unlinked_old.sudo().with_context(line_assigning=True).line_assignee_id = False
        self.assertEqual(self.filtered("unassigned", self.manager), self.unlinked_old)

    def test_friend_state_filters(self):
        self.assertEqual(self.filtered("friends"), self.all)
        self.someone_elses.line_identity_id.friend_state = "blocked"
        self.assertEqual(self.filtered("friends", self.manager), self.all - self.someone_elses)
        self.assertEqual(self.filtered("blocked", self.manager), self.someone_elses)
        self.assertEqual(self.grouped("group_friend_state", self.manager), {"friend": 4, "blocked": 1})

    def test_search_and_group_by_channel_company_assignee_team(self):
        for user in (self.operator, self.manager):
            searchable = set(self.search_view(user).xpath("//field/@name"))
            self.assertLessEqual({"line_channel_id", "line_assignee_id", "line_team_id", "line_friend_state"},
                                 searchable)
        self.assertIn("line_company_id", self.search_view(self.manager).xpath("//field/@name"),
                      "a user of several companies searches by company")
        team = self.env["crm.team"].create({"name": "LINE desk"})
        self.my_contact.line_team_id = team
        self.assertEqual(self.grouped("group_assignee", self.manager), {self.operator: 4, self.manager: 1})
        self.assertEqual(self.grouped("group_channel", self.manager), {self.line_channel: 5})
        self.assertEqual(self.grouped("group_company", self.manager), {self.company: 5})
        self.assertEqual(self.grouped("group_team", self.manager), {team: 1, self.env["crm.team"]: 4})

    def test_reply_later_is_a_dated_reminder_done_by_answering(self):
        action = self.unlinked_new.with_user(self.operator).action_line_reply_later()
        form = Form(self.env[action["res_model"]].with_user(self.operator).with_context(**action["context"]))
        self.assertEqual(form.date_deadline, fields.Date.context_today(self.operator) + timedelta(days=1))
        form.date_deadline = fields.Date.context_today(self.operator) + timedelta(days=3)
        form.save().action_schedule_activities()
        identity = self.unlinked_new.line_identity_id
        [reminder] = identity.activity_ids
        self.assertEqual((reminder.user_id, reminder.activity_type_id.name, reminder.date_deadline),
                         (self.operator, "Reply on LINE", fields.Date.context_today(self.operator) + timedelta(days=3)))
        self.assertEqual(self.filtered("my_reply_later"), self.unlinked_new)

        self.answer(self.unlinked_new)
        self.assertFalse(identity.activity_ids)
        self.assertFalse(self.filtered("my_reply_later"))
        self.assertIn("Answered on LINE", identity.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestDone(LineTransactionCase):
    """Done (対応済み): a conversation nothing more is to be answered in, until the customer writes again."""

    def test_done_leaves_the_unreplied_list_and_the_customer_reopens_it(self):
        customer = self.new_customer("Thanks sticker")
        conversation = self.receive(customer, "ありがとう!")
        self.assertTrue(conversation.line_unreplied)
        conversation.with_user(self.operator).action_line_done()
        self.assertFalse(conversation.line_unreplied)
        self.assertFalse(self.env["discuss.channel"].search(
            [("id", "=", conversation.id), ("line_unreplied", "=", True)]))
        self.assertFalse(self.env["line.message"].search([("conversation_id", "=", conversation.id)]),
                         "nothing is sent to the customer")
        conversation.with_user(self.operator).action_line_reopen()
        self.assertTrue(conversation.line_unreplied)
        conversation.with_user(self.operator).action_line_done()
        self.receive(customer, "one more question")
        self.assertTrue(conversation.line_unreplied, "the customer writing again reopens it")
        with self.assertRaises(AccessError):
            conversation.with_user(self.kyoto_operator).action_line_done()
