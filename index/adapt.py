"""Adapting the embedding model to the corpus, without labels (issue 12).

Users ask in their own words, and e5-small puts nearly every pair of this
corpus's passages at 0.87–0.93 similarity: out of the box it cannot tell the
corpus's passages apart well. Inverse cloze training (Lee et al., 2019)
teaches it to: each sentence, embedded as a query, must find its own passage
(with that sentence taken out, most of the time) against the other passages
of the batch. No question is used, so both question sets stay held out; the
figures are in BENCHMARKS.md ("Ranking experiments").

Only the top layers are trained, with the token table and the lower layers
frozen: that keeps the build to a few minutes on two cores, and keeps most of
what the model knows about languages (English and French questions gain too).
The number of training pairs is capped, so a large corpus costs no more.

The adapted model is saved next to the base model, under `models/adapted/`,
and named by the pointer file `models/adapted/CURRENT`, written atomically.
`Embedder.load` loads it when it was adapted from the same base model, so the
indexer, the app and the upload jobs embed with the same model. `advieszoeker
index` adapts again only when most of the corpus is new to the model (a new
corpus); adding a few documents keeps it, so uploads never wait for training.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.build import embed_context, passage_for_embedding
from index.manifest import write_text_atomic
from index.ranking import prose_words
from index.sentences import is_answer_candidate, sentence_spans
from ingest.document import Document, Passage
from ingest.errors import AdvieszoekerError
from ingest.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from index.model import Embedder
    from ingest.store import Store

logger = logging.getLogger(__name__)

ADAPTATIONS = ("ict", "none")
# Bump when the training changes: the adapted model (and so the index) is rebuilt.
ADAPT_VERSION = 1

# Chosen on the tune splits of both question sets (BENCHMARKS.md, "Ranking experiments"):
TRAIN_LAYERS = 4  # the top 4 of e5-small's 12
LEARNING_RATE = 2e-5
EPOCHS = 1
BATCH_SIZE = 32
SCALE = 50.0  # inverse temperature of the in-batch softmax
KEEP_SENTENCE = 0.1  # share of pairs whose passage keeps the query sentence
PASSAGE_TOKENS = 192
SEED = 0
# Adapt again when less than this share of the corpus's passages was seen in training.
RETRAIN_BELOW = 0.5

CURRENT = "CURRENT"
INFO = "adaptation.json"


class AdaptationError(AdvieszoekerError, RuntimeError):
    """The model could not be adapted; the message says what to set."""


@dataclass(frozen=True)
class Pair:
    """One training example: a sentence (as query) and its own passage's text."""

    query: str
    passage: str
    passage_id: str


@dataclass(frozen=True)
class AdaptReport:
    status: str  # "adapted", "kept", "too-small", "off" or "unsupported"
    pairs: int = 0
    seconds: float = 0.0
    seen_share: float = 0.0

    def summary(self) -> str:
        if self.status == "adapted":
            return (
                f"Adapted the embedding model to this corpus: {self.pairs} sentence–passage "
                f"pairs in {self.seconds:.0f} s."
            )
        if self.status == "kept":
            return (
                "Kept the model adapted to this corpus "
                f"({self.seen_share:.0%} of its passages were seen in training)."
            )
        if self.status == "too-small":
            return (
                f"The corpus is too small to adapt the model to ({self.pairs} training "
                "sentences); using the model as is."
            )
        if self.status == "unsupported":
            return "The embedding model cannot be adapted (not a BERT-like model); using it as is."
        return "Model adaptation is off (ADVIESZOEKER_MODEL_ADAPTATION=none)."


def check_adaptation(value: str) -> str:
    if value not in ADAPTATIONS:
        raise AdaptationError(
            f"Unknown model_adaptation {value!r}; "
            f"set ADVIESZOEKER_MODEL_ADAPTATION to one of: {', '.join(ADAPTATIONS)}."
        )
    return value


def training_pairs(
    passages: Sequence[Passage],
    documents: dict[str, Document],
    context: str,
    limit: int,
    seed: int = SEED,
) -> list[Pair]:
    """Inverse-cloze pairs: every answer-like sentence of a passage with two or more.

    The passage is embedded as the index embeds it (title and section path
    first), with the sentence cut out except for a share KEEP_SENTENCE, so the
    model learns the passage's topic rather than to spot the sentence itself.
    """
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for passage in passages:
        spans = [
            (a, b)
            for a, b in sentence_spans(passage.text)
            if is_answer_candidate(passage.text[a:b]) and prose_words(passage.text[a:b]) >= 4
        ]
        if len(spans) < 2:
            continue
        document = documents.get(passage.source)
        for start, end in spans:
            rest = passage.text
            if rng.random() >= KEEP_SENTENCE:
                rest = passage.text[:start] + passage.text[end:]
            without = dataclasses.replace(passage, text=rest)
            shown = passage_for_embedding(without, document, context)
            pairs.append(Pair(passage.text[start:end], shown, passage.id))
    if len(pairs) > limit:
        pairs = rng.sample(pairs, limit)
    return pairs


def adapted_model_dir(settings: Settings, base_source: str) -> Path | None:
    """The model adapted from this base model for this data folder, if there is one."""
    if check_adaptation(settings.model_adaptation) == "none":
        return None
    info = _current_info(_folder(settings))
    if info is None or info.get("base_source") != base_source:
        return None
    return _folder(settings) / info["dir"]


def ensure_adapted(settings: Settings, store: Store, progress: bool = True) -> AdaptReport:
    """Adapt the model to the store's corpus unless the current adaptation still fits it."""
    from index.model import Embedder, base_model

    if check_adaptation(settings.model_adaptation) == "none":
        return AdaptReport("off")
    _, source = base_model(settings, progress)
    passages = store.passages()
    hashes = {p.content_hash for p in passages}
    folder = _folder(settings)
    info = _current_info(folder)
    if info is not None and info.get("base_source") == source:
        seen = set(info.get("passages", ()))
        share = len(hashes & seen) / len(hashes) if hashes else 1.0
        if share >= RETRAIN_BELOW:
            return AdaptReport("kept", seen_share=share)
    documents = {d.source: d for d in store.documents()}
    pairs = training_pairs(
        passages, documents, embed_context(settings), limit=settings.adapt_max_pairs
    )
    if len(pairs) < BATCH_SIZE:
        # Too little to learn from; an adaptation to another corpus would not fit either.
        _forget(folder)
        return AdaptReport("too-small", pairs=len(pairs))
    # Queries are never embedded here: no ONNX export of the base model.
    base = Embedder.load(
        dataclasses.replace(settings, query_runtime="torch"), progress=progress, adapted=False
    )
    if not _supports(base.model):
        _forget(folder)
        return AdaptReport("unsupported")
    started = time.perf_counter()
    key = _key(source, sorted(hashes))
    target = folder / key
    try:
        _train(base, pairs, progress)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        base.model.save(str(tmp))
        (tmp / INFO).write_text(
            json.dumps(
                {
                    "version": ADAPT_VERSION,
                    "base_source": source,
                    "pairs": len(pairs),
                    "passages": sorted(hashes),
                }
            ),
            encoding="utf-8",
        )
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        write_text_atomic(folder / CURRENT, key + "\n")
    except OSError as exc:
        raise AdaptationError(
            f"Could not save the adapted model in {folder} ({exc.strerror or exc}). "
            "Free disk space, or set ADVIESZOEKER_MODEL_ADAPTATION=none."
        ) from exc
    _remove_others(folder, keep=key)
    return AdaptReport("adapted", pairs=len(pairs), seconds=time.perf_counter() - started)


def adapted_source(model_dir: Path) -> str:
    """What identifies an adapted model in the embedder's fingerprint."""
    return f"adapted-{ADAPT_VERSION}:{model_dir.name}"


def _train(base: Embedder, pairs: list[Pair], progress: bool) -> None:
    """Inverse cloze with in-batch negatives on the top TRAIN_LAYERS layers, in place."""
    import torch
    from tqdm.auto import tqdm

    model = base.model
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    encoder = model[0].auto_model
    for parameter in encoder.parameters():
        parameter.requires_grad = False
    layers = encoder.encoder.layer
    for layer in layers[len(layers) - TRAIN_LAYERS :]:
        for parameter in layer.parameters():
            parameter.requires_grad = True
    trained = [p for p in encoder.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=LEARNING_RATE, weight_decay=0.01)
    batches = _batches(pairs, rng)
    steps = len(batches) * EPOCHS
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda i: min(1.0, (i + 1) / warmup) * max(0.0, 1 - i / steps)
    )
    query_prompt = model.prompts.get(base.query_prompt_name or "", "")
    passage_prompt = model.prompts.get(base.passage_prompt_name or "", "")
    window = model.max_seq_length
    model.max_seq_length = min(window, PASSAGE_TOKENS)
    model.train()
    bar = tqdm(
        total=steps, desc="Adapting the model to this corpus", unit="step", disable=not progress
    )
    try:
        for epoch in range(EPOCHS):
            for batch in batches if epoch == 0 else _batches(pairs, rng):
                queries = _embed(model, [query_prompt + p.query for p in batch])
                targets = _embed(model, [passage_prompt + p.passage for p in batch])
                logits = SCALE * queries @ targets.T
                loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
                loss.backward()
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.2f}")
    finally:
        bar.close()
        model.eval()
        model.max_seq_length = window
        for parameter in encoder.parameters():
            parameter.requires_grad = False


def _batches(pairs: list[Pair], rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches holding at most one sentence of each passage (no false negatives)."""
    order = pairs[:]
    rng.shuffle(order)
    batches: list[list[Pair]] = []
    for i in range(0, len(order) - BATCH_SIZE + 1, BATCH_SIZE):
        seen: set[str] = set()
        batch = []
        for pair in order[i : i + BATCH_SIZE]:
            if pair.passage_id not in seen:
                seen.add(pair.passage_id)
                batch.append(pair)
        if len(batch) > 1:
            batches.append(batch)
    return batches


def _embed(model: SentenceTransformer, texts: list[str]):  # -> torch.Tensor
    features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
    return model(features)["sentence_embedding"]


def _supports(model: SentenceTransformer) -> bool:
    encoder = getattr(model[0], "auto_model", None)
    return hasattr(getattr(encoder, "encoder", None), "layer")


def _key(base_source: str, hashes: list[str]) -> str:
    digest = hashlib.sha256(f"{ADAPT_VERSION}|{base_source}|".encode())
    for value in hashes:
        digest.update(value.encode())
    return f"ict-{digest.hexdigest()[:16]}"


def _folder(settings: Settings) -> Path:
    return settings.models_dir / "adapted"


def _current_info(folder: Path) -> dict | None:
    try:
        name = (folder / CURRENT).read_text(encoding="utf-8").strip()
        info = json.loads((folder / name / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if info.get("version") != ADAPT_VERSION:
        return None
    return {**info, "dir": name}


def _forget(folder: Path) -> None:
    """No adaptation applies: the base model serves."""
    with contextlib.suppress(FileNotFoundError):
        (folder / CURRENT).unlink()


def _remove_others(folder: Path, keep: str) -> None:
    """Older adaptations: a running app keeps its loaded copy in memory."""
    for child in folder.iterdir():
        if child.is_dir() and child.name != keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(child)
