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
        self.assertEqual((lead.contact_name, lead.line_identity_id), ("Kenji Sato", self.identity))
        self.assertEqual(lead.line_message_count, len(self.conversation.message_ids))
        history = self.env["mail.message"].search(lead.action_view_line_history()["domain"])
        self.assertIn("I want 20 units", " ".join(history.mapped("body")))
        self.assertIn("Lead LINE: Kenji Sato created", self.conversation.message_ids[0].body)

    def test_link_existing_lead_links_its_contact_too(self):
        partner = self.env["res.partner"].create({"name": "Sato Trading"})
        lead = self.env["crm.lead"].create({"name": "Bulk order", "partner_id": partner.id})
        self.link(mode="lead", lead_id=lead)
        self.assertEqual(lead.line_identity_id, self.identity)
        self.assertEqual(self.identity.partner_id, partner)

    def test_salesperson_without_line_access_opens_a_linked_lead(self):
        action = self.link(mode="new_lead")
        salesperson = new_test_user(self.env, "salesperson", groups="sales_team.group_sale_salesman_all_leads")
        lead = self.env["crm.lead"].with_user(salesperson).browse(action["res_id"])
        form = Form(lead)  # the whole form view, as the web client reads it
        self.assertEqual(form.contact_name, "Kenji Sato")
        self.assertNotIn("line_identity_id", lead.fields_get())
