"""Cycle model: QEMU's exact instruction counts -> Cortex-M4 cycles, priced instruction by instruction.

QEMU counts instructions exactly (-icount) but not cycles (docs/build-report.md, "Tools"). This module
recovers the *executed instruction mix* of the measured code and prices every executed
instruction with the Cortex-M4 timings of the Cortex-M4 TRM (ARM DDI 0439, "Instruction set
summary", table "Cortex-M4 instruction set summary" and "Load/store timings"):

1. Trace. QEMU runs the HIL ELF on a short slice of a recording with one instruction per
   translation block (`-singlestep` on QEMU < 8.1, `-accel tcg,one-insn-per-tb=on` after)
   and `-d exec,cpu,nochain -dfilter <encode call graph>`: one record per executed guest
   instruction inside the encode function and everything it calls, each with the PC and
   the NZCV flags before it. The trace is checked against the same run's -icount frame
   counts: traced instructions of frame i + k == instructions of frame i, with one constant
   k (the call site and timer read outside the traced range) for every frame.
2. Disassemble. `arm-none-eabi-objdump -d` maps each PC to its instruction and size; IT
   blocks are expanded statically so every instruction inside one knows its condition.
3. Price. Each executed instruction gets (min, point, max) cycles:

   | class | cycles (min / point / max) | TRM rule |
   | --- | --- | --- |
   | ALU, MOV, shifts, bit-field, extend, CLZ, saturate | 1 / 1 / 1 | 1 |
   | MUL, MLA, MLS, long multiply, SMLA*, dual MAC (SMLAD ...) | 1 / 1 / 1 | 1 |
   | SDIV, UDIV | 2 / 7 / 12 | 2-12, operand dependent; point = mid-range |
   | load single (LDR/LDRB/LDRH/LDRS*) | 2, 1 if it follows a load/store single; +1 address stall | 2; pipelined 1 |
   | store single, immediate offset | 1 / 1 / 2 | "STR Rx,[Ry,#imm] is always one cycle" (write buffer) |
   | store single, register offset | 1 / 2 (1 pipelined) / 2 | 2; pipelined 1 |
   | LDRD, STRD | 3 / 3 / 3 (+1 address stall) | 1 + N, N = 2 |
   | LDM, STM, PUSH, POP | 1+N; +P if PC is loaded | 1 + N (+ P) |
   | B, BL, BX, BLX, taken B<cond>/CB(N)Z, writes to PC | 1+P, P = 1 / 2 / 3 (+ wait states) | 1 + P, P = 1..3 |
   | B<cond>, CB(N)Z not taken | 1 / 1 / 1 | 1 |
   | IT | 0 / 1 / 1 (0 only after a 16-bit instruction) | may fold onto a preceding 16-bit instruction |
   | instruction in an IT block whose condition fails | 1 / 1 / 1 | executes as a NOP |
   | TBB, TBH | 2+P | 2 + P |
   | MRS, MSR | 2; DMB/DSB/ISB 1 / 2 / 4 | 2; 1 + B |
   | VFP: VADD/VMUL 1, VMLA 3, VDIV/VSQRT 14, VLDR/VSTR 2 | | FPU table |

   "Address stall": a load/store whose base or offset register was written by the
   instruction just before it, when that is a data-processing instruction, waits one cycle
   ("no forwarding path"); applied to point and max. Taken branches also pay the profile's
   flash wait states (point: `flash_wait_states`, max: `flash_wait_states_max`).
   Unknown instructions are priced 1 / 1 / 3 and listed in the result.
4. Scale. The trace gives cycles per instruction (CPI) as [min, point, max]; cycles per
   sample = CPI x the exact instructions per sample that -icount measured on the whole
   recordings (the k untraced call-site instructions per frame are priced at the traced
   CPI). The worst frame's cycles = its exact instructions x CPI, the upper bound taking the
   largest per-frame max-CPI seen in the trace.

Error bars: [min, max] is the spread of the TRM's own variable terms (pipeline refill P =
1..3, divide 2..12, load/store pipelining, IT folding, write-buffer stalls, wait states),
applied to every executed instruction at once, so it bounds the model, not the silicon.
Not modelled: bus contention from DMA or a second master, interrupts, cache misses beyond
the wait-state term, and the M4's unaligned-fetch penalty for 32-bit instructions after a
branch (within P's range by the TRM's definition). No hardware was available to measure the
model against; it was checked against hand-priced code (tests/test_cycles.py) and the trace
against -icount (step 1, exact).
"""
from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BuildError
from ..hil.qemu import records, run_qemu
from ..target import toolchain

REG_ALIASES = {"sb": "r9", "sl": "r10", "fp": "r11", "ip": "r12", "sp": "r13", "lr": "r14", "pc": "r15"}
CONDS = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al")
INVERSE = {"eq": "ne", "ne": "eq", "cs": "cc", "hs": "lo", "cc": "cs", "lo": "hs", "mi": "pl", "pl": "mi",
           "vs": "vc", "vc": "vs", "hi": "ls", "ls": "hi", "ge": "lt", "lt": "ge", "gt": "le", "le": "gt"}
P_RANGE = (1, 2, 3)        # pipeline refill: TRM "1 to 3 depending on alignment and width of the target"

ALU = {"adc", "add", "addw", "adr", "and", "asr", "bfc", "bfi", "bic", "clz", "cmn", "cmp", "eor", "lsl", "lsr",
       "mov", "movw", "movt", "mvn", "neg", "nop", "orn", "orr", "rbit", "rev", "rev16", "revsh", "ror", "rrx",
       "rsb", "sbc", "sbfx", "sub", "subw", "sxtb", "sxth", "sxtab", "sxtah", "sxtb16", "teq", "tst", "ubfx", "uxtb",
       "uxth", "uxtab", "uxtah", "uxtb16", "ssat", "usat", "ssat16", "usat16", "sel", "qadd", "qsub", "qdadd",
       "qdsub", "sadd16", "sadd8", "ssub16", "ssub8", "uadd16", "uadd8", "usub16", "usub8", "qadd16", "qadd8",
       "qsub16", "qsub8", "uqadd16", "uqadd8", "uqsub16", "uqsub8", "shadd16", "shadd8", "uhadd16", "uhadd8",
       "usad8", "usada8", "pkhbt", "pkhtb", "qasx", "qsax", "sasx", "ssax", "uasx", "usax", "shasx", "shsax",
       "uhasx", "uhsax", "uqasx", "uqsax", "shsub16", "shsub8", "uhsub16", "uhsub8", "cpsid", "cpsie", "sev",
       "wfi", "wfe", "yield", "bkpt", "svc", "udf"}
NO_DEST = {"cmp", "cmn", "tst", "teq", "nop", "cpsid", "cpsie", "sev", "wfi", "wfe", "yield", "bkpt", "svc", "udf"}
MUL = {"mul", "mla", "mls", "smull", "umull", "smlal", "umlal", "umaal", "smulbb", "smulbt", "smultb", "smultt",
       "smulwb", "smulwt", "smlabb", "smlabt", "smlatb", "smlatt", "smlawb", "smlawt", "smmul", "smmulr",
       "smmla", "smmlar", "smmls", "smmlsr", "smlalbb", "smlalbt", "smlaltb", "smlaltt"}
MAC_DUAL = {"smlad", "smladx", "smlsd", "smlsdx", "smlald", "smlaldx", "smlsld", "smlsldx", "smuad", "smuadx",
            "smusd", "smusdx"}
DIV = {"sdiv", "udiv"}
LOAD = {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrt", "ldrbt", "ldrht", "ldrsbt", "ldrsht", "ldrex", "ldrexb",
        "ldrexh"}
STORE = {"str", "strb", "strh", "strt", "strbt", "strht", "strex", "strexb", "strexh"}
DUAL = {"ldrd", "strd"}
MULTI = {"ldm", "ldmia", "ldmfd", "ldmdb", "ldmea", "stm", "stmia", "stmea", "stmdb", "stmfd", "push", "pop"}
BRANCH = {"b", "bl", "bx", "blx"}
CBZ = {"cbz", "cbnz"}
TABLE = {"tbb", "tbh"}
SYSREG = {"mrs", "msr"}
BARRIER = {"dmb", "dsb", "isb"}
VFP_COST = {"vdiv": (14, 14, 14), "vsqrt": (14, 14, 14), "vmla": (3, 3, 3), "vmls": (3, 3, 3), "vnmla": (3, 3, 3),
            "vnmls": (3, 3, 3), "vfma": (3, 3, 3), "vfms": (3, 3, 3), "vldr": (2, 2, 2), "vstr": (2, 2, 2)}

OBJDUMP_LINE = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{4}\s?){1,2})\s+(\S+)\s*(.*)$")


@dataclass
class Insn:
    addr: int
    size: int                      # bytes: 2 or 4
    mnemonic: str                  # as objdump prints it, e.g. "strbcc.w"
    operands: str
    base: str = ""                 # mnemonic without condition/width/flag suffixes, e.g. "strb"
    it_cond: str | None = None     # condition imposed by an enclosing IT block
    branch_cond: str | None = None # condition of a conditional branch outside IT blocks


def _canon_reg(r: str) -> str:
    r = r.strip().lower().rstrip("!")
    return REG_ALIASES.get(r, r)


def _split_mnemonic(m: str) -> tuple[str, str | None]:
    """'strbcc.w' -> ('strb', 'cc'); 'bhi.n' -> ('b', 'hi'); 'adds' -> ('add', None); 'itet' -> ('it', None)."""
    m = m.lower().split(".")[0]
    if re.fullmatch(r"it[te]{0,3}", m):
        return "it", None
    known = ALU | NO_DEST | MUL | MAC_DUAL | DIV | LOAD | STORE | DUAL | MULTI | BRANCH | CBZ | TABLE | SYSREG | BARRIER
    if m in known:
        return m, None
    for cond in CONDS:                        # conditional suffix, then an optional 's'
        for tail in (cond, cond + "s"):
            if m.endswith(tail) and m[:-len(tail)] in known | {"b"}:
                return m[:-len(tail)], cond
    if m.endswith("s") and m[:-1] in known:   # flag-setting form
        return m[:-1], None
    return m, None


def parse_objdump(text: str) -> dict[int, Insn]:
    """PC -> instruction, from `arm-none-eabi-objdump -d` output (raw bytes shown)."""
    insns: dict[int, Insn] = {}
    for line in text.splitlines():
        m = OBJDUMP_LINE.match(line)
        if not m:
            continue
        addr, raw, mnem, ops = int(m.group(1), 16), m.group(2).split(), m.group(3), m.group(4)
        if mnem.startswith("."):                          # .word / .short data in the text section
            continue
        ops = ops.split(";")[0].split("@")[0].strip()
        base, cond = _split_mnemonic(mnem)
        insns[addr] = Insn(addr=addr, size=2 * len(raw), mnemonic=mnem, operands=ops, base=base,
                           branch_cond=cond if base in ("b",) and cond not in (None, "al") else None)
    _expand_it_blocks(insns)
    return insns


def _expand_it_blocks(insns: dict[int, Insn]) -> None:
    for addr in sorted(insns):
        ins = insns[addr]
        if ins.base != "it":
            continue
        pattern = ins.mnemonic.lower().split(".")[0][1:]         # "t", "tet", ...
        cond = ins.operands.strip().lower()
        nxt = addr + ins.size
        for ch in pattern:
            if nxt not in insns:
                break
            insns[nxt].it_cond = cond if ch == "t" else INVERSE[cond]
            insns[nxt].branch_cond = None                         # a branch in an IT block is predicated by it
            nxt += insns[nxt].size


def cond_holds(cond: str, nzcv: str) -> bool:
    """Evaluate a condition code on QEMU's flag string, e.g. '-ZC-' (N, Z, C, V; '-' = clear)."""
    n, z, c, v = (nzcv[i] != "-" for i in range(4))
    return {"eq": z, "ne": not z, "cs": c, "hs": c, "cc": not c, "lo": not c, "mi": n, "pl": not n, "vs": v,
            "vc": not v, "hi": c and not z, "ls": (not c) or z, "ge": n == v, "lt": n != v,
            "gt": (not z) and n == v, "le": z or n != v, "al": True}[cond]


def _regs_in_list(ops: str) -> list[str]:
    m = re.search(r"\{([^}]*)\}", ops)
    if not m:
        return []
    regs = []
    for part in m.group(1).split(","):
        part = part.strip()
        if "-" in part:
            a, b = (int(_canon_reg(x)[1:]) for x in part.split("-"))
            regs += [f"r{i}" for i in range(a, b + 1)]
        elif part:
            regs.append(_canon_reg(part))
    return regs


def _dest(ins: Insn) -> str | None:
    if ins.base in NO_DEST or ins.base in STORE or ins.base in BRANCH | CBZ | TABLE | {"it"}:
        return None
    first = ins.operands.split(",")[0].strip()
    return _canon_reg(first) if first else None


def _addr_regs(ins: Insn) -> set[str]:
    m = re.search(r"\[([^\]]*)\]", ins.operands)
    if not m:
        return set()
    return {_canon_reg(p) for p in m.group(1).split(",") if re.fullmatch(r"\s*[a-z]{1,2}\d{0,2}\s*", p)}


def _writes_pc(ins: Insn) -> bool:
    if ins.base in MULTI:
        return "r15" in _regs_in_list(ins.operands) and ins.base in ("pop", "ldm", "ldmia", "ldmfd", "ldmdb", "ldmea")
    if ins.base in LOAD | ALU:
        return _dest(ins) == "r15"
    return False


def classify(ins: Insn) -> str:
    b = ins.base
    if b == "it":
        return "it"
    if b in MAC_DUAL:
        return "mac_dual"
    if b in MUL:
        return "mul"
    if b in DIV:
        return "div"
    if b in DUAL:
        return "load_dual" if b == "ldrd" else "store_dual"
    if b in MULTI:
        return "ldm_stm"
    if b in LOAD:
        return "load_pc" if _writes_pc(ins) else ("load_literal" if "pc" in ins.operands.split("[")[-1][:3] else "load")
    if b in STORE:
        return "store"
    if b == "b" and ins.branch_cond:
        return "branch_cond"
    if b in BRANCH:
        return "branch"
    if b in CBZ:
        return "cbz"
    if b in TABLE:
        return "table_branch"
    if b in SYSREG:
        return "sysreg"
    if b in BARRIER:
        return "barrier"
    if b.startswith("v"):
        return "vfp"
    if b in ALU or b in NO_DEST:
        return "alu_pc" if _writes_pc(ins) else "alu"
    return "unknown"


@dataclass
class Priced:
    instructions: int = 0
    cycles: np.ndarray = field(default_factory=lambda: np.zeros(3))       # min, point, max
    mix: Counter = field(default_factory=Counter)                            # class -> executed count
    mix_cycles: dict = field(default_factory=dict)                           # class -> [min, point, max]
    unknown: Counter = field(default_factory=Counter)                        # mnemonic -> count
    taken_branches: int = 0
    skipped: int = 0

    @property
    def cpi(self) -> np.ndarray:
        return self.cycles / max(self.instructions, 1)


def price(events, insns: dict[int, Insn], wait_states: tuple[int, int] = (0, 0)) -> Priced:
    """Price a sequence of executed instructions.

    events: iterable of (pc, nzcv) in execution order, nzcv like '-ZC-' (flags before the
    instruction) or None when unknown (conditional instructions are then priced as executed).
    A conditional branch is taken when the next event's PC is not pc + size; the last event is
    taken as falling through. wait_states: (point, max) extra cycles per taken branch.
    """
    events = list(events)
    out = Priced()
    ws_pt, ws_max = wait_states
    prev: Insn | None = None
    prev_cls = None
    prev_executed = True
    for i, (pc, nzcv) in enumerate(events):
        ins = insns.get(pc)
        if ins is None:
            raise BuildError(f"traced PC 0x{pc:x} is not an instruction in the disassembly")
        cls = classify(ins)
        executed = True
        if ins.it_cond is not None and nzcv is not None:
            executed = cond_holds(ins.it_cond, nzcv)
        nxt = events[i + 1][0] if i + 1 < len(events) else pc + ins.size
        falls_through = nxt == pc + ins.size
        if not executed:
            c, key = (1, 1, 1), "skipped"
            out.skipped += 1
        else:
            key = cls
            refill = (P_RANGE[0], P_RANGE[1] + ws_pt, P_RANGE[2] + ws_max)
            stall = 1 if (prev is not None and prev_executed and prev_cls in ("alu", "mul", "mac_dual", "div")
                          and _dest(prev) is not None and _dest(prev) in _addr_regs(ins)) else 0
            # LDR/STR pipelining: one cycle less after a load/store single, unless the previous
            # load's destination forms this address, or the previous was a register-offset STR.
            after_ls = prev is not None and prev_executed and prev_cls in ("load", "store", "load_literal")
            if after_ls and prev_cls != "store" and _dest(prev) in _addr_regs(ins):
                after_ls = False
            if after_ls and prev_cls == "store" and re.search(r"\[\s*\w+\s*,\s*[a-z]", prev.operands):
                after_ls = False
            if cls in ("alu", "mul", "mac_dual"):
                c = (1, 1, 1)
            elif cls == "div":
                c = (2, 7, 12)
            elif cls in ("load", "load_literal"):
                base = 1 if after_ls else 2
                c = (1 if after_ls else 2, base + stall, 2 + stall + (1 if cls == "load_literal" else 0))
            elif cls == "store":
                reg_offset = bool(re.search(r"\[\s*\w+\s*,\s*[a-z]", ins.operands))
                pt = (1 if after_ls else 2) if reg_offset else 1
                c = (1, pt + stall, 2 + stall)
            elif cls in ("load_dual", "store_dual"):
                c = (3, 3 + stall, 3 + stall)
            elif cls == "ldm_stm":
                n = 1 + len(_regs_in_list(ins.operands))
                c = (n + refill[0], n + refill[1], n + refill[2]) if _writes_pc(ins) else (n, n, n)
            elif cls == "load_pc":
                c = (2 + refill[0], 2 + refill[1], 2 + refill[2])
            elif cls == "alu_pc":
                c = (1 + refill[0], 1 + refill[1], 1 + refill[2])
            elif cls == "branch":
                c = (1 + refill[0], 1 + refill[1], 1 + refill[2])
            elif cls in ("branch_cond", "cbz"):
                taken = not falls_through
                key = f"{cls}_{'taken' if taken else 'not_taken'}"
                c = (1 + refill[0], 1 + refill[1], 1 + refill[2]) if taken else (1, 1, 1)
            elif cls == "table_branch":
                c = (2 + refill[0], 2 + refill[1], 2 + refill[2])
            elif cls == "it":
                foldable = prev is not None and prev.size == 2
                c = (0 if foldable else 1, 1, 1)
            elif cls == "sysreg":
                c = (2, 2, 2)
            elif cls == "barrier":
                c = (1, 2, 4)
            elif cls == "vfp":
                c = VFP_COST.get(ins.base, (1, 1, 1))
            else:
                c = (1, 1, 3)
                out.unknown[ins.mnemonic] += 1
            if key in ("branch", "load_pc", "alu_pc", "table_branch", "branch_cond_taken", "cbz_taken") or \
                    (cls == "ldm_stm" and _writes_pc(ins)):
                out.taken_branches += 1
        out.instructions += 1
        out.cycles += c
        out.mix[key] += 1
        acc = out.mix_cycles.setdefault(key, [0, 0, 0])
        for j in range(3):
            acc[j] += c[j]
        prev, prev_cls, prev_executed = ins, cls, executed
    return out


# ---------------------------------------------------------------- tracing in QEMU

def disassemble(elf: Path) -> tuple[dict[int, Insn], dict[str, tuple[int, int]]]:
    """Instructions by PC and function symbols -> (start, end) of the ELF."""
    objdump = shutil.which("arm-none-eabi-objdump")
    if objdump is None:
        raise BuildError(f"arm-none-eabi-objdump not found on PATH; install it with: {toolchain.INSTALL_HINT}")
    text = toolchain.run([objdump, "-d", str(elf)], "arm-none-eabi-objdump").stdout
    nm = shutil.which("arm-none-eabi-nm")
    syms = {}
    for line in toolchain.run([nm, "-S", "--defined-only", str(elf)], "arm-none-eabi-nm").stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            start = int(parts[0], 16) & ~1
            syms[parts[3]] = (start, start + int(parts[1], 16))
    return parse_objdump(text), syms


def call_graph(root: str, insns: dict[int, Insn], syms: dict[str, tuple[int, int]]) -> list[str]:
    """The root function and every function it reaches through direct BL/B calls."""
    by_start = {s: name for name, (s, _e) in syms.items()}
    seen, todo = [], [root]
    while todo:
        f = todo.pop()
        if f in seen or f not in syms:
            continue
        seen.append(f)
        lo, hi = syms[f]
        for a in range(lo, hi, 2):
            ins = insns.get(a)
            if ins and ins.base in ("bl", "b") :
                m = re.match(r"([0-9a-f]+)", ins.operands)
                if m and int(m.group(1), 16) in by_start and not (lo <= int(m.group(1), 16) < hi):
                    todo.append(by_start[int(m.group(1), 16)])
    return seen


def _qemu_single_step_args() -> list[str]:
    ver = toolchain.version(toolchain.qemu_system_arm())
    m = re.search(r"version (\d+)\.(\d+)", ver)
    if m and (int(m.group(1)), int(m.group(2))) >= (8, 1):
        return ["-accel", "tcg,one-insn-per-tb=on"]
    return ["-singlestep"]


TRACE_LINE = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
PSR_LINE = re.compile(r"^XPSR=[0-9a-f]+ ([N-][Z-][C-][V-])")


def parse_trace(path: Path) -> list[tuple[int, str | None]]:
    """(pc, nzcv) per executed instruction from a `-d exec,cpu` log (flags: the dump after each Trace line)."""
    events: list[list] = []
    with open(path) as f:
        for line in f:
            m = TRACE_LINE.match(line)
            if m:
                events.append([int(m.group(1), 16), None])
                continue
            m = PSR_LINE.match(line)
            if m and events and events[-1][1] is None:
                events[-1][1] = m.group(1)
    return [(pc, fl) for pc, fl in events]


def drop_replays(events: list, insns: dict) -> list:
    """The trace without QEMU's replays: under -icount a translation block whose instruction
    budget runs out is left before it executes and entered again, so `-d exec` logs its one
    instruction twice in a row (same PC, same flags). A non-branch instruction cannot follow
    itself, so such a repeat is dropped; the per-frame check against -icount still proves
    every remaining count."""
    out = []
    for ev in events:
        if out and ev == out[-1] and not _may_repeat(insns.get(ev[0])):
            continue
        out.append(ev)
    return out


def _may_repeat(insn) -> bool:
    """Could this instruction run twice in a row for real (a branch or PC write to itself)?"""
    if insn is None:
        return True
    dest = insn.operands.split(",")[0].strip()
    return insn.base in ("b", "bl", "blx", "bx", "cbz", "cbnz") or dest == "pc" or "pc" in insn.operands.split("{")[-1]


@dataclass
class TraceRun:
    events: list                       # (pc, nzcv) of every traced instruction
    frames: list                       # list of event lists, one per encode call
    frame_insns: np.ndarray            # -icount instructions of each frame in the same run
    overhead: int                      # k: frame_insns - traced instructions, the same for every frame
    functions: list


def trace(elf_build, samples: np.ndarray, workdir, root: str = "spk_baseline_encode",
          timeout: float = 120.0) -> TraceRun:
    """Run the HIL ELF on `samples` (a short slice: a few frames) with an instruction trace."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    insns, syms = disassemble(elf_build.elf)
    if root not in syms:
        raise BuildError(f"{elf_build.elf.name}: no function {root!r} to trace")
    funcs = call_graph(root, insns, syms)
    ranges = ",".join(f"0x{syms[f][0]:x}..0x{syms[f][1] - 1:x}" for f in funcs)
    np.asarray(samples, dtype="<i2").tofile(workdir / "input.s16")
    log = workdir / "trace.log"
    if log.exists():
        log.unlink()
    res = run_qemu(elf_build, workdir, timeout,
                   extra_args=(*_qemu_single_step_args(), "-d", "exec,cpu,nochain", "-dfilter", ranges, "-D", str(log)))
    if res.status != "ok":
        raise BuildError("trace run failed: " + res.describe())
    events = drop_replays(parse_trace(log), insns)
    entry = syms[root][0]
    frames, cur = [], None
    for ev in events:
        if ev[0] == entry:
            cur = []
            frames.append(cur)
        if cur is None:
            # before the first call: start-up code sharing a callee (memset from the reset handler,
            # a table set-up from main); the per-frame check below still proves every counted
            # instruction belongs to a measured call
            continue
        cur.append(ev)
    recs = records(res.console, "frame")
    frame_insns = np.array([r["insns"] for r in recs], dtype=np.int64)
    if len(frames) != len(frame_insns) or not len(frames):
        raise BuildError(f"trace has {len(frames)} calls of {root}, the HIL reported {len(frame_insns)} frames")
    diff = frame_insns - np.array([len(f) for f in frames])
    if len(set(diff.tolist())) != 1 or not 0 <= diff[0] <= 32:
        raise BuildError(f"traced instructions do not match -icount frame counts (differences {sorted(set(diff.tolist()))})")
    return TraceRun(events=events, frames=frames, frame_insns=frame_insns, overhead=int(diff[0]), functions=funcs)


def cycle_model(runs: list[TraceRun], insns: dict[int, Insn], wait_states=(0, 0)) -> dict:
    """Aggregate traced runs into CPI [min, point, max], the instruction mix and per-frame CPI spread."""
    total = Priced()
    frame_cpi = []
    for run in runs:
        for fr in run.frames:
            p = price(fr, insns, wait_states)
            frame_cpi.append(p.cpi)
            total.instructions += p.instructions
            total.cycles += p.cycles
            total.mix.update(p.mix)
            for k, v in p.mix_cycles.items():
                acc = total.mix_cycles.setdefault(k, [0, 0, 0])
                for j in range(3):
                    acc[j] += v[j]
            total.unknown.update(p.unknown)
            total.taken_branches += p.taken_branches
            total.skipped += p.skipped
    frame_cpi = np.array(frame_cpi)
    return {
        "traced_instructions": total.instructions,
        "traced_frames": int(len(frame_cpi)),
        "call_overhead_insns": sorted({r.overhead for r in runs}),
        "functions": sorted({f for r in runs for f in r.functions}),
        "cpi": [float(x) for x in total.cpi],
        "cpi_frame_max": float(frame_cpi[:, 2].max()),
        "cpi_frame_min": float(frame_cpi[:, 0].min()),
        "cpi_frame_point_spread": [float(frame_cpi[:, 1].min()), float(frame_cpi[:, 1].max())],
        "mix": {k: {"count": v, "share": v / total.instructions, "cycles": total.mix_cycles[k]}
                for k, v in sorted(total.mix.items(), key=lambda kv: -kv[1])},
        "taken_branches_per_insn": total.taken_branches / max(total.instructions, 1),
        "unknown": dict(total.unknown),
        "wait_states": list(wait_states),
    }


def measure_cycles(elf_build, slices: list[np.ndarray], root: str = "spk_baseline_encode",
                   wait_states=(0, 0), workdir=None) -> dict:
    """Trace each slice of samples (a few frames each) and return the cycle model's result."""
    insns, _ = disassemble(elf_build.elf)
    with tempfile.TemporaryDirectory(prefix="spikey-trace-") as tmp:
        base = Path(workdir or tmp)
        runs = [trace(elf_build, s, base / f"slice{i}", root=root) for i, s in enumerate(slices)]
    return cycle_model(runs, insns, wait_states)
