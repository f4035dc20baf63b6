"""DNS-TXT records vouched for by the signed trust list: the operator re-signs the list
with an entry's ``dnsTxt`` (domain to records), and verifiers read them as a resolver.

The list a home reads is its network folder's (a country's node) or its own (the single
demo home); either is re-signed with the operator key beside it, under the next sequence
number, so a record can be added or changed only by whoever holds that key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path

from identity import keys, trust_list
from network.atomic_file import write_atomically
from network.home import Home, HomeError

LIST_FILE = "trust-list.jws"
KEY_FILE = "operator.key"


def vouch(
    home: Home,
    country: str,
    records: Mapping[str, Sequence[str]],
    now: datetime.datetime,
    replace: bool = False,
) -> trust_list.TrustList:
    """Re-sign the trust list ``home`` reads with ``country``'s entry vouching for
    ``records`` (added to those it lists, or, with ``replace``, instead of them: an empty
    mapping then removes them all). Raises ``TrustListError`` or ``HomeError`` naming what
    is wrong, and then changes nothing."""
    network = home.network()
    with network.locked() if network is not None else contextlib.nullcontext():
        return _vouch(home, network.path if network else home.path, country, records, now, replace)


def _vouch(
    home: Home,
    folder: Path,
    country: str,
    records: Mapping[str, Sequence[str]],
    now: datetime.datetime,
    replace: bool,
) -> trust_list.TrustList:
    key_path = folder / KEY_FILE
    if not key_path.is_file():
        raise HomeError(f"no operator key at {key_path}: only the trust list's operator signs it")
    operator = keys.load(key_path, home.passphrase())
    current = trust_list.load((folder / LIST_FILE).read_text(), operator.public_key())
    entry = current.entries.get(country)
    if entry is None:
        listed = ", ".join(sorted(current.entries)) or "none"
        raise trust_list.TrustListError(f"country {country!r} is not on the trust list ({listed})")
    merged: dict[str, list[str]] = {} if replace else {d: list(r) for d, r in entry.dns_txt}
    for domain, values in trust_list.dns_txt_of(records) if records else ():
        kept = merged.setdefault(domain, [])
        kept += [v for v in values if v not in kept]
    changed = dataclasses.replace(entry, dns_txt=trust_list.dns_txt_of(merged))
    signed = trust_list.build(
        {**current.entries, country: changed}.values(), current.sequence + 1, now
    )
    write_atomically(folder / LIST_FILE, trust_list.sign(signed, operator).encode() + b"\n")
    return signed


def records_of(tl: trust_list.TrustList, domain: str) -> tuple[str | None, list[str]]:
    """The records the trust list vouches for at ``domain``, and which entries list them
    (``"trust list (CN, SG)"``), or ``(None, [])``."""
    found = tl.dns_txt(domain)
    if not found:
        return None, []
    records = [r for _, listed in found for r in listed]
    return f"trust list ({', '.join(c for c, _ in found)})", list(dict.fromkeys(records))


__all__ = ["records_of", "vouch"]
