import { registry } from "@web/core/registry";

/** A LINE manager of both companies moves a customer of the shared channel to Kyoto, from Discuss. */
registry.category("web_tour.tours").add("line_connector_move", {
    steps: () => [
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako')",
            run: "click",
        },
        {
            trigger: ".o-mail-Discuss-header button[name='line-customer']",
            run: "click",
        },
        {
            trigger: ".modal .o_form_view button:contains('Move to another company')",
            run: "click",
        },
        {
            trigger: ".modal div[name='company_id'] input",
            run: "edit Kyoto",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Kyoto Branch')",
            run: "click",
        },
        {
            trigger: ".modal div[name='reason'] textarea",
            run: "edit Moved house to Kyoto",
        },
        {
            trigger: ".modal button[name='action_move']",
            run: "click",
        },
        {
            content: "The wizard closes once the customer is moved",
            trigger: "body:not(:has(.modal button[name='action_move']))",
        },
    ],
});
