"""PDF of a report: the HTML printed to A4 by headless Chromium.

Chromium is Debian's ``chromium`` (or the executable named by ``$CITYINDICATORS_CHROMIUM``),
driven through Playwright for Python with that system browser, so no browser is downloaded.
Starting the browser costs about a second, so each process keeps one browser, and one page in
it, for all its reports (:func:`close_browsers` at the end of a batch, or at exit), started by
the runner while the kernel runs the first report's cells (:func:`start_browser`); each report
is loaded into that page and printed (the runner hands it the page's print copy, whose charts
Chromium reads from the report's ``charts/`` files: :func:`~.html_export.print_copy`); a report
whose head is that of the page loaded has its body swapped in instead (:class:`_Browser`). A
batch with worker processes prints in the batch process
(:func:`~cityindicators.reports.run.finish_report`): one browser for the whole batch, about
0.4 CPU s a report, while the workers go on with their next reports.

Without Chromium or Playwright the report is still written, without PDF, and
:func:`pdf_unavailable` says why in one line (the runner logs it as a warning once).
The page size, margins and page breaks come from the report's print CSS (A4, a new page before
each section, tables and charts kept whole and inside the page width).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["CHROMIUM_ENV", "chromium_executable", "pdf_unavailable", "start_browser", "start_pdf", "write_pdf",
           "close_browsers"]

log = logging.getLogger(__name__)

#: Environment variable naming the Chromium executable.
CHROMIUM_ENV = "CITYINDICATORS_CHROMIUM"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

_local = threading.local()


def chromium_executable() -> str | None:
    """Path of the Chromium to print with: ``$CITYINDICATORS_CHROMIUM``, else ``chromium`` (or
    ``chromium-browser``) on the PATH; ``None`` when there is none."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_unavailable() -> str:
    """Why no PDF can be written here (empty when it can)."""
    if chromium_executable() is None:
        where = os.environ.get(CHROMIUM_ENV) or "chromium on the PATH"
        return (f"no PDF: Chromium not found ({where}); install Debian's chromium "
                f"(apt-get install chromium) or set {CHROMIUM_ENV}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "no PDF: the Python package playwright is not installed (pip install playwright)"
    return ""


class _Browser:
    """One browser and one page, reused from report to report: a new page (a new renderer
    process) for each report cost about half a second more than loading the next report into
    the same one, and loading the next report into the page costs more than putting its body in
    place of the previous one's when the two share their head (the JupyterLab style sheets, a
    quarter of a megabyte to parse again; :func:`_swappable`): about a fifth of Chromium's CPU
    time a report less, and the same pages."""

    def __init__(self, executable: str):
        from playwright.sync_api import sync_playwright

        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        self.page = None
        self.errors: list[str] = []
        #: The head of the document in the page when its body may be swapped (else ``None``),
        #: and how many bodies have been swapped into it since it was loaded.
        self.head: str | None = None
        self.swaps = 0

    def _page(self):
        if self.page is None or self.page.is_closed():
            page = self.browser.new_page()
            page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: self.errors.append(str(e)))
            self.page, self.head = page, None
        return self.page

    def print_pdf(self, html: Path, pdf: Path) -> list[str]:
        page = self._page()  # a failure here or below discards the browser (the caller)
        self.errors = []
        parts = _swappable(html.read_text(encoding="utf-8"), html.resolve().parent.as_uri() + "/")
        if parts is not None and parts.head == self.head and self.swaps < SWAPS_PER_LOAD:
            self.swaps += 1
            page.evaluate(_SWAP_BODY, [parts.title, parts.body])
        else:
            self.head = None  # until the new document has loaded
            page.goto(html.resolve().as_uri(), wait_until="load")
            self.head, self.swaps = (parts.head if parts is not None else None), 0
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True, display_header_footer=False)
        errors, self.errors = self.errors, []
        return errors

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self.pw.stop()


#: Bodies swapped into one loaded document at most before the next report is loaded afresh
#: (whatever a document keeps from the bodies it has shown is then dropped with it).
SWAPS_PER_LOAD = 20

#: The next report's title and body in place of the page's, once its images are decoded and
#: its fonts loaded (what the ``load`` event of a navigation waits for).
_SWAP_BODY = """async ([title, body]) => {
  document.title = title;
  document.body.innerHTML = body;
  await Promise.all(Array.from(document.images, (img) => img.decode().catch(() => null)));
  await document.fonts.ready;
}"""


@dataclass(frozen=True)
class _Parts:
    """A page split for :func:`_swappable`: its head (with an empty title), the body's content
    (relative addresses made absolute) and the title's text."""

    head: str
    body: str
    title: str


_PAGE = re.compile(r"(?P<before>.*?<title>)(?P<title>[^<]*)(?P<after></title>.*?<body[^>]*>)(?P<body>.*)"
                   r"</body>\s*</html>\s*", re.S | re.I)
_URL_ATTRIBUTE = re.compile(r'\b(src|href)="([^"]*)"')
#: What a body swapped in would show otherwise than a page loaded afresh (looked for in lower
#: case): scripts (``innerHTML`` runs none) and event handlers, a ``<base>``, addresses that are
#: not a plain ``src="..."``/``href="..."`` attribute or data; in a head, anything named by an
#: address that is not data (the head is compared as text, and a load resolves an address
#: against the page's own folder).
_NOT_IN_BODY = ("<script", "<base", "<link", "<iframe", "<object", "<embed", "srcset", "@import", "src='", "href='")
_NOT_IN_HEAD = ("<script", "<base", "src=", "href=", "@import")
_EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=")
_CSS_ADDRESS = re.compile(r"""url\(\s*['"]?(?!data:)""")


def _swappable(text: str, folder_uri: str) -> "_Parts | None":
    """``text`` (a whole HTML page) split into what tells whether its body can be put in place
    of another page's (the head, title left out) and the body itself, each relative ``src`` and
    ``href`` address in it made absolute against ``folder_uri`` (the page's own folder, as a
    load of the page resolves them); ``None`` when a page loaded afresh could differ in any way
    (a script, any other kind of address, not one head and one body)."""
    import html as _html

    m = _PAGE.fullmatch(text)
    if m is None:
        return None
    head, body = (m["before"] + m["after"]).lower(), m["body"].lower()
    if any(x in head for x in _NOT_IN_HEAD) or any(x in body for x in _NOT_IN_BODY) or _EVENT_HANDLER.search(body) \
            or _CSS_ADDRESS.search(head) or _CSS_ADDRESS.search(body):
        return None

    def absolute(a: re.Match) -> str:
        url = a[2]
        if url.startswith(("#", "/")) or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url) or "&" in url:
            return a[0]  # a fragment, an absolute address, or one with entities: as it is
        return f'{a[1]}="{folder_uri}{url}"'

    return _Parts(m["before"] + m["after"], _URL_ATTRIBUTE.sub(absolute, m["body"]), _html.unescape(m["title"]))


# Playwright's sync API runs an event loop in the thread that started it, which must not be the
# thread that drives the report kernels (or a caller's own Playwright): the browser lives in a
# printer thread of its own, one per process, and each PDF is a job sent to it. The thread is a
# daemon, so that a process ending (or stopped by a signal) never waits for a browser.
class _Printer:
    def __init__(self) -> None:
        import queue

        self.jobs: "queue.Queue" = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="cityindicators-pdf", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            fn, args, done = self.jobs.get()
            try:
                done.set_result(fn(*args))
            except BaseException as exc:  # handed to the waiting caller
                done.set_exception(exc)

    def submit(self, fn, *args):
        """``fn(*args)`` in the printer thread; returns its future at once."""
        from concurrent.futures import Future

        done: Future = Future()
        self.jobs.put((fn, args, done))
        return done

    def run(self, fn, *args, timeout: float | None = None):
        return self.submit(fn, *args).result(timeout=timeout)


_printer: _Printer | None = None
_printer_lock = threading.Lock()


def _pool() -> _Printer:
    global _printer
    with _printer_lock:
        if _printer is None:
            _printer = _Printer()
        return _printer


def _browser_in_printer_thread() -> _Browser:
    """The printer thread's browser, started when there is none (or when it is gone)."""
    b = getattr(_local, "browser", None)
    if b is None or not b.browser.is_connected():
        b = _Browser(chromium_executable() or "chromium")
        _local.browser = b
    return b


def _print_in_printer_thread(html: Path, pdf: Path) -> list[str]:
    b = _browser_in_printer_thread()
    try:
        return b.print_pdf(html, pdf)
    except Exception:
        _discard()  # a crashed browser: the next report starts a new one
        raise


def _warm_in_printer_thread() -> None:
    b = getattr(_local, "browser", None)
    if (b is not None and b.browser.is_connected()) or pdf_unavailable():
        return
    try:
        b = _browser_in_printer_thread()
        page = b._page()
        # the first print of a page sets up Chromium's printing (a tenth of a second): done on an
        # empty document, which the next report's load replaces (no body is swapped into it)
        b.head = None
        page.set_content("<!DOCTYPE html><html><head></head><body></body></html>")
        page.pdf()
    except Exception as exc:  # the report's own print starts afresh and says what is wrong
        log.debug("browser start: %s", exc)
        _discard()


def start_browser() -> None:
    """Start this process's browser, and its page, in the printer thread and return at once,
    so that Playwright's driver and Chromium start (about a second and a half of their own
    processes' time, a cold report's largest wait) while the report's kernel runs; the report's
    :func:`start_pdf` then finds them ready. Nothing happens without Chromium or Playwright,
    or when the browser is running already (both told in the printer thread: importing
    Playwright takes a tenth of a second)."""
    _pool().submit(_warm_in_printer_thread)


def start_pdf(html: Path, pdf: Path) -> "Future[list[str]]":
    """Start printing ``html`` to ``pdf`` (A4, from the page's print CSS) with this process's
    browser and return at once: the future's result is the console errors the page logged (the
    runner writes the workbook meanwhile; Chromium is a process of its own).

    Raises
    ------
    RuntimeError
        Chromium or Playwright is missing (:func:`pdf_unavailable` gives the reason).
    """
    why = pdf_unavailable()
    if why:
        raise RuntimeError(why)
    return _pool().submit(_print_in_printer_thread, Path(html), Path(pdf))


def write_pdf(html: Path, pdf: Path) -> list[str]:
    """:func:`start_pdf`, waited for: the console errors the page logged."""
    return start_pdf(html, pdf).result()


def _discard() -> None:
    b = getattr(_local, "browser", None)
    _local.browser = None
    if b is not None:
        try:
            b.close()
        except Exception as exc:  # already gone
            log.debug("browser close: %s", exc)


def close_browsers() -> None:
    """Close the browser (end of a batch, exit); the next PDF starts a new one."""
    with _printer_lock:
        printer = _printer
    if printer is not None and printer.thread.is_alive():
        try:
            printer.run(_discard, timeout=10)
        except Exception as exc:  # a browser that does not answer goes with the process
            log.debug("browser close: %s", exc)


atexit.register(close_browsers)
