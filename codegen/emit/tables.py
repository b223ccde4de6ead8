"""The C runtime's constant tables, generated from the Python reference: the model CDF's
firmware/src/model_cdf_tables.h (template model_cdf_tables.h.j2; the file is committed and
tests/test_coders.py checks it is what this renders)."""
from __future__ import annotations

from spikey import firmware
from spikey.coders import model_cdf as mc

from .cformat import c_rows
from .env import render


def model_cdf_tables(pbits: int = mc.PBITS) -> str:
    """The text of firmware/src/model_cdf_tables.h."""
    def table(name, values, ctype):
        return dict(name=name, ctype=ctype, n=len(values), rows=c_rows(values, 8, "u" if ctype[0] == "u" else ""))

    families = sorted(mc.FAMILIES, key=mc.FAMILIES.get)
    itail = [mc.itail_table(f, pbits) for f in families]
    return render("model_cdf_tables.h.j2", pbits=pbits, itail_n=len(itail[0]),
                  itail=[c_rows(t, 8) for t in itail],
                  tables=[table("spk_cdf_rinv", mc.rinv_table(), "uint16_t"),
                          table("spk_cdf_tail_logistic", mc.tail_table("logistic", pbits), "uint32_t"),
                          table("spk_cdf_tail_laplace", mc.tail_table("laplace", pbits), "uint32_t"),
                          table("spk_cdf_scale", mc.scale_table(), "uint16_t")])


def hil_model(edges, family: str, family_id: int) -> str:
    """spk_hil_model.c: a model's coder table (1025 code edges, family) as flash constants,
    for the HIL program of the learned codec."""
    return render("hil_model.c.j2", edges=c_rows(edges, 8), family=family, family_id=family_id)


def main() -> int:
    """``python -m codegen.emit.tables``: rewrite firmware/src/model_cdf_tables.h from the
    Python reference (after a change of the CDF's tables; the tests compare the two)."""
    path = firmware.root() / "src" / "model_cdf_tables.h"
    path.write_text(model_cdf_tables())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
