"""schemathesis against our own spec, ``/api/v1/openapi.json``, in process, with a token of each role.

Over the demo township (``backend.demo``), every operation of the spec gets generated requests — valid ones
(positive) and invalid ones (negative: wrong types, missing fields, values outside the schema) — sent through the
WSGI app with the token of a member (张大山), the secretary (王建国), the accountant (李秀英), the supervisor (赵德明)
and township staff (郑雯), in turn. Path ids are mostly drawn from the rows that exist, so requests reach the rules
and not only the 404s. Every response must be:

- no 5xx;
- any non-2xx: the one error shape, ``{"error": {"code", "message", "details"}}``, JSON, a message with Chinese in it,
  nothing of a trace or of SQL;
- conforming to the documented schema of its status and its content type, where the spec documents one
  (schemathesis' ``response_schema_conformance`` and ``content_type_conformance``).

Failures are collected, not raised at the first (no shrinking), and listed with a curl command each. The run is
bounded and deterministic (``derandomize``): ``SCHEMATHESIS_MAX_EXAMPLES`` (default 8) examples per operation and
mode; raise it for a deeper hunt (``SCHEMATHESIS_MAX_EXAMPLES=50 pytest tests/security/test_schemathesis.py -s``).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy import text

from backend import demo
from backend.core.db import db
from tests.factories import Factory
from tests.security.conftest import error_of

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
ROLES = {"member": "zhangdashan", "secretary": "wangjianguo", "accountant": "lixiuying",
         "supervisor": "zhaodeming", "township_staff": "zhengwen"}
# path parameter → the table its ids come from (a new kind of id fails test_every_path_parameter_is_known)
TABLES = {
    "village_id": "villages", "township_id": "townships", "decision_id": "decisions",
    "disclosure_id": "ledger_disclosures", "distribution_id": "distributions", "household_id": "households",
    "member_id": "members", "notice_id": "notices", "voucher_id": "ledger_vouchers", "vote_id": "votes",
    "posting_id": "job_postings", "hire_id": "job_hires", "contract_id": "land_contracts",
    "parcel_id": "land_parcels", "objection_id": "decision_objections",
    "question_id": "ledger_disclosure_questions", "assignment_id": "role_assignments", "type_id": "share_types",
    "proxy_id": "vote_proxies", "dividend_objection_id": "dividend_objections",
    "job_objection_id": "job_objections", "application_id": "membership_applications",
    "meeting_id": "membership_meetings", "membership_objection_id": "membership_objections",
    "entry_id": "assisted_entries", "payment_id": "land_rent_payments", "batch_id": "land_payout_batches",
    "asset_id": "assets", "inventory_id": "asset_inventories", "line_id": "asset_inventory_lines",
    "collective_contract_id": "collective_contracts", "project_id": "projects",
}
# settings keys, YYYY-MM periods, console tickets and their QR codes, the docs' static file names, a deciding body's
# name: generated as they come
TEXT_PARAMETERS = {"key", "period", "ticket", "code", "name", "body"}
# operations that take something away from the caller go last, so the others run with the world intact
LAST = ("/auth/logout", "/role-assignments/", "/end", "/cancel", "/withdraw", "/close")


def _spec_operations(schema: Any) -> list[Any]:
    ops = [result.ok() for result in schema.get_all_operations()]
    return sorted(ops, key=lambda op: (op.method.upper() == "DELETE" or any(m in op.path for m in LAST), op.path,
                                       op.method))


def _known_ids() -> dict[str, list[int]]:
    """Ids that exist, per path parameter; 临江村 and 青山镇 (where the five people work) weigh three times."""
    ids = {name: [row[0] for row in db.session.execute(text(f"SELECT id FROM {table} ORDER BY id LIMIT 12"))]
           for name, table in TABLES.items()}
    ids["village_id"] += [demo.village("LJ01").id] * 3
    ids["township_id"] += [demo.village("LJ01").township_id] * 3
    return ids


class Run:
    """What the generated requests met: counts, and every problem once per (operation, kind, status)."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.by_role: Counter[tuple[str, str]] = Counter()
        self.operations: Counter[str] = Counter()
        self.problems: dict[tuple[str, str, int], str] = {}
        self.not_generated: list[str] = []

    def problem(self, case: Any, kind: str, status: int, detail: str) -> None:
        key = (case.operation.label, kind, status)
        if key not in self.problems:
            try:
                curl = case.as_curl_command()
            except Exception:  # pragma: no cover - only for the report
                curl = "(no curl)"
            self.problems[key] = f"{case.operation.label} → {status} [{kind}] {detail[:600]}\n    {curl[:700]}"

    def report(self) -> str:
        return "\n".join(self.problems.values())


def _check(run: Run, case: Any, resp: Any) -> None:
    status = resp.status_code
    run.statuses[status] += 1
    if status >= 500:
        run.problem(case, "5xx", status, resp.content[:300].decode("utf-8", "replace"))
        return
    if status >= 300:
        problems = error_of(status, {"Content-Type": resp.headers.get("content-type", [""])[0]}, resp.content)
        if problems["problems"]:
            run.problem(case, "error shape", status, "; ".join(problems["problems"]))
    try:
        case.validate_response(resp, checks=[response_schema_conformance, content_type_conformance])
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # schemathesis raises a FailureGroup, a BaseExceptionGroup
        run.problem(case, "conformance", status, str(exc))


def _examples(app: Flask, op: Any, mode: GenerationMode, tokens: dict[str, str], ids: dict[str, list[int]],
              turn: Iterator[str], run: Run) -> Callable[[], None]:
    """The generated requests of one operation in one mode, as a hypothesis test to call."""
    strategy = op.as_strategy(generation_mode=mode)

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False)
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        case = data.draw(strategy)
        for name, value in list((case.path_parameters or {}).items()):
            if ids.get(name) and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                # mostly a row that exists (so that the request reaches the rules, and in negative mode the body's
                # validation), sometimes the generated number (most likely a missing row); a negative mode's
                # mutated path value (a string, a negative number) is kept as it is
                existing = st.sampled_from(ids[name])
                case.path_parameters[name] = data.draw(st.one_of(existing, existing, existing, st.just(value)))
        role = next(turn)
        token = tokens[role]
        if op.path.endswith("/auth/logout"):  # a token of its own: logging out must not end the run's
            with app.app_context():
                token = Factory().token(demo.person(ROLES[role]))
        resp = case.call(headers={"Authorization": f"Bearer {token}"})
        run.by_role[(role, "2xx" if resp.status_code < 300 else "other")] += 1
        run.operations[op.label] += 1
        _check(run, case, resp)

    return one


# operations with no input schemathesis can make invalid: a free-text secret in the path and no login, or no input
NOTHING_TO_BREAK = frozenset({"GET /api/v1/auth/console-tickets/{ticket}", "GET /api/v1/auth/demo-console-logins"})


def _fuzz(app: Flask, schema: Any, tokens: dict[str, str], ids: dict[str, list[int]], run: Run) -> None:
    roles = sorted(tokens)
    for op in _spec_operations(schema):
        turn = itertools.cycle(roles)  # each operation's examples go to each role in turn
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and op.label in NOTHING_TO_BREAK:
                continue
            try:
                _examples(app, op, mode, tokens, ids, turn, run)()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # schemathesis could not generate for this schema: a finding of its own
                run.not_generated.append(f"{op.label} ({mode.value}): {type(exc).__name__}: {str(exc)[:300]}")


def test_every_path_parameter_is_known(app: Flask) -> None:
    params = {arg for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/") for arg in rule.arguments}
    assert params - TEXT_PARAMETERS <= set(TABLES), params - TEXT_PARAMETERS - set(TABLES)


def test_schemathesis_finds_no_5xx_and_no_error_off_the_shape(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    demo.seed()
    db.session.commit()
    ids = _known_ids()
    tokens = {role: Factory().token(demo.person(key)) for role, key in ROLES.items()}
    db.session.remove()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    run = Run()
    started = time.perf_counter()
    # requests in a thread of their own: each gets its own application context and session, as under gunicorn
    # (the test's context would otherwise carry one session across requests)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            _fuzz(app, schema, tokens, ids, run)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    worker = threading.Thread(target=work, name="schemathesis")
    worker.start()
    worker.join()
    elapsed = time.perf_counter() - started
    print(f"\nschemathesis: {sum(run.statuses.values())} requests over {len(run.operations)} operations in "
          f"{elapsed:.1f} s; statuses {dict(sorted(run.statuses.items()))}; "
          f"by role {dict(sorted(run.by_role.items()))}")
    assert not failures, failures
    assert not run.not_generated, "\n".join(run.not_generated)
    # a value only the database refused (core/errors.py answers 422 validation.out_of_range) is a schema that lacks
    # a bound: the answer is right, the message is not precise enough
    refused = sorted({r.getMessage() for r in caplog.records if r.getMessage().startswith("value refused by")})
    assert not refused, refused
    assert not run.problems, f"{len(run.problems)} problems:\n{run.report()}"
    # the run reached every operation and every role, and got past the doors often enough to mean something
    spec_ops = {op.label for op in _spec_operations(schema)}
    assert set(run.operations) == spec_ops, spec_ops - set(run.operations)
    for role in ROLES:
        assert run.by_role[(role, "2xx")] >= 10, (role, run.by_role)
    assert sum(n for s, n in run.statuses.items() if s < 300) >= 100
