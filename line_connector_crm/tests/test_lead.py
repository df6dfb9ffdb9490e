from odoo.modules.migration import load_script
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.line_connector.tests.common import LineTransactionCase


@tagged("post_install", "-at_install")
class TestLineLead(LineTransactionCase):
    """With CRM, an operator turns a LINE customer into a lead, which shows the LINE history."""

    def setUp(self):
        super().setUp()
        self.customer = self.new_customer("Kenji Sato")
        self.conversation = self.receive(self.customer, "I want 20 units")
        self.identity = self.conversation.line_identity_id

    def link(self, **values):
        wizard = Form(self.env["line.link.wizard"].with_context(default_identity_id=self.identity.id))
        for field, value in values.items():
            setattr(wizard, field, value)
        return wizard.save().action_link()

    def test_create_lead_from_conversation(self):
        action = self.link(mode="new_lead")
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual((lead.contact_name, lead.line_identity_ids), ("Kenji Sato", self.identity))
        self.assertEqual(lead.line_message_count, len(self.conversation.message_ids))
        history = self.env["mail.message"].search(lead.action_view_line_history()["domain"])
        self.assertIn("I want 20 units", " ".join(history.mapped("body")))
        self.assertIn("Lead LINE: Kenji Sato created", self.conversation.message_ids[0].body)

    def test_link_existing_lead_links_its_contact_too(self):
        partner = self.env["res.partner"].create({"name": "Sato Trading"})
        lead = self.env["crm.lead"].create({"name": "Bulk order", "partner_id": partner.id})
        self.link(mode="lead", lead_id=lead)
        self.assertEqual(lead.line_identity_ids, self.identity)
        self.assertEqual(self.identity.partner_id, partner)

    def test_salesperson_without_line_access_opens_a_linked_lead(self):
        action = self.link(mode="new_lead")
        salesperson = new_test_user(self.env, "salesperson", groups="sales_team.group_sale_salesman_all_leads")
        lead = self.env["crm.lead"].with_user(salesperson).browse(action["res_id"])
        form = Form(lead)  # the whole form view, as the web client reads it
        self.assertEqual(form.contact_name, "Kenji Sato")
        self.assertNotIn("line_identity_ids", lead.fields_get())

    def test_lead_holds_several_line_customers_and_all_their_history(self):
        """The same person writes again from another provider's account: linking the new LINE customer to
        the lead keeps the first one and their history."""
        lead = self.env["crm.lead"].browse(self.link(mode="new_lead")["res_id"])
        namba_channel, emu_namba = self._make_channel("Namba Store", provider_id="provider-namba")
        again = self.emu.create_user(provider_id="provider-namba", display_name="Kenji Sato")
        second = self.receive(again, "Still 20 units, new phone", channel=namba_channel, emu_channel=emu_namba)
        self.identity = second.line_identity_id
        self.link(mode="lead", lead_id=lead)
        self.assertEqual(lead.line_identity_ids, self.conversation.line_identity_id | second.line_identity_id)
        history = self.env["mail.message"].search(lead.action_view_line_history()["domain"])
        bodies = " ".join(history.mapped("body"))
        for text in ("I want 20 units", "Still 20 units, new phone"):
            self.assertIn(text, bodies)
        self.assertEqual(lead.line_message_count, len(history))
        self.assertEqual(self.conversation.line_identity_id.lead_ids, lead)
        self.assertEqual(second.line_identity_id.lead_ids, lead)

    def test_upgrade_keeps_the_line_customer_of_each_lead(self):
        """18.0.1.1.0: the lead's single LINE customer (a column before) becomes one of its LINE customers."""
        lead = self.env["crm.lead"].create({"name": "Before the upgrade"})
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE crm_lead ADD COLUMN line_identity_id int4 REFERENCES line_identity(id)")
        self.env.cr.execute("UPDATE crm_lead SET line_identity_id = %s WHERE id = %s", (self.identity.id, lead.id))
        migration = load_script("line_connector_crm/migrations/18.0.1.1.0/post-migrate.py", "post_migrate")
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(lead.line_identity_ids, self.identity)
        self.env.cr.execute("SELECT 1 FROM information_schema.columns "
                            "WHERE table_name = 'crm_lead' AND column_name = 'line_identity_id'")
        self.assertFalse(self.env.cr.fetchone(), "the old column is gone")

    def test_merged_line_customers_are_both_on_the_lead(self):
        lead = self.env["crm.lead"].browse(self.link(mode="new_lead")["res_id"])
        namba_channel, emu_namba = self._make_channel("Namba Store", provider_id="provider-namba")
        again = self.emu.create_user(provider_id="provider-namba", display_name="Kenji Sato")
        other = self.receive(again, "It's me again", channel=namba_channel, emu_channel=emu_namba).line_identity_id
        self.assertIn(self.identity, other._line_similar_identities(), "the same name is suggested")
        other._line_merge(self.identity)
        self.assertEqual(lead.line_identity_ids, self.identity | other)
        history = self.env["mail.message"].search(lead.action_view_line_history()["domain"])
        self.assertIn("It's me again", " ".join(history.mapped("body")))
