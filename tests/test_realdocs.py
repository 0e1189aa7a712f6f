"""Layout regressions on real PDFs, driven by the hand-checked gold of bench/realdocs/.

Each test names one layout feature of one document (or one quote), so a
failure says exactly what broke: a running footer left in a passage, a
footnote spliced into the body, a numbered paragraph turned into a heading,
a missed heading, a wrong title, a content number deleted, a table row torn
apart, a scan not read, a quote not found or cited on the wrong page.

All 20 PDFs are ingested once per session into a temporary data folder; the
index for exact-quote search is built with the fake embedder of
index_fixtures, because literal quote search and its cited page do not depend
on the model. None of these tests needs the real model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_fixtures import FakeEmbedder

from bench import realdocs
from bench.realdocs_gold import PDF_DIR, DocGold, GoldQuote, load_gold, load_quotes
from index import Searcher
from index.build import build_index
from ingest import Passage, Settings, Store, ingest_paths

GOLD = load_gold()
QUOTES = load_quotes()


# What the reader is known not to get right, per test and document, and why.
# Strict: a case that starts passing fails here, so the list stays true.
_INFOGRAPHIC = (
    "a three-column infographic whose text boxes overlap: no reading order can be "
    "recovered from the text layer, and its title is set in body type"
)
_LOGO = "the issuer is printed only inside the logo image, not in the text layer"
KNOWN_GAPS: dict[tuple[str, str], str] = {
    ("title", "Infographic-Verbinding-po-vo.pdf"): _INFOGRAPHIC,
    ("author_year", "Infographic-Verbinding-po-vo.pdf"): _INFOGRAPHIC,
    ("numbers", "Infographic-Verbinding-po-vo.pdf"): _INFOGRAPHIC,
    ("headings", "Infographic-Verbinding-po-vo.pdf"): _INFOGRAPHIC,
    ("quote", "Infographic-Verbinding-po-vo.pdf"): _INFOGRAPHIC,
    (
        "author_year",
        "DAEB-overeenkomst-Kunstmatige-inseminatie-met-donorsemen-2025-2029.pdf",
    ): _LOGO,
    ("author_year", "Oplegnotitie-Consultatie-GF-Adressering-v0.9.0.pdf"): _LOGO,
    ("author_year", "VisienotaEdgeComputing.pdf"): _LOGO,
    ("author_year", "Jaarstukken-2023-Wassenaar.pdf"): (
        "a screen capture of two budget pages: no date is printed, 2023 only heads columns"
    ),
    ("author_year", "OSLO-Conformiteitsraamwerk-v1.00-DRAFT.pdf"): (
        "the draft prints its publication date as 'TBC'"
    ),
    ("author_year", "Publiceren-omgevingsdocumenten-voor-en-na-inwerkingtreden-Omgevingswet.pdf"): (
        "issuer and date are not printed as such; the first date on the page is 01-01-2024"
    ),
    ("headings", "Is-het-RSGB-nog-wel-een-gemeentelijk-referentiemodel.pdf"): (
        "OCR gives no type weight, and this heading is set bold in body size"
    ),
    ("headings", "OSLO-Besluitvorming-Plenaire-sessie-19-02-2020-Verslag.pdf"): (
        "'2.3 Resultaten' is numbered below '3. WORKSHOP' yet set in a smaller type than the "
        "unnumbered headings under it, so they end its section"
    ),
    ("quote", "Publiceren-omgevingsdocumenten-voor-en-na-inwerkingtreden-Omgevingswet.pdf|1"): (
        "footnote 1's number is encoded as the glyph 'Z' in the text layer, so its marker "
        "'1' has no footnote and stays in the text"
    ),
}


def _cases(feature: str, docs: list[DocGold]) -> list[object]:
    return [pytest.param(d, id=_doc_id(d), marks=_known(feature, d.file)) for d in docs]


def _quote_cases() -> list[object]:
    out = []
    for q in QUOTES:
        key = f"{q.file}|{q.page}" if q.kind == "near_footnote" else q.file
        reason = KNOWN_GAPS.get(("quote", key)) or KNOWN_GAPS.get(("quote", q.file))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(q, id=_quote_id(q), marks=marks))
    return out


def _known(feature: str, file: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN_GAPS.get((feature, file))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _docs(feature: str) -> list[DocGold]:
    return [d for d in GOLD if getattr(d, feature)]


def _doc_id(doc: DocGold) -> str:
    return doc.file.removesuffix(".pdf")[:40]


def _quote_id(quote: GoldQuote) -> str:
    return f"{quote.file[:24]}-p{quote.page}-{quote.kind}-{'_'.join(quote.quote.split()[:3])}"


@pytest.fixture(scope="session")
def realdocs_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """All real PDFs ingested once (no model needed) into a session data folder."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("realdocs"), corpus_dir=PDF_DIR)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    ingest_paths(settings, [PDF_DIR / d.file for d in GOLD], progress=False)
    return settings


@pytest.fixture(scope="session")
def realdocs_store(realdocs_settings: Settings) -> Iterator[Store]:
    with Store.open(realdocs_settings.db_path, create=False) as store:
        yield store


@pytest.fixture(scope="session")
def realdocs_searcher(realdocs_settings: Settings, realdocs_store: Store) -> Iterator[Searcher]:
    embedder = FakeEmbedder()
    build_index(realdocs_settings, realdocs_store, embedder, progress=False)
    searcher = Searcher.open(realdocs_settings, embedder)
    yield searcher
    searcher.close()


def _passages(store: Store, doc: DocGold) -> list[Passage]:
    passages = store.passages(doc.file)
    assert passages, f"{doc.file} was not ingested (no passages)"
    return passages


@pytest.mark.parametrize("doc", _cases("title", GOLD))
def test_title_is_the_printed_title(doc: DocGold, realdocs_store: Store) -> None:
    document = realdocs_store.document(doc.file)
    assert document is not None, f"{doc.file} was not ingested"
    assert realdocs.metadata_right(doc, document)["title"], (
        f"title {document.title!r}, printed: {doc.title!r}"
    )


@pytest.mark.parametrize("doc", _cases("author_year", GOLD))
def test_author_and_year_are_the_printed_ones(doc: DocGold, realdocs_store: Store) -> None:
    document = realdocs_store.document(doc.file)
    assert document is not None, f"{doc.file} was not ingested"
    right = realdocs.metadata_right(doc, document)
    assert right["author"], f"author {document.author!r}, printed: {doc.author!r}"
    assert right["year"], f"year {document.year!r}, printed: {doc.year!r}"


@pytest.mark.parametrize("doc", _docs("furniture"), ids=_doc_id)
def test_running_headers_and_footers_never_in_a_passage(
    doc: DocGold, realdocs_store: Store
) -> None:
    assert realdocs.furniture_in_passages(doc, _passages(realdocs_store, doc)) == []


@pytest.mark.parametrize("doc", _cases("numbers", _docs("numbers")))
def test_content_numbers_and_requirement_ids_kept(doc: DocGold, realdocs_store: Store) -> None:
    assert realdocs.numbers_missing(doc, _passages(realdocs_store, doc)) == []


@pytest.mark.parametrize("doc", _docs("numbered_paragraphs"), ids=_doc_id)
def test_numbered_paragraph_stays_in_the_body_with_its_number(
    doc: DocGold, realdocs_store: Store
) -> None:
    assert realdocs.numbered_paragraphs_lost(doc, _passages(realdocs_store, doc)) == []


@pytest.mark.parametrize("doc", _cases("headings", _docs("headings")))
def test_headings_detected_as_sections(doc: DocGold, realdocs_store: Store) -> None:
    assert realdocs.headings_missed(doc, _passages(realdocs_store, doc)) == []


@pytest.mark.parametrize("doc", _docs("footnotes"), ids=_doc_id)
def test_footnote_separated_and_linked_to_its_marker(doc: DocGold, realdocs_store: Store) -> None:
    assert realdocs.footnotes_unlinked(doc, _passages(realdocs_store, doc)) == []


@pytest.mark.parametrize("doc", _docs("tables"), ids=_doc_id)
def test_table_row_cells_kept_in_order_in_one_passage(doc: DocGold, realdocs_store: Store) -> None:
    assert realdocs.tables_broken(doc, _passages(realdocs_store, doc)) == []


@pytest.mark.parametrize("doc", _docs("scan"), ids=_doc_id)
def test_scan_is_read_by_ocr(doc: DocGold, realdocs_store: Store) -> None:
    printed = [q for q in QUOTES if q.file == doc.file]
    assert printed, f"no gold phrase for the scan {doc.file}"
    assert realdocs.scan_phrases_missing(printed, _passages(realdocs_store, doc)) == []


@pytest.mark.parametrize("quote", _quote_cases())
def test_quote_found_by_exact_search_at_rank_1(
    quote: GoldQuote, realdocs_searcher: Searcher
) -> None:
    assert realdocs.quote_result(realdocs_searcher, quote)["rank1"], (
        f"exact-quote search does not find {quote.quote!r} in {quote.file} at rank 1"
    )


@pytest.mark.parametrize("quote", _quote_cases())
def test_quote_cites_the_page_it_is_printed_on(
    quote: GoldQuote, realdocs_searcher: Searcher
) -> None:
    result = realdocs.quote_result(realdocs_searcher, quote)
    assert result["page_right"], f"cited p. {result['page']}, printed on p. {quote.page}"


def test_gold_names_every_real_pdf() -> None:
    """A PDF added to tests/data/realdocs without gold would escape every test above."""
    assert {d.file for d in GOLD} == {p.name for p in Path(PDF_DIR).glob("*.pdf")}
