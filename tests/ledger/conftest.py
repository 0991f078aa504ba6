"""The books' shared fixtures: ``api`` (a request in its own app context) and ``w`` (青山镇's two villages with their
staff), defined with the voucher tests and used by the decision-cap tests too."""

from tests.ledger.test_vouchers import api, w  # noqa: F401
