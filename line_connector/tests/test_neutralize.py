from odoo.modules.neutralize import get_installed_modules, get_neutralization_queries
from odoo.tests import tagged

from .common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestLineNeutralize(LineTransactionCase):
    """A database copied for testing (``odoo-bin neutralize``) no longer talks to the real LINE channels."""

    def test_neutralized_channels_are_off_and_hold_no_credentials(self):
        token = self.emu.issue_long_lived_token(self.emu_channel["channel_id"])["access_token"]
        self.line_channel.access_token = token
        kyoto, _emu = self._make_channel("Kyoto Store", company_id=self.other_company.id)
        self.assertIn("line_connector", get_installed_modules(self.env.cr))
        queries = list(get_neutralization_queries(["line_connector"]))
        self.assertTrue(queries, "line_connector/data/neutralize.sql is found")
        self.env.flush_all()
        for query in queries:
            self.env.cr.execute(query)
        self.env.invalidate_all()

        channels = self.line_channel | kyoto
        self.assertEqual(channels.mapped("active"), [False, False])
        self.assertEqual(channels.mapped("channel_secret"), [False, False])
        self.assertEqual(channels.mapped("access_token"), [False, False])
        self.assertFalse(self.env["line.channel"].with_user(self.manager).search([]),
                         "no channel is offered any more for chatting or sending")
        self.assertEqual(self.env["line.channel"].with_context(active_test=False).search(
            [("id", "in", channels.ids)]), channels, "the channels themselves are kept, to be set up again")
