"""Example documents that name the demo network's organisations (a CO, an eBL, two phyto
certificates and a rail consignment), shipped as package data so that the demo and the
benchmarks find them in any install, editable or not.
"""

from __future__ import annotations

from importlib.resources import files

CO = "co_cn_sg.json"
EBL = "ebl_cnsha_sgsin.json"
PHYTO = "phyto_cn_kz_apples.json"
# Russian wheat for China, certified by Rosselkhoznadzor (its key: GOST R 34.10-2012).
PHYTO_RU = "phyto_ru_cn_wheat.json"
RAIL = "rail_chongqing_almaty.json"


def read(name: str) -> bytes:
    """The bytes of one example file, by its file name."""
    return files(__name__).joinpath(name).read_bytes()


__all__ = ["CO", "EBL", "PHYTO", "PHYTO_RU", "RAIL", "read"]
