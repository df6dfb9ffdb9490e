"""Webhook delivery as LINE does it: signed POSTs, a 2 s limit, redelivery on failure, a log."""

import datetime
import heapq
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from . import const, webhook


class Deliverer:
    """Sends webhook bodies to channels' endpoints; redelivers failed events on the channel's schedule."""

    def __init__(self, state, workers=8):
        self.state = state
        self.strict = None  # the app's StrictMode, when on: the webhook bodies it builds are checked
        self.session_lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="line-emulator-webhook")
        self.stopping = threading.Event()
        self.jobs = []  # heap of (due, order, callable)
        self.order = itertools.count()
        self.wakeup = threading.Condition()
        self.scheduler = threading.Thread(target=self._run_scheduler, name="line-emulator-scheduler", daemon=True)
        self.scheduler.start()

    def stop(self):
        self.stopping.set()
        with self.wakeup:
            self.jobs.clear()
            self.wakeup.notify_all()
        self.scheduler.join(timeout=5)
        self.executor.shutdown(wait=False, cancel_futures=True)

    def clear(self):
        """Forget pending redeliveries (on reset)."""
        with self.wakeup:
            self.jobs.clear()

    # -- scheduling ---------------------------------------------------------------------------------

    def _schedule(self, delay, job):
        with self.wakeup:
            heapq.heappush(self.jobs, (time.monotonic() + delay, next(self.order), job))
            self.wakeup.notify_all()

    def _run_scheduler(self):
        while not self.stopping.is_set():
            with self.wakeup:
                if not self.jobs:
                    self.wakeup.wait(0.5)
                    continue
                due, _order, job = self.jobs[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self.wakeup.wait(min(wait, 0.5))
                    continue
                heapq.heappop(self.jobs)
            if not self.stopping.is_set():
                self.executor.submit(job)

    # -- delivery -----------------------------------------------------------------------------------

    def deliver(self, channel, events=None, body=None, signature=None, sync=True, redeliver=True, attempt=0,
                check=False):
        """POST ``events`` (or a whole ``body``) to the channel's webhook endpoint.

        :param signature: None to sign correctly, ``"bad"`` for a wrong signature, ``"none"`` for no
            header, any other string to send as is
        :param sync: wait for the answer and return it; else return at once
        :return: the delivery log entry (status_code, latency_ms, error, reason...), or
            ``{"queued": True}`` when not ``sync``, or ``{"skipped": reason}`` without an active endpoint
        :param check: the events are the emulator's own (not a test's raw ones): in strict mode, check
            the body against the webhook's ``CallbackRequest`` schema
        """
        if not channel.webhook_url or not channel.webhook_active:
            return {"skipped": "no active webhook endpoint", "status_code": None}
        if body is None:
            body = webhook.callback_body(channel.bot_user_id, events or [])
        if check and self.strict is not None:
            self.strict.check_body("webhook", "CallbackRequest", body)
        if not sync:
            self.executor.submit(self._attempt, channel, body, signature, redeliver, attempt)
            return {"queued": True, "status_code": None}
        return self._attempt(channel, body, signature, redeliver, attempt)

    def _attempt(self, channel, body, signature, redeliver, attempt):
        raw = body if isinstance(body, bytes) else webhook.encode(body)
        result = self.post(channel, channel.webhook_url, raw, signature)
        events = body.get("events") if isinstance(body, dict) else None
        entry = self.state.log("deliveries", dict(
            result, channel_id=channel.channel_id, url=channel.webhook_url, attempt=attempt,
            is_redelivery=attempt > 0, body=body if isinstance(body, dict) else raw.decode("utf-8", "replace"),
            webhook_event_ids=[e.get("webhookEventId") for e in events or [] if isinstance(e, dict)]))
        if not result["success"] and redeliver and events:
            self._plan_redelivery(channel.channel_id, body, attempt)
        return entry

    def _plan_redelivery(self, channel_id, body, attempt):
        channel = self.state.channels.get(channel_id)
        if not channel or not channel.redelivery or attempt >= len(channel.redelivery_schedule):
            return
        events = [e for e in body["events"] if isinstance(e, dict)]
        if not events:
            return

        def redeliver():
            current = self.state.channels.get(channel_id)
            if current is None or not current.redelivery:
                return
            for event in events:
                if event.get("replyToken"):
                    self.state.refresh_reply_token(event["replyToken"], current.reply_token_ttl)
            again = dict(body, events=[webhook.redelivered(e) for e in events])
            self.deliver(current, body=again, sync=True, redeliver=True, attempt=attempt + 1)

        self._schedule(channel.redelivery_schedule[attempt], redeliver)

    def post(self, channel, url, raw, signature=None):
        """One signed POST: dict(success, status_code, reason, detail, error, latency_ms, timestamp)."""
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": const.WEBHOOK_USER_AGENT}
        if signature is None:
            headers[const.SIGNATURE_HEADER] = webhook.sign(channel.channel_secret, raw)
        elif signature == "bad":
            headers[const.SIGNATURE_HEADER] = webhook.sign(channel.channel_secret + "-wrong", raw)
        elif signature != "none":
            headers[const.SIGNATURE_HEADER] = signature
        started = time.monotonic()
        timestamp = datetime.datetime.now(datetime.timezone.utc)
        result = {"status_code": 0, "error": None, "timestamp": timestamp.isoformat().replace("+00:00", "Z")}
        reasons = const.WEBHOOK_TEST_REASONS
        try:
            response = requests.post(url, data=raw, headers=headers, timeout=channel.webhook_timeout,
                                     allow_redirects=False)
            result["status_code"] = response.status_code
            result["reason"] = reasons["ok"] if 200 <= response.status_code < 300 else reasons["status"]
            result["detail"] = f"{response.status_code} {response.reason}".strip()
        except requests.Timeout as exc:
            result.update(reason=reasons["timeout"], detail="Request timeout", error=str(exc))
        except requests.ConnectionError as exc:
            result.update(reason=reasons["connect"], detail="Connection failed", error=str(exc))
        except requests.RequestException as exc:
            result.update(reason=reasons["unclassified"], detail=str(exc), error=str(exc))
        result["latency_ms"] = int((time.monotonic() - started) * 1000)
        result["success"] = result["reason"] == reasons["ok"]
        return result

    def test_endpoint(self, channel, url=None):
        """The webhook test API: an empty signed body to ``url`` or the channel's endpoint."""
        url = url or channel.webhook_url
        raw = webhook.encode(webhook.callback_body(channel.bot_user_id, []))
        result = self.post(channel, url, raw)
        self.state.log("deliveries", dict(result, channel_id=channel.channel_id, url=url, attempt=0,
                                          is_redelivery=False, test=True, webhook_event_ids=[],
                                          body={"destination": channel.bot_user_id, "events": []}))
        return {"success": result["success"], "timestamp": result["timestamp"], "statusCode": result["status_code"],
                "reason": result["reason"], "detail": result["detail"]}
