"""The operator's inbox: done / to do, tags, internal notes, templates with quick replies, search."""

import json

from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import convert_file
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tools.discuss import Store

from .common import LineConversationCase


class InboxCase(LineConversationCase):
    first_message = "予約できますか?"

    def send(self):
        self.env["line.message"]._cron_send()

    def received(self):
        return [s for s in self.emu.sent(user_id=self.customer["user_id"]) if s["delivered"]]

    def customer_writes(self, text):
        self.emu.send_text(self.channel_id, self.customer["user_id"], text)
        self.env["line.event"]._cron_process_events()

    def inbox(self, domain, user=None):
        return self.env["discuss.channel"].with_user(user or self.operator).search(
            [("channel_type", "=", "line"), *domain])


@tagged("post_install", "-at_install")
class TestDoneAndTags(InboxCase):

    def test_done_and_to_do_are_counted_and_the_customer_reopens(self):
        self.assertEqual(self.conversation.line_status, "todo")
        self.conversation.with_user(self.operator).action_line_done()
        self.assertEqual(self.conversation.line_status, "done")
        self.assertEqual(self.inbox([("line_status", "=", "done")]), self.conversation)
        counts = self.env["discuss.channel"].with_user(self.operator).search_panel_select_range(
            "line_status", search_domain=[("channel_type", "=", "line")], enable_counters=True)
        counted = {v["id"]: v["__count"] for v in counts["values"]}
        self.assertEqual((counted.get("todo", 0), counted.get("done", 0)), (0, 1))
        self.customer_writes("もう一つ質問です")
        self.assertEqual(self.conversation.line_status, "todo", "the customer writing again makes it to do")
        self.assertFalse(self.received(), "done sends nothing to the customer")

    def test_operators_tag_conversations_and_find_them_by_tag(self):
        booking = self.env["line.tag"].with_user(self.operator).create({"name": "予約"})
        self.conversation.with_user(self.operator).line_tag_ids = booking
        self.assertEqual(self.inbox([("line_tag_ids", "in", booking.ids)]), self.conversation)
        groups = self.env["discuss.channel"].with_user(self.operator).read_group(
            [("channel_type", "=", "line")], ["line_tag_ids"], ["line_tag_ids"])
        self.assertEqual([(g["line_tag_ids"][1], g["line_tag_ids_count"]) for g in groups if g["line_tag_ids"]],
                         [("予約", 1)])
        with self.assertRaises(AccessError):  # another company's operator does not see the conversation
            self.conversation.with_user(self.kyoto_operator).line_tag_ids = booking

    def test_tags_are_for_the_staff_not_the_customer_s_guest(self):
        self.conversation.line_tag_ids = self.env["line.tag"].create({"name": "クレーム"})
        guest = self.conversation.line_identity_id.guest_id
        self.assertTrue(guest)
        staff_view = Store(self.conversation.with_user(self.operator)).get_result()
        self.assertIn("クレーム", json.dumps(staff_view, ensure_ascii=False))
        public = self.env.ref("base.public_user")
        guest_view = Store(self.conversation.with_user(public).with_context(guest=guest)).get_result()
        self.assertNotIn("クレーム", json.dumps(guest_view, ensure_ascii=False))


@tagged("post_install", "-at_install")
class TestInternalNotes(InboxCase):

    def test_a_note_stays_in_odoo_and_is_hidden_from_the_customer(self):
        conversation = self.conversation.with_user(self.operator)
        conversation.execute_command_line_note(body="/note 田中様は常連です。割引を確認")
        note = self.conversation.message_ids[0]
        self.assertIn("田中様は常連です", note.body)
        self.assertTrue(note.is_internal)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.send()
        self.assertFalse(self.env["line.message"].search([("mail_message_id", "=", note.id)]))
        self.assertFalse(self.received(), "nothing reaches the emulator")
        self.assertTrue(self.conversation.line_unreplied, "a note is not an answer")
        guest = self.conversation.line_identity_id.guest_id
        public = self.env.ref("base.public_user")
        seen_by_guest = self.env["mail.message"].with_user(public).with_context(guest=guest).search(
            [("model", "=", "discuss.channel"), ("res_id", "=", self.conversation.id)])
        self.assertNotIn(note, seen_by_guest)
        guest_conversation = self.conversation.with_user(public).with_context(guest=guest)
        self.assertFalse(guest_conversation._get_last_messages(), "nor as the sidebar's last message")
        self.assertEqual(self.conversation.with_user(self.operator)._get_last_messages(), note)
        self.assertIn(note, self.env["mail.message"].with_user(self.operator).search(
            [("model", "=", "discuss.channel"), ("res_id", "=", self.conversation.id)]))

    def test_a_note_s_live_update_goes_to_staff_members_only(self):
        self.env["bus.bus"].search([]).unlink()
        self.conversation.with_user(self.operator).line_post_note("内部メモ")
        self.env.cr.precommit.run()
        notes = self.env["bus.bus"].search([("message", "like", "discuss.channel/new_message")])
        self.assertTrue(notes)
        self.assertEqual({json.loads(n.channel)[1] for n in notes}, {"res.partner"},
                         "to the staff members' own bus channels, not the conversation's (the guest's too)")


@tagged("post_install", "-at_install")
class TestTemplatesAndQuickReplies(InboxCase):

    def make_template(self):
        return self.env["line.template"].create({
            "name": "予約の確認", "code": "booking",
            "body": "{{ object.line_identity_id.name }}様、ご希望の日時をお知らせください。",
            "quick_reply_ids": [(0, 0, {"label": "今日", "text": "今日でお願いします"}),
                                (0, 0, {"label": "明日"})],
        })

    def test_the_picker_previews_with_this_customer_s_values(self):
        template = self.make_template()
        [entry] = [t for t in self.env["line.template"].with_user(self.operator).line_get_picker(self.conversation.id)
                   if t["id"] == template.id]
        self.assertEqual(entry["text"], "Hanako様、ご希望の日時をお知らせください。")
        self.assertEqual(entry["quick_replies"], ["今日", "明日"])
        with self.assertRaises(AccessError):
            self.env["line.template"].with_user(self.kyoto_operator).line_get_picker(self.conversation.id)

    def test_an_edited_template_posted_from_the_composer_carries_its_quick_replies(self):
        template = self.make_template()
        self.authenticate("line_operator", "line_operator")
        response = self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "discuss.channel", "thread_id": self.conversation.id,
            "post_data": {"body": "Hanako様、明日はいかがですか?", "message_type": "comment",
                          "subtype_xmlid": "mail.mt_comment", "line_template_id": template.id}})
        self.assertTrue(response)
        self.send()
        [sent] = self.received()
        [text] = sent["messages"]
        self.assertEqual(text["text"], "Hanako様、明日はいかがですか?")
        self.assertEqual(text["quickReply"], {"items": [
            {"type": "action", "action": {"type": "message", "label": "今日", "text": "今日でお願いします"}},
            {"type": "action", "action": {"type": "message", "label": "明日", "text": "明日"}}]})

    def test_the_customer_s_tap_arrives_as_their_message(self):
        self.make_template()
        self.conversation.with_user(self.operator).execute_command_line_template(body="/template booking")
        self.send()
        [sent] = self.received()
        self.assertEqual(len(sent["messages"][-1]["quickReply"]["items"]), 2)
        self.customer_writes("今日でお願いします")  # what the phone's button sends
        self.assertEqual(self.conversation.message_ids[0].body, "<p>今日でお願いします</p>")
        self.assertEqual(self.conversation.message_ids[0].author_guest_id, self.conversation.line_identity_id.guest_id)

    def test_line_s_limits_on_quick_replies(self):
        template = self.make_template()
        with self.assertRaises(ValidationError):
            template.quick_reply_ids = [(0, 0, {"label": "あ" * 21})]
        with self.assertRaises(ValidationError):
            template.quick_reply_ids = [(0, 0, {"label": str(n)}) for n in range(14)]

    def test_template_without_shortcut_lists_the_templates(self):
        self.make_template()
        self.env["bus.bus"].search([]).unlink()
        self.conversation.with_user(self.operator).execute_command_line_template(body="/template ")
        self.env.cr.precommit.run()
        self.assertTrue(self.env["bus.bus"].search([("message", "like", "/template booking")]))


    def test_japanese_demo_templates_render_for_a_customer(self):
        convert_file(self.env, "line_connector", "demo/line_template_demo.xml", {}, mode="init", kind="demo")
        greeting = self.env.ref("line_connector.demo_line_template_greeting")
        self.assertEqual(greeting.quick_reply_ids.mapped("label"), ["予約したい", "営業時間", "その他"])
        texts = {t["code"]: t["text"] for t in
                 self.env["line.template"].with_user(self.operator).line_get_picker(self.conversation.id)}
        self.assertLessEqual({"greeting", "hours", "reservation", "thankyou", "wait"}, set(texts))
        self.assertTrue(texts["greeting"].startswith("Hanako様、メッセージありがとうございます。"))

    def test_placeholders_are_chosen_by_name_in_the_template_form(self):
        arch = self.env["line.template"].with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        [body] = etree.fromstring(arch).xpath("//field[@name='body']")
        self.assertEqual(safe_eval(body.get("options"), {"true": True}), {
            "dynamic_placeholder": True, "dynamic_placeholder_model_reference_field": "render_model"})
        self.assertEqual(self.env["line.template"].new({}).render_model, "discuss.channel")


@tagged("post_install", "-at_install")
class TestSearchByMessageText(InboxCase):

    def test_find_conversations_by_what_was_written(self):
        other, _emu = self._make_channel("Kyoto Store", company_id=self.other_company.id, scope="company")
        kyoto_customer = self.new_customer("Kyoto Hanako")
        kyoto = self.receive(kyoto_customer, "予約をお願いします", channel=other, emu_channel=_emu)
        self.assertEqual(self.inbox([("line_message_text", "ilike", "予約")]), self.conversation,
                         "only the conversations the operator can read")
        self.assertEqual(self.inbox([("line_message_text", "ilike", "予約")], self.kyoto_operator), kyoto)
        self.assertFalse(self.inbox([("line_message_text", "ilike", "キャンセル")]))
        self.assertFalse(self.inbox([("line_message_text", "ilike", "予約%質問")]), "% is a character, not a wildcard")
        self.env.cr.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'mail_message_line_body_trgm'")
        self.assertEqual(bool(self.env.cr.fetchone()), self.env.registry.has_trigram)


@tagged("post_install", "-at_install")
class TestInboxTours(LineConversationCase):
    """In a real browser: done, tags, notes, the template picker and its quick replies."""

    def new_conversation(self, name, text):
        customer = self.emu.create_user(provider_id="provider-osaka", display_name=name)
        self.emu.follow(self.channel_id, customer["user_id"])
        self.emu.send_text(self.channel_id, customer["user_id"], text)
        self.env["line.event"]._cron_process_events()
        return customer, self.conversation_of(customer)

    def test_done_tags_and_an_internal_note(self):
        customer, conversation = self.new_conversation("Hanako Feature", "明日は空いていますか?")
        self.env["line.tag"].create({"name": "予約"})
        self.start_tour("/odoo/discuss", "line_connector_inbox_done_tags_notes", login="line_operator")
        self.assertEqual(conversation.line_status, "done")
        self.assertEqual(conversation.line_tag_ids.mapped("name"), ["予約"])
        note = conversation.message_ids[0]
        self.assertTrue(note.is_internal)
        self.env["line.message"]._cron_send()
        self.assertFalse(self.emu.sent(user_id=customer["user_id"]), "neither done, tags nor the note reach LINE")

    def test_template_picker_with_quick_replies(self):
        customer, conversation = self.new_conversation("Hanako Picker", "予約したいです")
        self.env["line.template"].create({
            "name": "予約の確認", "code": "booking",
            "body": "{{ object.line_identity_id.name }}様、ご希望の日時をお知らせください。",
            "quick_reply_ids": [(0, 0, {"label": "今日", "text": "今日でお願いします"}), (0, 0, {"label": "明日"})]})
        self.start_tour("/odoo/discuss", "line_connector_template_picker", login="line_operator")
        self.env["line.message"]._cron_send()
        [sent] = [s for s in self.emu.sent(user_id=customer["user_id"]) if s["delivered"]]
        [text] = sent["messages"]
        self.assertEqual(text["text"], "Hanako Picker様、ご希望の日時をお知らせください。明日も空いています。")
        self.assertEqual([item["action"]["label"] for item in text["quickReply"]["items"]], ["今日", "明日"])

    def test_the_inbox_counts_and_searches_by_message_text(self):
        self.new_conversation("Hanako Cancel", "予約をキャンセルしたいです")
        self.new_conversation("Hanako Other", "営業時間は?")
        action = self.env.ref("line_connector.discuss_channel_action_line")
        self.start_tour(f"/odoo/action-{action.id}", "line_connector_inbox_list", login="line_operator")
