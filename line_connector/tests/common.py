"""Shared set-up: the LINE platform emulator over real HTTP, channels pointing at it, users."""

import uuid

from line_emulator.client import EmulatorClient
from line_emulator.testing import EmulatorServer

from odoo.tests import HttpCase
from odoo.tests import TransactionCase
from odoo.tests import new_test_user

from odoo.addons.line_connector.tools import line_api


class LineCommon:
    """Mixin for TransactionCase and HttpCase: one emulator per test class."""

    emulator = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = EmulatorServer()
        cls.emulator.start()
        cls.addClassCleanup(cls.emulator.stop)
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
    def _make_channel(cls, name, provider_id="provider-osaka", **values):
        """A channel at the emulator and the same channel in Odoo."""
        secret = uuid.uuid4().hex
        emu_channel = cls.emu.create_channel(
            channel_secret=secret, provider_id=provider_id, display_name=name)
        channel = cls.env["line.channel"].create(dict({
            "name": name,
            "line_channel_id": emu_channel["channel_id"],
            "channel_secret": secret,
            "provider_name": provider_id,
            "api_url": cls.emulator.base_url,
            "data_url": cls.emulator.base_url,
        }, **values))
        return channel, emu_channel


class LineTransactionCase(LineCommon, TransactionCase):
    pass


class LineHttpCase(LineCommon, HttpCase):
    pass
