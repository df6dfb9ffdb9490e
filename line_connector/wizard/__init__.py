from . import line_link_wizard
from . import line_reassign_wizard
from . import line_merge_wizard
from . import line_reply_later
from . import line_switch_wizard
from . import line_move_wizard
from . import line_disconnect_wizard
