"""A Piper-format voice made here, for tests: no recorded speech, so no data licence.

No voice shipped in a package is licence-clean (the one there is, joe, is
fine-tuned from the research-only Lessac/Blizzard 2011 data), so the tests build
a voice of their own that the engine loads through exactly the code a real one
goes through: an ONNX model with Piper's inputs (``input`` phoneme ids,
``input_lengths``, ``scales`` = noise, length, noise_w) and its output
(``output``, shaped [1, 1, 1, samples]), and a ``.onnx.json`` config in Piper's
format with a phoneme id map and an eSpeak NG voice.

What it "says" is a tone per phoneme, 30 ms times the length scale each, pitched by
the phoneme's id, with silence for the pad, space and punctuation ids; it is
deterministic, unlike a real VITS voice, whose noise makes each render differ.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

PHONEME_MS = 30
SILENT_IDS = 8
"""Ids below this are silent: pad, BOS, EOS, space and punctuation."""


def phoneme_id_map() -> dict[str, list[int]]:
    """Every symbol eSpeak NG's IPA output may hold, each with an id of its own."""
    symbols = ["_", "^", "$", " ", ".", ",", "?", "!", ":", ";", "-", "'", '"', "(", ")"]
    ranges = [
        (0x61, 0x7A),  # a-z
        (0xE6, 0xE7),
        (0xF0, 0xF0),
        (0xF8, 0xF8),
        (0x14B, 0x14B),
        (0x153, 0x153),
        (0x250, 0x2FF),  # IPA extensions, modifier letters (length, stress)
        (0x300, 0x36F),  # combining marks
        (0x3B2, 0x3B2),
        (0x3B8, 0x3B8),
        (0x3C7, 0x3C7),
        (0x1D7B, 0x1D7B),  # ᵻ
        (0x2191, 0x2193),  # ↑ ↓
    ]
    for low, high in ranges:
        symbols.extend(chr(c) for c in range(low, high + 1))
    return {s: [i] for i, s in enumerate(dict.fromkeys(symbols))}


def _model(sample_rate: int) -> onnx.ModelProto:
    c = helper.make_tensor
    f = TensorProto.FLOAT
    i64 = TensorProto.INT64
    frames = sample_rate * PHONEME_MS / 1000
    nodes = [
        helper.make_node("Constant", [], ["one_idx"], value=c("one_idx", i64, [1], [1])),
        helper.make_node("Gather", ["scales", "one_idx"], ["length_scale"], axis=0),
        helper.make_node("Constant", [], ["frames"], value=c("frames", f, [1], [frames])),
        helper.make_node("Mul", ["length_scale", "frames"], ["per_f"]),
        helper.make_node("Ceil", ["per_f"], ["per_c"]),
        helper.make_node("Cast", ["per_c"], ["per_v"], to=i64),
        helper.make_node("Constant", [], ["zero_s"], value=c("zero_s", i64, [], [0])),
        helper.make_node("Constant", [], ["one_s"], value=c("one_s", i64, [], [1])),
        helper.make_node("Squeeze", ["per_v"], ["per"]),
        helper.make_node("Gather", ["input", "zero_s"], ["ids"], axis=0),  # [N]
        helper.make_node("Shape", ["ids"], ["n_v"]),
        helper.make_node("Squeeze", ["n_v"], ["n"]),
        helper.make_node("Mul", ["n", "per"], ["total"]),
        helper.make_node("Range", ["zero_s", "total", "one_s"], ["k"]),
        helper.make_node("Div", ["k", "per"], ["which"]),
        helper.make_node("Gather", ["ids", "which"], ["sample_ids"], axis=0),
        helper.make_node("Cast", ["sample_ids"], ["ids_f"], to=f),
        helper.make_node("Constant", [], ["step"], value=c("step", f, [], [7.0])),
        helper.make_node("Constant", [], ["base"], value=c("base", f, [], [140.0])),
        helper.make_node("Mul", ["ids_f", "step"], ["rise"]),
        helper.make_node("Add", ["rise", "base"], ["hz"]),
        helper.make_node("Cast", ["k"], ["k_f"], to=f),
        helper.make_node("Constant", [], ["w"], value=c("w", f, [], [2 * math.pi / sample_rate])),
        helper.make_node("Mul", ["hz", "k_f"], ["hz_k"]),
        helper.make_node("Mul", ["hz_k", "w"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Constant", [], ["floor"], value=c("floor", f, [], [SILENT_IDS - 0.5])),
        helper.make_node("Greater", ["ids_f", "floor"], ["voiced_b"]),
        helper.make_node("Cast", ["voiced_b"], ["voiced"], to=f),
        helper.make_node("Constant", [], ["amp"], value=c("amp", f, [], [0.3])),
        helper.make_node("Mul", ["voiced", "amp"], ["gain"]),
        helper.make_node("Mul", ["wave", "gain"], ["audio"]),
        helper.make_node("Constant", [], ["shape"], value=c("shape", i64, [4], [1, 1, 1, -1])),
        helper.make_node("Reshape", ["audio", "shape"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tone-voice",
        [
            helper.make_tensor_value_info("input", i64, [1, "phonemes"]),
            helper.make_tensor_value_info("input_lengths", i64, [1]),
            helper.make_tensor_value_info("scales", f, [3]),
        ],
        [helper.make_tensor_value_info("output", f, [1, 1, 1, "samples"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build_voice(
    folder: Path,
    name: str = "en_US-tones-medium",
    *,
    language: str = "en_US",
    espeak_voice: str = "en-us",
    sample_rate: int = 22050,
    padding: int = 0,
) -> Path:
    """Write ``NAME.onnx`` and ``NAME.onnx.json`` into ``folder``; the model's path.

    ``padding`` bytes of an unused initializer make the file bigger (for hashing costs).
    """
    folder.mkdir(parents=True, exist_ok=True)
    model = _model(sample_rate)
    if padding:
        model.graph.initializer.append(
            onnx.numpy_helper.from_array(np.zeros(padding // 4, np.float32), "unused")
        )
    path = folder / f"{name}.onnx"
    onnx.save(model, path)
    family, _, region = language.partition("_")
    config = {
        "audio": {"sample_rate": sample_rate, "quality": "medium"},
        "espeak": {"voice": espeak_voice},
        "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_map": {},
        "phoneme_id_map": phoneme_id_map(),
        "num_symbols": 256,
        "num_speakers": 1,
        "speaker_id_map": {},
        "piper_version": "1.0.0",
        "language": {"code": language, "family": family, "region": region},
        "dataset": "none (tones made by tests/piper_voice.py)",
    }
    Path(f"{path}.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path
