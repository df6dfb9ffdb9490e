"""The addon's own exceptions, named for what they mean. LINE's errors are the adapter's
(``tools/line_api.py``); these say what the queue must do with an item, or why a user may not."""


from odoo.exceptions import AccessError


class LineGuardError(AccessError):
    """A user tried to change what ties a record to LINE (its channel, company, customer, chat, or a
    customer's LINE user ID): only the integration's own actions do, after their own checks."""

    def __init__(self, records, field_names):
        names = ", ".join(sorted(records._fields[name]._description_string(records.env) for name in field_names))
        super().__init__(records.env._("%(fields)s of %(model)s change only through the LINE integration's own "
                                       "actions.", fields=names, model=records._description))


class LineCreateRace(Exception):
    """Another transaction created the same record first (a new customer's identity or
    conversation): the item is tried again, and then finds the other transaction's record."""


class LineContentNotReady(Exception):
    """LINE is still preparing a video's or an audio's content (202): look again in a moment."""

    def __str__(self):
        return f"LINE has not finished preparing the content of message {self.args[0]}"


class LineEventWaits(Exception):
    """The event waits for others (the rest of an image set): look again in a moment."""


class LineQueueLockLost(Exception):
    """Another run holds a row that goes to LINE in the same request as this one: that run sends
    the request."""


class LineReplyUnconfirmed(Exception):
    """A reply LINE may or may not have delivered: a person must check before it is sent again."""
