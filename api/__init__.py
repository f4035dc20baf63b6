"""The faces of a node: the ``tdx`` command line (and, later, the HTTP API). Thin: parse,
call the node, render.
"""
