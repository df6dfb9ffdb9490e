"""18.0.1.1.0: a lead holds several LINE customers; the one each lead held stays on it."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'crm_lead' AND column_name = 'line_identity_id'
    """)
    if not cr.fetchone():
        return
    cr.execute("""
        INSERT INTO crm_lead_line_identity_rel (lead_id, identity_id)
        SELECT lead.id, lead.line_identity_id
          FROM crm_lead lead
          JOIN line_identity identity ON identity.id = lead.line_identity_id
        ON CONFLICT DO NOTHING
    """)
    cr.execute("ALTER TABLE crm_lead DROP COLUMN line_identity_id")
