"""UN/EDIFACT for the rail corridor, with pydifact: consignment notes in from IFTMIN
(``import_iftmin``, all messages or none) and border events out as IFTSTA status messages
(``export_iftsta``). The segment mapping is in MAPPING.md; errors name the segment
(``EdifactError``).
"""

from interop.edifact.errors import EdifactError
from interop.edifact.iftmin import import_iftmin, import_iftmin_into
from interop.edifact.iftsta import export_iftsta

__all__ = ["EdifactError", "export_iftsta", "import_iftmin", "import_iftmin_into"]
