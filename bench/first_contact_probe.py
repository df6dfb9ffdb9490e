#!/usr/bin/env python3
"""What one first contact costs the cron, step by step: queries, bus notifications, LINE calls.

Runs in ``odoo-bin shell`` on a benchmark's database (one with a LINE channel, e.g. after
``bench/inbound.py --db X``), with the LINE platform emulator started in the shell's own process;
everything it does is rolled back. For a new customer's ``follow``, their first text, and a known
customer's text, it processes the event as the cron does (``line.event._queue_process_one``) and
prints, per step (inclusive of the steps it calls): calls, SQL queries (Odoo's own count, the
``sql_log_count`` of the cursor), bus notifications sent, and the emulator's API calls by endpoint.

    PYTHONPATH=. .venv/bin/python ~/.cache/odoo/18.0/odoo-bin shell --addons-path=... -d DB \\
        --no-http < bench/first_contact_probe.py
"""
# ruff: noqa: F821 (``env`` is the shell's)
import collections
import functools
import json
import secrets

from bench.harness.line_events import text_event
from line_emulator.client import EmulatorClient
from line_emulator.testing import EmulatorServer
from line_emulator.webhook import follow_event, user_source

STEPS = (
    ("line.event", "_queue_process_one"),
    ("line.inbound", "_get_conversation"),
    ("line.identity", "_get_or_create"),
    ("line.identity", "_refresh_profile"),
    ("line.identity", "_show_profile"),
    ("line.identity", "_get_guest"),
    ("discuss.channel", "_line_create"),
    ("line.channel", "_line_route"),
    ("line.channel", "_pick_assignee"),
    ("line.channel", "_line_assign"),
    ("discuss.channel", "add_members"),
    ("discuss.channel", "_line_send_store"),
    ("discuss.channel", "_line_post"),
    ("discuss.channel", "_line_notify"),
    ("discuss.channel", "message_post"),
    ("mail.guest", "create"),
    ("bus.bus", "_sendone"),
)
stats = collections.defaultdict(lambda: [0, 0, 0])  # step -> [calls, queries, bus notifications]
bus_sent = [0]


def wrap(model, name):
    cls = type(env[model])
    original = getattr(cls, name)

    @functools.wraps(original)
    def counted(self, *args, **kwargs):
        queries, notes = self.env.cr.sql_log_count, bus_sent[0]
        if (model, name) == ("bus.bus", "_sendone"):
            bus_sent[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            entry = stats[f"{model}.{name}"]
            entry[0] += 1
            entry[1] += self.env.cr.sql_log_count - queries
            entry[2] += bus_sent[0] - notes

    setattr(cls, name, counted)
    return cls, name, original


server = EmulatorServer()
server.start()
patched = []
try:
    channel = env["line.channel"].search([], limit=1)
    client = EmulatorClient(server.base_url)
    remote = client.create_channel(channel_id=channel.channel_number, channel_secret=channel.channel_secret,
                                   provider_id=channel.provider_name, display_name="Probe OA")
    channel.write({"api_url": server.base_url, "data_url": server.base_url, "access_token": False})
    newcomer = client.create_user(provider_id=channel.provider_name, display_name="Probe newcomer")["user_id"]
    server.state.set_friend_state(channel.channel_number, newcomer, "friend")  # followed at LINE: profile given
    patched = [wrap(model, name) for model, name in STEPS]
    known = env["line.identity"].search([("conversation_ids", "!=", False)], limit=1).line_user_id
    destination = remote.get("bot_user_id") or "U" + secrets.token_hex(16)
    cases = [("new customer: follow", follow_event(user_source(newcomer), reply_token=secrets.token_hex(16))),
             ("new customer: first text", text_event(newcomer, "first words")),
             ("known customer: text", text_event(known, "again")) if known else None]
    for label, event in filter(None, cases):
        stats.clear()
        since = (client.calls() or [{"id": 0}])[-1].get("id", 0)
        body = json.dumps({"destination": destination, "events": [event]}).encode()
        env["line.event"]._store_body(channel, body)
        stored = env["line.event"].search([("webhook_event_id", "=", event["webhookEventId"])])
        stored._queue_process_one()
        env.flush_all()
        calls = collections.Counter(call["endpoint"] for call in client.calls(since=since))
        print(f"PROBE {label}: state {stored.state}, LINE calls {dict(calls)}")
        for step, (count, queries, notes) in sorted(stats.items(), key=lambda item: -item[1][1]):
            print(f"PROBE   {step:<38} calls {count:>2}  queries {queries:>4}  bus notifications {notes:>2}")
finally:
    for cls, name, original in patched:
        setattr(cls, name, original)
    env.cr.rollback()
    server.stop()
