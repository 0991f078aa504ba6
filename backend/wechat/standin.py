"""A local stand-in for WeChat's server API: a real HTTP server with WeChat's paths, shapes and errcodes.

``scripts/run`` starts it in development and the tests start it on port 0; the gateway talks to it through
wechatpy exactly as to api.weixin.qq.com. Login codes (docs/demo.md): ``demo-<key>`` → openid ``o-<key>``
(reusable), ``wx-<x>`` → ``o-wx-<x>`` (single use, like real codes), ``invalid`` 40029, ``used`` 40163,
``busy`` -1, ``limit`` 45011. Phone codes: ``phone-<11 digits>``. Tests and demos steer it through the control
API under ``/__standin/`` (consents, faults, token expiry, logs).

Fault modes (``POST /__standin/faults``): ``errcode`` (a WeChat error body), ``http500``, ``drop`` (close without
answering), ``delay`` (answer after ``delay`` seconds), ``hang`` (accept and never answer, until the stand-in stops)
and ``trickle`` (the real answer, one byte every ``delay`` seconds: each read sees progress, so only a deadline on
the whole call ends it).

This module is the HTTP server and :class:`StandIn` that starts it; what it answers is in
:mod:`backend.wechat.standin_api`. Run it: ``python -m backend.wechat.standin --port 0 --port-file PATH``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from backend.wechat.standin_api import (
    CONTROL_PREFIX,
    DEFAULT_APPID,
    DEFAULT_SECRET,
    MAX_BODY,
    ROUTES,
    TOKEN_TTL,
    ControlError,
    Fault,
    StandInState,
    control,
    fault_from,
    wx_error,
)

# -- HTTP server ---------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: StandInState, verbose: bool) -> None:
        self.state = state
        self.verbose = verbose
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away: nothing to report
        traceback.print_exc(file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing keeps a thread alive at shutdown
    server_version = "WeChatStandIn/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        body = self._read_json()
        if url.path.startswith(CONTROL_PREFIX):
            try:
                status, payload = control(state, method, url.path, None if body is _EMPTY else body)
            except ControlError as exc:
                status, payload = exc.status, {"error": exc.message}
            self._send(status, payload)
            return
        state.record(method, url.path, list(query))
        fault = state.take_fault(url.path)
        if fault is not None:
            if fault.mode == "drop":
                self.close_connection = True
                return
            if fault.mode == "http500":
                self._send(500, None)
                return
            if fault.mode == "errcode":
                self._send(200, wx_error(fault.errcode, fault.errmsg))
                return
            if fault.mode == "hang":  # the request was read; no answer ever comes (stop() ends it)
                state.stopping.wait(3600)
                self.close_connection = True
                return
            if fault.mode == "trickle":  # answered below, byte by byte
                self._trickle = fault.delay
            elif state.stopping.wait(fault.delay):  # delay: stop() cuts it short
                return
        route = ROUTES.get(url.path)
        if route is None:
            self._send(404, wx_error(-1, "api not found"))
            return
        expected, needs_token, handler = route
        if method != expected:
            self._send(200, wx_error(43001 if expected == "GET" else 43002))
            return
        if needs_token:
            error = state.check_token(query.get("access_token"))
            if error:
                self._send(200, error)
                return
        try:
            payload = handler(state, query, None if body is _EMPTY or body is _BAD_JSON else body)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._send(200, wx_error(-1))
            return
        self._send(200, payload)

    def _read_json(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return _EMPTY
        raw = self.rfile.read(min(length, MAX_BODY))
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _BAD_JSON

    def _send(self, status: int, payload: dict[str, Any] | None) -> None:
        if payload is None:
            data = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            content_type = "text/html"
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        if self._trickle is not None:
            self._send_trickling(status, content_type, data, self._trickle)
            return
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    _trickle: float | None = None

    def _send_trickling(self, status: int, content_type: str, data: bytes, interval: float) -> None:
        head = (f"{self.protocol_version} {status} {self.responses[status][0]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode("ascii")
        self.close_connection = True
        try:
            for byte in head + data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.server.state.stopping.wait(interval):
                    return
        except (ConnectionError, TimeoutError):
            return

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.verbose:  # path without the query string: it carries the AppSecret
            sys.stderr.write(f"wechat-standin: {self.command} {urlsplit(self.path).path} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write("wechat-standin: " + (format % args) + "\n")


_EMPTY = object()
_BAD_JSON = object()


class _Start:
    """``StandIn.start(host, port, **options)`` builds and starts a stand-in; ``standin.start(host, port)``
    starts that one. Either way the running stand-in is returned."""

    def __get__(self, obj: StandIn | None, owner: type[StandIn]) -> Callable[..., StandIn]:
        if obj is not None:
            return obj._start

        def build_and_start(host: str = "127.0.0.1", port: int = 0, **options: Any) -> StandIn:
            return owner(**options)._start(host, port)

        return build_and_start


class StandIn:
    """The stand-in on a background daemon thread: ``StandIn.start()``, or ``with StandIn(...) as s:``."""

    def __init__(
        self,
        appid: str = DEFAULT_APPID,
        secret: str = DEFAULT_SECRET,
        *,
        unionid: bool = False,
        token_ttl: int = TOKEN_TTL,
        verbose: bool = False,
    ) -> None:
        self.state = StandInState(appid, secret, unionid=unionid, token_ttl=token_ttl)
        self.verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    start = _Start()

    def _start(self, host: str = "127.0.0.1", port: int = 0) -> StandIn:
        """Bind (port 0 picks a free port) and serve in the background."""
        if self._server is not None:
            raise RuntimeError("the WeChat stand-in is already running")
        self.state.stopping.clear()
        server = _Server((host, port), self.state, self.verbose)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="wechat-standin", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed requests and close the socket."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the WeChat stand-in is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://host:port/``, the value for ``WECHAT_API_BASE_URL``."""
        if self._server is None:
            raise RuntimeError("the WeChat stand-in is not running")
        host = str(self._server.server_address[0])
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def __enter__(self) -> StandIn:
        if self._server is None:
            self._start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # Shortcuts to the control API for in-process callers.
    def grant_consent(self, openid: str, template_id: str, count: int = 1) -> int:
        return self.state.grant_consent(openid, template_id, count)

    def add_fault(self, path: str | None, mode: str, **options: Any) -> Fault:
        return self.state.add_fault(fault_from({"path": path, "mode": mode, **options}))

    def clear_faults(self) -> int:
        return self.state.clear_faults()

    def expire_token(self, revoke: bool = False) -> int:
        return self.state.expire_tokens(revoke=revoke)

    def reset(self) -> None:
        self.state.reset()

    def messages(self) -> list[dict[str, Any]]:
        return self.state.messages()

    def requests(self) -> list[dict[str, Any]]:
        return self.state.requests()


# -- command line --------------------------------------------------------------------------------------------


def _write_port_file(path: Path, port: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{port}\n", encoding="utf-8")
    os.replace(tmp, path)  # atomic: a reader never sees half a number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.wechat.standin", description="Local WeChat stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--appid", default=DEFAULT_APPID)
    parser.add_argument("--secret", default=DEFAULT_SECRET)
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    parser.add_argument("--unionid", action="store_true", help="return unionid u-<key> at login")
    parser.add_argument("--quiet", action="store_true", help="no per-request log lines")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    standin = StandIn(args.appid, args.secret, unionid=args.unionid, verbose=not args.quiet)
    try:
        standin.start(args.host, args.port)
    except OSError as exc:
        print(f"WeChat stand-in could not listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    port = standin.port
    try:
        if args.port_file:
            _write_port_file(args.port_file, port)
        print(f"WeChat stand-in listening on {standin.base_url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        standin.stop()
        if args.port_file:  # remove it only if it is still ours
            with contextlib.suppress(OSError):
                if args.port_file.read_text(encoding="utf-8").strip() == str(port):
                    args.port_file.unlink()
    print("WeChat stand-in stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
