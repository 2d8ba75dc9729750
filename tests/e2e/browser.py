"""Load an HTML report in Debian's headless chromium and check it the way a reader would.

Why the Chrome DevTools Protocol over a plain websocket (the `websockets` library is already a
dependency) rather than selenium or playwright: no driver binary to match against the browser
version, no browser download (which fails on these machines), and the protocol gives exactly what
we need: console errors and uncaught exceptions, a real mouse click, and a screenshot.

`check_page` is reusable: point it at the standalone report or at pytest-html's page.
Every step has a timeout and chromium is always killed in a `finally`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
DEFAULT_VISIBLE = ("#dge-report .dge-head", "#dge-diagnosis", "#dge-report table.dge-mx")
STEP_TIMEOUT_S = 15.0


def find_chromium() -> str | None:
    """`DG_CHROMIUM` if set, else Debian's /usr/bin/chromium, else None (the caller decides skip/fail)."""
    candidate = os.environ.get("DG_CHROMIUM") or "/usr/bin/chromium"
    return candidate if os.path.isfile(candidate) and os.access(candidate, os.X_OK) else None


@dataclass
class PageCheck:
    """What the browser saw. `ok` is the one-line answer; the other fields say why."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    visible: dict[str, bool] = field(default_factory=dict)
    clicked: bool = False
    opened: bool = False  # the clicked cell's <details> is open
    evidence_visible: bool = False
    evidence_text: str = ""
    screenshot: Path | None = None
    title: str = ""
    page_width: int = 0  # document.scrollingElement.scrollWidth after load
    viewport_width: int = 0  # window.innerWidth
    popup: dict[str, Any] = field(default_factory=dict)  # the opened evidence box, see _BOX_JS
    measured: dict[str, Any] = field(default_factory=dict)  # `measure` expressions, evaluated after load
    first_screen: Path | None = None  # what a reader sees before scrolling, when asked for

    @property
    def ok(self) -> bool:
        return (
            not self.console_errors
            and not self.exceptions
            and all(self.visible.values())
            and self.clicked
            and self.opened
            and self.evidence_visible
            and self.screenshot is not None
        )

    def problems(self) -> list[str]:
        """Readable reasons `ok` is False, for the assertion message."""
        out = [f"console error: {m}" for m in self.console_errors]
        out += [f"uncaught exception: {m}" for m in self.exceptions]
        out += [f"not visible: {s}" for s, v in self.visible.items() if not v]
        if not self.clicked:
            out.append("the click target was not found or not visible")
        elif not self.opened:
            out.append("clicking the cell did not open it")
        elif not self.evidence_visible:
            out.append("the cell opened but its evidence is not visible")
        if self.screenshot is None:
            out.append("no screenshot written")
        return out


class Cdp:
    """A minimal CDP client over one browser websocket with flattened target sessions."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.event_arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg and msg["id"] in self.pending:
                self.pending.pop(msg["id"]).set_result(msg)
            elif "method" in msg:
                msg["_at"] = time.perf_counter()  # when it arrived: the benchmark times page loads by it
                self.events.append(msg)
                self.event_arrived.set()

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = STEP_TIMEOUT_S,
    ) -> dict[str, Any]:
        msg_id = next(self.ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[msg_id] = fut
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        await self.ws.send(json.dumps(msg))
        reply = await asyncio.wait_for(fut, timeout)
        if "error" in reply:
            raise RuntimeError(f"CDP {method} failed: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def wait_event(self, method: str, timeout: float = STEP_TIMEOUT_S) -> dict[str, Any]:
        return await self._first(lambda ev: ev["method"] == method, 0, f"no {method} within {timeout} s", timeout)

    async def arrived_at(self, method: str, session: str, since: int, timeout: float = STEP_TIMEOUT_S) -> float:
        """perf_counter time at which `method` arrived for `session` (the first one after index `since`)."""
        ev = await self._first(lambda ev: ev["method"] == method and ev.get("sessionId") == session, since,
                               f"no {method} within {timeout} s", timeout)
        return float(ev["_at"])

    async def _first(self, wanted: Callable[[dict[str, Any]], bool], since: int, problem: str,
                     timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for ev in self.events[seen:]:
                if wanted(ev):
                    return ev
            seen = len(self.events)
            self.event_arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(problem)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.event_arrived.wait(), left)

    async def evaluate(self, session: str, expression: str) -> Any:
        res = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in res:
            raise RuntimeError(f"evaluate failed: {res['exceptionDetails'].get('text')}")
        return res.get("result", {}).get("value")


def _start_chromium(chromium: str, profile: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the finally can end all its helpers
    )


def _stop_chromium(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the process group we created, then kill it if it lingers."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # helpers (zygote, gpu) that outlived the main process


async def _devtools_url(profile: Path, proc: subprocess.Popen[bytes], timeout: float) -> str:
    """Chromium writes the port it chose (and the browser target path) to DevToolsActivePort."""
    path = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with code {proc.returncode} before DevTools was ready")
        with contextlib.suppress(FileNotFoundError):
            lines = path.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.05)
    raise TimeoutError(f"chromium wrote no {path.name} within {timeout} s")


@contextlib.asynccontextmanager
async def devtools(chromium: str, timeout: float = STEP_TIMEOUT_S) -> AsyncIterator[Cdp]:
    """A headless Chromium with a fresh profile and a CDP client on it; everything ends on exit."""
    with tempfile.TemporaryDirectory(prefix="dge-chromium-") as tmp:
        profile = Path(tmp)
        proc = _start_chromium(chromium, profile)
        try:
            ws_url = await _devtools_url(profile, proc, timeout)
            async with connect(ws_url, max_size=None, proxy=None, open_timeout=timeout) as ws:
                cdp = Cdp(ws)
                try:
                    yield cdp
                finally:
                    cdp.reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await cdp.reader
        finally:
            _stop_chromium(proc)


_VISIBLE_JS = """(function(sel){var el=document.querySelector(sel); if(!el) return false;
var r=el.getBoundingClientRect(); var s=getComputedStyle(el);
return r.width>0 && r.height>0 && s.visibility!=='hidden' && s.display!=='none';})(%s)"""

_TARGET_JS = """(function(sel){var el=document.querySelector(sel); if(!el) return null;
el.scrollIntoView({block:'center', inline:'center'}); var r=el.getBoundingClientRect();
if(r.width<=0||r.height<=0) return null; return {x:r.left+r.width/2, y:r.top+r.height/2};})(%s)"""

_FOCUS_JS = """(function(sel){var el=document.querySelector(sel); if(!el) return false; el.focus();
return document.activeElement===el;})(%s)"""

# The opened evidence box: inside the viewport, no sideways overflow of its own, and every element in
# it (nested tables, rows, cells, <pre>) horizontally inside it. Vertical overflow scrolls inside the
# box by design, so only the box itself is checked against the viewport's height.
_BOX_JS = """(function(sel, evSel){var el=document.querySelector(sel); if(!el) return null;
var own=el.closest('details');
var ev=evSel ? document.querySelector(evSel) : (own ? own.querySelector('.ev') : null); if(!ev) return null;
var b=ev.getBoundingClientRect(), W=window.innerWidth, H=window.innerHeight, out=[];
var all=ev.querySelectorAll('*');
for(var i=0;i<all.length;i++){var r=all[i].getBoundingClientRect(); if(r.width===0&&r.height===0) continue;
 if(r.left<b.left-1||r.right>b.right+1){out.push(all[i].tagName.toLowerCase()+'.'+all[i].className+' '
 +Math.round(r.left)+'..'+Math.round(r.right)+' outside '+Math.round(b.left)+'..'+Math.round(b.right));}}
return {in_viewport: b.left>=0&&b.top>=0&&b.right<=W&&b.bottom<=H, box:[b.left,b.top,b.right,b.bottom],
 viewport:[W,H], overflow_x: ev.scrollWidth>ev.clientWidth+1, outside: out.slice(0,10),
 tables: ev.querySelectorAll('table').length};})(%s, %s)"""

_EVIDENCE_JS = """(function(sel, evSel){var el=document.querySelector(sel); if(!el) return null;
var own=el.closest('details');
var ev=evSel ? document.querySelector(evSel) : (own ? own.querySelector('.ev') : null);
var d=ev ? ev.closest('details') : own; var vis=false, text='';
if(ev){var r=ev.getBoundingClientRect(); vis=r.width>0&&r.height>0&&getComputedStyle(ev).visibility!=='hidden';
text=ev.innerText;}
return {open: !!(d && d.open), visible: vis, text: text};})(%s, %s)"""


def _describe_console(ev: dict[str, Any]) -> str:
    args = ev["params"].get("args", [])
    return " ".join(str(a.get("value", a.get("description", ""))) for a in args)


async def _check(
    chromium: str,
    html_path: Path,
    screenshot_path: Path,
    click_selector: str,
    visible_selectors: Sequence[str],
    evidence_selector: str | None,
    width: int,
    height: int,
    measure: dict[str, str],
    press_enter: bool,
    first_screen: Path | None,
    emulate: dict[str, Any] | None,
) -> PageCheck:
    url = html_path.resolve().as_uri()
    check = PageCheck(url=url)
    async with devtools(chromium) as cdp:
        await _drive(cdp, check, url, screenshot_path, click_selector, visible_selectors, evidence_selector,
                     width, height, measure, press_enter, first_screen, emulate)
    return check


async def _drive(
    cdp: Cdp,
    check: PageCheck,
    url: str,
    screenshot_path: Path,
    click_selector: str,
    visible_selectors: Sequence[str],
    evidence_selector: str | None,
    width: int,
    height: int,
    measure: dict[str, str],
    press_enter: bool,
    first_screen: Path | None,
    emulate: dict[str, Any] | None,
) -> None:
    target = await cdp.send("Target.createTarget", {"url": "about:blank"})
    attached = await cdp.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
    session = attached["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        await cdp.send(f"{domain}.enable", session=session)
    await cdp.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session,
    )
    if emulate:
        await cdp.send("Emulation.setEmulatedMedia", emulate, session)
    start = len(cdp.events)
    await cdp.send("Page.navigate", {"url": url}, session)
    await cdp.wait_event("Page.loadEventFired")
    await asyncio.sleep(0.3)  # let late scripts and timers report their errors
    check.title = str(await cdp.evaluate(session, "document.title"))
    for sel in visible_selectors:
        check.visible[sel] = bool(await cdp.evaluate(session, _VISIBLE_JS % json.dumps(sel)))

    check.page_width = int(await cdp.evaluate(session, "document.scrollingElement.scrollWidth") or 0)
    check.viewport_width = int(await cdp.evaluate(session, "window.innerWidth") or 0)
    for name, expr in measure.items():
        check.measured[name] = await cdp.evaluate(session, expr)
    if first_screen is not None:
        shot0 = await cdp.send("Page.captureScreenshot", {"format": "png"}, session, timeout=STEP_TIMEOUT_S * 2)
        first_screen.parent.mkdir(parents=True, exist_ok=True)
        first_screen.write_bytes(base64.b64decode(shot0["data"]))
        check.first_screen = first_screen

    point = await cdp.evaluate(session, _TARGET_JS % json.dumps(click_selector))
    if point and press_enter:
        # Keyboard only: the target must take focus, then Enter must open it (as a reader without a mouse).
        focused = await cdp.evaluate(session, _FOCUS_JS % json.dumps(click_selector))
        check.clicked = bool(focused)
        if focused:
            for kind in ("keyDown", "keyUp"):
                params: dict[str, Any] = {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
                if kind == "keyDown":
                    params["text"] = "\r"
                await cdp.send("Input.dispatchKeyEvent", params, session)
            await asyncio.sleep(0.3)
    elif point:
        check.clicked = True
        for kind in ("mousePressed", "mouseReleased"):
            await cdp.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": point["x"], "y": point["y"], "button": "left", "clickCount": 1},
                session,
            )
        await asyncio.sleep(0.3)
    if point:
        expr = _EVIDENCE_JS % (json.dumps(click_selector), json.dumps(evidence_selector))
        state = await cdp.evaluate(session, expr) or {}
        check.opened = bool(state.get("open"))
        check.evidence_visible = bool(state.get("visible"))
        check.evidence_text = str(state.get("text") or "")
        check.popup = (
            await cdp.evaluate(session, _BOX_JS % (json.dumps(click_selector), json.dumps(evidence_selector))) or {}
        )

    metrics = await cdp.send("Page.getLayoutMetrics", session=session)
    size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
    full_h = min(int(size.get("height", height)) + 400, 6000)  # room for an opened evidence panel
    full_w = max(width, min(int(size.get("width", width)), 4000))
    shot = await cdp.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": full_w, "height": full_h, "scale": 1},
        },
        session,
        timeout=STEP_TIMEOUT_S * 2,
    )
    screenshot_path.parent.mkdir(parents=True, exist_ok=True)
    screenshot_path.write_bytes(base64.b64decode(shot["data"]))
    check.screenshot = screenshot_path

    for ev in cdp.events[start:]:
        method, params = ev["method"], ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            check.console_errors.append(_describe_console(ev))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            check.console_errors.append(str(params["entry"].get("text")))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exc = details.get("exception", {})
            check.exceptions.append(str(exc.get("description") or details.get("text")))


def check_page(
    html_path: str | os.PathLike[str],
    screenshot_path: str | os.PathLike[str],
    click_selector: str,
    *,
    visible_selectors: Sequence[str] = DEFAULT_VISIBLE,
    evidence_selector: str | None = None,
    width: int = 1400,
    height: int = 900,
    overall_timeout: float = 90.0,
    chromium: str | None = None,
    measure: dict[str, str] | None = None,
    press_enter: bool = False,
    first_screen: str | os.PathLike[str] | None = None,
    emulate: dict[str, Any] | None = None,
) -> PageCheck:
    """Open `html_path` in headless chromium, check it, click `click_selector`, write a screenshot.

    After the click, the evidence checked is `evidence_selector` if given (e.g. `#cell-4 .ev` after
    clicking a diagnosis link), else the `.ev` of the <details> around the clicked element.
    `measure` maps names to JS expressions evaluated after load (results in `PageCheck.measured`);
    `press_enter` focuses the target and presses Enter instead of clicking (keyboard access);
    `first_screen` also saves the viewport as loaded (what a reader sees before scrolling);
    `emulate` is passed to Emulation.setEmulatedMedia (e.g. dark mode, or print media).

    Raises RuntimeError when chromium is missing (callers decide whether that is a skip or a failure)
    and TimeoutError when the whole check exceeds `overall_timeout`.
    """
    browser = chromium or find_chromium()
    if browser is None:
        raise RuntimeError("chromium not found: apt-get install -y chromium (or set DG_CHROMIUM)")
    coro = _check(
        browser,
        Path(html_path),
        Path(screenshot_path),
        click_selector,
        visible_selectors,
        evidence_selector,
        width,
        height,
        dict(measure or {}),
        press_enter,
        Path(first_screen) if first_screen is not None else None,
        emulate,
    )
    return asyncio.run(asyncio.wait_for(coro, overall_timeout))


def which_chromium() -> str | None:
    """For messages: where a chromium-like binary is, if anywhere on PATH."""
    return shutil.which("chromium") or shutil.which("chromium-browser")
