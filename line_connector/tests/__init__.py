from . import test_inbound, test_line_channel_check, test_line_channel_security, test_webhook_http
