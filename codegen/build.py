"""`codegen build`: a trained Spikey model -> quantised predictor, generated C, host or Cortex-M4 build.

    codegen build --target host|cortex-m4 [--model DIR] [--out DIR] [--weights int8|int16] [--per-channel]

Writes into OUT (default ``build/<model>-<target>/``):

    src/               the generated C (spk_net.{h,c}, spk_pred.{h,c}); same inputs, same bytes
    build.json         model identity, IR digest, options, calibration data, layers, source hashes
    quantisation.json  ideal-coder bits/sample, float model vs integer predictor (+ .md)
    hil_predict.elf    cortex-m4 only: the predictor + runtime + firmware/hil/hil_predict.c
    size.json          cortex-m4 only: flash / RAM of the ELF and the predictor objects, QEMU check
    hil_codec.elf      cortex-m4 only: the whole codec + firmware/hil/hil_codec.c (frame API, range coder)
    instructions.json  cortex-m4 only: QEMU payloads == host C == Python reference (per file and joint);
                       instructions/sample, per frame, worst frame (-icount), repeatable run to run
    measurements.json, report.{json,md,png}
                       cortex-m4 only: the build report (codegen/measure.py, codegen/report.py)

``host`` compiles the sources with cffi and checks them against the Python reference;
``cortex-m4`` cross-compiles them with the firmware runtime and firmware/hil/hil_predict.c
into an ELF, runs it in QEMU on a synthetic recording and checks every output; then builds
the whole codec (hil_codec.elf), encodes the model's first 3 validation files (synthetic
channels if absent) in QEMU per file and joint, checks the bytes three ways, and writes
instructions.json and the build report.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spikey_train import export as ex
from spikey_train.recordings import read_wav, synth, to_codes

from . import cgen_predictor, cortex_m, hil_codec, quantize
from .errors import BuildError
from .predictor import CALIB_SEED, CALIBRATION, Predictor, calibration_codes, compile_model, ideal_bits
from .toolchain import DEFAULT_BUILD_DIR, REPO

DEFAULT_MODEL = REPO / "spikey_train" / "models" / "default"
DEV_DATA = REPO.parent / "shared" / "data" / "neuralink-dev"
HIL_SOURCES = ("hil/hil_predict.c",)
TARGETS = ("host", "cortex-m4")


@dataclass
class Data:
    names: list
    codes: list
    description: str


def calibration_data(meta: dict) -> Data:
    """The fixed calibration set (codegen.predictor.calibration_codes)."""
    codes = calibration_codes()
    return Data([f"synth-seed{CALIB_SEED}-ch{i}" for i in range(len(codes))], codes, CALIBRATION)


def validation_data(meta: dict, files: int | None, data_dir: Path = DEV_DATA) -> Data:
    """The model's validation files (the first ``files`` of them), or synthetic channels."""
    names = list((meta.get("split") or {}).get("validation") or [])[:files]
    if names and all((data_dir / n).is_file() for n in names):
        return Data(names, [to_codes(read_wav(data_dir / n).samples) for n in names],
                    f"{len(names)} validation files of the model's split, from {data_dir}")
    n = files or 4
    x = to_codes(synth.generate(n, 5, seed=1))
    return Data([f"synth-seed1-ch{i}" for i in range(n)], list(x),
                f"spikey_train.recordings.synth.generate({n}, 5, seed=1): real recordings not found in {data_dir}")


def quantisation_loss(pred: Predictor, model_dir: Path, data: Data) -> dict:
    """Ideal-coder bits/sample (docs/model-format.md section 2, float) of the float model and
    of the integer predictor's (L, log2s_q8), per file and in total."""
    onnx_path = Path(model_dir) / pred.meta["onnx"]["file"]
    rows, fb, ib, n = [], 0.0, 0.0, 0
    for name, x in zip(data.names, data.codes):
        f = ex.file_bits_from_export(onnx_path, pred.meta, x)
        L, ls = pred.predict(x)
        i = ideal_bits(x, L, ls, pred.meta)
        rows.append({"file": name, "samples": len(x), "float_bits_per_sample": f / len(x),
                     "integer_bits_per_sample": i / len(x)})
        fb, ib, n = fb + f, ib + i, n + len(x)
    return {"data": data.description, "samples": n, "float_bits_per_sample": fb / n,
            "integer_bits_per_sample": ib / n, "loss_bits_per_sample": (ib - fb) / n,
            "loss_percent": 100.0 * (ib - fb) / fb, "files": rows,
            "formula": "docs/model-format.md section 2 in float64 (ideal coder), first sample 10 bits; "
                       "float: spikey_train.export.file_bits_from_export; integer: codegen.predictor.ideal_bits"}


def _loss_markdown(q: dict, pred: Predictor, weights: str) -> str:
    return (f"# Quantisation loss: {pred.name} ({weights} weights)\n\n"
            f"Data: {q['data']} ({q['samples']:,} samples). {q['formula']}.\n\n"
            "| predictor | bits/sample |\n| --- | --- |\n"
            f"| float model (ONNX) | {q['float_bits_per_sample']:.5f} |\n"
            f"| integer predictor (generated C) | {q['integer_bits_per_sample']:.5f} |\n"
            f"| loss | {q['loss_bits_per_sample']:+.5f} ({q['loss_percent']:+.3f} %) |\n")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def synthetic_codes(n: int = 20_000, seed: int = 7) -> np.ndarray:
    """One synthetic channel for the QEMU check of a build."""
    return to_codes(synth.generate(1, n / 19531, seed=seed))[0]


def run_hil_predict(elf: cortex_m.ElfBuild, codes: np.ndarray, workdir) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run the predictor ELF in QEMU on one channel's codes: (L, log2s_q8, SPIKEY total record)."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    np.asarray(codes, dtype="<i2").tofile(work / "codes.s16")
    out = work / "pred.bin"
    if out.exists():
        out.unlink()
    res = cortex_m.run_qemu(elf, work, timeout=300)
    if res.status != "ok":
        raise BuildError(res.describe())
    total = cortex_m._records(res.console, "total")
    if len(total) != 1 or not out.is_file():
        raise BuildError("HIL output is incomplete (no SPIKEY total record or pred.bin):\n" + res.describe())
    v = np.fromfile(out, dtype="<i2").astype(np.int64).reshape(-1, 2)
    return v[:, 0], v[:, 1], total[0]


def build(target: str, model_dir: Path | None = None, out_dir: Path | None = None, weights: str = "int16",
          per_channel: bool = False, loss_files: int | None = None, log=print) -> dict:
    """Everything `codegen build` does; returns build.json's content."""
    if target not in TARGETS:
        raise BuildError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    model_dir = Path(model_dir or DEFAULT_MODEL)
    if not (model_dir / "model.json").is_file():
        raise BuildError(f"{model_dir}: no model.json here (not a Spikey model directory)")
    try:
        _, meta = ex.load_model(model_dir)
    except (ValueError, OSError) as e:
        raise BuildError(f"{model_dir}: {e}") from e
    name = meta.get("name", model_dir.name)
    out = Path(out_dir or DEFAULT_BUILD_DIR / f"{name}-{target}")
    log(f"codegen: model {name} from {model_dir}")
    calib = calibration_data(meta)
    log(f"codegen: calibrating on {calib.description}")
    pred = compile_model(model_dir, calib.codes, weight_bits={"int8": 8, "int16": 16}[weights],
                         per_channel=per_channel)
    ident = pred.identity().hex()
    log(f"codegen: quantised ({weights} weights{', per channel' if per_channel else ''}): "
        f"input u q*2^-{pred.f_in}, output (mu, ls) q*2^-{pred.f_out}, model identity {ident}")
    src = cgen_predictor.generate(pred)
    src.write(out / "src")
    log(f"codegen: wrote {len(src.files)} sources to {out / 'src'}")

    val = validation_data(meta, loss_files)
    log(f"codegen: quantisation loss on {val.description}")
    q = quantisation_loss(pred, model_dir, val)
    (out / "quantisation.json").write_text(json.dumps(q, indent=2) + "\n")
    (out / "quantisation.md").write_text(_loss_markdown(q, pred, weights))
    log(f"codegen: bits/sample float {q['float_bits_per_sample']:.5f}, integer {q['integer_bits_per_sample']:.5f} "
        f"({q['loss_percent']:+.4f} %)")

    info = {"schema": "spikey-build/1", "model": name, "model_dir": str(model_dir), "target": target,
            "model_identity": ident, "ir_digest": pred.qg.digest(), "weights": weights, "per_channel": per_channel,
            "input_frac": pred.f_in, "output_frac": pred.f_out, "log2s_q8_range": [pred.log2s_min_q8, 2560],
            "fir_levels": [{"spacing": lv.spacing, "acc_bits": lv.acc_bits, "acc_bound": lv.acc_bound}
                           for lv in pred.levels],
            "layers": quantize.layer_report(pred.qg), "calibration": {"data": calib.description, "files": calib.names},
            "sources": {n: _sha(t) for n, t in sorted(src.files.items())}}
    check = synthetic_codes()
    ref_L, ref_ls = pred.predict(check)
    if target == "host":
        log("codegen: compiling the host module (cffi)")
        hp = cgen_predictor.HostPredictor(src)
        L, ls = hp.predict(check)
        info["host_check"] = _agree(L, ls, ref_L, ref_ls, "host C")
        log(f"codegen: host C == Python reference on {len(check):,} synthetic samples")
    else:
        log("codegen: cross-compiling for cortex-m4 (arm-none-eabi-gcc -O2)")
        elf = cortex_m.build_elf(target, frame=64, name="hil_predict", hil_sources=HIL_SOURCES,
                                 generated=src.files)
        log(f"codegen: running {elf.elf.name} in QEMU on {len(check):,} synthetic samples")
        with tempfile.TemporaryDirectory(prefix="spikey-pred-") as tmp:
            L, ls, total = run_hil_predict(elf, check, tmp)
        info["qemu_check"] = _agree(L, ls, ref_L, ref_ls, "QEMU")
        size = {"elf": str(elf.elf), "flash_bytes": elf.flash, "static_ram_bytes": elf.ram,
                "stack_reserved_bytes": elf.stack_reserved, "sections": elf.sections,
                "predictor_objects": elf.codec_objects, "predictor_flash_bytes": elf.codec_flash,
                "predictor_static_ram_bytes": elf.codec_ram, "state_bytes_per_channel": total["state_bytes"],
                "step_stack_bytes": total["step_stack"], "insns_per_sample": total["insns"] / total["samples"],
                "insns_worst_frame": total["worst_insns"], "frame_samples": 64,
                "how": "arm-none-eabi-size -A of the HIL ELF (flash = .isr_vector + .text + .ARM.exidx + .data, "
                       "RAM = .data + .bss incl. one channel's state); objects: arm-none-eabi-size of spk_net.o, "
                       "spk_pred.o; state, stack (painted) and instructions (-icount) measured in QEMU"}
        shutil.copy2(elf.elf, out / elf.elf.name)
        size["elf"] = str(out / elf.elf.name)
        (out / "size.json").write_text(json.dumps(size, indent=2) + "\n")
        info["size"] = {k: size[k] for k in ("flash_bytes", "static_ram_bytes", "predictor_flash_bytes",
                                             "predictor_static_ram_bytes", "state_bytes_per_channel",
                                             "step_stack_bytes", "insns_per_sample")}
        log(f"codegen: wrote {out / elf.elf.name}")
        log(f"codegen: flash {elf.flash} B (predictor objects {elf.codec_flash} B), static RAM {elf.ram} B, "
            f"state {total['state_bytes']} B/channel, step stack {total['step_stack']} B, "
            f"{size['insns_per_sample']:.0f} instructions/sample")
        codec = hil_codec.measure_codec(model_dir, meta, pred, src.files, out, name=name, log=log)
        info["codec"] = {k: codec[k] for k in ("data", "three_way", "repeatable", "compression")}
        info["codec"]["instructions"] = {k: codec["per_file"][k] for k in
                                         ("insns_per_sample", "insns_per_frame_mean", "insns_worst_frame")}
        info["codec"]["report"] = codec.get("report")
    info["quantisation"] = {k: q[k] for k in ("data", "samples", "float_bits_per_sample", "integer_bits_per_sample",
                                              "loss_bits_per_sample", "loss_percent")}
    (out / "build.json").write_text(json.dumps(info, indent=2) + "\n")
    log(f"codegen: wrote {out / 'build.json'}")
    return info


def _agree(L, ls, ref_L, ref_ls, what: str) -> dict:
    if len(L) != len(ref_L) or not (np.array_equal(L, ref_L) and np.array_equal(ls, ref_ls)):
        bad = int(np.sum((L != ref_L) | (ls != ref_ls))) if len(L) == len(ref_L) else -1
        raise BuildError(f"{what} predictor differs from the Python reference ({bad} samples differ)")
    return {"samples": len(L), "equal": True, "data": "codegen.build.synthetic_codes() (synth seed 7)"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", required=True, choices=TARGETS)
    p.add_argument("--model", type=Path, help=f"model directory (default: {DEFAULT_MODEL.relative_to(REPO)})")
    p.add_argument("--out", type=Path, help="output directory (default: build/<model>-<target>/)")
    p.add_argument("--weights", choices=("int8", "int16"), default="int16")
    p.add_argument("--per-channel", action="store_true", help="one weight scale per output row")
    p.add_argument("--loss-files", type=int, metavar="N",
                   help="quantisation loss on the first N validation files (default: all)")


def run(args) -> int:
    build(args.target, args.model, args.out, args.weights, args.per_channel, args.loss_files)
    return 0
