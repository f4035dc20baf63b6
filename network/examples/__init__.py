"""Example documents that name the demo network's organisations (a CO, an eBL, a phyto
certificate and a rail consignment), shipped as package data so that the demo and the
benchmarks find them in any install, editable or not.
"""

from __future__ import annotations

from importlib.resources import files

CO = "co_cn_sg.json"
EBL = "ebl_cnsha_sgsin.json"
PHYTO = "phyto_cn_kz_apples.json"
RAIL = "rail_chongqing_almaty.json"


def read(name: str) -> bytes:
    """The bytes of one example file, by its file name."""
    return files(__name__).joinpath(name).read_bytes()


__all__ = ["CO", "EBL", "PHYTO", "RAIL", "read"]
