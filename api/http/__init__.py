"""The node's HTTP face: the FastAPI app and its resources (every body parsed strictly:
``strict``), RFC 9457 problems, the fast verify and issue endpoints, and the multi-worker
server. Thin: parse, authenticate (through the node), call the node, render.
"""
