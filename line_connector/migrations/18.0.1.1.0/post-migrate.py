"""18.0.1.1.0: image sets are found by stored, indexed columns; fill them for the events kept."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE line_event
           SET image_set_id = payload::jsonb #>> '{message,imageSet,id}',
               image_set_index = COALESCE((payload::jsonb #>> '{message,imageSet,index}')::int, 0),
               image_set_total = COALESCE((payload::jsonb #>> '{message,imageSet,total}')::int, 0)
         WHERE event_type = 'message' AND message_type = 'image' AND payload LIKE '%%"imageSet"%%'
           AND image_set_id IS NULL
    """)
