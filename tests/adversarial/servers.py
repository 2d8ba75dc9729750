"""Misbehaving servers on 127.0.0.1, written with raw asyncio sockets: what a hostile network does.

Why raw sockets and not the fake: the fake is a well-behaved Deepgram. Here each server is something
that is NOT Deepgram and breaks HTTP in one way a real network does: headers one byte at a time, a
body that never ends or crawls, silence, a WebSocket accepted and then silence, a gateway echoing the
key back (as text, and as a non-UTF-8 body), a proxy's 407, a WAF's 403 page, a captive portal's 200
page, and a redirect to another loopback port (which counts every request it receives, so a followed
redirect is seen directly). Each behaviour answers HTTP requests and WebSocket upgrades alike.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 64 * 1024
TICK_S = 1.0  # the pace of the slow servers: slow enough to stall a client, fast enough to keep it busy


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]

    @property
    def is_upgrade(self) -> bool:
        return self.headers.get("upgrade", "").lower() == "websocket"

    @property
    def credential(self) -> str:
        """What came after the scheme in Authorization (the key, as sent)."""
        return self.headers.get("authorization", "").partition(" ")[2]


Behaviour = Callable[[Request, asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]


@dataclass
class Server:
    name: str
    behaviour: Behaviour
    port: int = 0
    hits: list[str] = field(default_factory=list)
    other_port: int = 0  # where `redirect` sends clients


def head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def accept_value(req: Request) -> str:
    digest = hashlib.sha1((req.headers.get("sec-websocket-key", "") + WS_GUID).encode()).digest()
    return base64.b64encode(digest).decode()


def upgrade_head(req: Request) -> bytes:
    return head("101 Switching Protocols", {"Upgrade": "websocket", "Connection": "Upgrade",
                                            "Sec-WebSocket-Accept": accept_value(req)})


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """A server frame (unmasked); payloads here stay under 126 bytes or use the 16-bit length."""
    if len(payload) < 126:
        return bytes([0x80 | opcode, len(payload)]) + payload
    return bytes([0x80 | opcode, 126]) + len(payload).to_bytes(2, "big") + payload


def leak_forms(secret: str) -> list[str]:
    """The key in the encodings a careless gateway might echo it in."""
    raw = secret.encode()
    return [secret, secret.upper(), urllib.parse.quote(f"Token {secret}"), base64.b64encode(raw).decode(),
            base64.b64encode(b"x" + raw).decode(), raw.hex()]


async def _forever() -> None:
    while True:
        await asyncio.sleep(3600)


async def never_answer(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    await _forever()


async def byte_headers(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + b"a" * 100_000
    for i in range(len(data)):
        writer.write(data[i:i + 1])
        await writer.drain()
        await asyncio.sleep(TICK_S)


async def slow_body(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    writer.write(head("200 OK", {"Content-Type": "application/json", "Content-Length": "1000000"}))
    writer.write(b'{"metadata":')
    while True:
        await writer.drain()
        await asyncio.sleep(TICK_S)
        writer.write(b" ")


async def endless_body(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    writer.write(head("200 OK", {"Content-Type": "application/octet-stream", "Connection": "close"}))
    chunk = b"\x00" * 65536
    while True:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0)


async def ws_silence(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    if req.is_upgrade:
        writer.write(upgrade_head(req))
        await writer.drain()
    await _forever()


async def echo_text(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    """A gateway that echoes the credential in its headers, body, frames and close reason."""
    forms = leak_forms(req.credential) if req.credential else ["(no key)"]
    if req.is_upgrade:
        writer.write(upgrade_head(req))
        for form in forms:
            writer.write(ws_frame(0x1, json.dumps({"type": "Error", "description": f"bad key {form}"}).encode()))
        writer.write(ws_frame(0x8, (1008).to_bytes(2, "big") + f"k={req.credential}"[:120].encode()))
        await writer.drain()
        await asyncio.sleep(2 * TICK_S)
        return
    body = json.dumps({"err_code": "ECHO", "err_msg": " ".join(forms), "echo": {"authorization":
                       req.headers.get("authorization", "")}, "request": req.target}).encode()
    writer.write(head("502 Bad Gateway", {
        "Content-Type": "application/json", "Content-Length": str(len(body)), "Connection": "close",
        "WWW-Authenticate": f'Token realm="{req.credential}"', "Server": f"echo/{forms[-1]}",
        "Via": f"1.1 echo ({forms[1]})", "X-Cache": forms[3]}) + body)
    await writer.drain()


async def echo_binary(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    """The key inside a non-UTF-8 body: stored as base64 by a cassette unless scrubbed as bytes."""
    secret = req.credential.encode()
    # Copies at several alignments: in a cassette's base64 (`!!binary`, wrapped every 76 characters) some
    # straddle a line break, where a scrubber of the written text cannot see them.
    body = b"\xff\xfe\x80RIFF" + b"".join(b"\x9f" * i + secret for i in range(1, 7)) + b"\x00" + secret.upper()
    if req.is_upgrade:
        writer.write(upgrade_head(req))
        writer.write(ws_frame(0x2, body[:120]))
        writer.write(ws_frame(0x8, (1000).to_bytes(2, "big")))
        await writer.drain()
        await asyncio.sleep(2 * TICK_S)
        return
    writer.write(head("200 OK", {"Content-Type": "application/octet-stream", "Content-Length": str(len(body)),
                                 "Connection": "close"}) + body)
    await writer.drain()


def _page(status: str, headers: dict[str, str], html: str) -> Behaviour:
    async def answer(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
        body = html.encode()
        writer.write(head(status, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)),
                                   "Connection": "close", **headers}) + body)
        await writer.drain()

    return answer


proxy_407 = _page("407 Proxy Authentication Required", {"Proxy-Authenticate": 'Basic realm="corp-proxy"',
                                                         "Via": "1.1 squid-proxy (squid/6.6)", "Server": "squid/6.6"},
                  "<html><head><title>ERROR: Cache Access Denied</title></head><body><h1>Cache Access Denied"
                  "</h1><p>Sorry, you are not currently allowed to request this page until you have "
                  "authenticated yourself.</p></body></html>")
waf_403 = _page("403 Forbidden", {"Server": "cloudflare", "CF-RAY": "8f1a2b3c4d5e6f70-AMS"},
                "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
                "<h1>Sorry, you have been blocked</h1><p>You are unable to access this website.</p></body></html>")
portal_200 = _page("200 OK", {"Server": "nginx"},
                   "<html><head><title>Guest Wi-Fi - Sign in</title></head><body><form action=\"/login\">"
                   "<input name=\"room\"><button>Connect</button></form></body></html>")


async def redirect(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, srv: Server) -> None:
    scheme = "ws" if req.is_upgrade else "http"
    location = f"{scheme}://127.0.0.1:{srv.other_port}{req.target}"
    writer.write(head("302 Found", {"Location": location, "Content-Length": "0", "Connection": "close"}))
    await writer.drain()


async def looks_like_success(req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                             srv: Server) -> None:
    """Where `redirect` points: it would look entitled if a client followed the redirect."""
    if req.is_upgrade:
        writer.write(upgrade_head(req))
        writer.write(ws_frame(0x1, json.dumps({"type": "Connected", "request_id": "r-1", "sequence_id": 0}).encode()))
        await writer.drain()
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            await asyncio.wait_for(reader.read(1024), 2 * TICK_S)
        writer.write(ws_frame(0x8, (1000).to_bytes(2, "big")))
        await writer.drain()
        return
    body = json.dumps({"metadata": {"request_id": "r-1"}, "results": {"channels": [{"alternatives": [
        {"transcript": "hello", "confidence": 0.9}]}]}}).encode()
    writer.write(head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body)),
                                 "Connection": "close"}) + body)
    await writer.drain()


BEHAVIOURS: dict[str, Behaviour] = {
    "byte_headers": byte_headers, "slow_body": slow_body, "endless_body": endless_body,
    "never_answer": never_answer, "ws_silence": ws_silence, "echo_text": echo_text, "echo_binary": echo_binary,
    "proxy_407": proxy_407, "waf_403": waf_403, "portal_200": portal_200, "redirect": redirect,
}


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        return None
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        with contextlib.suppress(asyncio.IncompleteReadError, OSError):
            await reader.readexactly(min(length, 1 << 20))
    return Request(parts[0], parts[1], headers)


class Loopback:
    """Every server of the kit on one background event loop; stopped (and sockets closed) on exit."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.servers: dict[str, Server] = {}
        self._asyncio_servers: list[asyncio.Server] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self, name: str, behaviour: Behaviour) -> Server:
        srv = Server(name, behaviour)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:  # keep-alive: httpx may reuse the connection
                    req = await read_request(reader)
                    if req is None:
                        return
                    srv.hits.append(f"{req.method} {req.target}")
                    await srv.behaviour(req, reader, writer, srv)
                    if srv.behaviour not in (looks_like_success,):
                        return
            except (OSError, asyncio.CancelledError):
                return
            finally:
                with contextlib.suppress(OSError, RuntimeError):
                    writer.close()

        async def open_server() -> asyncio.Server:
            return await asyncio.start_server(handle, "127.0.0.1", 0, limit=MAX_HEAD)

        server = asyncio.run_coroutine_threadsafe(open_server(), self.loop).result(10)
        self._asyncio_servers.append(server)
        srv.port = int(server.sockets[0].getsockname()[1])
        self.servers[name] = srv
        return srv

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            for server in self._asyncio_servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@contextlib.contextmanager
def kit_servers() -> Iterator[dict[str, Server]]:
    """One server per behaviour; `redirect` points at a success-looking server on another port."""
    with Loopback() as loop:
        target = loop.start("redirect_target", looks_like_success)
        for name, behaviour in BEHAVIOURS.items():
            srv = loop.start(name, behaviour)
            srv.other_port = target.port
        yield loop.servers
