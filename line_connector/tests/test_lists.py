import datetime
from datetime import timedelta
from types import SimpleNamespace

import pytz
from lxml import etree

from odoo import fields
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

    def filtered(self, name):
        """Search with the domain of the search view's filter ``name``, as the web client evaluates it."""
        view = self.env.ref("line_connector.discuss_channel_view_search_line")
        [node] = etree.fromstring(view.arch).xpath(f"//filter[@name='{name}']")
        tz = pytz.timezone(self.operator.tz or "UTC")

        class ClientDatetime(datetime.datetime):
            def to_utc(self):  # the web client's helper: local time to UTC
                return tz.localize(self).astimezone(pytz.utc).replace(tzinfo=None)

        client_datetime = SimpleNamespace(datetime=ClientDatetime, time=datetime.time)
        context = {"uid": self.operator.id, "datetime": client_datetime,
                   "context_today": lambda: fields.Date.context_today(self.operator)}
        domain = safe_eval(node.get("domain"), context)
        return self.env["discuss.channel"].with_user(self.operator).search(domain + [("channel_type", "=", "line")])

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

    def test_group_by_friend_state_and_assignee(self):
        groups = dict(self.env["discuss.channel"]._read_group(
            [("channel_type", "=", "line")], ["line_assignee_id"], ["__count"]))
        self.assertEqual(groups[self.operator], 4)
        self.assertEqual(groups[self.manager], 1)

    def test_reply_later_is_a_dated_reminder_done_by_answering(self):
        action = self.unlinked_new.with_user(self.operator).action_line_reply_later()
        form = Form(self.env[action["res_model"]].with_user(self.operator).with_context(action["context"]))
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
