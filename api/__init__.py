"""The faces of a node: the ``tdx`` command line (``api.cli``) and the HTTP API
(``api.http``). Thin: parse, authenticate, call the node, render.
"""
