from datetime import timedelta

from line_emulator import const as emulator_const
from line_emulator import media

from odoo import fields
from odoo.tests import Form, tagged

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestLinking(LineTransactionCase):
    """An operator says who a LINE customer is; the contact then holds their LINE history."""

    def setUp(self):
        super().setUp()
        self.hanako = self.new_customer("山田 花子")
        self.conversation = self.receive(self.hanako, "はじめまして")
        self.receive(self.hanako, "見積もりをお願いします")
        self.identity = self.conversation.line_identity_id

    def customer_messages(self):
        return self.conversation.message_ids.filtered(lambda m: m.line_message_id)

    def link_with_wizard(self, **values):
        wizard = Form(self.env["line.link.wizard"].with_user(self.operator).with_context(
            default_identity_id=self.identity.id))
        for field, value in values.items():
            setattr(wizard, field, value)
        wizard.save().action_link()

    def test_profile_fetched_later_names_the_conversation(self):
        """LINE did not describe the customer at first: the next message's profile names them."""
        sakura = self.new_customer("佐藤 さくら")
        self.emu.set_fault("profile", "500", count=1)
        conversation = self.receive(sakura, "在庫はありますか")
        identity = conversation.line_identity_id
        self.assertEqual((conversation.name, identity.friend_state), ("LINE user", "unknown"))
        self.assertEqual((conversation.avatar_128, conversation.avatar_cache_key), (False, "no-avatar"),
                         "no picture yet: Discuss's own for a chat without one")
        self.receive(sakura, "もしもし")
        self.assertEqual((conversation.name, identity.name), ("佐藤 さくら", "佐藤 さくら"))
        self.assertEqual(conversation.avatar_128, identity.image_128)
        # LINE describes a user to the bot only while they are a friend.
        self.assertEqual(identity.friend_state, "friend")

    def test_new_picture_at_line_shows_on_the_conversation_and_the_messages(self):
        """The conversation and the customer's messages (their guest) show their LINE picture, and its
        change: Discuss is told to load the conversation's again."""
        guest = self.identity.guest_id
        self.assertEqual(self.conversation.avatar_128, self.identity.image_128)
        self.assertEqual(guest.avatar_128, self.identity.image_128)
        old_picture, old_key = self.identity.image_128, self.conversation.avatar_cache_key
        # The emulator's avatars come in a few colours: one unlike the customer's first picture.
        key = next(key for key in (f"new-{n}" for n in range(100))
                   if media.avatar(key) != media.avatar(self.hanako["user_id"]))
        self.emu.update_user(self.hanako["user_id"], picture_url=(
            f"{self.emulator.base_url}{emulator_const.CONTROL_PREFIX}/avatars/{key}.png"))
        self.identity.profile_date = fields.Datetime.now() - timedelta(days=2)
        self.receive(self.hanako, "写真を変えました")
        self.assertNotEqual(self.identity.image_128, old_picture)
        self.assertEqual(self.conversation.avatar_128, self.identity.image_128)
        self.assertEqual(guest.avatar_128, self.identity.image_128)
        self.assertNotEqual(self.conversation.avatar_cache_key, old_key)
        told = self.env["bus.bus"].sudo().search([("message", "like", self.conversation.avatar_cache_key)])
        self.assertTrue(told, "the conversation's members load its new picture")

    def test_contact_found_by_name_email_phone_or_company(self):
        company = self.env["res.partner"].create({"name": "Naniwa Foods", "is_company": True})
        contact = self.env["res.partner"].create({
            "name": "Hanako Yamada", "email": "hanako@naniwa.example", "phone": "06-1234-5678",
            "mobile": "090-8765-4321", "parent_id": company.id})
        Partner = self.env["res.partner"].with_user(self.operator).with_context(line_search_phone=True)
        for term in ("Yamada", "hanako@naniwa", "1234-5678", "8765-4321", "Naniwa Foods"):
            found = Partner.browse([pid for pid, _name in Partner.name_search(term, limit=20)])
            self.assertIn(contact, found, term)

    def test_unlinked_conversation_says_so(self):
        self.assertFalse(self.conversation.line_is_linked)
        self.assertEqual(set(self.customer_messages().mapped("author_guest_id")), {self.identity.guest_id})

    def test_link_existing_contact_reauthors_past_and_future_messages(self):
        partner = self.env["res.partner"].create({"name": "Hanako Yamada", "email": "hanako@example.jp"})
        self.link_with_wizard(mode="existing", partner_id=partner)
        self.assertTrue(self.conversation.line_is_linked)
        self.assertEqual(self.customer_messages().author_id, partner)
        self.assertFalse(self.customer_messages().author_guest_id)
        self.receive(self.hanako, "ありがとう")
        self.assertEqual(self.customer_messages().author_id, partner)
        notes = " ".join(self.conversation.message_ids.mapped("body"))
        self.assertIn("is linked to the contact Hanako Yamada", notes)

    def test_suggestions_ranked_by_name_similarity(self):
        best = self.env["res.partner"].create({"name": "山田 花子"})
        self.env["res.partner"].create({"name": "山田 太郎"})
        suggestions = self.identity._suggest_partners()
        self.assertEqual(suggestions[:1], best)
        wizard = self.env["line.link.wizard"].create({"identity_id": self.identity.id})
        self.assertEqual(wizard.partner_id, best, "a near-identical name is proposed")

    def test_suggestions_ignore_spaces_in_names(self):
        spaced = self.env["res.partner"].create({"name": "山田 花子"})
        wide_spaced = self.env["res.partner"].create({"name": "山田　花子"})  # ideographic space
        unspaced = self.env["res.partner"].create({"name": "山田花子"})
        shop = self.env["res.partner"].create({"name": "山田花子 商店"})
        self.env["res.partner"].create([{"name": "山田 太郎"}, {"name": "田中 花"}])
        sakura = self.receive(self.new_customer("山田花子"), "こんにちは").line_identity_id
        suggestions = sakura.with_user(self.operator)._suggest_partners()
        self.assertEqual(suggestions[:3], spaced | wide_spaced | unspaced, "the same name, spaced or not")
        self.assertEqual(suggestions[3:], shop, "then a longer name that holds it; no other name")
        wizard = self.env["line.link.wizard"].with_user(self.operator).create({"identity_id": sakura.id})
        self.assertIn(wizard.partner_id, spaced | wide_spaced | unspaced)
        # And the reverse: the LINE name has the space, the contact has none.
        self.assertIn(unspaced, self.identity._suggest_partners()[:3])

    def test_create_contact_from_profile(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        self.assertEqual(self.identity.language, "ja", "LINE says the customer uses LINE in Japanese")
        self.link_with_wizard(mode="new")
        partner = self.identity.partner_id
        self.assertEqual(partner.name, "山田 花子")
        self.assertEqual(partner.lang, "ja_JP")
        self.assertTrue(partner.image_1920)
        self.assertEqual(self.customer_messages().author_id, partner)

    def test_unlink_and_relink_are_logged(self):
        first = self.env["res.partner"].create({"name": "First"})
        second = self.env["res.partner"].create({"name": "Second"})
        self.identity._link_partner(first)
        self.identity.action_unlink_partner()
        self.assertEqual(set(self.customer_messages().mapped("author_guest_id")), {self.identity.guest_id})
        self.identity._link_partner(second)
        self.env.flush_all()
        self.env.cr.precommit.run()  # Odoo writes tracking values when the transaction ends
        self.assertEqual(self.customer_messages().author_id, second)
        notes = " ".join(self.conversation.message_ids.mapped("body"))
        self.assertIn("no longer linked to First", notes)
        self.assertIn("linked to the contact Second", notes)
        self.assertTrue(self.identity.message_ids.tracking_value_ids, "the identity's chatter tracks the contact")

    def test_contact_shows_line_history_in_time_order(self):
        partner = self.env["res.partner"].create({"name": "Hanako"})
        self.identity._link_partner(partner)
        self.assertEqual(partner.line_conversation_count, 1)
        action = partner.action_view_line_history()
        messages = self.env["mail.message"].search(action["domain"], order="date asc, id asc")
        bodies = [m.body for m in messages if m.line_message_id]
        self.assertIn("はじめまして", bodies[0])
        self.assertIn("見積もり", bodies[1])

    def test_merging_contacts_keeps_line_identities(self):
        duplicate = self.env["res.partner"].create({"name": "Hanako (dup)"})
        keeper = self.env["res.partner"].create({"name": "Hanako Yamada"})
        self.identity._link_partner(duplicate)
        # The duplicate's LINE customer also writes to a second Official Account of the provider.
        other_channel, emu_other = self._make_channel("Osaka Store 2", provider_id="provider-osaka")
        second_conversation = self.receive(self.hanako, "別のお店です", channel=other_channel, emu_channel=emu_other)
        other_customer = self.new_customer("Hanako's second phone")
        third_conversation = self.receive(other_customer, "二台目の携帯から")
        other_identity = third_conversation.line_identity_id
        other_identity._link_partner(keeper)
        self.assertEqual((duplicate.line_conversation_count, keeper.line_conversation_count), (2, 1))

        wizard = self.env["base.partner.merge.automatic.wizard"].create({
            "partner_ids": [(6, 0, (duplicate | keeper).ids)], "dst_partner_id": keeper.id})
        wizard.action_merge()

        self.assertFalse(duplicate.exists())
        self.assertEqual(keeper.line_identity_ids, self.identity | other_identity)
        self.assertEqual(self.identity.conversation_ids, self.conversation | second_conversation)
        self.assertEqual(keeper.line_conversation_count, 3)
        conversations = self.conversation | second_conversation | third_conversation
        customer_messages = conversations.message_ids.filtered("line_message_id")
        self.assertEqual(customer_messages.author_id, keeper, "every message of both customers is the keeper's")
        action = keeper.action_view_line_history()
        history = self.env["mail.message"].search(action["domain"], order="date asc, id asc")
        self.assertLessEqual(customer_messages, history)
        bodies = " ".join(history.mapped("body"))
        for text in ("はじめまして", "見積もりをお願いします", "別のお店です", "二台目の携帯から"):
            self.assertIn(text, bodies)
        self.receive(other_customer, "まだです")
        self.assertEqual(third_conversation.message_ids[0].author_id, keeper)

    def test_move_identity_to_another_contact(self):
        first = self.env["res.partner"].create({"name": "Wrong Hanako"})
        right = self.env["res.partner"].create({"name": "Right Hanako"})
        self.identity._link_partner(first)
        self.link_with_wizard(mode="existing", partner_id=right)
        self.assertEqual(self.identity.partner_id, right)
        self.assertEqual(self.customer_messages().author_id, right)
