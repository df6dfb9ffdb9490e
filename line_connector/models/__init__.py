from . import discuss_channel
from . import line_channel
from . import line_event
from . import line_identity
from . import line_message
from . import mail_message
from . import mail_notification
from . import res_config_settings
