from . import main
from . import account_link
