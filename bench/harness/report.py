"""The comparison table: each LINE figure next to the same Odoo's floor, measured in the same run."""

ACK_P99_TARGET_MS = 250
INGEST_RATIO_TARGET = 1.5
FIRST_CONTACT_RATIO_TARGET = 2.0   # issue #13: first-contact intake within 2x of the message_post floor
ACK_COST_RATIO_TARGET = 2.0        # issue #13: webhook acks/s within 2x of the bare route's (same proxy)
DRIFT_WARNING = 1.2   # floor after / floor before (or the reverse) above which the run says so


def _ratio(value, floor, higher_is_better):
    """How many times worse than the floor (1.0 = as good as Odoo's floor)."""
    if not value or not floor:
        return None
    return round(floor / value if higher_is_better else value / floor, 2)


def _row(metric, value, unit, floor=None, floor_label="", higher_is_better=False, target=None, passed=None):
    return {"metric": metric, "value": value, "unit": unit, "floor": floor, "floor_label": floor_label,
            "ratio": _ratio(value, floor, higher_is_better), "target": target,
            "result": None if passed is None else ("PASS" if passed else "FAIL")}


def rows(results):
    phases = results["phases"]
    bare, bare_solo = phases.get("floor_bare", {}), phases.get("floor_bare_solo", {})
    post, post_solo = phases.get("floor_post", {}), phases.get("floor_post_solo", {})
    post_one = phases.get("floor_post_one_channel", {})
    burst, steady = phases.get("burst", {}), phases.get("steady", {})
    ack, e2e = burst.get("ack", {}), burst.get("ingest", {})
    s_ack, s_e2e = steady.get("ack", {}), steady.get("ingest", {})
    c = results["config"]["senders"]
    table = [
        _row(f"Webhook ack p50, {c} senders", ack.get("p50_ms"), "ms", bare.get("p50_ms"),
             f"bare route p50, {bare.get('concurrency')} clients"),
        _row(f"Webhook ack p99, {c} senders (closed loop)", ack.get("p99_ms"), "ms", bare.get("p99_ms"),
             f"bare route p99, {bare.get('concurrency')} clients", target="see the bound below"),
        _row(f"Webhook ack p99 incl. unanswered, {c} senders", ack.get("p99_all_ms"), "ms", bare.get("p99_all_ms"),
             f"bare route, {bare.get('concurrency')} clients"),
        _row(f"Webhook acks/s, {c} senders", ack.get("rate_per_s"), "/s", bare.get("rate_per_s"),
             f"bare route req/s, {bare.get('concurrency')} clients", higher_is_better=True,
             target=f"ratio <= {ACK_COST_RATIO_TARGET:g}",
             passed=_lt(_ratio(ack.get("rate_per_s"), bare.get("rate_per_s"), True), ACK_COST_RATIO_TARGET, True)),
        _row(f"Webhooks not acknowledged, {c} senders", _unanswered(ack), "", _unanswered(bare),
             f"bare route, of {bare.get('requests')}", target="0", passed=_unanswered(ack) == 0 if ack else None),
        # Little's law: n clients that each wait for their answer see a mean latency of n / throughput.
        # Even Odoo's bare route, at its own rate, cannot answer n closed-loop clients faster than this.
        _row(f"Bound: least mean latency of {c} closed-loop clients at the bare route's rate", _bound(c, bare),
             "ms"),
    ]
    post_rate, post_label = _post_floor(phases)
    ratio = _ratio(e2e.get("ingest_rate_per_s"), post_rate, True)
    table += [
        _row("Events ingested end to end (burst)", e2e.get("ingest_rate_per_s"), "/s", post_rate,
             f"message_post req/s, {post.get('concurrency')} clients, {post.get('channels')} channels{post_label}",
             higher_is_better=True,
             target=f"ratio <= {INGEST_RATIO_TARGET}", passed=_lt(ratio, INGEST_RATIO_TARGET, inclusive=True)),
        _row("Webhook -> Discuss message p50 (burst)", e2e.get("e2e_p50_ms"), "ms", post.get("p50_ms"),
             f"message_post p50, {post.get('concurrency')} clients"),
        _row("Webhook -> Discuss message p99 (burst)", e2e.get("e2e_p99_ms"), "ms", post.get("p99_ms"),
             f"message_post p99, {post.get('concurrency')} clients"),
        _row("Cron: one event's processing (every job busy)", e2e.get("cron_service_ms"), "ms", post_solo.get("p50_ms"),
             "one message_post request, unloaded"),
    ]
    table += _newcomer_rows(phases.get("newcomers"), post_rate, post_label)
    if steady:
        rate = results["config"]["steady_rate"]
        table += [
            _row(f"Webhook ack p50, steady {rate}/s", s_ack.get("p50_ms"), "ms", bare_solo.get("p50_ms"),
                 "bare route p50, unloaded"),
            _row(f"Webhook ack p99, steady {rate}/s", s_ack.get("p99_ms"), "ms", bare_solo.get("p99_ms"),
                 "bare route p99, unloaded", target=f"< {ACK_P99_TARGET_MS} ms",
                 passed=_lt(s_ack.get("p99_ms"), ACK_P99_TARGET_MS)),
            _row(f"Webhook -> Discuss message p50, steady {rate}/s", s_e2e.get("e2e_p50_ms"), "ms",
                 post_solo.get("p50_ms"), "message_post p50, unloaded"),
            _row(f"Webhook -> Discuss message p99, steady {rate}/s", s_e2e.get("e2e_p99_ms"), "ms",
                 post_solo.get("p99_ms"), "message_post p99, unloaded"),
        ]
    if post_one:
        table.append(_row("Events ingested while the burst was being sent", e2e.get("rate_while_sending_per_s"),
                          "/s", post.get("rate_per_s"), "message_post req/s", higher_is_better=True))
        table.append(_row("Events ingested after the burst was acknowledged", e2e.get("rate_after_sending_per_s"),
                          "/s", post.get("rate_per_s"), "message_post req/s", higher_is_better=True))
        table.append(_row(f"Floor: message_post into one channel, {post_one.get('concurrency')} clients",
                          post_one.get("rate_per_s"), "/s"))
    return table


def _newcomer_rows(newcomers, post_rate, post_label):
    """First contact: new customers who follow and write once (bench/inbound.py ``newcomers``)."""
    if not newcomers:
        return []
    ack, e2e = newcomers.get("ack", {}), newcomers.get("ingest", {})
    who = f"{newcomers.get('customers')} new customers, {newcomers.get('senders')} senders"
    ratio = _ratio(e2e.get("ingest_rate_per_s"), post_rate, True)
    return [
        _row(f"First-contact intake, events end to end ({who}: follow + text)", e2e.get("ingest_rate_per_s"), "/s",
             post_rate, f"message_post req/s{post_label}", higher_is_better=True,
             target=f"ratio <= {FIRST_CONTACT_RATIO_TARGET:g}",
             passed=_lt(ratio, FIRST_CONTACT_RATIO_TARGET, inclusive=True)),
        _row("First contact: webhook ack p50", ack.get("p50_ms"), "ms"),
        _row("First contact: webhook ack p99", ack.get("p99_ms"), "ms"),
        _row("First contact: webhook -> Discuss message p50", e2e.get("e2e_p50_ms"), "ms"),
        _row("First contact: events ingested after the webhooks stopped", e2e.get("rate_after_sending_per_s"), "/s",
             post_rate, "message_post req/s", higher_is_better=True),
    ]


def _unanswered(phase):
    """Requests not answered 2xx (reset, dropped, timed out at the client, or 5xx from the proxy)."""
    if not phase or not phase.get("requests"):
        return None
    return phase["requests"] - phase.get("ok", 0)


def _post_floor(phases):
    """The message_post floor the burst is compared with: the mean of the runs before and after it."""
    before = phases.get("floor_post", {}).get("rate_per_s")
    after = phases.get("floor_post_after", {}).get("rate_per_s")
    if not (before and after):
        return before, ""
    return round((before + after) / 2, 1), f"; mean of {before:g} before and {after:g} after the burst"


def _drift(phases):
    before = phases.get("floor_post", {}).get("rate_per_s")
    after = phases.get("floor_post_after", {}).get("rate_per_s")
    if before and after and max(before, after) / min(before, after) > DRIFT_WARNING:
        return (f"- The machine's speed changed during the run: the message_post floor measured {before:g} req/s "
                f"before the burst and {after:g} after it. Ratios against it are unreliable; run again on a quiet "
                "machine.")
    return None


def _bound(clients, bare):
    rate = bare.get("rate_per_s")
    return round(clients / rate * 1000, 1) if rate else None


def _lt(value, limit, inclusive=False):
    if value is None:
        return None
    return value <= limit if inclusive else value < limit


def _fmt(value, unit=""):
    if value is None:
        return "-"
    return f"{value:g} {unit}".strip() if unit not in ("", "x") else f"{value:g}{unit}"


def markdown(results):
    lines = [
        f"# Inbound benchmark, {results['started']}",
        "",
        f"`{results['command']}` on {results['machine']}; Odoo {results['config']['workers']} HTTP workers, "
        f"{results['config']['cron_threads']} cron workers; line_connector at "
        f"{results['addon_version']['commit']}{' (modified)' if results['addon_version']['modified'] else ''}; "
        f"load average before {results['load_average_before'][0]:.2f}; ratio = how many times worse than the floor "
        "(latency / floor latency, or floor rate / rate).",
        "",
        "| Metric | Value | Floor (same run) | Ratio | Target | Result |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows(results):
        floor = f"{_fmt(row['floor'], row['unit'])} ({row['floor_label']})" if row["floor"] is not None else "-"
        lines.append(f"| {row['metric']} | {_fmt(row['value'], row['unit'])} | {floor} | "
                     f"{_fmt(row['ratio'], 'x')} | {row['target'] or '-'} | {row['result'] or '-'} |")
    lines += ["", *notes(results)]
    return "\n".join(lines) + "\n"


def notes(results):
    notes = []
    for name, phase in results["phases"].items():
        if phase.get("truncated"):
            notes.append(f"- Phase `{name}` hit its time limit: its figures cover what was sent before.")
        answers = (phase.get("ack") or phase).get("statuses") or {}
        refused = {status: n for status, n in answers.items() if not status.startswith("2")}
        if refused:
            notes.append(f"- Phase `{name}`: requests not acknowledged with 2xx: {refused}.")
        ingest = phase.get("ingest") or {}
        if ingest.get("missing_message"):
            notes.append(f"- Phase `{name}`: {ingest['missing_message']} acknowledged event(s) have no message "
                         f"(errors: {ingest.get('errors')}).")
    if drift := _drift(results["phases"]):
        notes.append(drift)
    if results.get("error"):
        notes.append(f"- The run stopped early: {results['error']}")
    return notes


def text_table(results):
    out = []
    for row in rows(results):
        floor = f"{_fmt(row['floor'], row['unit'])}" if row["floor"] is not None else "-"
        out.append(f"{row['metric']:<48} {_fmt(row['value'], row['unit']):>12} {floor:>12} "
                   f"{_fmt(row['ratio'], 'x'):>7} {row['result'] or '':>5}")
    header = f"{'metric':<48} {'value':>12} {'floor':>12} {'ratio':>7} {'':>5}"
    return "\n".join([header, "-" * len(header), *out])
