from odoo.tests import tagged

from .common import LineHttpCase


@tagged("post_install", "-at_install")
class TestMergeUi(LineHttpCase):
    """In a real browser: the operator merges a LINE customer with the suggestion the conversation shows."""

    def test_merge_from_the_suggestion(self):
        namba_channel, emu_namba = self._make_channel("Namba Store", provider_id="provider-namba")
        for channel, emu_channel in ((self.line_channel, self.emu_channel), (namba_channel, emu_namba)):
            channel.responsible_user_ids = self.operator
            self.emu.update_channel(emu_channel["channel_id"], webhook_url=channel.webhook_url)
        first = self.emu.create_user(provider_id="provider-osaka", display_name="山田 花子")
        again = self.emu.create_user(provider_id="provider-namba", display_name="山田花子")
        for customer, emu_channel, text in ((first, self.emu_channel, "はじめまして"),
                                            (again, emu_namba, "なんば店にも来ました")):
            self.emu.follow(emu_channel["channel_id"], customer["user_id"])
            self.emu.send_text(emu_channel["channel_id"], customer["user_id"], text)
        self.env["line.event"]._cron_process_events()
        osaka, namba = self.conversation_of(first), self.conversation_of(again, namba_channel)
        self.assertFalse(osaka.line_identity_id.partner_id | namba.line_identity_id.partner_id)

        self.start_tour(f"/odoo/discuss?active_id=discuss.channel_{namba.id}", "line_connector_merge",
                        login="line_operator")

        partner = namba.line_identity_id.partner_id
        self.assertTrue(partner)
        self.assertEqual(partner.line_identity_ids, osaka.line_identity_id | namba.line_identity_id)
