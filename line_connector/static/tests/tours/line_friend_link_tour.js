import { registry } from "@web/core/registry";

/** An operator sends the account's add-friend link with `/friendlink`, offered among LINE's commands. */
registry.category("web_tour.tours").add("line_connector_friend_link", {
    steps: () => [
        {
            trigger: ".o-mail-DiscussSidebarChannel:contains('Hanako')",
            run: "click",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit /friend",
        },
        {
            content: "The command is offered in a LINE conversation",
            trigger: ".o-mail-Composer-suggestion:contains('friendlink')",
            run: "click",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            // Discuss clears the composer once the server ran the command (the message it posted
            // comes back through the bus, which tests do not have): the test then checks LINE got it.
            content: "The command ran",
            trigger: ".o-mail-Composer-input",
            async run() {
                for (let attempt = 0; attempt < 100 && this.anchor.value; attempt++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                if (this.anchor.value) {
                    throw new Error(`The command was not sent: ${this.anchor.value}`);
                }
            },
        },
    ],
});
