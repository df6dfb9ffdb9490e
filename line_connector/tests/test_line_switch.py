"""Changing accounts with the switch wizard (shops A, B and C): the impact report before, and after
applying what each customer's conversation allows, over the emulator's real HTTP."""

from lxml import html

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LineHttpCase, LineTransactionCase

OTHER_PROVIDER = "provider-kobe"


class SwitchCommon:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shops = cls.env["res.company"].create([{"name": f"Shop {letter}"} for letter in "ABC"])
        cls.manager.company_ids = [Command.link(shop.id) for shop in cls.shops]
        cls.shop_operators = [new_test_user(
            cls.env, f"operator_{shop.id}", groups="base.group_user,line_connector.group_line_operator",
            company_ids=[Command.set(shop.ids)], company_id=shop.id) for shop in cls.shops]

    # -- set-up of accounts and customers -----------------------------------------------------

    def account(self, name, provider=None, **values):
        """An Official Account at the emulator and in Odoo, checked (its add-friend link known)."""
        channel, emu_channel = self._make_channel(name, provider_id=provider or "provider-osaka", **values)
        channel.responsible_user_ids = self.manager | self.env["res.users"].browse([u.id for u in self.shop_operators])
        channel.with_user(self.manager).action_check_connection()
        return channel, emu_channel

    def replacement(self, emu_channel, name, provider=None):
        """LINE: a new Official Account (a new channel, its own ID and secret) to register in the wizard."""
        new = self.emu.replace_channel(emu_channel["channel_id"], provider_id=provider, display_name=name)
        return {"new_name": name, "new_channel_number": new["channel_id"], "new_channel_secret": new["channel_secret"],
                "new_provider_name": new["provider_id"]}, new

    def customer_of(self, shop_index, channel, emu_channel, name):
        customer = self.new_customer(name, provider_id=channel.provider_name)
        conversation = self.receive(customer, f"Hello from {name}", channel=channel, emu_channel=emu_channel)
        if channel.scope == "shared":
            conversation._line_write({"line_company_id": self.shops[shop_index].id})
        self.assertEqual(conversation.line_company_id, self.shops[shop_index])
        return customer, conversation

    # -- the wizard ------------------------------------------------------------------------------

    def wizard(self, channels, scope, lines):
        return self.env["line.switch.wizard"].with_user(self.manager).create({
            "channel_ids": [Command.set(channels.ids)], "scope": scope,
            "line_ids": [Command.create(line) for line in lines]})

    def impact(self, wizard):
        """The report's rows as the manager reads them: {(company, account now): {column: text}}."""
        tree = html.fromstring(str(wizard.impact_html))
        heads = [th.text_content() for th in tree.iter("th")]
        rows = {}
        for tr in tree.iter("tr"):
            cells = [td.text_content() for td in tr.iter("td")]
            if cells:
                row = dict(zip(heads, cells, strict=True))
                rows[(row["Company"], row["Account now"])] = row
        return rows

    def apply(self, wizard):
        action = wizard.action_apply()
        return self.env[action["res_model"]].with_user(self.manager).search(action["domain"])

    # -- what a user notices afterwards ------------------------------------------------------------

    def notice(self, conversation):
        return conversation.with_user(self.manager)._line_store_values()["line_composer_notice"]

    def assert_keeps_chatting(self, conversation, customer, emu_channel):
        self.assertFalse(self.notice(conversation), conversation.name)
        conversation.with_user(self.manager).message_post(
            body="Still here for you", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["line.message"]._cron_send()
        texts = [m["text"] for s in self.emu.sent(channel_id=emu_channel["channel_id"], user_id=customer["user_id"])
                 if s["delivered"] for m in s["messages"]]
        self.assertIn("Still here for you", texts, "the customer gets the answer on LINE")

    def assert_must_add(self, conversation, account, other_provider=False):
        notice = self.notice(conversation)
        self.assertIn(f"to add {account.name} as a friend", notice)
        self.assertIn(account.friend_url, notice)
        self.assertEqual("another LINE provider" in notice, other_provider)
        message = conversation.with_user(self.manager).message_post(
            body="Are you there?", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(message.notification_ids.failure_type, "line_switched")
        self.assertEqual(message.notification_ids.failure_reason, notice, "the composer's words, on the message")

    def readd(self, customer, account, emu_account):
        """The customer adds the new account from their phone: LINE sends a follow event."""
        person = self.emu.user_under(customer["user_id"], emu_account["provider_id"])
        self.emu.follow(emu_account["channel_id"], person["user_id"])
        event = self.emu.build_event(emu_account["channel_id"], person["user_id"], "follow")
        self.env["line.event"]._store(account, [event])
        self.env["line.event"]._cron_process_events()
        return self.conversation_of(person, account)

    def assert_continues(self, old, new, company):
        """Same provider: the new conversation is the same LINE customer and contact, in their company."""
        self.assertEqual(new.line_identity_id, old.line_identity_id)
        self.assertEqual(new.line_partner_id, old.line_partner_id)
        self.assertEqual(new.line_company_id, company)
        self.assertTrue(old.line_assignee_id)
        self.assertEqual(new.line_assignee_id, old.line_assignee_id, "who answered them answers them")
        self.assertIn("continues the one they had", "".join(new.message_ids.mapped("body")))
        self.assertEqual(old.line_move_id.with_user(self.manager).state, "done", "ticked off in the follow-up list")
        self.assertIn("chats in their conversation there", self.notice(old))


@tagged("post_install", "-at_install")
class TestSwitchFromPerCompany(SwitchCommon, LineTransactionCase):
    """Shops A, B and C each have their own account."""

    def setUp(self):
        super().setUp()
        self.accounts = [self.account(f"Shop {letter} LINE", scope="company", company_id=shop.id)
                         for letter, shop in zip("ABC", self.shops, strict=True)]
        self.customers = [self.customer_of(index, channel, emu_channel, f"Customer {letter}")
                          for index, ((channel, emu_channel), letter) in enumerate(zip(self.accounts, "ABC",
                                                                                        strict=True))]
        partner = self.env["res.partner"].create({"name": "Customer B (contact)"})
        self.customers[1][1].line_identity_id._link_partner(partner)
        self.channels = self.env["line.channel"].browse([channel.id for channel, _emu in self.accounts])

    def test_a_s_account_becomes_shared(self):
        (a_channel, a_emu) = self.accounts[0]
        wizard = self.wizard(self.channels, "shared", [{"channel_id": a_channel.id}])
        rows = self.impact(wizard)
        self.assertEqual((wizard.keep_count, wizard.readd_count), (1, 2))
        self.assertEqual(rows[("Shop A", "Shop A LINE")]["Keep chatting"], "Customer A")
        self.assertEqual(rows[("Shop A", "Shop A LINE")]["Must add the account"], "-")
        for letter in "BC":
            row = rows[(f"Shop {letter}", f"Shop {letter} LINE")]
            self.assertEqual((row["Keep chatting"], row["Must add the account"]), ("-", f"Customer {letter}"))
            self.assertIn(a_channel.friend_url, row["Afterwards"], "the link to send them")
            self.assertEqual(row["Read-only history"], "1")
        self.assertFalse(wizard.provider_warning)
        self.assertIn(f'/web/image/line.channel/{a_channel.id}/friend_qr', str(wizard.impact_html), "its QR code")

        followup = self.apply(wizard)
        self.assertEqual(followup.conversation_id, self.customers[1][1] | self.customers[2][1])
        self.assertEqual(set(followup.mapped("friend_url")), {a_channel.friend_url})
        self.assertEqual(a_channel.scope, "shared")
        self.assertFalse(self.channels[1].active or self.channels[2].active, "B's and C's accounts disconnected")
        self.assert_keeps_chatting(self.customers[0][1], self.customers[0][0], a_emu)
        for _customer, conversation in self.customers[1:]:
            self.assert_must_add(conversation, a_channel)
        b_customer, b_conversation = self.customers[1]
        new = self.readd(b_customer, a_channel, a_emu)
        self.assert_continues(b_conversation, new, self.shops[1])
        self.assert_keeps_chatting(new, b_customer, a_emu)
        self.assertEqual(self.customers[2][1].line_move_id.state, "waiting")

    def test_a_new_shared_account(self):
        values, new_emu = self.replacement(self.accounts[0][1], "All Shops LINE")
        wizard = self.wizard(self.channels, "shared", [values])
        self.assertEqual((wizard.keep_count, wizard.readd_count), (0, 3))
        for letter in "ABC":
            row = self.impact(wizard)[(f"Shop {letter}", f"Shop {letter} LINE")]
            self.assertEqual((row["Keep chatting"], row["Must add the account"]), ("-", f"Customer {letter}"))
            self.assertIn("All Shops LINE (new account", row["Afterwards"])
        followup = self.apply(wizard)
        new_channel = followup.channel_id
        self.assertEqual((new_channel.name, new_channel.scope, new_channel.bot_user_id),
                         ("All Shops LINE", "shared", new_emu["bot_user_id"]))
        self.assertEqual(followup.conversation_id, self.env["discuss.channel"].union(*(c for _cu, c in self.customers)))
        self.assertFalse(any(self.channels.mapped("active")))
        for _customer, conversation in self.customers:
            self.assert_must_add(conversation, new_channel)
        b_customer, b_conversation = self.customers[1]
        new = self.readd(b_customer, new_channel, new_emu)
        self.assert_continues(b_conversation, new, self.shops[1])

    def test_a_new_shared_account_under_another_provider(self):
        values, new_emu = self.replacement(self.accounts[0][1], "All Shops LINE", provider=OTHER_PROVIDER)
        wizard = self.wizard(self.channels, "shared", [values])
        self.assertIn("Nobody will be recognised", wizard.provider_warning)
        self.assertIn("merge the LINE customers on their contact", wizard.provider_warning)
        self.assertIn(OTHER_PROVIDER, wizard.provider_warning)
        new_channel = self.apply(wizard).channel_id
        for _customer, conversation in self.customers:
            self.assert_must_add(conversation, new_channel, other_provider=True)
        b_customer, b_conversation = self.customers[1]
        new = self.readd(b_customer, new_channel, new_emu)
        self.assertNotEqual(new.line_identity_id, b_conversation.line_identity_id, "another user ID: a new customer")
        self.assertFalse(new.line_partner_id)

    def test_a_s_account_becomes_shared_while_b_and_c_are_under_another_provider(self):
        a_channel, a_emu = self.account("Shop A Kobe", provider=OTHER_PROVIDER, scope="company",
                                        company_id=self.shops[0].id)
        a_customer, a_conversation = self.customer_of(0, a_channel, a_emu, "Customer A Kobe")
        wizard = self.wizard(self.channels[1:] | a_channel, "shared", [{"channel_id": a_channel.id}])
        self.assertEqual((wizard.keep_count, wizard.readd_count), (1, 2))
        self.assertIn("Nobody will be recognised", wizard.provider_warning)
        self.assertIn("provider-osaka", wizard.provider_warning)
        self.apply(wizard)
        self.assert_keeps_chatting(a_conversation, a_customer, a_emu)
        self.assert_must_add(self.customers[2][1], a_channel, other_provider=True)


@tagged("post_install", "-at_install")
class TestSwitchFromShared(SwitchCommon, LineTransactionCase):
    """One shared account serves shops A, B and C."""

    def setUp(self):
        super().setUp()
        self.shared, self.shared_emu = self.account("All Shops LINE", scope="shared",
                                                    default_company_id=self.shops[0].id)
        self.customers = [self.customer_of(index, self.shared, self.shared_emu, f"Customer {letter}")
                          for index, letter in enumerate("ABC")]

    def test_a_keeps_the_shared_account_b_and_c_get_new_ones(self):
        b_values, b_emu = self.replacement(self.shared_emu, "Shop B LINE")
        c_values, _c_emu = self.replacement(self.shared_emu, "Shop C LINE")
        wizard = self.wizard(self.shared, "company", [
            {"company_id": self.shops[0].id, "channel_id": self.shared.id},
            dict(b_values, company_id=self.shops[1].id), dict(c_values, company_id=self.shops[2].id)])
        rows = self.impact(wizard)
        self.assertEqual((wizard.keep_count, wizard.readd_count), (1, 2))
        self.assertEqual(rows[("Shop A", "All Shops LINE")]["Keep chatting"], "Customer A")
        self.assertEqual(rows[("Shop B", "All Shops LINE")]["Must add the account"], "Customer B")
        self.assertIn("Shop B LINE (new account", rows[("Shop B", "All Shops LINE")]["Afterwards"])
        followup = self.apply(wizard)
        self.assertEqual(followup.conversation_id, self.customers[1][1] | self.customers[2][1])
        self.assertEqual((self.shared.scope, self.shared.company_id), ("company", self.shops[0]))
        self.assert_keeps_chatting(self.customers[0][1], self.customers[0][0], self.shared_emu)
        b_channel = self.customers[1][1].line_move_id.channel_id
        self.assertEqual((b_channel.name, b_channel.company_id), ("Shop B LINE", self.shops[1]))
        self.assert_must_add(self.customers[1][1], b_channel)
        self.assert_must_add(self.customers[2][1], self.customers[2][1].line_move_id.channel_id)
        b_customer, b_conversation = self.customers[1]
        new = self.readd(b_customer, b_channel, b_emu)
        self.assert_continues(b_conversation, new, self.shops[1])
        self.assert_keeps_chatting(new, b_customer, b_emu)
        # B's operator sees the new conversation, and the old one as history.
        operator = self.shop_operators[1]
        self.assertEqual(self.env["discuss.channel"].with_user(operator).search(
            [("line_identity_id", "=", new.line_identity_id.id)]), new | b_conversation)

    def test_three_new_per_company_accounts(self):
        replacements = [self.replacement(self.shared_emu, f"Shop {letter} LINE") for letter in "ABC"]
        wizard = self.wizard(self.shared, "company", [dict(values, company_id=shop.id) for (values, _emu), shop
                                                      in zip(replacements, self.shops, strict=True)])
        self.assertEqual((wizard.keep_count, wizard.readd_count), (0, 3))
        followup = self.apply(wizard)
        self.assertEqual(len(followup), 3)
        self.assertFalse(self.shared.active, "the shared account is no longer used")
        for index, (_customer, conversation) in enumerate(self.customers):
            self.assertEqual(conversation.line_move_id.channel_id.company_id, self.shops[index])
            self.assert_must_add(conversation, conversation.line_move_id.channel_id)
        c_customer, c_conversation = self.customers[2]
        new = self.readd(c_customer, c_conversation.line_move_id.channel_id, replacements[2][1])
        self.assert_continues(c_conversation, new, self.shops[2])

    def test_new_accounts_under_another_provider(self):
        b_values, _b = self.replacement(self.shared_emu, "Shop B LINE", provider=OTHER_PROVIDER)
        c_values, c_emu = self.replacement(self.shared_emu, "Shop C LINE", provider=OTHER_PROVIDER)
        wizard = self.wizard(self.shared, "company", [
            {"company_id": self.shops[0].id, "channel_id": self.shared.id},
            dict(b_values, company_id=self.shops[1].id), dict(c_values, company_id=self.shops[2].id)])
        self.assertIn("Nobody will be recognised", wizard.provider_warning)
        self.assertIn("merge the LINE customers on their contact", wizard.provider_warning)
        self.apply(wizard)
        self.assert_keeps_chatting(self.customers[0][1], self.customers[0][0], self.shared_emu)
        c_customer, c_conversation = self.customers[2]
        self.assert_must_add(c_conversation, c_conversation.line_move_id.channel_id, other_provider=True)
        new = self.readd(c_customer, c_conversation.line_move_id.channel_id, c_emu)
        self.assertNotEqual(new.line_identity_id, c_conversation.line_identity_id)
        self.assertEqual(new.line_identity_id.provider_name, OTHER_PROVIDER)

    def test_three_new_accounts_under_another_provider(self):
        replacements = [self.replacement(self.shared_emu, f"Shop {letter} LINE", provider=OTHER_PROVIDER)
                        for letter in "ABC"]
        wizard = self.wizard(self.shared, "company", [dict(values, company_id=shop.id) for (values, _emu), shop
                                                      in zip(replacements, self.shops, strict=True)])
        self.assertEqual(wizard.keep_count, 0)
        self.assertIn("Nobody will be recognised", wizard.provider_warning)
        self.apply(wizard)
        for _customer, conversation in self.customers:
            self.assert_must_add(conversation, conversation.line_move_id.channel_id, other_provider=True)

    def test_only_line_managers_change_accounts(self):
        operator = self.shop_operators[0]
        with self.assertRaises(AccessError):
            self.shared.with_user(operator).action_open_switch_wizard()
        with self.assertRaises(AccessError):
            self.env["line.switch.wizard"].with_user(operator).create({
                "channel_ids": [Command.set(self.shared.ids)], "scope": "company"})
        wizard = self.wizard(self.shared, "shared", [{"channel_id": self.shared.id}])
        with self.assertRaises(AccessError):
            wizard.with_user(operator).action_apply()
        self.assertEqual(self.shared.scope, "shared")
        action = self.shared.with_user(self.manager).action_open_switch_wizard()
        self.assertEqual((action["res_model"], action["context"]["default_channel_ids"]),
                         ("line.switch.wizard", self.shared.ids))


@tagged("post_install", "-at_install")
class TestSwitchWizardUi(SwitchCommon, LineHttpCase):
    """In a real browser: the wizard's report, then the follow-up list."""

    def test_the_manager_sees_the_impact_then_the_follow_up_list(self):
        shared, shared_emu = self.account("All Shops LINE", scope="shared", default_company_id=self.shops[0].id)
        self.account("Shop B LINE", scope="company", company_id=self.shops[1].id)
        _a, a_conversation = self.customer_of(0, shared, shared_emu, "Customer A")
        _b, b_conversation = self.customer_of(1, shared, shared_emu, "Customer B")
        # The manager works with every shop selected in the company switcher.
        cids = "-".join(str(company.id) for company in self.company | self.shops)
        self.start_tour(f"/odoo/action-line_connector.line_channel_action/{shared.id}?cids={cids}",
                        "line_connector_switch_wizard", login="line_manager")
        self.assertEqual(b_conversation.line_move_id.channel_id.name, "Shop B LINE")
        self.assertFalse(a_conversation.line_move_id.channel_id)
        self.assertEqual((shared.scope, shared.company_id), ("company", self.shops[0]))
