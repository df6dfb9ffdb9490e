"""Shared set-up: the LINE platform emulator over real HTTP, channels pointing at it, users."""

import uuid

from line_emulator import openapi
from line_emulator.client import EmulatorClient
from line_emulator.testing import EmulatorServer

from odoo import api
from odoo.tests import HttpCase, TransactionCase, new_test_user

from odoo.addons.line_connector.tools import line_api


class LineCommon:
    """Mixin for TransactionCase and HttpCase: one emulator per test class."""

    emulator = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Where LINE's OpenAPI files are, every call the addon makes is checked against them.
        cls.emulator = EmulatorServer(strict_openapi=openapi.available())
        cls.emulator.start()
        cls.addClassCleanup(cls.emulator.stop)
        cls.addClassCleanup(cls._assert_lines_openapi_followed)
        cls.emu = EmulatorClient(cls.emulator.base_url)
        line_api.clear_token_cache()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Kyoto Branch"})
        cls.manager = new_test_user(
            cls.env, "line_manager", groups="base.group_user,line_connector.group_line_manager",
            company_ids=[(6, 0, (cls.company | cls.other_company).ids)], company_id=cls.company.id)
        cls.operator = new_test_user(
            cls.env, "line_operator", groups="base.group_user,line_connector.group_line_operator")
        cls.kyoto_operator = new_test_user(
            cls.env, "kyoto_operator", groups="base.group_user,line_connector.group_line_operator",
            company_ids=[(6, 0, cls.other_company.ids)], company_id=cls.other_company.id)
        cls.line_channel, cls.emu_channel = cls._make_channel("Osaka Store")

    @classmethod
    def _assert_lines_openapi_followed(cls):
        found = cls.emulator.violations()
        assert not found, f"{cls.__name__}: calls or answers outside LINE's OpenAPI spec: {found}"

    @classmethod
    def _make_channel(cls, name, provider_id="provider-osaka", **values):
        """A channel at the emulator and the same channel in Odoo."""
        secret = uuid.uuid4().hex
        emu_channel = cls.emu.create_channel(
            channel_secret=secret, provider_id=provider_id, display_name=name)
        channel = cls.env["line.channel"].create(dict({
            "name": name,
            "channel_number": emu_channel["channel_id"],
            "channel_secret": secret,
            "provider_name": provider_id,
            "api_url": cls.emulator.base_url,
            "data_url": cls.emulator.base_url,
            "responsible_user_ids": [(6, 0, cls.manager.ids)],
        }, **values))
        return channel, emu_channel


    # -- customers writing (events stored as the webhook stores them, then processed) --

    def new_customer(self, name, provider_id="provider-osaka"):
        return self.emu.create_user(provider_id=provider_id, display_name=name)

    def befriend(self, customer, emu_channel=None):
        """The customer adds the account as a friend at LINE (LINE gives friends' profiles only).

        The emulator's channel has no webhook here: the follow event itself reaches no one.
        """
        self.emu.follow((emu_channel or self.emu_channel)["channel_id"], customer["user_id"])

    def receive(self, customer, text="hello", channel=None, emu_channel=None, **extra):
        """``customer`` writes ``text``; the event is stored and processed: returns the conversation."""
        channel = channel or self.line_channel
        emu_channel = emu_channel or self.emu_channel
        self.befriend(customer, emu_channel)
        event = self.emu.build_event(emu_channel["channel_id"], customer["user_id"], "text", text=text, **extra)
        self.env["line.event"]._store(channel, [event])
        self.env["line.event"]._cron_process_events()
        return self.conversation_of(customer, channel)

    def conversation_of(self, customer, channel=None):
        return self.env["discuss.channel"].search([
            ("line_identity_id.line_user_id", "=", customer["user_id"]),
            ("line_channel_id", "=", (channel or self.line_channel).id)])


class LineTransactionCase(LineCommon, TransactionCase):
    pass


class LineHttpCase(LineCommon, HttpCase):
    pass


class LineConversationCase(LineHttpCase):
    """A customer who just wrote ``first_message``, and the operator who answers them in
    ``self.conversation``."""

    first_message = "Hello"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_channel.responsible_user_ids = cls.operator
        cls.channel_id = cls.emu_channel["channel_id"]
        cls.emu.update_channel(cls.channel_id, webhook_url=cls.line_channel.webhook_url)

    def setUp(self):
        super().setUp()
        self.emu.clear_faults()
        self.customer = self.emu.create_user(provider_id="provider-osaka", display_name="Hanako")
        self.emu.follow(self.channel_id, self.customer["user_id"])
        self.emu.send_text(self.channel_id, self.customer["user_id"], self.first_message)
        self.env["line.event"]._cron_process_events()
        self.conversation = self.conversation_of(self.customer)


class CommittingCase(TransactionCase):
    """Cron jobs with their real commits, in cursors of their own, as Odoo's cron workers run them.
    No class set-up: the test's own transaction must hold no lock the jobs need."""

    def _cursor(self):
        cr = self.registry.cursor()
        # The test runner holds the registry lock: give the cursor its registry directly.
        cr.transaction = api.Transaction(self.registry)
        return cr

    def _emulated_account(self, kind):
        """A LINE account of a provider of its own, on an emulator of its own stopped after the
        test: (emulator server, its client, provider ID, LINE's channel)."""
        emulator = EmulatorServer()
        emulator.start()
        self.addCleanup(emulator.stop)
        emu = EmulatorClient(emulator.base_url)
        provider = f"provider-{kind.lower()}-{uuid.uuid4().hex[:6]}"
        return emulator, emu, provider, emu.create_channel(channel_secret=uuid.uuid4().hex, provider_id=provider)
