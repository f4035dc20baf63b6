"""The faces of a node: the ``tdx`` command line (``api.cli``) and the HTTP API
(``api.http``), and the JSON views both show (``api.views``). Thin: parse, authenticate,
call the node, render.
"""
