"""Operational fault tests: a TCP proxy that can cut PostgreSQL away, fresh PostgreSQL databases, and a village
with land contracts whose rent payments are the money write under test (a payment writes the payment, its
allocations to households, two posted vouchers with their lines, the due's paid amount and an audit entry)."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend import land
from backend.core.db import db
from backend.ledger import service as ledger
from backend.registry.models import Member, Village
from tests.factories import Factory

# ---------------------------------------------------------------- a TCP proxy that can play "the server is gone"


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``. ``cut()`` closes every connection and stops listening (new
    connections are refused, as with a stopped server); ``restore()`` listens again on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    def _listen(self) -> None:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(64)
        self.port = srv.getsockname()[1]
        self._listener = srv
        threading.Thread(target=self._accept, args=(srv,), daemon=True, name="tcp-proxy").start()

    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return  # the listener was closed by cut()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not srv:  # cut while connecting
                    client.close()
                    server.close()
                    return
                self._socks |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self._lock:
            self._socks.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            socks, self._socks = set(self._socks), set()
        if listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept(), which close() alone does not
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        if self._listener is None:
            self._listen()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._socks) // 2


# ---------------------------------------------------------------- fresh PostgreSQL databases


@contextlib.contextmanager
def fresh_pg_database(base_url: str, tag: str) -> Iterator[str]:
    """A new empty database on the server of ``base_url`` (dropped afterwards); yields its URL."""
    url = make_url(base_url)
    name = f"{url.database}_{tag}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------- a village that collects rent


@dataclass
class RentBooks:
    village: Village
    accountant: Member
    contracts: list[Any]
    dues: list[Any]  # the first year's due of each contract
    paid_on: date
    contract_ids: list[int] = field(default_factory=list)
    due_ids: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def build_rent_books(make: Factory, start: date, paid_on: date, contracts: int = 1) -> RentBooks:
    """临江村 with ``contracts`` cash transfer contracts (one household's 7.2833 mu each, 800.00 元/亩: the first
    year's due is 5826.64 元), due on ``start``; committed."""
    village = make.village("LJ01", "临江村")
    ledger.ensure_chart(village)
    accountant = make.member(village, "李秀英", roles=("accountant",))
    party = land.create_party(village, land.PartyInput("cooperative", "荣联农业合作社",
                                                       credit_code="93371427MA3C000011"), actor=None)
    made, dues = [], []
    for i in range(contracts):
        h = make.household(village, f"LJ-L{i + 1:02d}")
        make.member(village, f"张户{i + 1}", household=h, head=True)
        parcel = land.create_parcel(village, land.ParcelInput(f"LJ-D{i + 1:03d}", f"东坡地{i + 1}", 72833,
                                                              household_id=h.id, contract_until=date(2057, 12, 31)),
                                    actor=None)
        c = land.create_contract(village, land.ContractInput(
            number=f"LZ-{start.year}-{i + 1:03d}", kind="transfer", party_id=party.id, title=f"东坡片区土地流转{i + 1}",
            start_date=start, end_date=start.replace(year=start.year + 3), use="粮食种植",
            signed_on=start - timedelta(days=9),
            lines=[land.LineInput(parcel.id)], periods=[land.PeriodInput(1, 3, 800_00)],
            due_month=start.month, due_day=start.day), actor=None)
        made.append(c)
        dues.append(land.dues_of(c)[0])
    db.session.commit()
    return RentBooks(village, accountant, made, dues, paid_on, [c.id for c in made], [d.id for d in dues])
