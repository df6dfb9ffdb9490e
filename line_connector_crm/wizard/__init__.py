from . import line_link_wizard
