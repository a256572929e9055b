#!/usr/bin/env python
"""HTTP load run (issue 6, docs/benchmarks.md): a mixed front-desk workload from concurrent clients
against gunicorn in the production configuration, reporting throughput, p50/p95/p99 latency per
request kind and overall, errors, and the memory of each gunicorn worker.

    DATABASE_URL=postgres://… .venv/bin/python bench/load.py --duration 60 --clients 8
    options: --workers 2  --port 8765  --warmup 5  --password …  --seed 2026  --json out.json

It picks its inputs from the database the way bench/run.py does (bench.operations.build_context:
the busiest store, its staff, customers drawn with a fixed seed), starts gunicorn itself
(`gunicorn yanzhi.wsgi --workers N` on 127.0.0.1 with DEBUG off, a random SECRET_KEY unless one is
set, and DATABASE_POOL on unless set; off, with a note, when psycopg_pool is not installed), signs
every client in through the login page, runs the mix for --duration seconds after --warmup
seconds, stops gunicorn and prints the figures. The writes (arrivals, orders and payments) add
rows: run it on a bench database, never on a clinic's. A run with any error exits 1."""

import argparse
import http.client
import json
import os
import platform
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanzhi.settings")

GENERATOR_PASSWORD = "Yanzhi-bench-2026"  # every staff account of manage.py generate_chain

# The front-desk mix: action -> weight (out of 100). Each draw picks one action; every action is
# one HTTP request except open_and_pay_order, which is two (order_open, then order_pay).
MIX = {
    "search_phone_tail": 20,  # the usual way a customer is found at the desk: 手机尾号
    "search_name": 10,
    "search_initials": 10,  # 拼音首字母
    "customer_360": 20,  # the customer's card, opened after most searches
    "today_workbench": 10,  # 今日工作, refreshed through the day
    "appointment_day": 10,  # today's appointment book
    "followup_workbench": 5,  # 回访工作台 (customer service)
    "register_arrival": 8,  # POST /api/v1/visits
    "open_and_pay_order": 7,  # POST /api/v1/orders (submit) + POST /api/v1/orders/{id}/pay
}
# Who does what: the roles bench/operations.py uses for the same pages and calls.
ROLE_OF = {
    "search_phone_tail": "front_desk",
    "search_name": "front_desk",
    "search_initials": "front_desk",
    "customer_360": "store_manager",
    "today_workbench": "front_desk",
    "appointment_day": "front_desk",
    "followup_workbench": "customer_service",
    "register_arrival": "front_desk",
    "order_open": "front_desk",
    "order_pay": "cashier",
}
KINDS = list(ROLE_OF)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class WrongAnswer(Exception):
    pass


# --- the inputs, drawn from the database before gunicorn starts --------------------------------


@dataclass
class Inputs:
    vendor: str
    customers_in_org: int
    store_id: int
    store_name: str
    today: str
    usernames: dict[str, str]
    customers: list[dict]
    items: list[int]
    arrivals: list[dict]  # customers not in the store now (one open visit per customer)
    search_limit: int  # the search box lists at most this many matches
    _next_arrival: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def customer(self, i: int) -> dict:
        return self.customers[i % len(self.customers)]

    def next_arrival(self) -> dict | None:
        with self._lock:
            if self._next_arrival >= len(self.arrivals):
                return None
            self._next_arrival += 1
            return self.arrivals[self._next_arrival - 1]


def load_inputs(seed: int) -> Inputs:
    import django

    django.setup()
    from django.db import connection, connections

    from bench.operations import build_context
    from yanzhi.customers.models import Customer
    from yanzhi.customers.queries import SEARCH_LIMIT

    ctx = build_context(seed)
    roles = sorted(set(ROLE_OF.values()))
    missing = [role for role in roles if role not in ctx.staff]
    if missing:
        raise SystemExit(f"the store {ctx.store.name} has no staff member for {', '.join(missing)}")
    if not ctx.items:
        raise SystemExit(f"the store {ctx.store.name} sells no service item")
    inputs = Inputs(
        vendor=connection.vendor,
        customers_in_org=Customer.objects.filter(org_id=ctx.store.org_id).count(),
        store_id=ctx.store.pk,
        store_name=ctx.store.name,
        today=ctx.today.isoformat(),
        usernames={role: ctx.staff[role].username for role in roles},
        customers=ctx.customers,
        items=ctx.items,
        arrivals=[c for c in ctx.customers if c["pk"] not in ctx.in_store],
        search_limit=SEARCH_LIMIT,
    )
    connections.close_all()  # hold no connection (nor SQLite lock) while gunicorn runs
    return inputs


# --- HTTP clients ------------------------------------------------------------------------------


class Cookies:
    """One signed-in browser's cookies (sessionid, csrftoken)."""

    def __init__(self):
        self.values: dict[str, str] = {}

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.values.items())

    def update(self, response: http.client.HTTPResponse) -> None:
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel.value == "" or morsel["max-age"] in ("0", 0):
                    self.values.pop(name, None)
                else:
                    self.values[name] = morsel.value


@dataclass
class Sample:
    kind: str
    seconds: float
    error: str = ""


class LoadClient:
    """One front-desk station: one persistent HTTP connection (http.client opens it again when
    the server closes it, which gunicorn's sync workers do after every response), signed in
    through the login page as each role the mix needs, one cookie jar per role."""

    def __init__(self, index: int, port: int, inputs: Inputs, password: str, seed: int):
        self.index = index
        self.port = port
        self.inputs = inputs
        self.password = password
        self.rng = random.Random(seed * 1000 + index)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.sessions: dict[str, Cookies] = {}
        self.samples: list[Sample] = []
        self.connections_opened = 0
        self.login_seconds: list[float] = []
        self.recording = False
        self.draw = 0
        self.arrived: list[int] = []  # visits this client registered (sent home after the run)

    # one request: (status, response, body); network failures raise
    def request(self, method, path, cookies: Cookies, body=None, headers=None):
        headers = dict(headers or {})
        if cookies.values:
            headers["Cookie"] = cookies.header()
        if self.conn.sock is None:
            self.connections_opened += 1
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        cookies.update(response)
        return response.status, response, data

    def sign_in(self, role: str) -> None:
        started = time.perf_counter()
        cookies = Cookies()
        status, _, body = self.request("GET", "/accounts/login/", cookies)
        found = CSRF_INPUT.search(body.decode(errors="replace"))
        if status != 200 or not found or "csrftoken" not in cookies.values:
            raise WrongAnswer(f"login page: {status}, no CSRF token")
        form = urlencode(
            {
                "csrfmiddlewaretoken": found.group(1),
                "username": self.inputs.usernames[role],
                "password": self.password,
                "next": "/",
            }
        )
        status, response, body = self.request(
            "POST",
            "/accounts/login/",
            cookies,
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in cookies.values:
            text = re.sub(r"\s+", " ", body.decode(errors="replace"))
            alert = re.search(r'class="alert[^"]*"[^>]*>([^<]+)<', text)
            raise WrongAnswer(
                f"sign-in as {self.inputs.usernames[role]} failed ({status}): "
                f"{alert.group(1) if alert else text[:200]}"
            )
        self.sessions[role] = cookies
        self.login_seconds.append(time.perf_counter() - started)

    def timed(self, kind: str, method: str, path: str, body=None, check=None):
        """One request of the mix, checked; records a Sample while recording."""
        cookies = self.sessions[ROLE_OF[kind]]
        headers = {}
        if body is not None:
            body = json.dumps(body)
            headers = {
                "Content-Type": "application/json",
                "X-CSRFToken": cookies.values["csrftoken"],
            }
        started = time.perf_counter()
        error, result = "", None
        try:
            status, _, data = self.request(method, path, cookies, body, headers)
            elapsed = time.perf_counter() - started
            result = check(status, data)
        except WrongAnswer as exc:
            elapsed = time.perf_counter() - started
            error = str(exc)[:300]
        except Exception as exc:  # the network, or an answer of an unexpected shape
            elapsed = time.perf_counter() - started
            error = f"{type(exc).__name__}: {exc}"[:300]
        if self.recording:
            self.samples.append(Sample(kind, elapsed, error))
        return result if not error else None

    # --- the actions --------------------------------------------------------------------------

    def act(self, action: str) -> None:
        i = self.draw
        self.draw += 1
        c = self.inputs.customer(self.rng.randrange(1 << 30))
        if action.startswith("search_"):
            q = {
                "search_phone_tail": c["phone_tail"],
                "search_name": c["name"],
                "search_initials": c["name_initials"],
            }[action]
            path = "/customers/search/?" + urlencode({"q": q})
            self.timed(action, "GET", path, check=html(c, self.inputs.search_limit))
        elif action == "customer_360":
            self.timed(action, "GET", f"/customers/{c['pk']}/", check=html(c))
        elif action == "today_workbench":
            self.timed(action, "GET", "/", check=html())
        elif action == "appointment_day":
            self.timed(action, "GET", f"/appointments/?day={self.inputs.today}", check=html())
        elif action == "followup_workbench":
            self.timed(action, "GET", "/followups/", check=html())
        elif action == "register_arrival":
            self.register_arrival()
        elif action == "open_and_pay_order":
            self.open_and_pay(c, self.inputs.items[i % len(self.inputs.items)])
        else:
            raise ValueError(action)

    def register_arrival(self) -> None:
        customer = self.inputs.next_arrival()
        if customer is None:
            if self.recording:
                self.samples.append(Sample("register_arrival", 0.0, "no customer left to arrive"))
            return

        def check(status, data):
            visit = expect_json(status, data, 201)
            if visit.get("customer", {}).get("id") != customer["pk"] or not visit.get("id"):
                raise WrongAnswer(f"arrival answered {str(visit)[:200]}")
            self.arrived.append(visit["id"])
            return visit

        self.timed(
            "register_arrival",
            "POST",
            "/api/v1/visits",
            {"customer_id": customer["pk"], "store_id": self.inputs.store_id},
            check,
        )

    def open_and_pay(self, customer: dict, item_id: int) -> None:
        def opened(status, data):
            order = expect_json(status, data, 201)
            if order.get("status") != "pending" or order.get("customer_id") != customer["pk"]:
                raise WrongAnswer(f"order opened as {str(order)[:200]}")
            return order

        order = self.timed(
            "order_open",
            "POST",
            "/api/v1/orders",
            {
                "customer_id": customer["pk"],
                "store_id": self.inputs.store_id,
                "lines": [{"item_id": item_id, "quantity": 1}],
                "submit": True,
            },
            opened,
        )
        if order is None:
            return

        def paid(status, data):
            result = expect_json(status, data, 200)
            if result.get("status") != "paid" or result.get("paid_amount") != order.get(
                "payable_amount"
            ):
                raise WrongAnswer(f"payment left the order {str(result)[:200]}")
            return result

        self.timed(
            "order_pay",
            "POST",
            f"/api/v1/orders/{order['id']}/pay",
            {"payments": [{"method": "wechat", "amount": order["payable_amount"]}]},
            paid,
        )


def html(customer: dict | None = None, search_limit: int | None = None):
    """A page: 200, and when a customer is given, a link to that customer; for a search, it may
    instead be a full page of other matches (the customer ranks further down)."""

    from bench.operations import search_found  # after django.setup()

    def check(status, data):
        if status != 200:
            raise WrongAnswer(f"{status} (wanted 200): {data[:200].decode(errors='replace')}")
        if customer is None:
            return
        page = data.decode(errors="replace")
        if search_limit is None and customer["name"] in page:
            return  # the 360° page
        if search_limit is not None and search_found(page, customer):
            return
        raise WrongAnswer(f"the page does not show {customer['name']} (#{customer['pk']})")

    return check


def expect_json(status, data, wanted) -> dict:
    if status != wanted:
        raise WrongAnswer(f"{status} (wanted {wanted}): {data[:300].decode(errors='replace')}")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise WrongAnswer(f"not JSON: {data[:100]!r}") from exc


# --- gunicorn and its workers' memory ----------------------------------------------------------


def pool_available() -> bool:
    try:
        import psycopg_pool  # noqa: F401
    except ImportError:
        return False
    return True


def gunicorn_env(vendor: str) -> tuple[dict, str]:
    """The production settings of docs/running.md, for plain HTTP on the loopback; and a note
    on the connection pool when it cannot be used."""
    env = dict(os.environ)
    env["DEBUG"] = "false"
    if not env.get("SECRET_KEY") and not env.get("SECRET_KEY_FILE"):
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
    note = ""
    if vendor == "postgresql" and "DATABASE_POOL" not in env:
        # docs/running.md runs production with DATABASE_POOL=true, which needs psycopg_pool
        # (psycopg[pool]); without it every request would fail, so run without the pool.
        env["DATABASE_POOL"] = "true" if pool_available() else "false"
        if not pool_available():
            note = "psycopg_pool is not installed (pip install psycopg[pool]), so no pool"
    elif vendor == "postgresql" and env["DATABASE_POOL"].lower() in {"1", "true", "yes", "on"}:
        if not pool_available():
            raise SystemExit("DATABASE_POOL is on but psycopg_pool is not installed")
    env["SESSION_COOKIE_SECURE"] = "false"  # no TLS here (nginx would terminate it)
    if env.get("ALLOWED_HOSTS"):
        env["ALLOWED_HOSTS"] += ",127.0.0.1"
    env["PYTHONUNBUFFERED"] = "1"
    return env, note


def start_gunicorn(port: int, workers: int, env: dict, log) -> subprocess.Popen:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"something already listens on 127.0.0.1:{port}; pick --port")
    gunicorn = Path(sys.executable).parent / "gunicorn"  # the venv's, next to its python
    if not gunicorn.exists():
        raise SystemExit(f"no {gunicorn}: run this with the project's .venv/bin/python")
    command = [
        str(gunicorn),
        "yanzhi.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # gunicorn ≥ 25.1 opens a control socket at one path per user: another gunicorn
        # on the machine would clash with this one
        command.append("--no-control-socket")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(server: subprocess.Popen, port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


def stop_gunicorn(server: subprocess.Popen) -> int:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # graceful: workers finish their request
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return server.returncode


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def workers_cpu(master: int) -> dict[int, float]:
    """User + system CPU seconds of each worker so far (/proc/<pid>/stat utime, stime)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in children(master):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    return used


def proc_status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class MemorySampler(threading.Thread):
    """VmRSS of every gunicorn worker (children of the master), every `interval` seconds."""

    def __init__(self, master: int, interval: float):
        super().__init__(daemon=True)
        self.master, self.interval = master, interval
        self.rss: dict[int, list[int]] = defaultdict(list)
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.interval)

    def sample(self):
        for pid in children(self.master):
            kib = proc_status_kib(pid, "VmRSS")
            if kib is not None:
                self.rss[pid].append(kib)

    def report(self) -> list[dict]:
        rows = []
        for pid in sorted(self.rss):
            hwm = proc_status_kib(pid, "VmHWM")
            samples = self.rss[pid]
            rows.append(
                {
                    "pid": pid,
                    "samples": len(samples),
                    "rss_first_mib": samples[0] / 1024,
                    "rss_max_mib": max(samples) / 1024,
                    "rss_last_mib": samples[-1] / 1024,
                    "vmhwm_mib": hwm / 1024 if hwm is not None else None,  # None: it was gone
                }
            )
        return rows


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    clients: list[LoadClient]
    wall: float  # seconds from the start of recording to the last answer
    sign_in: float  # seconds all clients took to sign in
    worker_cpu: float  # CPU seconds the gunicorn workers used while recording


def run_clients(args, inputs: Inputs, port: int, master: int) -> Outcome:
    """Sign every client in, warm up, then record for args.duration seconds."""
    clients = [LoadClient(n, port, inputs, args.password, args.seed) for n in range(args.clients)]
    actions, weights = list(MIX), list(MIX.values())
    roles = sorted(set(ROLE_OF.values()))
    ready = threading.Barrier(args.clients + 1)
    phase = {"record_from": 0.0, "stop_at": 0.0}
    failures: list[str] = []

    first_signed_in = threading.Event()

    def body(client: LoadClient):
        # The first client signs in alone: a wrong password then costs one failed attempt,
        # not one per client (failures lock the account).
        if client.index:
            first_signed_in.wait()
        try:
            if not failures:
                for role in roles:
                    client.sign_in(role)
        except Exception as exc:  # any failure must still reach the barrier below
            failures.append(f"client {client.index}: {type(exc).__name__}: {exc}")
        finally:
            if client.index == 0:
                first_signed_in.set()
        ready.wait()
        if failures:
            return
        ready.wait()  # the phases are set
        while True:
            now = time.monotonic()
            if now >= phase["stop_at"]:
                break
            client.recording = now >= phase["record_from"]
            client.act(client.rng.choices(actions, weights)[0])
        client.conn.close()

    threads = [threading.Thread(target=body, args=(c,), daemon=True) for c in clients]
    setup_started = time.perf_counter()
    for t in threads:
        t.start()
    ready.wait()
    setup = time.perf_counter() - setup_started
    if failures:
        raise SystemExit("sign-in failed:\n  " + "\n  ".join(failures[:5]))
    start = time.monotonic()
    phase["record_from"] = start + args.warmup
    phase["stop_at"] = start + args.warmup + args.duration
    ready.wait()
    time.sleep(max(0.0, phase["record_from"] - time.monotonic()))
    cpu_from = workers_cpu(master)
    for t in threads:
        t.join()
    wall = time.monotonic() - phase["record_from"]
    cpu_to = workers_cpu(master)
    # a worker that was replaced counts from zero (gunicorn restarts a crashed worker)
    used = sum(cpu_to[pid] - cpu_from.get(pid, 0.0) for pid in cpu_to)
    return Outcome(clients, wall, setup, used)


def percentile(values: list[float], p: float) -> float:
    from bench.harness import Result

    return Result._pct(values, p)


def summarize(clients: list[LoadClient], wall: float) -> tuple[list[dict], dict, dict]:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for client in clients:
        for sample in client.samples:
            by_kind[sample.kind].append(sample)

    def row(name, samples):
        ms = [s.seconds * 1000 for s in samples if not s.error]
        return {
            "kind": name,
            "n": len(samples),
            "errors": sum(1 for s in samples if s.error),
            "p50_ms": percentile(ms, 0.5),
            "p95_ms": percentile(ms, 0.95),
            "p99_ms": percentile(ms, 0.99),
            "req_per_s": len(samples) / wall if wall else float("nan"),
        }

    rows = [row(kind, by_kind[kind]) for kind in KINDS if by_kind.get(kind)]
    overall = row("all", [s for kind in KINDS for s in by_kind.get(kind, [])])
    errors = {
        kind: sorted({s.error for s in samples if s.error})[:5]
        for kind, samples in by_kind.items()
        if any(s.error for s in samples)
    }
    return rows, overall, errors


def format_rows(rows: list[dict]) -> str:
    head = f"{'request':<20} {'n':>6} {'errors':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'req/s':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if r is rows[-1]:
            lines.append("-" * len(head))
        lines.append(
            f"{r['kind']:<20} {r['n']:>6} {r['errors']:>6} {r['p50_ms']:8.1f} "
            f"{r['p95_ms']:8.1f} {r['p99_ms']:8.1f} {r['req_per_s']:7.1f}"
        )
    return "\n".join(lines)


def format_workers(rows: list[dict]) -> str:
    head = f"{'worker pid':>10} {'samples':>7} {'RSS first':>9} {'RSS max':>8} {'VmHWM':>8}  (MiB)"
    lines = [head]
    for w in rows:
        hwm = f"{w['vmhwm_mib']:8.1f}" if w["vmhwm_mib"] is not None else f"{'gone':>8}"
        lines.append(
            f"{w['pid']:>10} {w['samples']:>7} {w['rss_first_mib']:9.1f} "
            f"{w['rss_max_mib']:8.1f} {hwm}"
        )
    return "\n".join(lines)


def send_arrivals_home(visit_ids: list[int], username: str) -> int:
    """The run's arrivals leave again (after the measurement), or every run would leave the
    store's today page with more customers in the store."""
    from yanzhi.org.models import Staff
    from yanzhi.visits import services
    from yanzhi.visits.models import Visit

    if not visit_ids:
        return 0
    by = Staff.objects.get(username=username)
    waiting = Visit.objects.filter(pk__in=visit_ids, left_at__isnull=True).order_by("pk")
    for visit in waiting:
        services.leave(visit, by=by)
    return len(waiting)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds recorded")
    parser.add_argument("--warmup", type=float, default=5, help="seconds run before recording")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--password",
        default=GENERATOR_PASSWORD,
        help="the staff password (generate_chain's by default; load_demo: Yanzhi-demo-2026)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="input draw and mix seed")
    parser.add_argument("--sample-interval", type=float, default=0.5, help="RSS sampling, s")
    parser.add_argument("--json", default="", help="write the figures to this file")
    args = parser.parse_args(argv)

    inputs = load_inputs(args.seed)
    load_before = os.getloadavg()
    print(
        f"# {inputs.vendor} · {inputs.customers_in_org:,} customers · store {inputs.store_name} · "
        f"{args.clients} clients · {args.workers} workers · {args.duration:g} s "
        f"(+{args.warmup:g} s warm-up) · {platform.node()} ({os.cpu_count()} cpu) · "
        f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}",
        flush=True,
    )
    print(
        f"# {len(inputs.arrivals)} customers available for arrivals; "
        f"signing in as {', '.join(f'{r}={u}' for r, u in sorted(inputs.usernames.items()))}",
        flush=True,
    )
    env, note = gunicorn_env(inputs.vendor)
    pool = env.get("DATABASE_POOL", "false") if inputs.vendor == "postgresql" else "n/a"
    print(f"# gunicorn: DEBUG=false, DATABASE_POOL={pool}" + (f" ({note})" if note else ""))
    log = tempfile.NamedTemporaryFile("w+", prefix="yanzhi-load-gunicorn-", suffix=".log")
    server = start_gunicorn(args.port, args.workers, env, log)
    sampler = MemorySampler(server.pid, args.sample_interval)
    try:
        wait_until_up(server, args.port)
        sampler.start()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        outcome = run_clients(args, inputs, args.port, server.pid)
        clients, wall, setup = outcome.clients, outcome.wall, outcome.sign_in
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        own_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
            cpu_before.ru_utime + cpu_before.ru_stime
        )
        sampler.stopping.set()
        sampler.join()
        sampler.sample()
        workers = sampler.report()  # VmHWM read while the workers still run
    except (RuntimeError, SystemExit) as exc:
        sampler.stopping.set()
        stop_gunicorn(server)
        log.seek(0)
        print(f"{exc}\n--- gunicorn log (tail) ---\n{log.read()[-3000:]}", file=sys.stderr)
        return 2
    finally:
        exit_code = stop_gunicorn(server)
    load_after = os.getloadavg()
    sent_home = send_arrivals_home(
        [pk for c in clients for pk in c.arrived], inputs.usernames.get("front_desk", "")
    )
    rows, overall, errors = summarize(clients, wall)
    logins = sorted(s for c in clients for s in c.login_seconds)
    print()
    print(format_rows([*rows, overall]))
    print(
        f"\n{overall['n']} requests in {wall:.1f} s: {overall['req_per_s']:.1f} requests/s, "
        f"{overall['errors']} errors; TCP connections opened: "
        f"{sum(c.connections_opened for c in clients)}"
    )
    per_request = outcome.worker_cpu * 1000 / overall["n"] if overall["n"] else float("nan")
    print(
        f"gunicorn workers' CPU while recording: {outcome.worker_cpu:.1f} s "
        f"= {per_request:.0f} ms per request (the database server's CPU not included)"
    )
    print(
        f"sign-in: {len(logins)} logins in {setup:.1f} s (p50 {percentile(logins, 0.5) * 1000:.0f}"
        f" ms each); the clients' own CPU {own_cpu:.1f} s (sign-in included); gunicorn stopped "
        f"with exit code {exit_code}; load average after "
        f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; the run's "
        f"{sent_home} arrivals sent home"
    )
    print()
    print(format_workers(workers))
    log.seek(0)
    server_log = log.read()
    if server_log.strip():
        print(f"\n--- gunicorn log (tail) ---\n{server_log[-2000:]}")
    for kind, messages in errors.items():
        print(f"errors in {kind}:", *messages, sep="\n  ", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "at": datetime.now().isoformat(timespec="seconds"),
                    "database": inputs.vendor,
                    "customers": inputs.customers_in_org,
                    "store": inputs.store_name,
                    "clients": args.clients,
                    "workers": args.workers,
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "wall_s": wall,
                    "mix": MIX,
                    "database_pool": pool,
                    "cpus": os.cpu_count(),
                    "load_average_before": load_before,
                    "load_average_after": load_after,
                    "requests": rows,
                    "overall": overall,
                    "errors": errors,
                    "gunicorn_workers": workers,
                    "gunicorn_exit_code": exit_code,
                    "sign_in_p50_ms": percentile(logins, 0.5) * 1000,
                    "client_cpu_s": own_cpu,
                    "worker_cpu_s": outcome.worker_cpu,
                    "worker_cpu_ms_per_request": per_request,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    return 1 if overall["errors"] or not overall["n"] else 0


if __name__ == "__main__":
    sys.exit(main())
