{
    "name": "LINE Connector - CRM",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "summary": "Create and link CRM leads from LINE conversations",
    "author": "line_connector contributors",
    "website": "https://github.com/line-connector/line_connector",
    "license": "LGPL-3",
    "depends": ["line_connector", "crm"],
    "data": [
        "views/crm_lead_views.xml",
        "wizard/line_link_wizard_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
