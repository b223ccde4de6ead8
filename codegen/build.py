"""`codegen build`: a trained Spikey model -> quantised predictor, generated C, host or Cortex-M build.

    codegen build --target host|cortex-m3|cortex-m4|cortex-m7|cortex-m33|cortex-m55
                  [--model M] [--out DIR] [--data DIR] [--weights int8|int16] [--frame N]
    codegen build --target host|cortex-m4 --mode events [--out DIR] [--data DIR]   (codegen/build_events.py)

Writes into OUT (default ``./build/<model>-<target>/`` of the current directory), and
nowhere else:

    src/               the generated C (spk_net, spk_pred, spk_codec .{h,c}); same inputs, same bytes
    build.json         model identity, IR digest, options, calibration data, layers, source hashes,
                       and the list of what the build wrote (a later build into OUT removes it)
    quantisation.json  ideal-coder bits/sample, float model vs integer predictor (+ .md)
    obj/               Cortex-M only: the objects and ELFs, reused while their inputs are unchanged
    hil_predict.elf    Cortex-M only: the predictor + runtime + firmware/hil/hil_predict.c
    size.json          Cortex-M only: flash / RAM of the ELF and the predictor objects, QEMU check
    hil_codec.elf      Cortex-M only: the whole codec + firmware/hil/hil_codec.c (frame API, range coder)
    instructions.json  Cortex-M only: QEMU payloads == host C == Python reference (per file and joint);
                       instructions/sample, per frame, worst frame (-icount), repeatable run to run
    measurements.json, report.{json,md,png}
                       Cortex-M only: the build report (codegen/measure, codegen/report)
    include/, lib/     the C API: include/spikey.h, the one header a user includes, and the runtime's
                       headers; lib/ the API (spikey.c) and the runtime's sources (codegen/export):
    CMakeLists.txt, library.json, examples/encode/main.c, test/test_spikey_api.c
                       the static library + example + the API's tests, for CMake and PlatformIO
    platformio/        an example PlatformIO project that builds offline (pio run; pio test -e native)
    spikey-codec       host only: the native codec program (spikey-codec encode|decode IN OUT)

``host`` compiles the sources with cffi and checks them against the Python reference; a
Cortex-M target (its board: codegen.target.targets; its kernels: codegen.target.kernels)
cross-compiles them with the firmware runtime and firmware/hil/hil_predict.c
into an ELF, runs it in QEMU on a synthetic recording and checks every output; then builds
the whole codec (hil_codec.elf), encodes the model's first 3 validation files of ``--data``
(synthetic channels without) in QEMU per file and joint, checks the bytes three ways, and
writes instructions.json and the build report. A folder that is not empty and holds no
earlier build is refused, so a build never mixes with other files.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from spikey.codec import joint_peers
from spikey.errors import CodecError
from spikey.learned import JOINT_FRAME, LearnedCodec, check_max_error
from spikey.model.files import bundled_names, describe, read_meta, resolve
from spikey.recordings import synth, to_codes
from spikey.recordings.synth import SAMPLE_RATE

from .compile import compiled_model
from .data import default_data_dir, recordings
from .emit.predictor import CODEC, generate
from .errors import BuildError
from .frame import FRAME_MAX, check_frame
from .export.build import EXPORTS, export
from .hil.codec import ENCODE_ROOT, build_codec_elf, instruction_stats, run_hil_codec
from .hil.near_lossless import check_prefixes
from .hil.predictor import run_hil_predict
from .host.predictor import HostPredictor
from .measure.extra import add_measurements
from .measure.figures import measure_elf_build
from .quant.quantize import layer_report
from .reference.codec import ReferenceCodec
from .reference.compile import CALIBRATION, compile_model
from .reference.loss import quantisation_loss
from .reference.predictor import Predictor
from .report import profiles
from .report.report import write_report
from .target.elf import build_elf
from .target.kernels import KERNELS, kernels_for

TARGETS = ("host", *KERNELS)          # the Cortex-M cores: codegen.target.kernels (one kernel table row each)
CYCLE_MODEL_CORES = ("cortex-m4",)    # codegen/measure/cycles.py prices Cortex-M4 TRM timings
SCHEMA = "spikey-build/1"
REPORT_FILES = 3           # recordings the codec is checked and measured on
CHECK_SECONDS = 2.0        # each synthetic recording's length when --data has none
TRACE_FRAMES = 1           # one traced frame per recording: ~200k instructions each for a ~3k insn/sample model
MODEL_HELP = f"a model directory, or a bundled model: {', '.join(bundled_names())} (default: default)"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def synthetic_codes(n: int = 20_000, seed: int = 7) -> np.ndarray:
    """One synthetic channel for the check of a build's predictor."""
    return to_codes(synth.generate(1, n / SAMPLE_RATE, seed=seed))[0]


def _agree(L, ls, ref_L, ref_ls, what: str) -> dict:
    if len(L) != len(ref_L) or not (np.array_equal(L, ref_L) and np.array_equal(ls, ref_ls)):
        bad = int(np.sum((L != ref_L) | (ls != ref_ls))) if len(L) == len(ref_L) else -1
        raise BuildError(f"{what} predictor differs from the Python reference ({bad} samples differ)")
    return {"samples": len(L), "equal": True, "data": "codegen.build.synthetic_codes() (synth seed 7)"}


def _loss_markdown(q: dict, pred: Predictor, weights: str) -> str:
    return (f"# Quantisation loss: {pred.name} ({weights} weights)\n\n"
            f"Data: {q['data']} ({q['samples']:,} samples). {q['formula']}.\n\n"
            "| predictor | bits/sample |\n| --- | --- |\n"
            f"| float model (ONNX) | {q['float_bits_per_sample']:.5f} |\n"
            f"| integer predictor (generated C) | {q['integer_bits_per_sample']:.5f} |\n"
            f"| loss | {q['loss_bits_per_sample']:+.5f} ({q['loss_percent']:+.3f} %) |\n")


# --- the output folder ----------------------------------------------------------------------

# everything a build may write; build.json says "building" with this list until the build is done
OUTPUTS = ("src", "obj", "quantisation.json", "quantisation.md", "hil_predict.elf", "size.json", "hil_codec.elf",
           "instructions.json", "measurements.json", "report.json", "report.md", "report.png", *EXPORTS)


def claim_out(out: Path) -> None:
    """Make ``out`` this build's: created if absent; an earlier build's outputs removed (its
    build.json lists them, also when it stopped half way); refused if it holds anything
    else. Leaves a build.json saying "building"."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildError(f"cannot create the output folder {out}: {e.strerror}") from None
    marker = out / "build.json"
    if marker.is_file():
        try:
            written = json.loads(marker.read_text()).get("outputs") or []
        except json.JSONDecodeError:
            written = []
        for name in [*written, "build.json"]:
            p = out / name
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()
    left = sorted(p.name for p in out.iterdir())
    if left:
        raise BuildError(f"{out} is not empty and holds no earlier codegen build ({', '.join(left[:3])}"
                         f"{' ...' if len(left) > 3 else ''}): choose an empty or new --out")
    marker.write_text(json.dumps({"schema": SCHEMA, "status": "building", "outputs": list(OUTPUTS)}, indent=2) + "\n")


def _outputs(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name != "build.json")


# --- the cortex-m4 codec: three ways, instructions, the report -------------------------------

def measure_codec(pred: Predictor, predictor_files: dict, out: Path | None, obj: Path, data_dir, *,
                  target: str = "cortex-m4", files: int = REPORT_FILES, report: bool = True, frame: int = JOINT_FRAME,
                  profile: str = "cortex-m4", trace: bool = True, name: str | None = None, extra=None, max_error: int = 0,
                  log=print) -> dict:
    """Build the codec ELF (objects in ``obj``), run it in QEMU per file and joint, check its
    payloads against the host C and the Python reference byte for byte, and measure it;
    writes instructions.json (+ measurements.json and report.* when ``report``) into
    ``out``; ``extra(measurements, recordings)`` adds to measurements.json (the
    datapath's operation counts, the coder lag). Returns instructions.json's content."""
    recs = recordings(data_dir, files, pred.meta, synth_seconds=CHECK_SECONDS)
    model = compiled_model(pred)
    host = LearnedCodec(model, "range", max_error)
    ref = ReferenceCodec(pred, "range", max_error)
    chans = recs.codes
    peers = joint_peers(chans, model.peers, SAMPLE_RATE) if model.middleout else None
    elf = build_codec_elf(predictor_files, model, obj, target, frame=frame, max_channels=max(len(chans), 1),
                          max_peers=max(peers.shape[1] if peers is not None else 0, 1), huffman=False,
                          max_error=max_error)
    log(f"codegen: running {elf.elf.name} in QEMU on {recs.description}")
    with tempfile.TemporaryDirectory(prefix="spikey-codec-") as tmp:
        per_file = run_hil_codec(elf, chans, Path(tmp) / "per-file")
        joint = run_hil_codec(elf, chans, Path(tmp) / "joint", joint=True, peers=peers)
        again = run_hil_codec(elf, chans[:1], Path(tmp) / "again")
        near = check_prefixes(elf, host, ref, chans, peers, SAMPLE_RATE, tmp, log=log) if max_error else None
    rows = []
    for fname, x, wav_bytes, payload in zip(recs.names, chans, recs.wav_bytes, per_file.payloads):
        h = host.encode_channels([x])
        r = h if max_error else ref.encode_channels([x])      # near-lossless: the reference on prefixes (near)
        if not payload == h == r:
            raise BuildError(f"{fname}: QEMU payload ({len(payload)} B), host C ({len(h)} B) and Python reference "
                             f"({len(r)} B) differ")
        rows.append({"file": fname, "samples": len(x), "payload_bytes": len(payload), "wav_bytes": wav_bytes,
                     "three_way_equal": True})
    jh = host.encode_channels(chans, elf.frame, peers=peers)
    jr = jh if max_error else ref.encode_channels(chans, elf.frame, peers=peers)
    if not joint.payload == jh == jr:
        raise BuildError("joint stream: QEMU payload, host C and Python reference differ")
    if not np.array_equal(per_file.stream(0).frame_insns, again.frame_insns):
        raise BuildError("instruction counts differ between two runs of the same input")
    log(f"codegen: QEMU == host C{'' if max_error else ' == Python reference'}: {len(rows)} per-file streams, "
        f"1 joint stream ({len(chans)} channels){' (and == the reference on their first second)' if max_error else ''}"
        "; instruction counts repeat exactly")
    pf, jt = instruction_stats([per_file]), instruction_stats([joint])
    samples = sum(r["samples"] for r in rows)
    payload = sum(r["payload_bytes"] for r in rows)
    info = {
        "schema": "spikey-instructions/1", "model": name or pred.name, "target": elf.target.name,
        "qemu_machine": elf.target.qemu_machine, "elf": elf.elf.name, "icount_shift": elf.icount_shift,
        "frame_samples": elf.frame, "coder": "range", "data": recs.description, "files": rows,
        "per_file": {**pf, "how": "QEMU -icount + CMSDK timer around each spk_codec_encode call (one "
                                  f"{elf.frame}-sample frame of one channel), minus the timer reads' cost"},
        "joint": {**jt, "channels": len(chans),
                  "insns_per_joint_frame_mean": float(joint.joint_insns[:-1].mean()) if len(joint.joint_insns) > 1
                  else float(joint.joint_insns.mean()),
                  "insns_worst_joint_frame": int(joint.joint_insns.max()),
                  "middleout_peers": None if peers is None else int(peers.shape[1]),
                  "how": f"a joint frame = {elf.frame} time steps of every channel on one stream, time-major "
                         "(spk_codec_encode_step per step); counted around the frame's step calls"},
        "repeatable": {"equal": True, "how": "the first recording encoded twice in separate QEMU runs: "
                                             "identical per-frame counts"},
        "three_way": {"per_file_streams": len(rows), "joint_streams": 1, "equal": True,
                      "how": "QEMU payload == host C (cffi, spikey.learned) == Python reference "
                             "(codegen.reference.codec), byte for byte"} if not max_error else
                     {"per_file_streams": len(rows), "joint_streams": 1, "equal": True,
                      "how": "whole recordings: QEMU payload == host C (cffi, spikey.learned), byte for byte; "
                             "the Python reference: reference_prefixes", "reference_prefixes": near},
        **mode_record(max_error),
        "compression": {"samples": samples, "payload_bytes": payload, "bits_per_sample": 8 * payload / samples,
                        "ratio": 16 * samples / (8 * payload), "how": "per-file range-coded payloads (data only)"},
        "encode_stack_bytes": per_file.total["encode_stack"], "state_bytes_per_channel": per_file.total["chan_bytes"],
        "coder_state_bytes": per_file.total["codec_bytes"],
    }
    if out is not None:
        out = Path(out)
        shutil.copy2(elf.elf, out / elf.elf.name)
        (out / "instructions.json").write_text(json.dumps(info, indent=2) + "\n")
        log(f"codegen: {pf['insns_per_sample']:.1f} instructions/sample, {pf['insns_per_frame_mean']:.0f} per "
            f"{elf.frame}-sample frame, worst frame {pf['insns_worst_frame']}; wrote {out / 'instructions.json'}")
        if report:
            m = measure_report(elf, recs.rows(), recs.description, per_file, info, out, profile=profile, trace=trace,
                               log=log, extra=extra)
            info["report"] = {k: (m["figures"][k] or {}).get("value") for k in
                              ("insns_per_sample", "cycles_per_sample", "compression_ratio", "flash_bytes",
                               "static_ram_bytes", "stack_bytes")}
    return info


def measure_report(elf, recs, desc, per_file, info: dict, out: Path, *, profile="cortex-m4",
                   trace: bool = True, log=print, extra=None) -> dict:
    """measurements.json + report.{json,md,png} for the codec ELF, from the runs already checked."""
    core, rad, bud = profiles.load_set(profile, None, None)
    by_key = {np.asarray(x, np.int16).tobytes(): per_file.stream(s) for s, (_, x, _) in enumerate(recs)}

    def run_hil(_elf, samples, _work):
        return by_key[np.asarray(samples, np.int16).tobytes()]

    def reference(samples):                  # already checked three ways in measure_codec
        return by_key[np.asarray(samples, np.int16).tobytes()].payload

    log("codegen: measuring for the report (" + ("cycle model from a QEMU trace of one frame per recording)" if trace
                                                else f"no cycle model for {elf.target.name})"))
    near = info.get("max_error")
    label = f"{info.get('model', 'learned')}" + (f" (near-lossless, D = {near})" if near else "")
    m = measure_elf_build(elf, recs, desc, name=label, root=ENCODE_ROOT,
                          reference=reference, state_header=f"{CODEC}.h", state_type="spk_codec_chan_t",
                          run_hil=run_hil, trace_frames=TRACE_FRAMES if trace else 0,
                          wait_states=(int(core.value("flash_wait_states")), int(core.value("flash_wait_states_max"))))
    m["build"]["wait_states_profile"] = core.path.name
    m["figures"]["state_bytes_per_channel"] = {
        "value": info["state_bytes_per_channel"], "unit": "B",
        "how": f"sizeof(spk_codec_chan_t) on {elf.target.name} (generated predictor state + prediction), reported "
               f"by the HIL; the shared coder state is {info['coder_state_bytes']} B per stream"}
    m["figures"]["bits_per_sample"]["how"] += "; QEMU == host C == Python reference"
    m["instructions"] = {k: info[k] for k in ("per_file", "joint", "repeatable", "three_way")}
    if extra is not None:
        extra(m, recs)
    (out / "measurements.json").write_text(json.dumps(m, indent=2) + "\n")
    write_report(out, m, core, rad, bud)
    log(f"codegen: wrote {out / 'report.md'}, report.json" + (", report.png" if (out / "report.png").exists() else ""))
    return m


def mode_record(max_error: int) -> dict:
    """build.json's and instructions.json's mode fields: the container mode the codec writes
    (its name, as every build names it: lossless, near-lossless, events), its bound D and,
    for a lossy mode, what a decoded sample is worth (codegen plan's fidelity column)."""
    if max_error:
        return {"mode": "near-lossless", "max_error": int(max_error), "fidelity": f"max error {int(max_error)} codes"}
    return {"mode": "lossless", "max_error": 0}


# --- the build -------------------------------------------------------------------------------

def _predictor_step(target: str, pred: Predictor, src, out: Path, info: dict, log) -> None:
    """Check the generated predictor against the Python reference: on the host (cffi), or
    cross-compiled and run in QEMU (with the sizes of its ELF)."""
    check = synthetic_codes()
    ref_L, ref_ls = pred.predict(check)
    if target == "host":
        log("codegen: compiling the host module (cffi)")
        L, ls = HostPredictor(src).predict(check)
        info["host_check"] = _agree(L, ls, ref_L, ref_ls, "host C")
        log(f"codegen: host C == Python reference on {len(check):,} synthetic samples")
        return
    log(f"codegen: cross-compiling for {target} (arm-none-eabi-gcc -O2)")
    elf = build_elf(target, out / "obj", hil="predictor", frame=64, name="hil_predict",
                    generated={n: t for n, t in src.files.items() if not n.startswith(CODEC)})
    log(f"codegen: running {elf.elf.name} in QEMU on {len(check):,} synthetic samples")
    with tempfile.TemporaryDirectory(prefix="spikey-pred-") as tmp:
        L, ls, total = run_hil_predict(elf, check, tmp)
    info["qemu_check"] = _agree(L, ls, ref_L, ref_ls, "QEMU")
    shutil.copy2(elf.elf, out / elf.elf.name)
    size = {"elf": elf.elf.name, "flash_bytes": elf.flash, "static_ram_bytes": elf.ram,
            "stack_reserved_bytes": elf.stack_reserved, "sections": elf.sections,
            "predictor_objects": elf.codec_objects, "predictor_flash_bytes": elf.codec_flash,
            "predictor_static_ram_bytes": elf.codec_ram, "state_bytes_per_channel": total["state_bytes"],
            "step_stack_bytes": total["step_stack"], "insns_per_sample": total["insns"] / total["samples"],
            "insns_worst_frame": total["worst_insns"], "frame_samples": 64,
            "how": "arm-none-eabi-size -A of the HIL ELF (flash = .isr_vector + .text + .ARM.exidx + .data, "
                   "RAM = .data + .bss incl. one channel's state); objects: arm-none-eabi-size of spk_net.o, "
                   "spk_pred.o; state, stack (painted) and instructions (-icount) measured in QEMU"}
    (out / "size.json").write_text(json.dumps(size, indent=2) + "\n")
    info["size"] = {k: size[k] for k in ("flash_bytes", "static_ram_bytes", "predictor_flash_bytes",
                                         "predictor_static_ram_bytes", "state_bytes_per_channel",
                                         "step_stack_bytes", "insns_per_sample")}
    log(f"codegen: wrote {out / elf.elf.name}")
    log(f"codegen: flash {elf.flash} B (predictor objects {elf.codec_flash} B), static RAM {elf.ram} B, "
        f"state {total['state_bytes']} B/channel, step stack {total['step_stack']} B, "
        f"{size['insns_per_sample']:.0f} instructions/sample")


def build(target: str, model=None, out_dir=None, weights: str = "int16", per_channel: bool = False,
          loss_files: int | None = None, data_dir=None, log=print, frame: int = JOINT_FRAME,
          max_error: int = 0) -> dict:
    """Everything `codegen build` does; returns build.json's content. ``data_dir``: the
    recordings (None: synthetic ones); ``max_error``: the codec's near-lossless bound D
    (0: lossless)."""
    if target not in TARGETS:
        raise BuildError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    try:
        max_error = check_max_error("range", max_error)
    except CodecError as e:
        raise BuildError(str(e)) from None
    if max_error and target == "host":
        raise BuildError("--max-error builds the cortex-m4 codec; the host target checks the predictor only")
    if data_dir is not None and not Path(data_dir).is_dir():
        raise BuildError(f"--data {data_dir}: no such folder")
    check_frame(frame)
    try:
        model_dir = resolve(model)
        meta = read_meta(model_dir)
    except (CodecError, ValueError) as e:
        raise BuildError(str(e)) from None
    name = meta.get("name", model_dir.name)
    out = Path(out_dir) if out_dir is not None else \
        Path("build") / f"{name}-{target}{f'-d{max_error}' if max_error else ''}"
    claim_out(out)
    log(f"codegen: model {name} from {describe(model_dir)}")
    log(f"codegen: calibrating on {CALIBRATION}")
    pred = compile_model(model_dir, weight_bits={"int8": 8, "int16": 16}[weights], per_channel=per_channel)
    ident = pred.identity().hex()
    log(f"codegen: quantised ({weights} weights{', per channel' if per_channel else ''}): "
        f"input u q*2^-{pred.f_in}, output (mu, ls) q*2^-{pred.f_out}, model identity {ident}")
    kernel = "rows" if target == "host" else kernels_for(target).dense   # host C: codegen.compile (columns)
    src = generate(pred, kernel=kernel)
    src.write(out / "src")
    log(f"codegen: wrote {len(src.files)} sources to {out / 'src'}")

    val = recordings(data_dir, loss_files, meta)
    log(f"codegen: quantisation loss on {val.description}")
    q = quantisation_loss(pred, model_dir, val.names, val.codes, val.description)
    (out / "quantisation.json").write_text(json.dumps(q, indent=2) + "\n")
    (out / "quantisation.md").write_text(_loss_markdown(q, pred, weights))
    log(f"codegen: bits/sample float {q['float_bits_per_sample']:.5f}, integer {q['integer_bits_per_sample']:.5f} "
        f"({q['loss_percent']:+.4f} %)")

    info = {"schema": SCHEMA, "status": "done", **mode_record(max_error), "model": name, "model_dir": describe(model_dir),
            "target": target,
            "model_identity": ident, "ir_digest": pred.qg.digest(), "weights": weights, "per_channel": per_channel,
            "kernels": None if target == "host" else {"dense": kernel, "isa": kernels_for(target).isa},
            "frame": frame,
            "input_frac": pred.f_in, "output_frac": pred.f_out, "log2s_q8_range": [pred.log2s_min_q8, 2560],
            "fir_levels": [{"spacing": lv.spacing, "acc_bits": lv.acc_bits, "acc_bound": lv.acc_bound}
                           for lv in pred.levels],
            "layers": layer_report(pred.qg), "calibration": {"data": CALIBRATION},
            "sources": {n: _sha(t) for n, t in sorted(src.files.items())}}
    _predictor_step(target, pred, src, out, info, log)
    codec = None
    if target != "host":
        codec = measure_codec(pred, src.files, out, out / "obj", data_dir, target=target, name=name, frame=frame,
                              extra=lambda m, recs: add_measurements(m, pred, recs), max_error=max_error, log=log,
                              profile=target, trace=target in CYCLE_MODEL_CORES)
        info["codec"] = {k: codec[k] for k in ("data", "three_way", "repeatable", "compression")}
        info["codec"]["instructions"] = {k: codec["per_file"][k] for k in
                                         ("insns_per_sample", "insns_per_frame_mean", "insns_worst_frame")}
        info["codec"]["report"] = codec.get("report")
    info["export"] = export(out, target, pred, codec, log)
    info["quantisation"] = {k: q[k] for k in ("data", "samples", "float_bits_per_sample", "integer_bits_per_sample",
                                              "loss_bits_per_sample", "loss_percent")}
    info["outputs"] = _outputs(out)
    (out / "build.json").write_text(json.dumps(info, indent=2) + "\n")
    log(f"codegen: wrote {out / 'build.json'}")
    return info


def add_arguments(p: argparse.ArgumentParser) -> None:
    data = default_data_dir()
    p.add_argument("--target", required=True, choices=TARGETS,
                   help="host: the generated C through cffi, checked against the Python reference; "
                        "cortex-m3|m4|m7|m33|m55: cross-compiled with that core's kernels (codegen.target.kernels), "
                        "run in QEMU, checked three ways, measured, with its report")
    p.add_argument("--mode", choices=("lossless", "events"), default="lossless",
                   help="lossless (default): the model's codec; events: the spike and SBP pipeline "
                        "(codegen/build_events.py, which codegen.cli runs for it; takes no --model, --weights, "
                        "--per-channel, --loss-files)")
    p.add_argument("--model", help=MODEL_HELP)
    p.add_argument("--out", type=Path, help="output folder (default: ./build/<model>-<target>); the build owns it")
    p.add_argument("--data", type=Path, default=data,
                   help="folder of recordings for the quantisation loss and the codec's check and report "
                        f"(default: {data if data is not None else 'none here, so synthetic channels'}; "
                        "../shared/data/neuralink-dev when that folder exists)")
    p.add_argument("--weights", choices=("int8", "int16"), default="int16", help="weight width (default int16)")
    p.add_argument("--per-channel", action="store_true", help="one weight scale per output row")
    p.add_argument("--loss-files", type=int, metavar="N",
                   help="quantisation loss on the first N validation files (default: all)")
    p.add_argument("--frame", type=int, default=JOINT_FRAME, metavar="N",
                   help=f"samples per encode call and per joint frame, 1..{FRAME_MAX} (default {JOINT_FRAME}); "
                        "the report's latency follows it")
    p.add_argument("--max-error", type=int, default=0, metavar="D",
                   help="cortex-m4: build the near-lossless codec, every decoded sample within D ADC codes "
                        "(default 0: lossless)")


def run(args) -> int:
    build(args.target, args.model, args.out, args.weights, args.per_channel, args.loss_files, args.data,
          frame=args.frame, max_error=args.max_error)
    return 0
