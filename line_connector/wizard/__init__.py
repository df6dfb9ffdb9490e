from . import line_link_wizard
from . import line_reassign_wizard
from . import line_merge_wizard
from . import line_move_wizard
from . import line_disconnect_wizard
