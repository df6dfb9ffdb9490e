import { registry } from "@web/core/registry";

/**
 * An operator's message LINE did not deliver: the messaging menu says it is a LINE failure (Odoo
 * says "An error occurred when sending an email" of any failure it does not know).
 */
registry.category("web_tour.tours").add("line_connector_failure", {
    steps: () => [
        {
            trigger: ".o_menu_systray i[aria-label='Messages']",
            run: "click",
        },
        {
            content: "The failure entry names LINE",
            trigger: ".o-mail-NotificationItem:contains('A message could not be delivered on LINE')",
        },
    ],
});
