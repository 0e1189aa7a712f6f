"""Token vectors from the embedding model, for late interaction (index/tokens.py).

The `Embedder` (model.py) hands this job here: the contextual vector of each
token of a passage, with its character span, at index time; and a query's
vector together with its token vectors, from one run of the ONNX graph when
the embedder has one (several queries of concurrent searches share runs,
index/batching.py), else through PyTorch. Both keep only the text's own tokens
(not <s>, the prompt or </s>), at unit length; a query keeps only the tokens
that hold a letter or digit, which ranked better (bench/EXPERIMENTS.md).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from index.tokens import PassageTokens, Tokens

if TYPE_CHECKING:
    from index.model import Embedder

# A query token that holds a letter or digit (not "?", "," or a bare "▁").
_WORDLIKE = re.compile(r"[^\W_]")
# Passages embedded token by token per call: bounds the float32 activations held.
_TOKEN_CHUNK = 256


def passage_tokens(
    embedder: Embedder, texts: Sequence[str], progress: bool = False
) -> list[PassageTokens]:
    """Each passage's contextual token vectors (unit length, float16) with each
    token's character span in the text. A passage longer than the model's window
    keeps its first window's tokens: passages are cut far below it. Done in
    chunks, so only one chunk's float32 activations are held at a time."""
    from tqdm.auto import tqdm

    model = embedder.model
    texts = list(texts)
    prompt = model.prompts.get(embedder.passage_prompt_name or "", "")
    skip = embedder.prompt_length(prompt)
    out: list[PassageTokens] = []
    bar = tqdm(total=len(texts), desc="Token vectors", unit="passage", disable=not progress)
    for start in range(0, len(texts), _TOKEN_CHUNK):
        chunk = texts[start : start + _TOKEN_CHUNK]
        with precision_context(embedder.precision):
            outputs = model.encode(
                chunk,
                prompt_name=embedder.passage_prompt_name,
                output_value="token_embeddings",
                batch_size=embedder.batch_size,
                show_progress_bar=False,
            )
        encoded = model.tokenizer(
            [prompt + t for t in chunk],
            truncation=True,
            max_length=embedder.max_tokens,
            return_offsets_mapping=True,
        )
        for ids, offsets, vectors in zip(
            encoded["input_ids"], encoded["offset_mapping"], outputs, strict=True
        ):
            kept_ids, kept = _content_tokens(np.asarray(ids), vectors.float().numpy(), skip)
            spans = np.asarray(offsets[1 + skip : 1 + skip + len(kept_ids)], dtype=np.int32)
            spans = np.maximum(spans.reshape(-1, 2) - len(prompt), 0)
            out.append((kept_ids, kept.astype(np.float16), spans))
        bar.update(len(chunk))
    bar.close()
    return out


def queries_with_tokens(
    embedder: Embedder, texts: Sequence[str]
) -> list[tuple[np.ndarray, Tokens]]:
    """Each query's vector (as `Embedder.encode_queries` gives it) and its token
    vectors. The queries that fit the model's window share runs of the ONNX
    graph; a longer one, or every query without ONNX Runtime, goes through
    PyTorch one by one (a long one: its vector in windows, its tokens those of
    its first window)."""
    texts = list(texts)
    prompt = embedder.model.prompts.get(embedder.query_prompt_name or "", "")
    skip = embedder.prompt_length(prompt)
    counts = embedder.window_counts(texts, embedder.query_prompt_name)
    fits = [i for i, n in enumerate(counts) if n == 1]
    raw: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if embedder.query_encoder is not None and fits:
        encoded = embedder.query_encoder.encode_with_tokens_batch([prompt + texts[i] for i in fits])
        for i, (vector, ids, vectors) in zip(fits, encoded, strict=True):
            raw[i] = (vector / max(float(np.linalg.norm(vector)), 1e-12), ids, vectors)
    out: list[tuple[np.ndarray, Tokens]] = []
    for i, text in enumerate(texts):
        vector, ids, vectors = raw[i] if i in raw else _torch_query_tokens(embedder, text, prompt)
        out.append((vector.astype(np.float32), _query_words(embedder, ids, vectors, skip)))
    return out


def _torch_query_tokens(
    embedder: Embedder, text: str, prompt: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One query's vector (in windows when it is long), token ids and token
    vectors (first window only) through PyTorch."""
    import torch

    vector = embedder.encode_queries([text])[0]
    with torch.inference_mode():
        (output,) = embedder.model.encode(
            [text], prompt_name=embedder.query_prompt_name, output_value="token_embeddings"
        )
    tokenize = embedder.model.tokenizer
    ids = np.asarray(
        tokenize(prompt + text, truncation=True, max_length=embedder.max_tokens)["input_ids"]
    )
    return vector, ids, output.float().numpy()


def _query_words(embedder: Embedder, ids: np.ndarray, vectors: np.ndarray, skip: int) -> Tokens:
    """The query's own tokens (see `_content_tokens`) that hold a letter or
    digit. The one place every query path selects them."""
    ids, vectors = _content_tokens(ids, vectors, skip)
    pieces = embedder.model.tokenizer.convert_ids_to_tokens(ids.tolist())
    words = np.array([_WORDLIKE.search(piece) is not None for piece in pieces], dtype=bool)
    return ids[words], vectors[words]


def _content_tokens(ids: np.ndarray, vectors: np.ndarray, skip: int) -> Tokens:
    """The tokens of the text itself (not <s>, the prompt or </s>), unit length."""
    if len(ids) != len(vectors):
        raise ValueError(f"{len(ids)} token ids for {len(vectors)} token vectors")
    keep = slice(1 + skip, max(1 + skip, len(ids) - 1))
    kept = vectors[keep].astype(np.float32)
    kept /= np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-12)
    return ids[keep].astype(np.int32), kept


@contextlib.contextmanager
def precision_context(precision: str) -> Iterator[None]:
    """Inference without autograd, in bfloat16 autocast when asked (passages)."""
    import torch

    with torch.inference_mode():
        if precision == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                yield
        else:
            yield
