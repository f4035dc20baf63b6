"""Per-country identity: country roots, organisation certificates with roles, the trust list,
revocation lists, encrypted key storage, and JWS signing and verification.

It answers "who signed this, for which country and roles, and was that trusted at the time?"
and imports nothing else of tdx.
"""
