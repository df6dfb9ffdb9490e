from lxml import etree

from line_emulator import const as emulator_const
from line_emulator import media

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestMergeCustomers(LineTransactionCase):
    """名寄せ: the same person as two LINE customers (two providers, or a new LINE account) is put on one
    contact by an operator's click; customers who may be the same person are suggested, never merged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The same shop under a second LINE provider: LINE knows the same person there under another ID.
        cls.namba_channel, cls.emu_namba = cls._make_channel("Namba Store", provider_id="provider-namba")
        cls.kyoto_channel, cls.emu_kyoto = cls._make_channel(
            "Kyoto Store", provider_id="provider-kyoto", company_id=cls.other_company.id)
        cls.pictures = cls._distinct_pictures()

    @classmethod
    def _distinct_pictures(cls):
        """Profile pictures no two of which are alike (the emulator's avatars come in a few colours)."""
        keys = {}
        for number in range(200):
            keys.setdefault(media.avatar(f"merge-{number}"), f"merge-{number}")
        return [f"{cls.emulator.base_url}{emulator_const.CONTROL_PREFIX}/avatars/{key}.png" for key in keys.values()]

    def setUp(self):
        super().setUp()
        self.hanako = self.new_customer("山田 花子", picture=0)
        self.conversation = self.receive(self.hanako, "はじめまして")
        self.identity = self.conversation.line_identity_id

    def new_customer(self, name, provider_id="provider-osaka", picture=None):
        return self.emu.create_user(provider_id=provider_id, display_name=name,
                                    picture_url=self.pictures[picture if picture is not None else -1])

    def namba_customer(self, name, text, picture=1):
        """The customer writes to the Namba Store (another provider): a second LINE customer in Odoo."""
        customer = self.new_customer(name, provider_id="provider-namba", picture=picture)
        conversation = self.receive(customer, text, channel=self.namba_channel, emu_channel=self.emu_namba)
        return customer, conversation

    def merge_from_suggestion(self, identity, other, user=None):
        """The operator opens "Same person…" on ``identity`` and clicks the suggestion ``other``."""
        action = identity.with_user(user or self.operator).action_open_merge_wizard()
        wizard = self.env["line.merge.wizard"].with_user(user or self.operator).browse(action["res_id"])
        suggestion = wizard.suggestion_ids.filtered(lambda line: line.identity_id == other)
        self.assertTrue(suggestion, f"{other.name} is suggested")
        return suggestion.action_merge()

    def customer_messages(self, conversation):
        return conversation.message_ids.filtered("line_message_id")

    # -- merging --------------------------------------------------------------------------------

    def test_merge_onto_the_contact_of_one_and_answer_each_on_their_account(self):
        partner = self.env["res.partner"].create({"name": "山田 花子"})
        self.identity._link_partner(partner)
        namba_user, namba_conversation = self.namba_customer("山田花子", "なんば店にも来ました")
        other = namba_conversation.line_identity_id
        action = self.merge_from_suggestion(other, self.identity)

        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", partner.id))
        self.assertEqual(partner.line_identity_ids, self.identity | other, "both LINE customers stay")
        self.assertEqual((self.identity.line_user_id, other.line_user_id),
                         (self.hanako["user_id"], namba_user["user_id"]))
        self.assertEqual(self.customer_messages(namba_conversation).author_id, partner)
        self.assertIn("are the same person", namba_conversation.message_ids[0].body)
        self.assertEqual(partner.line_conversation_count, 2)

        # Answers still go to the right LINE user ID, through the right Official Account.
        namba_conversation.with_user(self.operator).message_post(
            body="ありがとうございます", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_send()
        sent = self.emu.sent(user_id=namba_user["user_id"])
        self.assertEqual([(s["channel_id"], s["messages"][0]["text"]) for s in sent],
                         [(self.emu_namba["channel_id"], "ありがとうございます")])
        self.assertFalse(self.emu.sent(user_id=self.hanako["user_id"]))

    def test_merge_unlinked_customers_makes_one_contact(self):
        _user, namba_conversation = self.namba_customer("山田花子", "こんにちは")
        other = namba_conversation.line_identity_id
        self.merge_from_suggestion(self.identity, other)
        partner = self.identity.partner_id
        self.assertEqual(partner.name, "山田 花子", "a contact made from the LINE profile")
        self.assertEqual(other.partner_id, partner)
        self.assertEqual(self.customer_messages(self.conversation | namba_conversation).author_id, partner)

    def test_merge_two_contacts_with_odoos_partner_merge_and_one_timeline(self):
        keeper = self.env["res.partner"].create({"name": "Hanako Yamada", "phone": "06-1234-5678"})
        duplicate = self.env["res.partner"].create({"name": "山田花子 (LINE)"})
        self.identity._link_partner(keeper)
        self.receive(self.hanako, "見積もりをお願いします")
        _user, namba_conversation = self.namba_customer("山田花子", "なんば店です")
        other = namba_conversation.line_identity_id
        other._link_partner(duplicate)

        action = self.identity.with_user(self.operator).action_open_merge_wizard()
        wizard = Form(self.env["line.merge.wizard"].with_user(self.operator).browse(action["res_id"]))
        wizard.other_identity_id = other
        self.assertEqual(wizard.dst_partner_id, keeper, "the contact of the customer being worked on is kept")
        wizard.save().action_merge()

        self.assertFalse(duplicate.exists(), "Odoo's contact merge took the duplicate into the keeper")
        self.assertEqual(keeper.line_identity_ids, self.identity | other)
        self.assertEqual(self.customer_messages(namba_conversation).author_id, keeper)

        # The contact's LINE history: every message of both conversations, newest first, each with its account.
        history_action = keeper.with_user(self.operator).action_view_line_history()
        list_view = self.env["mail.message"].get_view(history_action["views"][0][0], "list")
        order = etree.fromstring(list_view["arch"]).get("default_order")
        history = self.env["mail.message"].with_user(self.operator).search(history_action["domain"], order=order)
        said = history.filtered("line_message_id")
        self.assertIn("なんば店です", said[0].body, "the newest message comes first")
        self.assertIn("はじめまして", said[-1].body)
        self.assertEqual(len(said), 3)
        self.assertEqual({m.line_channel_id for m in said}, {self.line_channel, self.namba_channel})
        self.assertEqual(said[0].line_channel_id, self.namba_channel)
        self.assertEqual(said[-1].line_channel_id, self.line_channel)

    def test_contacts_odoo_refuses_to_merge_stay_apart(self):
        first = self.env["res.partner"].create({"name": "Hanako", "email": "hanako@example.jp"})
        second = self.env["res.partner"].create({"name": "Hanako Y", "email": "other@example.jp"})
        self.identity._link_partner(first)
        _user, namba_conversation = self.namba_customer("山田花子", "こんにちは")
        other = namba_conversation.line_identity_id
        other._link_partner(second)
        with self.assertRaisesRegex(UserError, "same email"):
            self.merge_from_suggestion(self.identity, other)
        with self.assertRaisesRegex(UserError, "same email"):
            self.identity.with_user(self.operator)._line_merge(other.with_user(self.operator))
        self.assertEqual((self.identity.partner_id, other.partner_id), (first, second))
        self.assertTrue(second.exists())

    def test_merge_never_crosses_companies(self):
        kyoto_user = self.new_customer("山田花子", provider_id="provider-kyoto", picture=2)
        kyoto = self.receive(kyoto_user, "京都店です", channel=self.kyoto_channel,
                             emu_channel=self.emu_kyoto).line_identity_id
        # An Osaka operator neither sees the Kyoto customer suggested nor merges it.
        self.assertNotIn(kyoto, self.identity.with_user(self.operator).line_similar_identity_ids)
        with self.assertRaises(AccessError):
            self.identity.with_user(self.operator)._line_merge(kyoto.with_user(self.operator))
        # Nor the other way round.
        self.assertFalse(kyoto.with_user(self.kyoto_operator).line_similar_identity_ids)
        # A manager of both companies sees both, and is told they are not merged across companies.
        self.assertIn(kyoto, self.identity.with_user(self.manager).line_similar_identity_ids)
        with self.assertRaisesRegex(UserError, "different companies"):
            self.merge_from_suggestion(self.identity, kyoto, user=self.manager)
        self.assertFalse(self.identity.partner_id | kyoto.partner_id)

    def test_only_line_users_who_may_change_both_merge(self):
        _user, namba_conversation = self.namba_customer("山田花子", "こんにちは")
        other = namba_conversation.line_identity_id
        clerk = new_test_user(self.env, "clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.identity.with_user(clerk).action_open_merge_wizard()
        with self.assertRaises(AccessError):
            self.identity.with_user(clerk)._line_merge(other.with_user(clerk))
        with self.assertRaisesRegex(UserError, "already this one"):
            self.identity.with_user(self.operator)._line_merge(self.identity.with_user(self.operator))
        self.assertFalse(self.identity.partner_id | other.partner_id)

    # -- suggestions ----------------------------------------------------------------------------

    def suggestions(self, identity):
        """What the operator sees in the conversation's customer panel."""
        conversation = identity.conversation_ids[:1].with_user(self.operator)
        form = self.env.ref("line_connector.discuss_channel_view_form_line")
        self.assertIn("line_similar_identity_ids", self.env["discuss.channel"].get_view(form.id)["arch"])
        return conversation.line_similar_identity_ids

    def reasons(self, identity, other):
        return identity.with_user(self.operator)._line_resemblance_reasons(other)

    def test_name_with_or_without_spaces_is_suggested(self):
        _user, namba_conversation = self.namba_customer("山田花子", "こんにちは")
        other = namba_conversation.line_identity_id
        self.assertEqual(self.suggestions(other), self.identity)
        self.assertEqual(self.suggestions(self.identity), other, "and the reverse")
        self.assertEqual(self.reasons(other, self.identity), "Same name, Same language")
        # Also in the link wizard, where the operator says who the customer is.
        wizard = self.env["line.link.wizard"].with_user(self.operator).create({"identity_id": other.id})
        self.assertEqual(wizard.similar_identity_ids, self.identity)
        self.assertFalse(self.identity.partner_id | other.partner_id, "a suggestion binds nothing")

    def test_family_name_alone_is_suggested(self):
        _user, namba_conversation = self.namba_customer("山田", "山田です")
        family = namba_conversation.line_identity_id
        self.assertEqual(self.suggestions(family), self.identity)
        self.assertEqual(self.reasons(family, self.identity), "Family name, Same language")
        self.assertIn(family, self.suggestions(self.identity), "and the full name finds the family name")

    def test_same_picture_is_suggested(self):
        _user, namba_conversation = self.namba_customer("はなちゃん", "新しいアカウントです", picture=0)
        same_face = namba_conversation.line_identity_id
        self.assertEqual(self.suggestions(same_face), self.identity)
        self.assertEqual(self.reasons(same_face, self.identity), "Same picture, Same language")
        form = Form(self.identity.with_user(self.operator), view="line_connector.line_identity_view_form")
        self.assertEqual((len(form.line_similar_identity_ids), form.line_similar_identity_ids[0]), (1, same_face),
                         "shown on the LINE customer's form")

    def test_unrelated_customer_is_not_suggested(self):
        _user, namba_conversation = self.namba_customer("鈴木 一郎", "こんにちは", picture=3)
        stranger = namba_conversation.line_identity_id
        self.assertEqual(stranger.language, self.identity.language, "the same language alone suggests no one")
        self.assertFalse(self.suggestions(stranger))
        self.assertNotIn(stranger, self.suggestions(self.identity))
        action = stranger.with_user(self.operator).action_open_merge_wizard()
        self.assertFalse(self.env["line.merge.wizard"].browse(action["res_id"]).suggestion_ids)

    def test_customers_already_on_one_contact_are_not_suggested_again(self):
        _user, namba_conversation = self.namba_customer("山田花子", "こんにちは")
        other = namba_conversation.line_identity_id
        self.merge_from_suggestion(other, self.identity)
        self.assertFalse(self.suggestions(other))

    def test_suggestions_cost_the_same_at_ten_thousand_customers(self):
        """One indexed search, whatever the number of LINE customers (no loop over them)."""
        _user, namba_conversation = self.namba_customer("山田花子", "こんにちは")
        other = namba_conversation.line_identity_id.with_user(self.operator)

        def cost():
            self.env.invalidate_all()
            queries = self.env.cr.sql_log_count
            found = other._line_similar_identities()
            return found, self.env.cr.sql_log_count - queries

        cost()  # warm the caches (record rules, field metadata)
        found, before = cost()
        self.env.flush_all()
        self.env.cr.execute("""
            INSERT INTO line_identity (name, provider_name, line_user_id, friend_state, line_name_key,
                                       line_picture_checksum, language)
            SELECT 'Customer ' || n, 'provider-bulk', 'Ubulk' || n, 'friend', 'customer' || n, md5(n::text), 'ja'
              FROM generate_series(1, 10000) n
        """)
        self.env.cr.execute("ANALYZE line_identity")
        found_at_scale, at_scale = cost()
        self.assertEqual((found, found_at_scale), (self.identity, self.identity))
        self.assertEqual(at_scale, before)
        self.assertLessEqual(at_scale, 3)
        # An operator's search starts from their companies' conversations; a manager's (who also sees
        # the customers of no conversation) from the name and picture indexes. Neither reads them all.
        for user in (self.operator, self.manager):
            identity = other.with_user(user)
            query = identity._search(identity._line_similar_domain(), limit=50)
            self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
            self.assertNotIn("Seq Scan on line_identity", plan, user.login)
        self.assertIn("line_identity_line_name_key_prefix", plan, "the family-name prefix is found by its index")

    def test_merge_from_the_contact(self):
        partner = self.env["res.partner"].create({"name": "山田 花子"})
        self.identity._link_partner(partner)
        _user, namba_conversation = self.namba_customer("山田花子", "こんにちは")
        other = namba_conversation.line_identity_id
        form = self.env["res.partner"].with_user(self.operator).get_view(
            self.env.ref("base.view_partner_form").id)
        self.assertIn("action_line_open_merge", form["arch"])
        action = partner.with_user(self.operator).action_line_open_merge()
        wizard = self.env["line.merge.wizard"].with_user(self.operator).browse(action["res_id"])
        self.assertEqual(wizard.identity_id, self.identity)
        wizard.suggestion_ids.filtered(lambda line: line.identity_id == other).action_merge()
        self.assertEqual(partner.line_identity_ids, self.identity | other)
