"""The node as a member of a network: its home directory and configuration (``config``), the
demo network, and ``node.Node``, the one application service the faces and interop call:
transactions, verification (``verification``, one pipeline), authentication, and reads under
the read policy. ``engines`` opens a home's ledger engine typed by its capabilities.
"""
