"""The yardsticks of bench/hot_paths.py and bench/crowd.py: a bare Flask app served by the same gunicorn settings as
the real API (``gunicorn --chdir bench bare_app:app``). ``GET /ping``: no database, no auth, no schema — what Flask +
gunicorn cost on their own. ``GET /one``: one pooled, indexed ``SELECT id, name FROM people WHERE id = :id`` (a
random id below ``ONE_MAX_ID``) on ``DATABASE_URL`` with the API's pool settings (backend.config.engine_options),
answered as small JSON — the least a read of the API's database can cost. Its pool is the API's, with the API's
connection rules (backend/core/connections.py): the look before use, and a GET's read in autocommit — one round
trip, no ``BEGIN``, no ``ROLLBACK``, no ping."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify

app = Flask(__name__)
_engine: Any = None


@app.get("/ping")
def ping() -> Response:
    return jsonify(ok=True)


def _db() -> Any:
    global _engine
    if _engine is None:
        from sqlalchemy import create_engine

        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from backend.config import database_url, engine_options
        from backend.core.connections import install_connection_rules

        url = database_url(os.environ["DATABASE_URL"])
        _engine = create_engine(url, **engine_options(url))
        install_connection_rules(_engine, look_before_use=True)  # as the API's: the look, the GET in autocommit
    return _engine


@app.get("/one")
def one() -> Response:
    from sqlalchemy import text

    with _db().connect() as conn:
        row = conn.execute(text("SELECT id, name FROM people WHERE id = :id"),
                           {"id": random.randint(1, int(os.environ.get("ONE_MAX_ID", "1000")))}).first()
    return jsonify(id=row[0], name=row[1]) if row else jsonify(id=None, name=None)
