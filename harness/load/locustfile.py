"""Locust user classes that drive G2A traffic through the adapter.

Run only by Locust (it monkey-patches with gevent on import), normally via
`g2a-harness load`, which passes `--g2a-plan`. The adapter's sync client uses httpx over
sockets that gevent patches, so every user is one cooperative greenlet.

Each adapter call is reported to Locust as one request named after the operation
(`products.list`, `orders.purchase`, ...) with its latency; it fails only on a *business*
failure: an adapter error left after its retries, or an answer other than the expected one.

On a machine of its own, a worker joins a master with the command the master prints:
    g2a-harness load --workers N --master-host MASTER_IP --master-port PORT
(the master listens on a free port it picks and prints, not Locust's default 5557; the plan,
the run's CA certificate included, comes from the master; set G2A_WEBHOOK_SECRET, a shared
G2A_LOAD_IDEMPOTENCY_URL such as redis://, and for the sandbox G2A_API_KEY in the worker's
environment).
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gevent
import httpx
from locust import User, events, task
from locust.env import Environment
from locust.log import greenlet_exception_logger
from locust.runners import STATE_INIT, MasterRunner, WorkerRunner

from g2a_adapter import G2AApiError, G2AClient, G2AError, OutcomeUnknownError, open_store
from g2a_adapter.idempotency import IdempotencyStore
from harness.load import deliveries
from harness.load.breakage import ForgetfulStore
from harness.load.buying import BuyerTasks
from harness.load.catalogue import Catalogue
from harness.load.expected_refusals import ExpectedRefusals, expecting
from harness.load.final_reports import FinalReports
from harness.load.heartbeats import (
    DEAF_LINE,
    HEARTBEAT_INTERVAL_S,
    LISTENING_LINE,
    MASTER_SILENT_LINE,
    WORKER_ONLY_ENV,
    MasterSilence,
    additional_wait_after_stop,
)
from harness.load.journal import Entry, ExceptionTally, Journal, write_journal
from harness.load.plan import BREAK_IDEMPOTENCY_ENV, JOINED_LINE, WEBHOOK_SECRET_ENV, LoadPlan

logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("g2a_adapter").setLevel(logging.WARNING)
logging.getLogger("g2a_adapter").addFilter(ExpectedRefusals())

_CLASS_OF_MIX = {"buyer": "Buyer", "token_churn": "TokenChurner", "webhook_sender": "WebhookSender"}
_PAID = frozenset({"paid", "complete"})

# the journal, wherever this process is: a worker ships it to the master, which (like a
# standalone process) writes it when Locust quits
_buffer: list[Entry] = []  # this process's entries not yet shipped or written
_shipped = 0  # worker: entries shipped to the master so far
_collected = Journal()  # master/local: everything received, every test's
_exceptions = ExceptionTally()  # master/local: Locust's user exceptions, every period's
_reports = FinalReports()  # master: each worker's entries shipped and arrived, test by test
_joined: set[str] = set()  # master: every worker that joined, to notice one that left early
_first_test_gaps: list[int] = []  # master: where the first test's handshake gaps are in the
# journal's gaps, named without their test until a second test starts
_environment: Environment | None = None

# The end-of-run handshake: Locust's master quits 0.5 s after telling its workers to, so their
# last stats report (and the journal entries in it) can arrive too late or not at all. Before
# that, the master asks every worker to finish: stop its users (they complete their task and
# run on_stop), send one last report and then `g2a_finished` with how many entries it shipped
# in all. The master waits until every worker's entries of this test arrived (`FinalReports`).
# The master's test number goes with `g2a_finish` and comes back with `g2a_finished`: a late
# answer to an earlier test's is ignored.
FINISH_MESSAGE = "g2a_finish"
FINISHED_MESSAGE = "g2a_finished"
FINAL_REPORT_GRACE_S = 10.0  # beyond --stop-timeout, for a worker to answer the handshake


class UnexpectedAnswer(Exception):
    """The call succeeded technically but answered something the business flow forbids."""


def _plan(environment: Environment) -> LoadPlan:
    options = environment.parsed_options
    return LoadPlan.from_json(getattr(options, "g2a_plan", "") if options else "")


def _add_options(parser: Any) -> None:
    parser.add_argument(
        "--g2a-plan", type=str, default="", help="run plan (JSON), set by g2a-harness load"
    )
    parser.add_argument(
        "--g2a-run-time",
        type=int,
        default=0,
        help="seconds from the first test's start to the run's end, set by g2a-harness load",
    )


def _on_init(environment: Environment, **_: Any) -> None:
    global _environment
    _environment = environment
    runner = environment.runner
    if isinstance(runner, WorkerRunner):  # Locust made it only once its master answered
        print(JOINED_LINE, file=sys.stderr, flush=True)
        runner.register_message(FINISH_MESSAGE, _finish, concurrent=True)
        _watch_master(environment, runner)
        return
    if isinstance(runner, MasterRunner):
        runner.register_message(FINISHED_MESSAGE, _worker_finished)
        _record_joined()
    mix = _plan(environment).mix
    for user_class in environment.user_classes:
        for mix_name, class_name in _CLASS_OF_MIX.items():
            if user_class.__name__ == class_name and mix.get(mix_name, 0) > 0:
                user_class.weight = mix[mix_name]


def _watch_master(environment: Environment, runner: WorkerRunner) -> None:
    """Worker: quit once its master went silent (`harness.load.heartbeats`)."""
    silence = MasterSilence()

    def users_stopping(environment: Environment, **_: Any) -> None:
        silence.users_stopping(_deaf_s(environment))

    _listen(environment.events.heartbeat_received, silence.heard)
    _listen(environment.events.test_stopping, users_stopping)
    _listen(environment.events.test_start, silence.test_started)
    _spawn(_quit_once_silent, environment, runner, silence)


def _spawn(run: Callable[..., None], *args: Any) -> None:
    """`run` in a greenlet whose exception Locust logs and counts, as it does its own
    greenlets' (the run then exits 2), instead of gevent printing it and the run going on."""
    logged = greenlet_exception_logger(logging.getLogger(__name__))  # type: ignore[no-untyped-call]
    gevent.spawn(run, *args).link_exception(logged)


def _deaf_s(environment: Environment) -> float:
    """How long Locust's stop sequence keeps a worker deaf to its master: after its users
    stopped, it sleeps this long before it says it is ready again."""
    return (environment.stop_timeout or 0.0) + additional_wait_after_stop(os.environ)


def _quit_once_silent(
    environment: Environment, runner: WorkerRunner, silence: MasterSilence
) -> None:
    """Worker: quit with exit code 1, saying why, once the master went silent; saying too
    when it may be deaf to its master and when it listens again, to the worker-only command
    that reads it. Intervals are counted as this loop ticks, so a stall of this worker's own
    loop counts once."""
    deaf = False
    say_deafness = os.environ.get(WORKER_ONLY_ENV) == "1"
    while not silence.tick(ready=runner.worker_state == STATE_INIT):
        if silence.deaf != deaf:
            deaf = silence.deaf
            if say_deafness:
                print(DEAF_LINE if deaf else LISTENING_LINE, file=sys.stderr, flush=True)
        gevent.sleep(HEARTBEAT_INTERVAL_S)
    print(MASTER_SILENT_LINE, file=sys.stderr, flush=True)
    environment.process_exit_code = 1
    runner.quit()


def _ship(client_id: str, data: dict[str, Any]) -> None:
    global _shipped
    data["g2a_journal"] = list(_buffer)
    _shipped += len(_buffer)
    _buffer.clear()


def _receive(client_id: str, data: dict[str, Any]) -> None:
    entries = data.get("g2a_journal", [])
    _collected.add(entries)
    _reports.arrived(client_id, len(entries))


def _finish(environment: Environment, msg: Any, **_: Any) -> None:
    """Worker: stop the users, ship what is left, then say how much was shipped in all."""
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    runner.stop()
    data: dict[str, Any] = {}
    report: Any = environment.events.report_to_master  # untyped in Locust
    report.fire(client_id=runner.client_id, data=data)  # what Locust's own reports do
    runner.send_message("stats", data)
    runner.send_message(FINISHED_MESSAGE, {"shipped": _shipped, "test": msg.data["test"]})


def _worker_finished(environment: Environment, msg: Any, **_: Any) -> None:
    if msg.data.get("test") == _collected.tests:  # not a late answer to an earlier test
        _reports.finished(msg.node_id, int(msg.data["shipped"]))


def _worker_joined(client_id: str, **_: Any) -> None:
    _joined.add(client_id)
    _record_joined()


def _record_joined() -> None:
    """Master: how many workers joined (more than it expected, or fewer), written at once until
    the first test starts: a master that gives up waiting for its workers exits without
    Locust's `quit` event, so without the journal `_write_journal` writes."""
    _collected.workers_joined = len(_joined)
    if not _collected.tests and _environment is not None:
        write_journal(Path(_plan(_environment).journal_path), _collected)


def _gap(gap: str) -> None:
    """A journal gap, named once however many tests find it (a worker that left)."""
    if gap not in _collected.gaps:
        _collected.gaps.append(gap)


def _collect_final_reports(environment: Environment, **_: Any) -> None:
    """Master, as a test stops: the handshake above; a worker that fails it (named with its
    test once the run held a second), or that left the run before its end (Locust carries on
    with the others), is a journal gap."""
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    workers = [c.id for c in runner.clients.all]  # a missed heartbeat under load is no excuse
    for worker in sorted(_joined - set(workers)):
        _gap(f"worker {worker}: left before the run ended")
    runner.send_message(FINISH_MESSAGE, {"test": _collected.tests})
    deadline = time.monotonic() + environment.stop_timeout + FINAL_REPORT_GRACE_S
    while _reports.unfinished(workers) and time.monotonic() < deadline:
        gevent.sleep(0.05)
    for worker in _reports.unfinished(workers):
        if _collected.tests == 1:
            _first_test_gaps.append(len(_collected.gaps))
            _collected.gaps.append(_reports.gap(worker))
        else:
            _collected.gaps.append(f"{_reports.gap(worker)} (test {_collected.tests})")


def _label_first_test_gaps() -> None:
    """Master, as a second test starts: the first test's handshake gaps now say their test."""
    for index in _first_test_gaps:
        _collected.gaps[index] += " (test 1)"
    _first_test_gaps.clear()


def _quit_deaf_workers(environment: Environment, **_: Any) -> None:
    """Master, as it quits (after Locust's own quit): Locust tells only the workers it lists
    to quit, and it unlists one in its stop sequence (after a web run's `stop`) until it says
    it is ready again, which can come after the master quit (--autoquit is --stop-timeout, and
    the worker's wait is that plus LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_AFTER_STOP). Such
    a worker would then find its master gone and take that for silence: it is told too, the
    message waiting in its socket until it listens again."""
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    listed = {client.id for client in runner.clients.all}  # Locust's own quit reaches these
    for worker in sorted(_joined - listed):
        runner.send_message("quit", client_id=worker)


def _flush_buffer() -> None:
    """Local: this process's entries into the journal, in the period they were made in."""
    _collected.add(_buffer)
    _buffer.clear()


def _new_test(environment: Environment, **_: Any) -> None:
    """Master/local, as a test starts (a web UI's Start after a Stop, or the first): Locust
    resets its statistics, and a new period of the journal begins (`harness.load.journal`)."""
    if isinstance(environment.runner, WorkerRunner):
        return
    _flush_buffer()
    _reports.new_test()
    _exceptions.test_started()
    _collected.tests += 1
    if _collected.tests == 1:
        _spawn(_end_the_run, environment)
    if _collected.tests == 2:
        _label_first_test_gaps()


def _end_the_run(environment: Environment) -> None:
    """Master/local: the run's end, --g2a-run-time seconds after its first test started, as
    Locust's --run-time ends a run (headless: quit; the web UI's: stop, quit --autoquit
    seconds later). Locust's own timer counts from gevent's cached loop time, which the
    process's start-up leaves stale (0.2 s on an idle machine, seconds on a busy one: a 6 s
    run's test lasted 3.6 s); this greenlet runs once the loop has, so it counts from the
    test's start."""
    runner, options = environment.runner, environment.parsed_options
    assert runner is not None  # Locust set it, and its options, before the test started
    assert options is not None
    gevent.sleep(options.g2a_run_time)
    if not options.headless:
        runner.stop()
        gevent.sleep(options.autoquit)
    runner.quit()
    web_ui: Any = environment.web_ui  # Locust's `WebUI.stop` is untyped
    if web_ui is not None:
        web_ui.stop()


def _test_stopped(environment: Environment, **_: Any) -> None:
    """Master/local, as a test stopped: its exceptions noted, before a Start empties them."""
    runner = environment.runner
    if runner is not None and not isinstance(runner, WorkerRunner):
        _exceptions.test_stopped(runner.exceptions.values())


def _stats_reset(**_: Any) -> None:
    """Where the web UI runs (master/local), at its Reset Stats: a new period of the journal;
    the exceptions kept before Locust empties them (after this event)."""
    _flush_buffer()
    _collected.stats_resets += 1
    runner = _environment.runner if _environment is not None else None
    if runner is not None:
        _exceptions.about_to_reset(runner.exceptions.values())


def _write_journal(exit_code: int, **_: Any) -> None:
    environment = _environment
    if environment is None or isinstance(environment.runner, WorkerRunner):
        return
    _flush_buffer()
    runner = environment.runner
    if runner is not None:
        _collected.exceptions = _exceptions.of_run(runner.exceptions.values())
        _collected.test_started = runner.stats.start_time  # where Locust's rates run from
    _collected.exit_code = exit_code
    write_journal(Path(_plan(environment).journal_path), _collected)


def _listen(hook: Any, listener: Callable[..., None]) -> None:
    """Locust's `EventHook.add_listener` is untyped: register through `Any`."""
    hook.add_listener(listener)


_listen(events.init_command_line_parser, _add_options)
_listen(events.init, _on_init)
_listen(events.report_to_master, _ship)  # workers ship their journal with every stats report
_listen(events.worker_report, _receive)  # the master collects it
_listen(events.worker_connect, _worker_joined)  # the master counts who joined
_listen(events.test_start, _new_test)  # master/local: a new period of the journal
_listen(events.reset_stats, _stats_reset)  # and at the web UI's Reset Stats
_listen(events.test_stopping, _collect_final_reports)  # master: every worker's last entries
_listen(events.test_stop, _test_stopped)  # master/local: the test's exceptions noted
# master: `quitting` fires in reverse order, so after Locust's own quit to the workers it lists;
# the socket stays open until the process exits
_listen(events.quitting, _quit_deaf_workers)
_listen(events.quit, _write_journal)  # after the runner quit: final reports are in


class _Outcome:
    failure: Exception | None = None


@contextmanager
def _measured(user: User, name: str, request_type: str = "adapter") -> Iterator[_Outcome]:
    """Report the enclosed call to Locust; adapter errors become failures, bugs propagate."""
    outcome = _Outcome()
    started = time.perf_counter()

    def fire() -> None:
        user.environment.events.request.fire(
            request_type=request_type,
            name=name,
            response_time=(time.perf_counter() - started) * 1000.0,
            response_length=0,
            exception=outcome.failure,
            context={},
        )

    try:
        yield outcome
    except (G2AError, UnexpectedAnswer, httpx.HTTPError) as exc:
        outcome.failure = exc
    except Exception as exc:
        outcome.failure = exc
        fire()
        raise
    fire()


def _retries(client: G2AClient) -> int:
    total = 0.0
    for metric in client.metrics.registry.collect():
        if metric.name == "g2a_request_retries":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return int(total)


class _AdapterUser(User):
    abstract = True
    plan: LoadPlan
    client: G2AClient
    store: IdempotencyStore

    def wait_time(self) -> float:
        low, high = self.plan.wait
        return random.uniform(low, high)

    def on_start(self) -> None:
        self.plan = _plan(self.environment)
        settings = self.plan.settings(os.environ)
        broken = os.environ.get(BREAK_IDEMPOTENCY_ENV) == "1"
        self.store = ForgetfulStore() if broken else open_store(settings.idempotency_url)
        verify = self.plan.ssl_context()  # the run's own CA when the twin speaks TLS
        transport = httpx.HTTPTransport(verify=verify) if verify is not None else None
        self.client = G2AClient(settings, store=self.store, transport=transport)

    def on_stop(self) -> None:
        _buffer.append({"counter": "adapter_retries", "value": _retries(self.client)})
        self.client.close()
        self.store.close()


class Buyer(_AdapterUser):
    """Browses, looks products up, buys with idempotency keys (repeating some) and checks; it
    opens with a purchase and its repeat (`harness.load.buying`)."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.history: list[tuple[str, str, str | None]] = []  # key, product id, order id
        self.catalogue = Catalogue()
        self.choices = BuyerTasks(self.plan.buyer)  # not `tasks`: Locust's own

    @task
    def act(self) -> None:
        getattr(self, f"_{self.choices.next(bought=bool(self.history))}")()

    def _browse(self) -> None:
        number = self.catalogue.next_page()  # only pages that exist (page 1 tells how many)
        with _measured(self, "products.list"):
            page = self.client.products.list(page=number)
            if not page.docs:
                raise UnexpectedAnswer(f"page {page.page} of the catalog is empty")
            self.catalogue.learn(page=number, total=page.total, docs=len(page.docs))

    def _lookup(self) -> None:
        product_id = random.choice(self.plan.product_ids)
        with _measured(self, "products.get"):
            product = self.client.products.get(product_id)
            if str(product.id) != product_id:
                raise UnexpectedAnswer(f"asked for product {product_id}, got {product.id}")

    def _buy(self, name: str, key: str, product_id: str, expected_order: str | None) -> None:
        entry: Entry = {"op": "purchase", "key": key, "product_id": product_id, "repeat": False}
        entry["repeat"] = name.endswith("[repeat]")
        with _measured(self, name) as outcome:
            try:
                result = self.client.orders.purchase(product_id, idempotency_key=key)
            except OutcomeUnknownError:
                # what the adapter asks callers to do: run it again with the same key
                entry["resumed_after_unknown"] = True
                result = self.client.orders.purchase(product_id, idempotency_key=key)
            entry.update(order_id=str(result.order_id), resumed=result.resumed)
            if expected_order is not None and str(result.order_id) != expected_order:
                raise UnexpectedAnswer(
                    f"key {key} bought order {result.order_id} after {expected_order}"
                )
        entry["ok"] = outcome.failure is None
        if outcome.failure is not None:
            entry["error"] = type(outcome.failure).__name__
        _buffer.append(entry)
        if not entry["repeat"]:
            self.history.append((key, product_id, entry.get("order_id")))

    def _purchase(self) -> None:
        key = f"load-{uuid.uuid4().hex}"
        self._buy("orders.purchase", key, random.choice(self.plan.product_ids), None)

    def _repeat(self) -> None:
        key, product_id, order_id = random.choice(self.history)
        self._buy("orders.purchase[repeat]", key, product_id, order_id)

    def _a_paid_order(self) -> str | None:
        """One of the orders this buyer paid for, at random; None before the first."""
        orders = [order for _, _, order in self.history if order is not None]
        return random.choice(orders) if orders else None

    def _status(self) -> None:
        order_id = self._a_paid_order()
        if order_id is None:
            return
        with _measured(self, "orders.details"):
            details = self.client.orders.details(order_id)
            if details.status not in _PAID:
                raise UnexpectedAnswer(f"bought order {order_id} is {details.status!r}")

    def _key_again(self) -> None:
        order_id = self._a_paid_order()
        if order_id is None:
            return
        with _measured(self, "orders.key[again]"), expecting("ORD004"):
            try:
                self.client.orders.key(order_id)
            except G2AApiError as exc:
                if exc.code != "ORD004":
                    raise
            else:
                raise UnexpectedAnswer(f"the key of order {order_id} was handed out twice")


class TokenChurner(_AdapterUser):
    """Import API traffic with a short token life: tokens refresh early, never expire in use."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.tokens_seen: set[str] = set()

    @task
    def churn(self) -> None:
        with _measured(self, "auth.token"):
            token = self.client.auth.token()
            fingerprint = token.access_token.get_secret_value().encode()
            self.tokens_seen.add(hashlib.sha256(fingerprint).hexdigest())
        with _measured(self, "offers.list"):
            self.client.offers.list(page=1, items_per_page=20)

    def on_stop(self) -> None:
        _buffer.append({"counter": "tokens_issued", "value": len(self.tokens_seen)})
        super().on_stop()


class WebhookSender(User):
    """Posts signed order events to the receiver: valid, duplicates, replays and forgeries."""

    weight = 2

    def wait_time(self) -> float:
        low, high = self.plan.wait
        return random.uniform(low, high)

    def on_start(self) -> None:
        self.plan = _plan(self.environment)
        self.secret = os.environ.get(WEBHOOK_SECRET_ENV, "")
        if not self.secret:
            raise RuntimeError(f"{WEBHOOK_SECRET_ENV} is not set for the webhook sender")
        verify = self.plan.ssl_context() or True
        self.http = httpx.Client(base_url=self.plan.receiver_url, timeout=10.0, verify=verify)
        self.deliveries = deliveries.Sender(
            self.secret, self.plan.webhooks, self.plan.webhook_tolerance_s
        )

    def on_stop(self) -> None:
        self.http.close()

    @task
    def post(self) -> None:
        delivery = self.deliveries.next(time.time())
        entry: Entry = {"op": "webhook", "variant": delivery.variant, "event_id": delivery.event_id}
        with _measured(self, f"webhook.{delivery.variant}", request_type="webhook"):
            response = self.http.post(
                "/webhooks/g2a", content=delivery.body, headers=delivery.headers
            )
            answer = response.json()
            entry.update(
                status=response.status_code, answer=answer.get("status") or answer.get("error")
            )
            if (response.status_code, entry["answer"]) != (
                delivery.expected_status,
                delivery.expected_answer,
            ):
                raise UnexpectedAnswer(
                    f"{delivery.variant} delivery answered {response.status_code} {answer}, "
                    f"expected {delivery.expected_status} {delivery.expected_answer}"
                )
        _buffer.append(entry)
