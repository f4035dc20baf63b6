"""Judging other nodes' certificates (on signed requests and signed answers) against the
trust list and revocation lists the home holds, as they are on disk at each call.

What depends only on the certificate and the trust material (the issuing root on the trust
list, the node profile, each CRL's signature by its root) is remembered, keyed by the
certificate's DER, until a file of that material changes: every call compares the files'
identities (``stat``: inode, size, modification time) with those it loaded, and on any
change loads them again and forgets everything it remembered. What depends on time or on
revocation (the validity windows, whether the CRL is current and lists the certificate) is
decided on every call: a certificate revoked after it was first judged is refused at the
very next request.
"""

from __future__ import annotations

import datetime
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography import x509

from identity.chain import crl_fault, revocation_at
from identity.node_certificates import anchor_node, trusted_node, validity_fault
from identity.trust_list import CountryEntry, TrustList
from network.home import Home, HomeError

MAX_REMEMBERED = 1024  # certificates whose anchoring is kept; a node sees few peers

Stamp = tuple[tuple[str, int, int, int], ...]


@dataclass
class _Material:
    """One loading of the trust material, and what was derived from it alone."""

    stamp: Stamp
    trust_list: TrustList | None
    crls: Mapping[str, x509.CertificateRevocationList]
    error: str | None = None
    anchored: dict[x509.Certificate, CountryEntry | str] = field(default_factory=dict)
    crl_faults: dict[str, str | None] = field(default_factory=dict)


def _file_stamp(path: str) -> tuple[str, int, int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (path, -1, -1, -1)
    return (path, st.st_ino, st.st_size, st.st_mtime_ns)


class NodeJudge:
    """``judge(cert, now)``: (the node's country, why) if ``cert`` is a trusted node
    certificate at ``now``, else (None, why not). Thread-safe."""

    def __init__(self, home: Home) -> None:
        self._home = home
        network = home.network()
        source = network.path if network is not None else home.path
        # The files the material is read from (Home.trust_list, Home.revocation_lists):
        # tdx.json pins the operator key, the trust list, and the two CRL folders.
        self._files = (str(home.path / "tdx.json"), str(source / "trust-list.jws"))
        self._crl_dirs = tuple(sorted({str(home.path / "crl"), str(source / "crl")}))
        self._lock = threading.Lock()
        self._material = self._load(self._stamp())

    def _stamp(self) -> Stamp:
        # Plain os calls on strings, no sorting of what is already in order: this runs on
        # every request a node judges (16 us here, where the general form took 30).
        out = [_file_stamp(path) for path in self._files]
        for folder in self._crl_dirs:
            try:
                with os.scandir(folder) as entries:
                    found = sorted(e.path for e in entries if e.name.endswith(".crl"))
            except FileNotFoundError:
                continue
            out += [_file_stamp(path) for path in found]
        return tuple(out)

    def _load(self, stamp: Stamp) -> _Material:
        try:
            return _Material(stamp, self._home.trust_list(), self._home.revocation_lists())
        except (HomeError, OSError, ValueError) as exc:  # unreadable: every node refused
            return _Material(stamp, None, {}, f"the trust material cannot be read: {exc}")

    def _current(self) -> _Material:
        stamp = self._stamp()
        with self._lock:
            if stamp != self._material.stamp:
                self._material = self._load(stamp)
            return self._material

    def judge(self, cert: x509.Certificate, now: datetime.datetime) -> tuple[str | None, str]:
        material = self._current()
        if material.trust_list is None:
            return None, material.error or "no trust list"
        entry = material.anchored.get(cert)  # hashed and compared by DER
        if entry is None:
            entry = anchor_node(cert, material.trust_list)
            with self._lock:
                if len(material.anchored) >= MAX_REMEMBERED:
                    material.anchored.clear()
                material.anchored[cert] = entry
        if isinstance(entry, str):
            return None, entry
        fault = validity_fault(cert, entry, now)
        if fault is not None:
            return None, fault
        crl = material.crls.get(entry.country)
        if crl is None:
            return None, f"no revocation list for {entry.country}"
        if entry.country not in material.crl_faults:
            material.crl_faults[entry.country] = crl_fault(crl, entry.root)
        fault = material.crl_faults[entry.country]
        if fault is not None:
            return None, fault
        revoked = revocation_at(cert, entry, crl, now, now, "the request")
        if not revoked.ok:
            return None, revoked.reason
        return entry.country, trusted_node(entry).reason


__all__ = ["NodeJudge"]
