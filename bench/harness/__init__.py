"""The pieces of the inbound benchmark: Odoo as a subprocess, load, sampling, reporting."""
