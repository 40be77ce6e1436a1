"""全国科普日 at its peak: residents, door staff, dispatchers, claimers and dashboards on the real site.

Run by ``bench/peak/run.py`` (rising steps) and by the smoke test in the suite; both pass the plan that
``bench/peak/plan.py`` wrote (``PEAK_PLAN``: signed-in sessions, activities, communities).

Who is on the site, and why in these proportions
------------------------------------------------
On the day, the crowd is residents: a district's sign-ups open at once and tens of thousands of people
look at the calendar and sign up, while each district has a few dozen staff at work. So residents scale
with the run's ``--users`` (``weight``) and staff are a fixed number per run (``fixed_count``), the
same at 20 users and at 400, as on the day the crowd grows and the staff does not.

A resident's visit, per 100 actions (``@task`` weights): 40 calendar (a page of the calendar, half of them
filtered), 25 an activity's page, 15 a sign-up (the form posted from that page, then the ticket it
leads to), 10 a ticket shown again (people reopen it on the way and at the door), 5 "my sign-ups",
5 an order placed (a community asks for a talk). Reading is about 4 in 5 of what residents do; the sign-up
is the write that matters.

Staff: door staff check people in from the tickets the residents obtained (one per district's office,
scanning as people arrive); community workers dispatch their community's new orders to a member unit;
unit staff claim what is dispatched to their unit (three per unit, so claims race for the same order:
the loser is told it is taken, which is the right answer, not an error); office and city staff refresh
their dashboards (activities' figures and the orders' three rates) every few seconds.

Think times (``wait_time``) are short: a peak is people who are waiting for sign-up to open.
Every response is checked for what a person would see; anything else is a failure.
"""

from __future__ import annotations

import json
import os
import random
import re
import string
from collections import deque
from datetime import date, timedelta

from locust import FastHttpUser, between, task
from requests.cookies import create_cookie

PLAN = json.loads(open(os.environ["PEAK_PLAN"], encoding="utf-8").read())  # noqa: SIM115 - read once at import
DISTRICTS = PLAN["districts"]
POPULATIONS = PLAN["populations"]
TICKET = re.compile(r'data-testid="ticket-payload">([^<]+)<')
STATUS = re.compile(r'data-testid="reg-status"')
TICKET_URL = re.compile(r"/activities/tickets/(\d+)/$")

#: Confirmed tickets waiting to be scanned, per district (Locust runs every user in one process).
AT_THE_DOOR: dict[str, deque] = {d["code"]: deque(maxlen=5000) for d in DISTRICTS}


def _residents():
    """Every resident once, round-robin over districts, so that few users still cover every district."""
    lanes = [
        [(d, c, key) for c in d["communities"] for key in c["residents"]]
        for d in DISTRICTS  # one lane per district
    ]
    out, i = [], 0
    while any(lanes):
        lane = lanes[i % len(lanes)]
        if lane:
            out.append(lane.pop(0))
        i += 1
    return out


RESIDENTS = deque(_residents())
DISPATCHERS = deque((d, c["dispatcher"]) for d in DISTRICTS for c in d["communities"])
CLAIMERS = deque((d, key) for d in DISTRICTS for key in d["claimers"])
DOORS = deque((d, d["admin"]) for d in DISTRICTS)
DASHBOARDS = deque(PLAN["dashboards"])


def _take(pool: deque):
    """The next identity of a pool (round-robin: more users than identities share them)."""
    item = pool.popleft()
    pool.append(item)
    return item


class SignedIn(FastHttpUser):
    abstract = True

    def sign_in(self, session_key: str) -> None:
        # A CSRF secret of our own, sent as cookie and header (Django accepts the unmasked secret).
        self.csrf = "".join(random.choices(string.ascii_letters + string.digits, k=32))
        host = re.sub(r"^https?://|:\d+$", "", self.host)
        for name, value in (("sessionid", session_key), ("csrftoken", self.csrf)):
            self.client.cookiejar.set_cookie(create_cookie(name, value, domain=host))

    def post(self, url, *, name=None, **kwargs):
        headers = {"X-CSRFToken": self.csrf, "Referer": self.host + url}
        return self.client.post(url, headers=headers, name=name, **kwargs)

    def page(self, url, *, name, must=None):
        """GET a page; a failure unless it is a 200 that contains ``must``."""
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
            elif must and must not in (r.text or ""):
                r.failure(f"{must!r} missing")
            return r


class Resident(SignedIn):
    weight = 1
    wait_time = between(0.5, 2.5)

    def on_start(self):
        self.district, self.community, key = _take(RESIDENTS)
        self.sign_in(key)
        self.population = random.choice(POPULATIONS)
        self.tickets: list[int] = []
        self.signed_up: set[int] = set()

    def activity(self):
        return random.choice(self.district["activities"])

    @task(40)
    def calendar(self):
        filters = ["", f"?district={self.district['code']}", f"?population={self.population}", "?page=2"]
        self.page("/activities/" + random.choice(filters), name="calendar", must="<main")

    @task(25)
    def activity_page(self):
        self.page(f"/activities/{self.activity()['id']}/", name="activity", must="<main")

    @task(15)
    def sign_up(self):
        choices = [a for a in self.district["activities"] if a["session"] not in self.signed_up]
        if not choices:
            return self.calendar()
        a = random.choice(choices)
        url = f"/activities/sessions/{a['session']}/signup/"
        data = {"population": self.population}
        with self.post(url, name="sign-up", data=data, allow_redirects=False, catch_response=True) as r:
            found = TICKET_URL.search(r.headers.get("Location", "") or "")
            if r.status_code != 302 or not found:
                r.failure(f"{r.status_code} to {r.headers.get('Location')}")
                return
        self.signed_up.add(a["session"])
        ticket = int(found.group(1))
        self.tickets.append(ticket)
        page = self.page(f"/activities/tickets/{ticket}/", name="ticket", must="reg-status")
        code = TICKET.search(page.text or "")
        if code and "status-confirmed" in page.text:
            AT_THE_DOOR[self.district["code"]].append((a["id"], code.group(1).strip()))

    @task(10)
    def show_ticket(self):
        if self.tickets:
            self.page(f"/activities/tickets/{random.choice(self.tickets)}/", name="ticket", must="reg-status")

    @task(5)
    def mine(self):
        self.page("/activities/mine/", name="my sign-ups", must="<main")

    @task(5)
    def order(self):
        today = date.today()
        body = {
            "title": "社区防诈骗讲座",
            "kind": "health_talk",
            "topic": "health",
            "population": self.population,
            "place_code": self.community["code"],
            "preferred_from": str(today + timedelta(days=3)),
            "preferred_to": str(today + timedelta(days=30)),
            "expected_audience": 40,
            "address": "社区活动室",
        }
        with self.post("/api/v1/orders/", name="order", json=body, catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")


class Door(SignedIn):
    """The office's staff at the door, scanning the tickets residents show."""

    fixed_count = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.district, key = _take(DOORS)
        self.sign_in(key)

    @task
    def scan(self):
        queue = AT_THE_DOOR[self.district["code"]]
        if not queue:
            return
        activity_id, payload = queue.popleft()
        url = f"/activities/manage/{activity_id}/checkin/"
        with self.post(url, name="check-in", data={"payload": payload}, catch_response=True) as r:
            if r.status_code != 200 or "result-ok" not in (r.text or ""):
                r.failure(f"{r.status_code}: not checked in")


class Dispatcher(SignedIn):
    """A community worker dispatching the community's new orders to the member unit the site suggests first."""

    fixed_count = 2
    wait_time = between(1, 3)

    def on_start(self):
        self.district, key = _take(DISPATCHERS)
        self.sign_in(key)

    @task
    def dispatch(self):
        r = self.client.get("/api/v1/orders/?status=submitted&needs_me=true", name="orders to dispatch")
        items = r.json().get("items", []) if r.status_code == 200 else []
        if not items:
            return
        order_id = items[-1]["id"]  # the oldest of the page first
        s = self.client.get(f"/api/v1/orders/{order_id}/suggestions", name="suggestions")
        units = s.json() if s.status_code == 200 else []
        if not units:
            return
        # Among the suggestions, the first unit whose staff are in this run (else the first: nobody claims it).
        ours = [u["pk"] for u in units if u["pk"] in self.district["units"]]
        body = {"unit_id": (ours or [units[0]["pk"]])[0]}
        with self.post(f"/api/v1/orders/{order_id}/dispatch", name="dispatch", json=body, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")


class Claimer(SignedIn):
    """Member-unit staff claiming orders dispatched to their unit; colleagues race for the same orders."""

    fixed_count = 3
    wait_time = between(1, 3)

    def on_start(self):
        self.district, key = _take(CLAIMERS)
        self.sign_in(key)

    @task
    def claim(self):
        r = self.client.get("/api/v1/orders/?status=dispatched&needs_me=true", name="orders to claim")
        items = r.json().get("items", []) if r.status_code == 200 else []
        if not items:
            return
        order_id = random.choice(items[-3:])["id"]  # colleagues look at the same few oldest orders
        with self.post(f"/api/v1/orders/{order_id}/claim", name="claim", json={}, catch_response=True) as r:
            if r.status_code == 200:
                return
            code = (r.json() or {}).get("code", "") if r.status_code == 409 else ""
            if code in ("already_taken", "order_state"):
                r.success()  # a colleague was first: the answer a person would get, and the right one
            else:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")


class Dashboard(SignedIn):
    """Office and city staff keeping the figures open on the day."""

    fixed_count = 1
    wait_time = between(2, 5)

    def on_start(self):
        self.sign_in(_take(DASHBOARDS))

    @task(2)
    def activities_figures(self):
        self.page("/activities/dashboard/", name="dashboard: activities", must="<main")

    @task(1)
    def order_rates(self):
        self.page("/orders/rates/", name="dashboard: orders", must="<main")
