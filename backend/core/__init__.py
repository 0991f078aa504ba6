"""What every domain uses, and nothing of any domain: money in fen (``money``), the one error shape (``errors``),
roles and permissions with the ``@requires`` route decorator (``permissions``), loading a row within the caller's
village (``tenancy``), pagination, the append-only audit log (``audit``), the seal chain (``seal``), the clock,
reading and writing .xlsx files (``xlsx``), ID numbers and phones (``identity``), objections, the database handle
(``db``), shared schema fields (``schemas``), and the request-level guards: idempotency keys, rate limits, request
hardening, statement timeouts and the read replica's routing.

``core`` imports nothing else of the project, only libraries (Flask, SQLAlchemy, marshmallow, openpyxl …).
"""
