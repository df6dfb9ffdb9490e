import base64
import json

from lxml import etree

from odoo.tests import Form, tagged

from .common import LineHttpCase, LineTransactionCase

# A 1x1 PNG: a picture a customer sent.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@tagged("post_install", "-at_install")
class TestInboxPolish(LineTransactionCase):
    """What an operator reads in the lists, the link wizard and a contact's LINE history."""

    def test_lists_show_each_conversations_last_message_in_one_query(self):
        hanako = self.receive(self.new_customer("Hanako"), "在庫はありますか？")
        taro = self.receive(self.new_customer("Taro"), "hello")
        taro.with_user(self.manager).message_post(
            body="Yes, we have it in " + "blue " * 30, message_type="comment", subtype_xmlid="mail.mt_comment")
        quiet = self.receive(self.new_customer("Quiet"), "first")
        quiet._line_notify("Quiet blocked the account.")  # a note is not a message of the conversation
        conversations = (hanako | taro | quiet).with_user(self.manager)
        conversations.invalidate_recordset()
        with self.assertQueryCount(1):
            previews = conversations.mapped("line_last_message_preview")
        self.assertEqual(previews[0], "在庫はありますか？")
        self.assertTrue(previews[1].startswith("Yes, we have it in blue blue"))
        self.assertLessEqual(len(previews[1]), 80)
        self.assertTrue(previews[1].endswith("…"))
        self.assertEqual(previews[2], "first")
        self.assertTrue(all(conversations.mapped("line_last_message_date")))

    def test_a_sticker_or_a_picture_is_named_in_the_preview(self):
        customer = self.new_customer("Sticker Fan")
        conversation = self.receive(customer, "hi")
        self.env["line.event"]._store(self.line_channel, [self.emu.build_event(
            self.emu_channel["channel_id"], customer["user_id"], "sticker", package_id="446", sticker_id="1988",
            keywords=["happy"])])
        self.env["line.event"]._cron_process_events()
        self.assertEqual(conversation.line_last_message_preview, "[Sticker: happy]")
        picture = self.env["ir.attachment"].create({"name": "photo.png", "raw": PIXEL})
        conversation.message_post(
            author_id=self.manager.partner_id.id, body="", attachment_ids=picture.ids,
            message_type="comment", subtype_xmlid="mail.mt_comment")
        conversation.invalidate_recordset()
        self.assertEqual(conversation.line_last_message_preview, "📎 photo.png")

    def test_new_contact_wizard_shows_what_is_created_and_says_create(self):
        identity = self.receive(self.new_customer("山田 花子")).line_identity_id
        wizard = Form(self.env["line.link.wizard"].with_user(self.operator).with_context(
            default_identity_id=identity.id))
        wizard.mode = "new"
        self.assertEqual(wizard.identity_name, "山田 花子")
        self.assertEqual(wizard.new_partner_note, "From LINE (provider-osaka)")
        self.assertTrue(wizard.new_partner_lang)
        arch = etree.fromstring(self.env["line.link.wizard"].with_user(self.operator).get_views(
            [(False, "form")])["views"]["form"]["arch"])
        [create] = arch.xpath("//button[@string='Create and link']")
        [link] = arch.xpath("//button[@string='Link']")
        self.assertEqual((create.get("invisible"), link.get("invisible")), ("mode != 'new'", "mode == 'new'"))
        wizard.save().action_link()
        self.assertEqual(identity.partner_id.name, "山田 花子")

    def member_updates(self, member):
        """What the member's clients are told, in order: ('new_message', id) or ('counter', unread)."""
        self.env.cr.precommit.run()
        told = []
        for bus in self.env["bus.bus"].sudo().search([], order="id"):
            message = json.loads(bus.message)
            if message["type"] == "discuss.channel/new_message":
                told.append(("new_message", message["payload"]["data"]["mail.message"][0]["id"]))
            elif message["type"] == "mail.record/insert":
                for values in message["payload"].get("discuss.channel.member", []):
                    if values.get("id") == member.id and "message_unread_counter" in values:
                        told.append(("counter", values["message_unread_counter"]))
        return told

    def test_the_note_about_ones_own_link_is_not_unread(self):
        conversation = self.receive(self.new_customer("Hanako Read"))
        member = conversation.channel_member_ids.filtered(lambda m: m.partner_id == self.manager.partner_id)
        self.assertTrue(member, "the channel's responsible user is a member")
        member._mark_as_read(conversation.message_ids[:1].id)
        self.env["bus.bus"].sudo().search([]).unlink()
        partner = self.env["res.partner"].create({"name": "Hanako Read"})
        conversation.line_identity_id.with_user(self.manager)._link_partner(partner)
        note = conversation.message_ids[:1]
        self.assertIn("is linked to the contact", note.body)
        told = self.member_updates(member)
        # The client counts the note unread when it arrives: it is told the counter again, after it.
        self.assertIn(("new_message", note.id), told)
        self.assertEqual(told[-1], ("counter", 0))
        self.assertGreater(told.index(("counter", 0), told.index(("new_message", note.id))), 0)
        member.invalidate_recordset()
        self.assertEqual(member.message_unread_counter, 0)

    def test_the_note_about_ones_own_reassignment_is_not_unread(self):
        conversation = self.receive(self.new_customer("Hanako Reassigned"))
        member = conversation.channel_member_ids.filtered(lambda m: m.partner_id == self.manager.partner_id)
        member._mark_as_read(conversation.message_ids[:1].id)
        self.env["bus.bus"].sudo().search([]).unlink()
        conversation.with_user(self.manager).action_line_reassign(self.operator.id)
        note = conversation.message_ids[:1]
        self.assertIn("Assigned to", note.body)
        told = self.member_updates(member)
        self.assertEqual(told[-1], ("counter", 0))
        self.assertGreater(told.index(("counter", 0), told.index(("new_message", note.id))), 0)

    def test_history_shows_people_by_name_and_pictures_as_pictures(self):
        company = self.env["res.partner"].create({"name": "YourShop", "is_company": True})
        self.manager.partner_id.parent_id = company
        conversation = self.receive(self.new_customer("Hanako History"), "見せてください")
        picture = self.env["ir.attachment"].create({"name": "catalogue.png", "raw": PIXEL})
        conversation.message_post(
            author_id=self.manager.partner_id.id, body="こちらです", attachment_ids=picture.ids,
            message_type="comment", subtype_xmlid="mail.mt_comment")
        partner = self.env["res.partner"].create({"name": "Hanako History"})
        conversation.line_identity_id._link_partner(partner)
        action = partner.with_user(self.operator).action_view_line_history()
        messages = self.env["mail.message"].with_user(self.operator).search(action["domain"])
        staff = messages.filtered(lambda m: m.author_id == self.manager.partner_id)
        self.assertIn(", ", staff.author_id.display_name)  # what the list showed before
        self.assertEqual(staff.line_author_name, self.manager.name)
        self.assertIn(f'<img src="/web/image/{picture.id}?width=160"', staff.line_history_body)
        self.assertIn("こちらです", staff.line_history_body)

    def test_reply_later_says_when_and_for_whom(self):
        conversation = self.receive(self.new_customer("Hanako Later"))
        action = conversation.with_user(self.operator).action_line_reply_later()
        wizard = Form(self.env[action["res_model"]].with_user(self.operator).with_context(**action["context"]))
        result = wizard.save().action_schedule_activities()
        self.assertEqual(result["tag"], "display_notification")
        message = result["params"]["message"]
        self.assertIn("Hanako Later", message)
        self.assertIn(self.operator.name, message)
        self.assertEqual(result["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertTrue(conversation.line_identity_id.activity_ids)


@tagged("post_install", "-at_install")
class TestInboxPolishUi(LineHttpCase):
    """In a real browser: the customer's face, the delivery time and the sticker picker."""

    def test_faces_delivery_time_and_sticker_picker(self):
        channel_id = self.emu_channel["channel_id"]
        self.emu.update_channel(channel_id, webhook_url=self.line_channel.webhook_url)
        self.line_channel.responsible_user_ids = self.operator
        customer = self.emu.create_user(provider_id="provider-osaka", display_name="Hanako Face")
        self.emu.follow(channel_id, customer["user_id"])
        self.emu.send_text(channel_id, customer["user_id"], "Hello")
        self.env["line.event"]._cron_process_events()
        conversation = self.conversation_of(customer)
        self.assertEqual(conversation.avatar_128, conversation.line_identity_id.image_128,
                         "the emulator gives a profile picture")
        conversation.with_user(self.operator).message_post(
            body="Welcome", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_send()
        self.assertEqual(self.env["line.sticker"].search_count([]), 12)
        self.start_tour(f"/odoo/discuss?active_id=discuss.channel_{conversation.id}",
                        "line_connector_polish", login="line_operator")
