"""The "Documenten toevoegen" panel of the page, and the `add_documents` API.

It holds no upload logic: files go to `app.uploads.Uploads`, which checks,
stores, ingests and indexes them; this module turns its answers into what
the page shows (a table per file, Dutch messages) and updates the filter
menus and the overview once the new index answers. Without an upload token
the panel only says that uploading is off, and the API refuses.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from app.errors import UNEXPECTED, api_endpoint
from app.upload_checks import UploadRejected
from app.upload_checks import inspect_upload as inspect
from app.uploads import FileResult, Incoming, Uploads, display_name
from ingest.errors import AdvieszoekerError

log = logging.getLogger(__name__)

COLUMNS = ["Bestand", "Titel", "Auteur / organisatie", "Soort", "Jaar", "Controle"]
_META_KEYS = ("title", "author", "kind", "year")
_STATUS = {"added": "Toegevoegd", "rejected": "Geweigerd"}
# A reverse proxy that logs editors in can send the token for them (README).
PROXY_HEADER = "x-advieszoeker-upload-token"


@dataclass
class PanelTargets:
    """What the page refreshes after an upload or a removal: the filter menus and overview."""

    components: list[Any]
    updates: Callable[[], list[Any]]


def mount_upload_panel(uploads: Uploads | None, targets: PanelTargets) -> None:
    """Add the panel to the Blocks being built, and the `add_documents` endpoint."""
    with gr.Accordion("Documenten toevoegen", open=False, elem_id="az-upload") as accordion:
        if uploads is None or not uploads.enabled:
            gr.Markdown(
                "Documenten toevoegen staat uit op deze server. De beheerder zet het aan met "
                "`advieszoeker serve --upload-token …`.",
                elem_id="az-upload-off",
            )
        else:
            _panel(uploads, targets, accordion)
    if uploads is not None:
        gr.api(
            _api(uploads),
            api_name="add_documents",
            api_description=(
                "Add documents (PDF, DOCX, TXT, MD). files: the files; token: the upload "
                "token; metadata: optional list, one {title, author, kind, year} per file. "
                "Returns one {name, status: added|rejected, message, passages} per file, "
                "once the added documents are searchable."
            ),
            concurrency_id="upload",
            concurrency_limit=2,
        )


def _panel(uploads: Uploads, targets: PanelTargets, accordion: gr.Accordion) -> None:
    gr.Markdown(
        "Voeg eigen documenten toe aan de zoekindex. Ze zijn daarna voor iedereen op deze "
        f"server doorzoekbaar. Toegestaan: {uploads.limits()}",
        elem_id="az-upload-limits",
    )
    token = gr.Textbox(
        label="Toegangscode",
        type="password",
        info="De code die de beheerder u gaf (leeg laten als u via de redactielogin werkt).",
        elem_id="az-upload-token",
    )
    files = gr.File(
        label="Bestanden: kies ze of sleep ze hierheen",
        # No file_types: every file reaches the checks, which say in Dutch what is wrong.
        file_count="multiple",
        elem_id="az-upload-files",
    )
    table = gr.Dataframe(
        headers=COLUMNS,
        datatype=["str"] * len(COLUMNS),
        value=[],
        label="Gegevens per bestand (pas aan waar nodig)",
        interactive=True,
        column_widths=["18%", "24%", "16%", "9%", "7%", "26%"],
        wrap=True,
        elem_id="az-upload-meta",
    )
    add = gr.Button("Toevoegen", variant="primary", elem_id="az-upload-add")
    outcome = gr.HTML("", elem_id="az-upload-result", padding=False)
    with gr.Group():
        removable = gr.Dropdown(
            _removable(uploads),
            label="Toegevoegd document verwijderen",
            value=None,
            elem_id="az-upload-remove-doc",
        )
        sure = gr.Checkbox(
            label="Ja, haal dit document uit de zoekindex", value=False, elem_id="az-upload-sure"
        )
        remove = gr.Button("Verwijderen", variant="stop", elem_id="az-upload-remove")

    # Opening the panel lists what was added since the page loaded (here or elsewhere).
    accordion.expand(
        lambda: gr.Dropdown(choices=_removable(uploads)), outputs=removable,
        api_visibility="private", queue=False,
    )  # fmt: skip

    def on_files(chosen: list[str] | None) -> list[list[str]]:
        return [_prefill(uploads, Path(path))[0] for path in chosen or []]

    files.change(
        on_files, inputs=files, outputs=table, api_visibility="private",
        concurrency_id="upload-check",
    )  # fmt: skip

    def on_add(
        request: gr.Request,
        code: str,
        chosen: list[str] | None,
        rows: Any,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's way to ask for it)
    ) -> list[Any]:
        skip = [gr.skip()] * (3 + len(targets.components))
        try:
            uploads.check_token(code or proxy_token(request))
            incoming = [Incoming(Path(p), _browser_name(p)) for p in chosen or []]
            # What the files say of themselves again (the page keeps no state):
            # only the fields the user changed are passed on as metadata.
            hints = [_prefill(uploads, Path(p))[1] for p in chosen or []]
            edited = _edited(_rows(rows), hints)
            results = uploads.add(incoming, edited, _progress(progress, incoming))
        except AdvieszoekerError as err:  # refused, disabled, wrong token, failed
            return [render_message(str(err)), *skip]
        except Exception:
            log.exception("upload failed")
            return [render_message(UNEXPECTED), *skip]
        updated = gr.Dropdown(choices=_removable(uploads), value=None)
        return [render_results(results), None, [], updated, *targets.updates()]

    add.click(
        on_add,
        inputs=[token, files, table],
        outputs=[outcome, files, table, removable, *targets.components],
        api_visibility="private",
        concurrency_id="upload",
        concurrency_limit=2,
    )

    def on_remove(request: gr.Request, code: str, source: str | None, confirmed: bool) -> list[Any]:
        skip = [gr.skip()] * (2 + len(targets.components))
        if not source:
            return [render_message("Kies eerst het document dat weg moet."), *skip]
        if not confirmed:
            return [render_message("Vink eerst aan dat het document echt weg mag."), *skip]
        try:
            uploads.check_token(code or proxy_token(request))
            shown = render_message(uploads.remove(source), ok=True)
        except AdvieszoekerError as err:
            return [render_message(str(err)), *skip]
        except Exception:
            log.exception("removal failed")
            return [render_message(UNEXPECTED), *skip]
        return [
            shown,
            gr.Dropdown(choices=_removable(uploads), value=None),
            False,
            *targets.updates(),
        ]

    remove.click(
        on_remove,
        inputs=[token, removable, sure],
        outputs=[outcome, removable, sure, *targets.components],
        api_visibility="private",
        concurrency_id="upload",
        concurrency_limit=2,
    )


def proxy_token(request: gr.Request | None) -> str:
    """The token a reverse proxy adds for the editors it logged in (README, deploy/Caddyfile)."""
    headers = getattr(request, "headers", None) or {}
    return str(headers.get(PROXY_HEADER, "") or "")


def _prefill(uploads: Uploads, path: Path) -> tuple[list[str], dict[str, str]]:
    """A table row for one chosen file: what it says about itself, or why it is refused."""
    name = _browser_name(str(path))
    try:
        checked = inspect(path, name, uploads.settings)
    except UploadRejected as err:
        return [name, "", "", "", "", str(err)], {}
    h = checked.hints
    hint = {"title": h.title or "", "author": h.author or "", "kind": "",
            "year": str(h.year or "")}  # fmt: skip
    pages = f", {checked.pages} pagina's" if checked.pages else ""
    check = f"In orde ({checked.size / 1024 / 1024:.1f} MB{pages})"
    return [name, hint["title"], hint["author"], "", hint["year"], check], hint


def _rows(rows: Any) -> list[list[str]]:
    """The table's rows as lists of strings, whatever shape Gradio hands over."""
    if rows is None:
        return []
    if hasattr(rows, "values") and hasattr(rows, "columns"):  # a pandas DataFrame
        rows = rows.values.tolist()
    elif isinstance(rows, dict):
        rows = rows.get("data", [])
    return [["" if c is None else str(c) for c in row] for row in rows]


def _edited(rows: list[list[str]], hints: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Only the fields the user changed: the rest is left to what ingest reads itself."""
    out = []
    for i, row in enumerate(rows):
        hint = hints[i] if i < len(hints) else {}
        values = dict(zip(_META_KEYS, (row + [""] * 5)[1:5], strict=True))
        out.append({k: v for k, v in values.items() if v.strip() != hint.get(k, "").strip()})
    return out


def _progress(progress: gr.Progress, incoming: list[Incoming]) -> Callable[[int | None, str], None]:
    total = max(1, len(incoming))

    def report(index: int | None, stage: str) -> None:
        if index is None:
            progress(0.9, desc=stage[:1].upper() + stage[1:])
        else:
            name = incoming[index].name
            progress(index / total * 0.8, desc=f"Bestand {index + 1} van {total} ({name}): {stage}")

    return report


def _browser_name(path: str) -> str:
    """Gradio keeps the browser's file name as the last part of its cache path."""
    return display_name(Path(path).name)


def _removable(uploads: Uploads) -> list[tuple[str, str]]:
    return [(f"{d.name} (toegevoegd {d.uploaded[:10]})", d.source) for d in uploads.uploaded()]


def render_results(results: list[FileResult]) -> str:
    """One row per file: its name, added or refused, passages, and the message."""
    rows = []
    for r in results:
        css = "az-ok" if r.status == "added" else "az-warn"
        rows.append(
            f"<tr class='{css}'><td>{html.escape(r.name)}</td>"
            f"<td>{_STATUS.get(r.status, r.status)}</td><td>{r.passages}</td>"
            f"<td>{html.escape(r.message)}</td></tr>"
        )
    added = sum(r.status == "added" for r in results)
    summary = f"{added} van {len(results)} bestanden toegevoegd."
    return (
        f"<div class='az-upload-results' role='status'><p>{summary}</p>"
        "<table><caption class='az-sr'>Resultaat per bestand</caption><thead><tr>"
        "<th scope='col'>Bestand</th><th scope='col'>Resultaat</th>"
        "<th scope='col'>Passages</th><th scope='col'>Toelichting</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_message(text: str, ok: bool = False) -> str:
    css = "az-ok" if ok else "az-warn"
    return f"<p class='az-upload-message {css}' role='status'>{html.escape(text)}</p>"


def _api(uploads: Uploads) -> Callable[..., list[dict[str, Any]]]:
    import gradio.utils

    @api_endpoint
    def add_documents(
        files: list[FileData], token: str, metadata: list[dict] | None = None
    ) -> list[dict[str, Any]]:
        """Add documents; one {name, status, message, passages} per file."""
        uploads.check_token(token)
        folder = Path(gradio.utils.get_upload_folder()).resolve()
        incoming = []
        for item in files or []:
            data = item if isinstance(item, dict) else getattr(item, "model_dump", dict)()
            path = Path(str(data.get("path", ""))).resolve()
            # Only files the client uploaded to Gradio: never a path on the server.
            if not path.is_file() or not path.is_relative_to(folder):
                raise UploadRejected("Een bestand is niet meegestuurd; gebruik handle_file(...).")
            incoming.append(Incoming(path, str(data.get("orig_name") or path.name)))
        return [r.to_json() for r in uploads.add(incoming, metadata)]

    return add_documents
