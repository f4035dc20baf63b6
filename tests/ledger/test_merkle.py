import hashlib
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.tlog import merkle

# --- RFC 9162 §2.1 written out literally, as the reference ------------------------------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + d[0])
    k = _k(n)
    return _sha(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


def ref_verify_inclusion(
    leaf_hash: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2 step by step, to check the optimised verifier accepts the same."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _sha(b"\x01" + p + r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- fixtures ---------------------------------------------------------------------------------

MAX_SIZE = 70


def entry(i: int) -> bytes:
    return b"entry-%d" % i


ENTRIES = [entry(i) for i in range(MAX_SIZE)]


@cache
def built_store() -> merkle.MemoryNodeStore:
    store = merkle.MemoryNodeStore()
    for data in ENTRIES:
        store.append(merkle.leaf_hash(data))
    return store


@cache
def ref_root(size: int) -> bytes:
    return ref_mth(ENTRIES[:size])


SIZES = range(1, MAX_SIZE + 1)

# --- hashing ----------------------------------------------------------------------------------


def test_hashes_are_domain_separated_sha256():
    assert merkle.leaf_hash(b"abc") == _sha(b"\x00abc")
    assert merkle.node_hash(b"L" * 32, b"R" * 32) == _sha(b"\x01" + b"L" * 32 + b"R" * 32)
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.EMPTY_ROOT.hex() == empty


# --- the store: roots and proofs against the RFC definitions ----------------------------------


@pytest.mark.parametrize("size", range(MAX_SIZE + 1))
def test_root_and_root_from_leaves_match_mth(size):
    assert merkle.root(built_store(), size) == ref_mth(ENTRIES[:size])
    assert merkle.root_from_leaves(ENTRIES[:size]) == ref_mth(ENTRIES[:size])


def test_append_nodes_stores_exactly_the_complete_subtrees():
    store = merkle.MemoryNodeStore()
    for size, data in enumerate(ENTRIES):
        new = merkle.append_nodes(size, merkle.leaf_hash(data), store.get)
        # The leaf, then one parent per trailing 1 bit of the old size.
        expected = [(0, size)]
        level, index = 0, size
        while index & 1:
            level, index = level + 1, index >> 1
            expected.append((level, index))
        assert [(lv, i) for lv, i, _ in new] == expected
        for lv, i, value in new:
            assert value == ref_mth(ENTRIES[i << lv : (i + 1) << lv])
            store.put(lv, i, value)
        assert store.size == size + 1


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_match_path_and_verify(size):
    store, root = built_store(), ref_root(size)
    for index in range(size):
        proof = merkle.inclusion_proof(store, index, size)
        assert proof == ref_path(index, ENTRIES[:size])
        leaf = merkle.leaf_hash(ENTRIES[index])
        assert merkle.verify_inclusion(leaf, index, size, proof, root)
        assert ref_verify_inclusion(leaf, index, size, proof, root)


@pytest.mark.parametrize("new_size", SIZES)
def test_consistency_proofs_match_proof_and_verify(new_size):
    store, new_root = built_store(), ref_root(new_size)
    for old_size in range(1, new_size + 1):
        proof = merkle.consistency_proof(store, old_size, new_size)
        assert proof == ref_proof(old_size, ENTRIES[:new_size])
        assert merkle.verify_consistency(old_size, new_size, ref_root(old_size), new_root, proof)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, 70])
def test_proofs_against_an_older_size_ignore_later_leaves(size):
    # The store holds 70 leaves; a proof for an older size must use only the first `size`.
    store = built_store()
    assert merkle.inclusion_proof(store, size - 1, size) == ref_path(size - 1, ENTRIES[:size])
    assert merkle.consistency_proof(store, 1, size) == ref_proof(1, ENTRIES[:size])


def test_trivial_consistency_proofs_are_empty_and_verify():
    store = built_store()
    assert merkle.consistency_proof(store, 0, 0) == []
    assert merkle.consistency_proof(store, 0, 5) == []
    assert merkle.consistency_proof(store, 5, 5) == []
    empty = merkle.EMPTY_ROOT
    assert merkle.verify_consistency(0, 0, empty, empty, [])
    assert merkle.verify_consistency(0, 5, empty, ref_root(5), [])
    assert merkle.verify_consistency(5, 5, ref_root(5), ref_root(5), [])


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof"),
    [
        # The empty tree's root is fixed; anything else claiming size 0 is not it.
        (0, 5, b"\x00" * 32, "r5", []),
        (0, 0, b"\x00" * 32, b"\x00" * 32, []),
        (0, 5, merkle.EMPTY_ROOT, "r5", ["r5"]),
        # Equal sizes: equal roots and nothing else.
        (5, 5, "r5", "r6", []),
        (5, 5, "r5", "r5", ["r5"]),
        # Shrinking, negative, empty proof.
        (6, 5, "r6", "r5", []),
        (-1, 5, merkle.EMPTY_ROOT, "r5", []),
        (3, 5, "r3", "r5", []),
    ],
)
def test_consistency_edge_cases_fail(old_size, new_size, old_root, new_root, proof):
    def resolve(value):
        return ref_root(int(value[1:])) if isinstance(value, str) else value

    proof = [resolve(p) for p in proof]
    assert not merkle.verify_consistency(
        old_size, new_size, resolve(old_root), resolve(new_root), proof
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: merkle.root(s, -1), "must not be negative"),
        (lambda s: merkle.inclusion_proof(s, 5, 5), "out of range"),
        (lambda s: merkle.inclusion_proof(s, -1, 5), "out of range"),
        (lambda s: merkle.inclusion_proof(s, 0, 0), "out of range"),
        (lambda s: merkle.consistency_proof(s, 6, 5), "larger than new size"),
        (lambda s: merkle.consistency_proof(s, -1, 5), "must not be negative"),
        (lambda s: merkle.append_nodes(-1, b"\x00" * 32, s.get), "must not be negative"),
        (lambda s: merkle.append_nodes(0, b"short", s.get), "32 bytes"),
    ],
)
def test_out_of_range_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call(built_store())


def test_sizes_beyond_the_store_are_a_lookup_error():
    with pytest.raises(KeyError, match="not stored"):
        merkle.root(built_store(), MAX_SIZE + 1)


def test_verify_inclusion_rejects_out_of_range_indices():
    leaf = merkle.leaf_hash(ENTRIES[0])
    assert not merkle.verify_inclusion(leaf, 1, 1, [], merkle.leaf_hash(ENTRIES[0]))
    assert not merkle.verify_inclusion(leaf, -1, 2, [], ref_root(2))
    assert not merkle.verify_inclusion(leaf, 0, 0, [], merkle.EMPTY_ROOT)


# --- tampering must fail, and the fast verifier agrees with the RFC loop ----------------------

sizes_and_index = st.integers(1, MAX_SIZE).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(0, size - 1))
)


def _flip(value: bytes, position: int) -> bytes:
    position %= len(value) * 8
    out = bytearray(value)
    out[position // 8] ^= 1 << (position % 8)
    return bytes(out)


@given(sizes_and_index, st.data())
def test_any_tampering_breaks_inclusion(size_index, data):
    size, index = size_index
    leaf = merkle.leaf_hash(ENTRIES[index])
    proof = merkle.inclusion_proof(built_store(), index, size)
    root = ref_root(size)
    bit = data.draw(st.integers(0, 255))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
        assert not merkle.verify_inclusion(leaf, index, size, bad, root)
        assert not merkle.verify_inclusion(leaf, index, size, proof[:-1], root)
        assert not merkle.verify_inclusion(leaf, index, size, proof[1:], root)
    assert not merkle.verify_inclusion(_flip(leaf, bit), index, size, proof, root)
    assert not merkle.verify_inclusion(leaf, index, size, proof, _flip(root, bit))
    assert not merkle.verify_inclusion(leaf, index, size, [*proof, root], root)
    assert not merkle.verify_inclusion(leaf, index, size, [root, *proof], root)
    # Each leaf has its own path, so the proof is bound to its index.
    other = data.draw(st.integers(0, size).filter(lambda i: i != index))
    assert not merkle.verify_inclusion(leaf, other, size, proof, root)


@given(sizes_and_index, st.integers(1, 2 * MAX_SIZE), st.data())
def test_fast_inclusion_verifier_agrees_with_the_rfc_loop(size_index, claimed_size, data):
    # Proofs for one size checked against another size and index, and cut or padded:
    # the fast verifier and the literal RFC algorithm must agree on every one.
    size, index = size_index
    claimed_index = data.draw(st.integers(0, claimed_size + 1))
    proof = merkle.inclusion_proof(built_store(), index, size)
    cut = data.draw(st.integers(0, len(proof)))
    pad = data.draw(st.lists(st.sampled_from([*proof, ref_root(size)]), max_size=3))
    leaf = merkle.leaf_hash(ENTRIES[index])
    for candidate in (proof, proof[:cut], [*proof, *pad], [*pad, *proof]):
        assert merkle.verify_inclusion(
            leaf, claimed_index, claimed_size, candidate, ref_root(size)
        ) == ref_verify_inclusion(leaf, claimed_index, claimed_size, candidate, ref_root(size))


consistent_sizes = st.integers(1, MAX_SIZE).flatmap(
    lambda new: st.tuples(st.integers(1, new), st.just(new))
)


@given(consistent_sizes, st.data())
def test_any_tampering_breaks_consistency(sizes, data):
    old_size, new_size = sizes
    proof = merkle.consistency_proof(built_store(), old_size, new_size)
    old_root, new_root = ref_root(old_size), ref_root(new_size)
    assert merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
    bit = data.draw(st.integers(0, 255))
    assert not merkle.verify_consistency(old_size, new_size, _flip(old_root, bit), new_root, proof)
    assert not merkle.verify_consistency(old_size, new_size, old_root, _flip(new_root, bit), proof)
    assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, [*proof, new_root])
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
        assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, bad)
        assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
    # The same proof does not vouch for other sizes with their true roots.
    other_old = data.draw(st.integers(1, new_size))
    other_new = data.draw(st.integers(other_old, MAX_SIZE))
    if (other_old, other_new) != (old_size, new_size):
        honest = merkle.consistency_proof(built_store(), other_old, other_new)
        assert merkle.verify_consistency(
            other_old, other_new, ref_root(other_old), ref_root(other_new), proof
        ) == (proof == honest)


def test_consistency_proof_that_stops_short_of_the_new_size_fails():
    # The proof 2 -> 4 rebuilds the root of 4 leaves; claiming it for a tree of 5 must fail
    # (RFC step 7: sn must reach 0), even though both hashes it computes match.
    proof = merkle.consistency_proof(built_store(), 2, 4)
    assert merkle.verify_consistency(2, 4, ref_root(2), ref_root(4), proof)
    assert not merkle.verify_consistency(2, 5, ref_root(2), ref_root(4), proof)


def test_consistency_proof_that_runs_past_the_root_fails():
    # One extra node hashed onto both roots, with the roots doctored to match: RFC step 6a
    # (sn is 0 with proof left) is all that rejects it.
    extra = b"\x07" * 32
    proof = merkle.consistency_proof(built_store(), 3, 7)
    old_root = merkle.node_hash(extra, ref_root(3))
    new_root = merkle.node_hash(extra, ref_root(7))
    assert not merkle.verify_consistency(3, 7, old_root, new_root, [*proof, extra])


# --- the CT / transparency-dev reference vectors for the 8-leaf tree --------------------------
# From transparency-dev/merkle testonly/constants.go and testonly/reference_test.go (the same
# values as certificate-transparency's merkle_tree_test.cc).

VECTOR_INPUTS = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]

VECTOR_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

VECTOR_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

# (leaf index, tree size, proof)
VECTOR_INCLUSION = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# (old size, new size, proof)
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


@cache
def vector_store() -> merkle.MemoryNodeStore:
    store = merkle.MemoryNodeStore()
    for data in VECTOR_INPUTS:
        store.append(merkle.leaf_hash(data))
    return store


@pytest.mark.parametrize("size", range(9))
def test_vector_roots(size):
    assert merkle.root(vector_store(), size).hex() == VECTOR_ROOTS[size]
    assert merkle.root_from_leaves(VECTOR_INPUTS[:size]).hex() == VECTOR_ROOTS[size]


def test_vector_nodes_are_what_the_store_holds():
    store = vector_store()
    for level, hashes in enumerate(VECTOR_NODES):
        for index, expected in enumerate(hashes):
            assert store.get(level, index).hex() == expected


@pytest.mark.parametrize(("index", "size", "proof"), VECTOR_INCLUSION)
def test_vector_inclusion_proofs(index, size, proof):
    got = merkle.inclusion_proof(vector_store(), index, size)
    assert [h.hex() for h in got] == proof
    leaf = bytes.fromhex(VECTOR_NODES[0][index])
    assert merkle.verify_inclusion(leaf, index, size, got, bytes.fromhex(VECTOR_ROOTS[size]))


@pytest.mark.parametrize(("old_size", "new_size", "proof"), VECTOR_CONSISTENCY)
def test_vector_consistency_proofs(old_size, new_size, proof):
    got = merkle.consistency_proof(vector_store(), old_size, new_size)
    assert [h.hex() for h in got] == proof
    old_root = bytes.fromhex(VECTOR_ROOTS[old_size])
    new_root = bytes.fromhex(VECTOR_ROOTS[new_size])
    assert merkle.verify_consistency(old_size, new_size, old_root, new_root, got)


@given(st.lists(st.binary(max_size=8), max_size=300))
def test_bottom_up_batch_root_is_the_rfc_root(leaves):
    assert merkle.root_of_batch(leaves) == merkle.root_from_leaves(leaves)


class _Recording:
    def __init__(self, store):
        self.store = store
        self.read = []

    def get(self, level, index):
        self.read.append((level, index))
        return self.store.get(level, index)


@given(st.integers(1, MAX_SIZE).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_proof_nodes_are_exactly_the_nodes_a_proof_reads(size_index):
    size, index = size_index
    recording = _Recording(built_store())
    merkle.inclusion_proof(recording, index, size)
    assert merkle.inclusion_proof_nodes(index, size) == recording.read
