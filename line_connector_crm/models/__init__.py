from . import crm_lead
from . import line_identity
