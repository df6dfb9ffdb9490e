from . import test_lead
