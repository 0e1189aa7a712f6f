"""What the pages of the tools next to the search share: their head, and turning a
failure into the Dutch message the result area shows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape

import gradio as gr

from app.render import render_query_error
from ingest.errors import AdvieszoekerError

log = logging.getLogger(__name__)


def page_header(title: str, intro: str) -> None:
    """The navigation bar (the main page is "Zoeken") and the page's title and intro."""
    gr.Navbar(main_page_name="Zoeken")
    gr.HTML(
        f"<header class='az-header'><h1>{escape(title)}</h1><p>{escape(intro)}</p></header>",
        js_on_load=None,
    )


def rendered(build: Callable[[], str], what: str) -> str:
    """`build()`'s HTML; a user error as its message, anything else logged and said
    in general words (`what`: the action, e.g. "het controleren")."""
    try:
        return build()
    except AdvieszoekerError as err:
        return render_query_error(str(err))
    except Exception:
        log.exception("%s failed", what)
        return render_query_error(f"Er ging iets mis bij {what}. Probeer het opnieuw.")


def input_row(
    label: str, placeholder: str, elem_id: str, button: str, button_id: str, lines: int = 1
) -> tuple[gr.Textbox, gr.Button]:
    """The page's text box with its button beside it, as on the search page."""
    with gr.Row(elem_classes="az-searchrow"):
        box = gr.Textbox(
            label=label,
            placeholder=placeholder,
            lines=lines,
            max_lines=4 if lines == 1 else 12,
            scale=6,
            elem_id=elem_id,
        )
        go = gr.Button(button, variant="primary", scale=1, min_width=120, elem_id=button_id)
    return box, go
