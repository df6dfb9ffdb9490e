"""18.0.1.1.0: LINE's Channel ID is ``line.channel.channel_number`` (``line_channel_id`` is the
name of the Many2one to line.channel elsewhere). The column and its field keep their data."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'line_channel' AND column_name = 'line_channel_id'
    """)
    if not cr.fetchone():
        return
    cr.execute("ALTER TABLE line_channel RENAME COLUMN line_channel_id TO channel_number")
    cr.execute("""
        UPDATE ir_model_fields SET name = 'channel_number'
         WHERE model = 'line.channel' AND name = 'line_channel_id'
    """)
    cr.execute("""
        UPDATE ir_model_data SET name = 'field_line_channel__channel_number'
         WHERE module = 'line_connector' AND model = 'ir.model.fields'
           AND name = 'field_line_channel__line_channel_id'
    """)
