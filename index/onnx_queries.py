"""Query embeddings through ONNX Runtime: the same vectors for a third of the CPU.

A served search embeds one short query. PyTorch's eager mode spends most of
the ~20-30 ms that takes on this machine dispatching the transformer's
operations one by one; ONNX Runtime runs the same graph, fused, in about
11 ms (bench: `python -m bench --only load`, bench/EXPERIMENTS.md). That is
the larger part of a search's CPU, so it sets how many searches two cores
answer per second.

The graph is exported once per model into the models folder and checked
against PyTorch on probe queries before it is used: the vectors must agree
(cosine >= 0.99999), so an index built with PyTorch is searched with ONNX
Runtime without re-embedding anything and the model's fingerprint stays the
same. Only the standard sentence-transformers pipeline (a transformer, mean
pooling, normalisation) is exported; any other model, an export that fails,
or a graph that disagrees falls back to PyTorch with a log line. The runtime
is an optimisation, never a requirement.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# Bump when the exported graph changes, so old exports are not reused.
EXPORT_VERSION = 4  # 4: the token vectors are an output too (index/tokens.py)
MIN_COSINE = 0.99999
# What one more run of the graph costs, in tokens' worth: a query alone took about
# 4.5 ms of CPU besides 0.45 ms per token on 2 cores (`_length_runs`).
RUN_OVERHEAD_TOKENS = 10
_PROBES = (
    "Wat vraagt de SERV over duaal leren?",
    "hoeveel jongeren verlaten de school zonder diploma",
    "Ik ben leerkracht in het beroepsonderwijs en zoek advies over stages bij kleine bedrijven.",
)


class OnnxQueryEncoder:
    """Embeds prompt-prefixed texts with an exported graph; thread-safe.

    The tokenizer is a private copy with fixed padding and truncation, so
    concurrent calls never change shared tokenizer state (transformers'
    own tokenizer switches them per call).
    """

    def __init__(self, session: Any, tokenizer: Any, word_vectors: np.ndarray) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.word_vectors = word_vectors

    @classmethod
    def prepare(
        cls, model: SentenceTransformer, models_dir: Path, fingerprint: str, threads: int = 0
    ) -> OnnxQueryEncoder | None:
        """The encoder for `model`, exporting its graph on first use; None if
        the model cannot take this path (the caller then uses PyTorch)."""
        try:
            import onnxruntime
        except ImportError:
            logger.info("onnxruntime is not installed; queries are embedded with PyTorch")
            return None
        if not _is_standard_mean_pooling(model):
            logger.info("the model is not transformer + mean pooling; queries use PyTorch")
            return None
        key = hashlib.sha256(f"{fingerprint}|{EXPORT_VERSION}".encode()).hexdigest()[:16]
        path = models_dir / "onnx" / f"queries-{key}.onnx"
        probes = path.with_suffix(".probes.npy")
        try:
            if not (path.is_file() and probes.is_file()):
                # PyTorch's vectors of the probes are kept beside the graph, so a
                # serving process checks the graph without running PyTorch (whose
                # activations would stay in its memory for nothing).
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(probes, _torch_probe_vectors(model))
                _export(model, path)
            options = onnxruntime.SessionOptions()
            if threads > 0:
                options.intra_op_num_threads = threads
            options.log_severity_level = 3
            # Idle threads sleep instead of spinning: a search goes on to torch's
            # late interaction (tokens.py), and spinning threads took its cores
            # (hybrid median 33-38 ms with spinning, 22-25 ms without, seeds).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
            encoder = cls(session, _private_tokenizer(model), _word_vectors(model))
            agreement = encoder.agreement(model, np.load(probes))
        except Exception as exc:  # an optimisation: any failure means PyTorch
            logger.warning("ONNX query path unavailable (%s); queries use PyTorch", exc)
            return None
        if agreement < MIN_COSINE:
            logger.warning(
                "ONNX query vectors differ from PyTorch's (cosine %.6f); queries use PyTorch",
                agreement,
            )
            return None
        return encoder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings (n, dimension) of texts that already carry their prompt."""
        if not texts:
            return np.zeros((0, self.word_vectors.shape[1]), np.float32)
        rows = self._run(texts, ["embedding"])
        return np.array([vector for _, (vector,) in rows], dtype=np.float32)

    def encode_with_tokens(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One prompt-prefixed text's embedding, token ids and contextual token
        vectors (not normalised), from one run of the graph."""
        return self.encode_with_tokens_batch([text])[0]

    def encode_with_tokens_batch(
        self, texts: Sequence[str]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Each prompt-prefixed text's embedding, token ids and contextual token
        vectors (not normalised), the texts run together (see `_run`): for
        concurrent searches (index/batching.py)."""
        return [
            (np.asarray(vector, np.float32), ids, np.asarray(tokens, np.float32))
            for ids, (vector, tokens) in self._run(texts, ["embedding", "tokens"])
        ]

    def _run(
        self, texts: Sequence[str], outputs: list[str]
    ) -> list[tuple[np.ndarray, list[np.ndarray]]]:
        """Each text's token ids and its rows of the graph's `outputs`, the
        texts run in as few runs of the graph as pays (`_length_runs`).

        A run pads its texts to its longest, and padding costs as much as
        tokens: 16 assorted user questions in one run took 25 ms of CPU each,
        one by one 22 ms, in runs by length 17.5 ms. Each text's ids and token
        outputs are cut back to its own tokens (its attention mask), so none
        carries padding.
        """
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = [sum(e.attention_mask) for e in encodings]
        rows: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
        for run in _length_runs(lengths):
            # Padding is on the right: the first `width` columns hold every text of the run.
            width = max(lengths[i] for i in run)
            ids = np.array([encodings[i].ids[:width] for i in run], dtype=np.int64)
            mask = np.array([encodings[i].attention_mask[:width] for i in run], dtype=np.int64)
            inputs = {"inputs_embeds": self.word_vectors[ids], "attention_mask": mask}
            results = self.session.run(outputs, inputs)
            for row, i in enumerate(run):
                n = lengths[i]
                cut = [r[row, :n] if r.ndim == 3 else r[row] for r in results]
                rows[i] = (ids[row, :n], cut)
        return [rows[i] for i in range(len(encodings))]

    def agreement(self, model: SentenceTransformer, reference: np.ndarray) -> float:
        """The lowest cosine between this graph's and PyTorch's vectors on the probes."""
        ours = self.encode(_probe_texts(model))
        ours /= np.maximum(np.linalg.norm(ours, axis=1, keepdims=True), 1e-12)
        return float(np.min(np.sum(ours * reference, axis=1)))


def _length_runs(lengths: Sequence[int], overhead: int = RUN_OVERHEAD_TOKENS) -> list[list[int]]:
    """The texts (by index) in groups of similar length, one run of the graph
    each: the split of the texts sorted by length that costs least, a run
    costing `overhead` plus its texts' padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    # cost[end]: the cheapest runs for the `end` shortest texts; start[end]: where the last begins.
    cost = [0] * (len(order) + 1)
    start = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        width = lengths[order[end - 1]]
        cost[end], start[end] = min((cost[s] + overhead + (end - s) * width, s) for s in range(end))
    runs: list[list[int]] = []
    end = len(order)
    while end > 0:
        runs.append(order[start[end] : end])
        end = start[end]
    return runs[::-1]


def _probe_texts(model: SentenceTransformer) -> list[str]:
    prompt = model.prompts.get("query", "")
    return [prompt + p for p in _PROBES]


def _torch_probe_vectors(model: SentenceTransformer) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return model.encode(
            _probe_texts(model),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ).astype(np.float32)


def _is_standard_mean_pooling(model: SentenceTransformer) -> bool:
    names = [type(m).__name__ for m in model]
    if names not in (["Transformer", "Pooling", "Normalize"], ["Transformer", "Pooling"]):
        return False
    pooling = model[1]
    config = pooling.get_config_dict() if hasattr(pooling, "get_config_dict") else {}
    if "pooling_mode" in config:  # sentence-transformers 6
        return config["pooling_mode"] == "mean" and config.get("include_prompt", True)
    modes = {k for k, v in config.items() if k.startswith("pooling_mode_") and v}
    return modes == {"pooling_mode_mean_tokens"} and config.get("include_prompt", True)


def _word_vectors(model: SentenceTransformer) -> np.ndarray:
    """The model's token embedding table as a view of PyTorch's own tensor: no copy."""
    return model[0].auto_model.get_input_embeddings().weight.detach().numpy()


def _export(model: SentenceTransformer, path: Path) -> None:
    """Write the transformer + mean pooling + normalisation graph, atomically;
    its second output is the token vectors before pooling (index/tokens.py).

    The graph starts after the token embedding lookup: that table holds most
    of a multilingual model's weights (250,000 tokens × 384 for e5-small,
    370 MB), and `encode` looks rows up in PyTorch's copy instead of keeping a
    second one in ONNX Runtime. Positions are then counted from the first
    token, which for right-padded batches gives every real token the position
    it gets from its ids; padding is masked out of attention and pooling.
    """
    import torch

    transformer = model[0].auto_model.eval()

    class QueryGraph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            tokens = self.transformer(
                inputs_embeds=inputs_embeds, attention_mask=attention_mask
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1), tokens

    sample = model.tokenizer(["query: voorbeeld"], return_tensors="pt")
    sample_embeds = transformer.get_input_embeddings()(sample["input_ids"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    logger.info("Exporting the query graph to %s (once)", path)
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            QueryGraph(),
            (sample_embeds, sample["attention_mask"]),
            str(partial),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["embedding", "tokens"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
                "tokens": {0: "batch", 1: "tokens"},
            },
            opset_version=17,
            # The TorchScript exporter: it needs no extra packages and handles
            # this encoder; the dynamo exporter would add onnxscript.
            dynamo=False,
        )
    partial.replace(path)


def _private_tokenizer(model: SentenceTransformer) -> Any:
    """A copy of the model's fast tokenizer that pads and truncates as
    sentence-transformers does (longest in batch, the model's window)."""
    from tokenizers import Tokenizer

    backend = model.tokenizer.backend_tokenizer
    private = Tokenizer.from_str(backend.to_str())
    private.enable_truncation(max_length=int(model.max_seq_length))
    private.enable_padding(
        pad_id=int(model.tokenizer.pad_token_id), pad_token=str(model.tokenizer.pad_token)
    )
    return private
