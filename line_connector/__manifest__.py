{
    "name": "LINE Connector",
    "version": "18.0.1.0.0",
    "category": "Productivity/Discuss",
    "summary": "Chat with your LINE Official Account's customers from Odoo Discuss",
    "author": "line_connector contributors",
    "website": "https://github.com/line-connector/line_connector",
    "license": "LGPL-3",
    "depends": ["mail"],
    "external_dependencies": {"python": ["line-bot-sdk"]},
    "data": [
        "security/line_connector_groups.xml",
        "security/ir.model.access.csv",
        "security/line_connector_rules.xml",
        "data/ir_cron_data.xml",
        "views/line_channel_views.xml",
        "views/line_event_views.xml",
        "views/line_identity_views.xml",
        "views/line_message_views.xml",
        "views/res_config_settings_views.xml",
        "views/line_connector_menus.xml",
    ],
    "demo": [
        "demo/line_channel_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "line_connector/static/src/core/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
