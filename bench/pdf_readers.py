"""Which PDF library to read characters with, and what OCR costs.

    python -m bench.pdf_readers [--docs DIR] [--repeat N] [--no-ocr]

On every PDF in `tests/data/realdocs/` that has a text layer, each library
reads every page; pages per second are counted over all of them (wall clock
and CPU time, since the machine is shared), and word recall and precision are
taken against poppler's `pdftotext -raw` (a mature reference that reads in
content-stream order, as the libraries do). Words are NFKC-normalised runs of
letters and digits, so hyphenation and punctuation weigh alike for all
libraries. The table also says what each gives per character: position, font
size, font name/weight, which the layout reader needs.

OCR is timed on the two image-only PDFs at several render resolutions; the
RSGB screenshot (~106 ppi) is scored against a transcript checked by eye
against the page image (`bench/ocr_reference/`), to see whether rendering
above its native resolution helps. `measure()` returns the figures as a dict
for `make bench`.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import itertools
import math
import re
import resource
import subprocess
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.ocr import ocr_available, ocr_page

ROOT = Path(__file__).resolve().parent.parent
REALDOCS = ROOT / "tests" / "data" / "realdocs"
OCR_REFERENCE = ROOT / "bench" / "ocr_reference"
OCR_DPIS = (106, 200, 300, 400)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Library:
    name: str
    read: Callable[[bytes], list[str]]  # PDF bytes -> text per page
    per_char_position: str
    font_size: str
    font_weight: str


def _pypdf(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _pdfplumber(data: bytes) -> list[str]:
    import pdfplumber

    texts = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            # What a layout reader touches: every char, then words with size and font.
            _ = page.chars
            words = page.extract_words(extra_attrs=["size", "fontname"])
            texts.append(" ".join(w["text"] for w in words))
            page.close()
    return texts


def _pypdfium2_text(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def _pypdfium2_chars(data: bytes) -> list[str]:
    """Text plus, per character, its box, effective font size and weight
    through the raw API (what a layout reader on pdfium would do)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(data)
    texts = []
    try:
        for page in doc:
            textpage = page.get_textpage()
            matrix = raw.FS_MATRIX()
            left, right, bottom, top = (ctypes.c_double() for _ in range(4))
            for i in range(textpage.count_chars()):
                raw.FPDFText_GetCharBox(textpage.raw, i, left, right, bottom, top)
                # pdfium's font size leaves out the text matrix ("1 Tf" scaled
                # by "9 0 0 9 Tm" is 9 pt), so scale it by the matrix.
                raw.FPDFText_GetMatrix(textpage.raw, i, matrix)
                _ = raw.FPDFText_GetFontSize(textpage.raw, i) * math.hypot(matrix.c, matrix.d)
                _ = raw.FPDFText_GetFontWeight(textpage.raw, i)
            texts.append(textpage.get_text_range())
    finally:
        doc.close()
    return texts


LIBRARIES = (
    Library("pypdf extract_text", _pypdf, "no", "no", "no"),
    Library("pdfplumber chars + words", _pdfplumber, "yes", "yes", "font name (…-Bold)"),
    Library("pypdfium2 text only", _pypdfium2_text, "no", "no", "no"),
    Library(
        "pypdfium2 text + char boxes", _pypdfium2_chars, "yes", "yes (× matrix)", "yes (weight)"
    ),
)


def words(text: str) -> Counter[str]:
    return Counter(WORD.findall(unicodedata.normalize("NFKC", text)))


def bigrams(text: str) -> Counter[tuple[str, str]]:
    """Neighbouring word pairs: a word bag ignores reading order, these do not
    (an exact quote needs its words in order)."""
    tokens = WORD.findall(unicodedata.normalize("NFKC", text))
    return Counter(itertools.pairwise(tokens))


def recall_precision(reference: Counter, candidate: Counter) -> tuple[float, float]:
    common = sum((reference & candidate).values())
    return (
        common / max(1, sum(reference.values())),
        common / max(1, sum(candidate.values())),
    )


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


class _Clock:
    """Wall and CPU seconds (this process and its children, for tesseract)."""

    def __enter__(self) -> _Clock:
        self._wall = time.perf_counter()
        self._cpu = _cpu()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = _cpu() - self._cpu


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measure_libraries(docs: Path = REALDOCS, repeat: int = 1) -> dict:
    """Pages/s and word recall/precision of each library on the text-layer PDFs."""
    corpus = []
    for path in sorted(docs.glob("*.pdf")):
        text = pdftotext(path)
        if words(text):  # the scans have no text layer: OCR is measured apart
            corpus.append((path, path.read_bytes(), text))
    results: dict[str, dict] = {}
    for lib in LIBRARIES:
        pages = 0
        wall = cpu = 0.0
        total_ref: Counter[str] = Counter()
        total_got: Counter[str] = Counter()
        pairs_ref: Counter[tuple[str, str]] = Counter()
        pairs_got: Counter[tuple[str, str]] = Counter()
        worst: list[tuple[float, str]] = []
        for path, data, reference_text in corpus:
            for _ in range(repeat):
                with _Clock() as clock:
                    texts = lib.read(data)
                wall += clock.wall
                cpu += clock.cpu
                pages += len(texts)
            reference, got = words(reference_text), words("\n".join(texts))
            total_ref += reference
            total_got += got
            pairs_ref += bigrams(reference_text)
            pairs_got += bigrams("\n".join(texts))
            worst.append((recall_precision(reference, got)[0], path.name))
        recall, precision = recall_precision(total_ref, total_got)
        results[lib.name] = {
            "pages": pages // repeat,
            "pages_per_s": round(pages / wall, 1),
            "pages_per_cpu_s": round(pages / cpu, 1) if cpu else None,
            "word_recall": round(recall, 4),
            "word_precision": round(precision, 4),
            "bigram_recall": round(recall_precision(pairs_ref, pairs_got)[0], 4),
            "lowest_recall": [(name, round(r, 3)) for r, name in sorted(worst)[:2]],
            "per_char_position": lib.per_char_position,
            "font_size": lib.font_size,
            "font_weight": lib.font_weight,
        }
    return {"documents": len(corpus), "libraries": results}


def measure_ocr(docs: Path = REALDOCS, dpis: tuple[int, ...] = OCR_DPIS) -> dict:
    """OCR seconds per page on the image-only PDFs, and accuracy against a
    checked transcript where one exists, per render resolution."""
    problem = ocr_available()
    if problem:
        return {"error": problem}
    rows = []
    for path in sorted(docs.glob("*.pdf")):
        if words(pdftotext(path)):
            continue
        data = path.read_bytes()
        transcript = OCR_REFERENCE / f"{path.stem}.txt"
        reference = words(transcript.read_text("utf-8")) if transcript.exists() else None
        for dpi in dpis:
            with _Clock() as clock:
                page = ocr_page(data, 0, dpi=dpi)
            row = {
                "document": path.name,
                "dpi": dpi,
                "seconds": round(clock.wall, 2),
                "cpu_seconds": round(clock.cpu, 2),
                "pages_per_s": round(1 / clock.wall, 3),
                "words": sum(len(line.words) for line in page.lines),
                "mean_conf": round(
                    sum(w.conf for line in page.lines for w in line.words)
                    / max(1, sum(len(line.words) for line in page.lines)),
                    1,
                ),
            }
            if reference is not None:
                recall, precision = recall_precision(reference, words(page.text))
                row |= {"word_recall": round(recall, 4), "word_precision": round(precision, 4)}
            rows.append(row)
    return {"runs": rows}


def measure(docs: Path = REALDOCS, repeat: int = 1, ocr: bool = True) -> dict:
    out = measure_libraries(docs, repeat)
    if ocr:
        out["ocr"] = measure_ocr(docs)
    return out


def table(result: dict) -> str:
    lines = [
        f"PDF libraries on {result['documents']} real PDFs with a text layer "
        "(reference: pdftotext -raw)",
        "| library | pages | pages/s | pages/CPU-s | word recall | word precision "
        "| word-pair recall | per-char position | font size | weight |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for name, r in result["libraries"].items():
        lines.append(
            f"| {name} | {r['pages']} | {r['pages_per_s']} | {r['pages_per_cpu_s']} "
            f"| {r['word_recall']:.4f} | {r['word_precision']:.4f} | {r['bigram_recall']:.3f} "
            f"| {r['per_char_position']} | {r['font_size']} | {r['font_weight']} |"
        )
    lines.append(
        "lowest word recall: "
        + "; ".join(
            f"{name}: " + ", ".join(f"{doc[:28]} {r}" for doc, r in lib["lowest_recall"])
            for name, lib in result["libraries"].items()
        )
    )
    ocr = result.get("ocr")
    if ocr and "error" in ocr:
        lines += ["", f"OCR not measured: {ocr['error']}"]
    elif ocr:
        lines += [
            "",
            "OCR (Tesseract 'nld', one thread) on the image-only PDFs",
            "| document | dpi | s/page | CPU s | words | mean conf | word recall | precision |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in ocr["runs"]:
            recall = f"{r['word_recall']:.3f}" if "word_recall" in r else "–"
            precision = f"{r['word_precision']:.3f}" if "word_precision" in r else "–"
            lines.append(
                f"| {r['document'][:32]} | {r['dpi']} | {r['seconds']} | {r['cpu_seconds']} "
                f"| {r['words']} | {r['mean_conf']} | {recall} | {precision} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=REALDOCS)
    parser.add_argument("--repeat", type=int, default=1, help="reads per document per library")
    parser.add_argument("--no-ocr", action="store_true", help="skip the OCR timing")
    args = parser.parse_args()
    print(table(measure(args.docs, args.repeat, ocr=not args.no_ocr)))


if __name__ == "__main__":
    main()
