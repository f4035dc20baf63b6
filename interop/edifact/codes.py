"""The code values of the tdx rail EDIFACT profile (see MAPPING.md), both directions."""

from __future__ import annotations

# BGM document name (C002/1000) -> SMGS note type.
NOTE_TYPES = {"SMGS": "SMGS", "CIM/SMGS": "CIM_SMGS"}
# SEL seal issuer (C215/9303) <-> sealing party.
SEAL_PARTIES = {"SH": "CONSIGNOR", "CA": "CARRIER", "CU": "CUSTOMS"}
PARTY_CODES = {v: k for k, v in SEAL_PARTIES.items()}
# SEL seal type (4525) <-> seal type.
SEAL_TYPES = {"MEC": "MECHANICAL", "ESL": "SMART_LOCK", "NAV": "EAEU_NAVIGATION_SEAL"}
TYPE_CODES = {v: k for k, v in SEAL_TYPES.items()}
# LOC place qualifiers (3227).
DEPARTURE, DESTINATION, EXIT, ENTRY, ACTIVITY = "5", "8", "42", "41", "175"
# LOC+41 related location (C553): gauge change or same gauge.
GAUGE = {"GC": True, "SG": False}
# IFTSTA status event codes (STS C555/4405) and release outcome (STS C556/9013).
EVENT_CODES = {
    "ARRIVAL": "ARR",
    "SEAL_CHECK": "SLC",
    "TRANSSHIPMENT": "TRS",
    "DEPARTURE": "DEP",
    "RELEASE_DECISION": "REL",
}
OUTCOME_CODES = {"DIRECT_RELEASE": "DIR", "INSPECTION_REQUIRED": "INS"}
# SEL seal condition (4517): UNCL 4517 1 in right condition, 3 missing, 4 broken; R (profile)
# the seal was removed and replaced, the new seal follows in the next SEL.
SEAL_CONDITIONS = {"INTACT": "1", "MISSING": "3", "BROKEN": "4", "REPLACED": "R"}
