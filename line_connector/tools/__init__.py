from . import line_api
