"""The HTML page Gradio serves at `/`, made Dutch and kept in its light colours.

Gradio's page template says `lang="en"`, and its front end then picks its
interface language (and the page's `lang`) from the browser's. A screen reader
reads a page in the voice of its `lang`, so an English browser would read the
Dutch page with English pronunciation, and Gradio's own texts (the dropdown's
"No results", the footer) would stay English. Gradio also switches to its dark
colours when the system asks for dark mode; the page's own colours are chosen
and checked for contrast (WCAG AA) on light backgrounds only, so the dark
switch would make text unreadable.

This ASGI middleware rewrites that one HTML page: the template starts as
`lang="nl"`, and a small script before Gradio's own ones makes the front end
see Dutch as the browser language and no preference for dark. (`?__theme=dark`
in the URL still asks Gradio for dark on purpose.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LANG = "nl"
# The app's other Gradio pages (`Blocks.route`), rewritten like `/`.
PAGES = ("citaat", "aanbevelingen")

# Runs before Gradio's scripts: its i18n and colour mode are chosen once at start.
SHELL_SCRIPT = (
    "<script>(() => { try {"
    f" Object.defineProperty(Navigator.prototype, 'language', {{get: () => '{LANG}', "
    "configurable: true});"
    f" Object.defineProperty(Navigator.prototype, 'languages', {{get: () => ['{LANG}'], "
    "configurable: true});"
    " const media = window.matchMedia.bind(window);"
    " window.matchMedia = (q) => /prefers-color-scheme:\\s*dark/.test(q)"
    " ? media('not all') : media(q);"
    " } catch (err) { /* the page still works, as Gradio would show it */ } })();"
    "</script>"
)


def shell_page(html: str) -> str:
    """The page template with `lang="nl"` and the shell script first in <head>."""
    html = html.replace('lang="en"', f'lang="{LANG}"', 1)
    return html.replace("<head>", "<head>" + SHELL_SCRIPT, 1)


class PageShell:
    """ASGI middleware: rewrite the HTML answer to `GET /` (and `/?q=...`) and to the
    other pages (`PAGES`) with `shell_page`.

    Everything else (the API, the queue's event stream, assets, the document
    view) passes through untouched and unbuffered.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path", "") + "/"
        pages = ("/", root, *(f"{base}{page}" for base in ("/", root) for page in PAGES))
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or scope.get("path") not in pages
        ):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                is_html = headers.get(b"content-type", b"").startswith(b"text/html")
                if is_html and b"content-encoding" not in headers:
                    start = message  # hold it until the whole body is in
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = shell_page(b"".join(body).decode("utf-8")).encode("utf-8")
                headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
                headers.append((b"content-length", str(len(page)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, rewrite)
