from lxml import etree

from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import LineHttpCase, LineTransactionCase


@tagged("post_install", "-at_install")
class TestInboxViews(LineTransactionCase):
    """What the operator's inbox shows, read as the web client gets it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.settings_admin = new_test_user(
            cls.env, "line_settings_admin", groups="base.group_system,line_connector.group_line_manager")

    def get_view(self, model, view_type, xmlid, action_xmlid=None, user=None):
        views = self.env[model].with_user(user or self.manager).get_views(
            [(self.env.ref(xmlid).id, view_type)],
            {"action_id": self.env.ref(action_xmlid).id} if action_xmlid else {})
        return etree.fromstring(views["views"][view_type]["arch"])

    def settings_summary(self):
        # As the settings form loads it (the onchange of a new record): it once said "0 connected".
        return Form(self.env["res.config.settings"].with_user(self.settings_admin)).line_channel_summary

    def test_settings_count_the_channels_in_use_in_one_sentence(self):
        self.env["line.channel"].search([("id", "!=", self.line_channel.id)]).active = False  # demo data
        self.line_channel.check_state = "ok"
        self._make_channel("Kobe Store")[0].check_state = "warning"
        self._make_channel("Old Store")[0].active = False
        self.assertEqual(
            self.settings_summary(), "Channels in use: 2 (1 ready, 1 need attention, 0 not checked).")
        form = self.get_view("res.config.settings", "form", "base.res_config_settings_view_form",
                             user=self.settings_admin)
        [block] = form.xpath("//block[@id='line_connector']")
        self.assertFalse(block.xpath(".//text()[contains(., 'connected')]"))
        self.assertTrue(block.xpath(".//field[@name='line_channel_summary']"))

    def test_settings_without_channels(self):
        self.env["line.channel"].search([]).active = False
        self.assertEqual(self.settings_summary(), "No LINE channel in use yet.")

    def test_kanban_card_has_no_dangling_separator(self):
        kanban = self.get_view("discuss.channel", "kanban", "line_connector.discuss_channel_view_kanban_line",
                               "line_connector.discuss_channel_action_line", self.operator)
        [date] = kanban.xpath("//field[@name='line_last_customer_date']")
        # The "·" goes with the date: shown only when there is one.
        self.assertEqual(date.getparent().get("t-if"), "record.line_last_customer_date.raw_value")
        self.assertEqual(date.getparent().text.strip(), "·")
        self.assertNotIn("·", date.getparent().getparent().text or "")

    def test_inbox_opens_on_what_waits_for_the_operator(self):
        action = self.env.ref("line_connector.discuss_channel_action_line")
        self.assertEqual(action.context, "{'search_default_waiting': 1}")
        self.assertIn("Nothing is waiting for an answer", action.help)
        self.assertIn("Remove the filter", action.help)
        self.assertNotIn("appear here", action.help)
        self.line_channel.write({"assign_target": "users", "assign_user_ids": [(6, 0, self.operator.ids)]})
        mine = self.receive(self.new_customer("Mine"))
        unassigned = self.receive(self.new_customer("Unassigned"))
        # sudo: discuss.channel - a conversation nobody could take (everyone at their limit)
        unassigned.sudo().with_context(line_assigning=True).line_assignee_id = False
        someone_elses = self.receive(self.new_customer("Someone else's"))
        someone_elses.line_assignee_id = self.manager
        answered = self.receive(self.new_customer("Answered"))
        answered.with_user(self.operator).message_post(
            body="answer", message_type="comment", subtype_xmlid="mail.mt_comment")
        search = self.get_view("discuss.channel", "search", "line_connector.discuss_channel_view_search_line",
                               "line_connector.discuss_channel_action_line", self.operator)
        [waiting] = search.xpath("//filter[@name='waiting']")
        domain = safe_eval(waiting.get("domain"), {"uid": self.operator.id})
        found = self.env["discuss.channel"].with_user(self.manager).search(
            domain + [("channel_type", "=", "line")])
        self.assertEqual(found, mine | unassigned)

    def test_customer_form_hides_open_in_discuss_when_opened_from_discuss(self):
        form = self.get_view("discuss.channel", "form", "line_connector.discuss_channel_view_form_line",
                             user=self.operator)
        [button] = form.xpath("//button[@name='action_open_discuss']")
        self.assertEqual(button.get("invisible"), "context.get('line_from_discuss')")


@tagged("post_install", "-at_install")
class TestInboxUi(LineHttpCase):
    """In a real browser: the small things of a LINE conversation in Discuss."""

    def test_sticker_delivery_commands_and_customer_dialog(self):
        channel_id = self.emu_channel["channel_id"]
        self.emu.update_channel(channel_id, webhook_url=self.line_channel.webhook_url)
        self.line_channel.responsible_user_ids = self.operator
        customer = self.emu.create_user(provider_id="provider-osaka", display_name="Hanako Small")
        self.emu.follow(channel_id, customer["user_id"])
        self.emu.send_sticker(channel_id, customer["user_id"], package_id="446", sticker_id="1988",
                              keywords=["happy"])
        self.env["line.event"]._cron_process_events()
        conversation = self.conversation_of(customer)
        conversation.with_user(self.operator).message_post(
            body="Thanks for the sticker", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_send()
        self.start_tour("/odoo/discuss", "line_connector_inbox_small", login="line_operator")

    def test_a_failure_reason_sits_under_the_time(self):
        channel_id = self.emu_channel["channel_id"]
        self.emu.update_channel(channel_id, webhook_url=self.line_channel.webhook_url)
        self.line_channel.responsible_user_ids = self.operator
        customer = self.emu.create_user(provider_id="provider-osaka", display_name="Hanako Gone")
        self.emu.follow(channel_id, customer["user_id"])
        self.emu.send_text(channel_id, customer["user_id"], "Hello")
        self.emu.unfollow(channel_id, customer["user_id"])
        self.env["line.event"]._cron_process_events()
        conversation = self.conversation_of(customer)
        conversation.with_user(self.operator).message_post(
            body="Are you there?", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.start_tour(f"/odoo/discuss?active_id=discuss.channel_{conversation.id}",
                        "line_connector_inbox_failure_reason", login="line_operator")
