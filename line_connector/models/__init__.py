from . import discuss_channel, line_channel, line_event, line_identity, mail_message, res_config_settings
