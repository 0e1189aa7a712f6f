"""How fast the DOCX reader is: `python -m bench.docx_speed [--paragraphs N]`.

Builds a report-sized DOCX with python-docx (headings, numbered items,
paragraphs and a 20-row table every 40 paragraphs) and times `read_docx` on
it, best of five runs. Not yet part of `make bench`.
"""

from __future__ import annotations

import argparse
import io
import time

import docx

from ingest.docx_reader import read_docx

_SENTENCE = "De SERV vraagt meer aandacht voor de reistijd van leerlingen naar hun school. "


def build(paragraphs: int) -> bytes:
    document = docx.Document()
    for i in range(paragraphs):
        if i % 40 == 0:
            document.add_heading(f"Hoofdstuk {i // 40 + 1}", level=1)
            table = document.add_table(rows=20, cols=3)
            for r, row in enumerate(table.rows):
                for c, cell in enumerate(row.cells):
                    cell.text = f"Provincie {r} kolom {c}"
        style = "List Number" if i % 10 == 0 else None
        document.add_paragraph(_SENTENCE * 4, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paragraphs", type=int, default=2000)
    args = parser.parse_args()
    data = build(args.paragraphs)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        lines, _ = read_docx(data)
        times.append(time.perf_counter() - start)
    best = min(times)
    content = sum(1 for ln in lines if ln.stripped)
    print(
        f"{len(data) / 1024:.0f} KB DOCX, {content} lines: {best * 1000:.0f} ms "
        f"({content / best:,.0f} lines/s, {len(data) / 1024 / 1024 / best:.1f} MB/s)"
    )


if __name__ == "__main__":
    main()
