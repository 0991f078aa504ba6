"""The yardstick of bench/hot_paths.py: a bare Flask app with one JSON endpoint, served by the same gunicorn settings
as the real API (``gunicorn --chdir bench bare_app:app``). No database, no auth, no schema: what Flask + gunicorn
cost on their own."""

from __future__ import annotations

from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping() -> Response:
    return jsonify(ok=True)
