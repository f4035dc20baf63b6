"""Per-country identity: country roots, organisation certificates with roles, the trust list,
revocation lists, the node's one trust store (``trust_store``), encrypted key storage, JWS
signing and verification, and the result type of every verification (``checks``).

It answers "who signed this, for which country and roles, and was that trusted at the time?"
and imports nothing else of tdx.
"""
