import { registry } from "@web/core/registry";

/** An operator opens the conversation of a customer who blocked the account: the composer says so. */
registry.category("web_tour.tours").add("line_connector_composer_notice", {
    steps: () => [
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako Blocked')",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('Hello')",
        },
        {
            content: "The composer says why LINE will not deliver, before anything is written",
            trigger: ".o-line-ComposerNotice:contains('Hanako Blocked blocked the account on LINE')",
        },
    ],
});
