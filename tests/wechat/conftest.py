"""A real WeChat stand-in on a free port, and gateways that talk to it over HTTP (nothing is mocked)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.wechat.client import WeChatGateway, clear_gateway_cache
from backend.wechat.standin import DEFAULT_APPID, DEFAULT_SECRET, StandIn


@pytest.fixture(scope="session")
def standin_server() -> Iterator[StandIn]:
    with StandIn().start() as server:
        yield server


@pytest.fixture
def standin(standin_server: StandIn) -> StandIn:
    """The shared stand-in, with tokens, codes, consents, logs and faults forgotten."""
    standin_server.reset()
    return standin_server


@pytest.fixture
def gateway(standin: StandIn) -> Iterator[WeChatGateway]:
    """A fresh gateway (own token storage) against the stand-in."""
    gw = WeChatGateway(DEFAULT_APPID, DEFAULT_SECRET, standin.base_url, timeout=2.0)
    yield gw
    gw.close()


@pytest.fixture
def gateway_cache() -> Iterator[None]:
    clear_gateway_cache()
    yield
    clear_gateway_cache()
