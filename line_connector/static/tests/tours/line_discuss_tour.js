import { registry } from "@web/core/registry";

/** An operator finds the LINE conversation in the LINE section of Discuss and answers it. */
registry.category("web_tour.tours").add("line_connector_discuss", {
    steps: () => [
        {
            trigger: ".o-line-DiscussSidebarCategory:contains('LINE')",
        },
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Tour')",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('Is the shop open today?')",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit Yes, until 8 pm!",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            trigger: ".o-mail-Message:contains('Yes, until 8 pm!')",
        },
    ],
});
