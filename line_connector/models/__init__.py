from . import line_channel, res_config_settings
