"""Property: one changed character anywhere in a sound envelope (its manifest, any chain
entry, the transport document) and the receiver refuses it, BSIG or BENV; never RECE."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interop.pint import ResponseCode, transport_document_checksum
from tests.interop.pint.crafting import code_of, draft
from tests.interop.pint.platforms import example_td

ALPHABET = string.ascii_letters + string.digits + "-_"


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_one_changed_character_is_always_refused(net, data):
    a = net.platforms.get("AEOT") or net.build("AEOT", served=False)
    b = net.platforms.get("SGTD") or net.build("SGTD", served=False)
    body = draft(a, b, example_td()).body()
    where = data.draw(st.sampled_from(["manifest", "entry", "document"]))
    if where == "document":
        td = dict(body["transportDocument"])
        key = data.draw(st.sampled_from(sorted(k for k, v in td.items() if isinstance(v, str))))
        td[key] = _changed(data, td[key], string.ascii_letters)
        body = {**body, "transportDocument": td}
    elif where == "manifest":
        body = {
            **body,
            "envelopeManifestSignedContent": _jws(data, body["envelopeManifestSignedContent"]),
        }
    else:
        body = {**body, "envelopeTransferChain": [_jws(data, body["envelopeTransferChain"][0])]}
    code = code_of(b.receiver.start(body), b.receiver.ring)
    assert code in (ResponseCode.BSIG, ResponseCode.BENV), (where, code)
    assert b.store.count_accepted(transport_document_checksum(example_td())) == 0


def _changed(data, text, alphabet):
    i = data.draw(st.integers(0, len(text) - 1))
    c = data.draw(st.sampled_from([x for x in alphabet if x != text[i]]))
    return text[:i] + c + text[i + 1 :]


def _jws(data, token):
    parts = token.split(".")
    k = data.draw(st.integers(0, 2))
    parts[k] = _changed(data, parts[k], ALPHABET)
    return ".".join(parts)
