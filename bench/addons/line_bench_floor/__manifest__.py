{
    "name": "LINE Connector benchmark floor",
    "version": "18.0.1.0.0",
    "summary": "Two bare routes the inbound benchmark measures Odoo itself with (never install in production)",
    "author": "line_connector contributors",
    "license": "LGPL-3",
    "depends": ["mail"],
    "data": [],
    "installable": True,
}
