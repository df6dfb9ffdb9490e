from . import test_assignment
from . import test_inbound
from . import test_line_channel_check
from . import test_line_channel_security
from . import test_linking
from . import test_lists
from . import test_outbound
from . import test_webhook_http
