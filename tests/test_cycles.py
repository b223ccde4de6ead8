"""The cycle model (codegen/measure/cycles.py): classification and pricing on hand-priced code, and the real trace."""
import numpy as np
import pytest

from codegen.measure import cycles
from codegen.target.toolchain import INSTALL_HINT, missing_tools

SNIPPET = """
00000100 <f>:
 100:	b510      	push	{r4, lr}
 102:	6803      	ldr	r3, [r0, #0]
 104:	6844      	ldr	r4, [r0, #4]
 106:	18e3      	adds	r3, r4, r3
 108:	6819      	ldr	r1, [r3, #0]
 10a:	2b00      	cmp	r3, #0
 10c:	bf18      	it	ne
 10e:	3101      	addne	r1, #1
 110:	d001      	beq.n	116 <f+0x16>
 112:	fb01 f101 	mul	r1, r1, r1
 116:	bd10      	pop	{r4, pc}
"""


@pytest.fixture
def insns():
    return cycles.parse_objdump(SNIPPET)


def test_parse_and_classify(insns):
    assert insns[0x112].size == 4 and insns[0x110].size == 2
    assert insns[0x10e].it_cond == "ne" and insns[0x10e].base == "add"
    assert insns[0x110].branch_cond == "eq"
    kinds = {a: cycles.classify(i) for a, i in insns.items()}
    assert kinds == {0x100: "ldm_stm", 0x102: "load", 0x104: "load", 0x106: "alu", 0x108: "load", 0x10a: "alu",
                     0x10c: "it", 0x10e: "alu", 0x110: "branch_cond", 0x112: "mul", 0x116: "ldm_stm"}


def test_condition_codes():
    assert cycles.cond_holds("eq", "-Z--") and not cycles.cond_holds("ne", "-Z--")
    assert cycles.cond_holds("cc", "----") and cycles.cond_holds("hi", "--C-") and not cycles.cond_holds("hi", "-ZC-")
    assert cycles.cond_holds("ge", "N--V") and cycles.cond_holds("lt", "N---")


def test_hand_priced_fall_through(insns):
    # Z clear: addne executes, beq falls through, mul runs.
    ev = [(a, "----") for a in (0x100, 0x102, 0x104, 0x106, 0x108, 0x10a, 0x10c, 0x10e, 0x110, 0x112, 0x116)]
    p = cycles.price(ev, insns)
    # push 1+2=3 | ldr 2 | ldr pipelined 1 (max 2) | adds 1 | ldr 2 + 1 address stall on r3 (min 2) | cmp 1 |
    # it 1 (min 0: folds after a 16-bit insn) | addne 1 | beq not taken 1 | mul 1 | pop {r4,pc} 1+2+P, P=1/2/3
    assert list(p.cycles) == [3 + 2 + 1 + 1 + 2 + 1 + 0 + 1 + 1 + 1 + 4,
                              3 + 2 + 1 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + 5,
                              3 + 2 + 2 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + 6]
    assert p.instructions == 11 and p.skipped == 0 and p.taken_branches == 1
    assert p.mix["branch_cond_not_taken"] == 1 and p.mix["mul"] == 1


def test_hand_priced_taken_branch_and_skipped(insns):
    # Z set after cmp: addne is skipped (1 cycle), beq is taken (1+P), mul never runs.
    ev = [(a, "----") for a in (0x100, 0x102, 0x104, 0x106, 0x108, 0x10a)]
    ev += [(a, "-Z--") for a in (0x10c, 0x10e, 0x110, 0x116)]
    p = cycles.price(ev, insns)
    assert list(p.cycles) == [3 + 2 + 1 + 1 + 2 + 1 + 0 + 1 + 2 + 4,
                              3 + 2 + 1 + 1 + 3 + 1 + 1 + 1 + 3 + 5,
                              3 + 2 + 2 + 1 + 3 + 1 + 1 + 1 + 4 + 6]
    assert p.skipped == 1 and p.mix["branch_cond_taken"] == 1 and p.taken_branches == 2
    # flash wait states add to taken branches only
    w = cycles.price(ev, insns, wait_states=(1, 2))
    assert list(w.cycles - p.cycles) == [0, 2, 4]


def test_unknown_instructions_are_listed():
    ins = cycles.parse_objdump(" 200:	f3af 8000 	frobnicate.w	r0\n")
    p = cycles.price([(0x200, None)], ins)
    assert list(p.cycles) == [1, 1, 3] and p.unknown == {"frobnicate.w": 1}


_MISSING = missing_tools()


@pytest.mark.hil
@pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})")
def test_real_trace_is_exact_and_deterministic(elf_dir, tmp_path):
    from codegen.target.elf import build_elf
    from spikey.recordings.synth import generate

    elf = build_elf("cortex-m4", elf_dir)
    x = generate(1, 0.2, seed=3)[0][:8 * 64]
    a = cycles.trace(elf, x, tmp_path / "a")
    b = cycles.trace(elf, x, tmp_path / "b")
    assert a.events == b.events                                   # same PCs and flags, twice
    assert len(a.frames) == 8 and a.overhead == 7                 # traced + call site == -icount, every frame
    assert np.array_equal(a.frame_insns, b.frame_insns)
    insns, _ = cycles.disassemble(elf.elf)
    m = cycles.cycle_model([a], insns)
    lo, pt, hi = m["cpi"]
    assert 1.0 <= lo <= pt <= hi < 1.5
    assert not m["unknown"]
    assert m == cycles.cycle_model([b], insns)


def test_replayed_instructions_are_dropped_from_the_trace():
    """QEMU -icount logs a block twice when its budget runs out at it: a non-branch that
    follows itself is that replay; a branch to itself may really repeat."""
    from codegen.measure.cycles import Insn, drop_replays
    insns = {0x10: Insn(addr=0x10, size=4, mnemonic="mov.w", operands="sl, #1", base="mov"),
             0x14: Insn(addr=0x14, size=2, mnemonic="b.n", operands="14", base="b"),
             0x16: Insn(addr=0x16, size=2, mnemonic="pop", operands="{r4, pc}", base="pop")}
    ev = [(0x10, "-ZC-"), (0x10, "-ZC-"), (0x14, None), (0x14, None), (0x16, None), (0x16, None), (0x10, "N---")]
    assert drop_replays(ev, insns) == [(0x10, "-ZC-"), (0x14, None), (0x14, None), (0x16, None), (0x16, None),
                                       (0x10, "N---")]
    assert drop_replays([(0x10, "-ZC-"), (0x10, "N---")], insns) == [(0x10, "-ZC-"), (0x10, "N---")]
