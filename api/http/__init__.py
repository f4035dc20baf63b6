"""The node's HTTP face: the FastAPI app and its resources, RFC 9457 problems, the fast
verify endpoint, and the multi-worker server. Thin: parse, authenticate, call the node,
render.
"""
