"""The API docs page (/api/v1/docs) loads everything from this machine: no CDN, so it renders without the internet."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

from flask.testing import FlaskClient

from tests.security.conftest import assert_error

EXPECTED_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs.extend(v for k, v in attrs if k in ("src", "href") and v)


def test_the_docs_page_references_only_its_own_origin(client: FlaskClient) -> None:
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    parser = _Refs()
    parser.feed(html)
    assert len(parser.refs) >= 3  # the stylesheet and the two scripts
    assert "//" not in "".join(parser.refs)  # neither http(s):// nor a protocol-relative //host
    assert "cdn" not in html.lower()
    for ref in parser.refs:
        url = urljoin("/api/v1/docs", ref)
        assert url.startswith("/api/v1/docs/static/"), ref
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            suffix = url[url.rindex("."):]
            assert asset.mimetype == EXPECTED_TYPES[suffix], (url, asset.mimetype)
            assert len(asset.data) > 1000
    assert "/api/v1/openapi.json" in html  # the spec, same origin too
    assert '"validatorUrl": null' in html  # Swagger UI would otherwise fetch a badge from validator.swagger.io


def test_only_swagger_uis_own_files_are_served(client: FlaskClient) -> None:
    with client.get("/api/v1/docs/static/swagger-ui-bundle.js") as r:
        assert r.data.startswith(b"/*!")
    for name in ("index.html", "swagger-initializer.js", "..%2f__init__.py", "nothing.css"):
        assert_error(client.get(f"/api/v1/docs/static/{name}"), 404)
