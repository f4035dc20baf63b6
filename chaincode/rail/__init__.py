"""Rail corridor rules (关铁通) over a consignment's border events: which events may be
recorded and by whom (``recording``), the seals' chain of custody (``custody``), the
direct-release decision at a gauge-change border (``release``) and the release-time report
(``report``). Pure functions of a ``RailConsignment`` and its ``RecordedEvent`` list (``events``);
the ledger supplies both.
"""
