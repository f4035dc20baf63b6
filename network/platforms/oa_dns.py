"""Where a node finds OpenAttestation issuers' DNS-TXT records (there is no public DNS on a
trade network): records given for one verification (``--dns-txt``, ``--dns-file``), else
those the signed trust list vouches for, then those of the node's own contracts
(``HOME/oa.json``). The first source with records for a domain answers alone, and the
``OpenAttestationDnsTxtIdentityProof`` fragment names it.
"""

from __future__ import annotations

import logging

from interop.oa.dns_txt import DnsTxtSources, SourcedAnswer, StaticDnsTxt, named
from network.home import Home
from network.trust_list_dns import records_of

EXPLICIT = "records given (--dns-txt/--dns-file)"
SETTINGS = "the node's own contracts (HOME/oa.json)"
log = logging.getLogger("tdx.oa")


def trust_list_source(home: Home) -> SourcedAnswer | None:
    """The records the home's trust list vouches for (None without a readable list: the
    list's own checks are ``tdx``'s everywhere else; here it is only one source of several)."""
    try:
        tl = home.trust_list()
    except Exception as exc:  # no home, no list, a broken list: this source has nothing
        log.info("no trust list for DNS-TXT records in %s: %s", home.path, exc)
        return None
    return lambda domain: records_of(tl, domain)


def resolver(
    home: Home, explicit: StaticDnsTxt | None = None, own: StaticDnsTxt | None = None
) -> DnsTxtSources:
    """``explicit`` records if any were given, else the trust list's; then ``own``."""
    sources: list[SourcedAnswer] = []
    if explicit:
        sources.append(named(EXPLICIT, explicit))
    else:
        listed = trust_list_source(home)
        if listed is not None:
            sources.append(listed)
    if own is not None:
        sources.append(named(SETTINGS, own))
    return DnsTxtSources(sources)


__all__ = ["EXPLICIT", "SETTINGS", "resolver", "trust_list_source"]
