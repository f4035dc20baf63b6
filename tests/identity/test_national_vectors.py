"""The published test vectors of SM2, SM3, GOST R 34.10-2012 and Streebog.

Sources (the values are the standards' own; the citations say where each is printed):
- SM3: GB/T 32905-2016 Appendix A, examples 1 ("abc") and 2 ("abcd" x 16).
- SM2: GB/T 32918.2-2016 Appendix A (the 256-bit example curve, ID ALICE123@YAHOO.COM) and
  GM/T 0003.5-2012 / GB/T 32918.5-2016 Appendix A (the recommended curve, the default ID).
- GOST R 34.10-2012 Appendix A.1 (256-bit) and A.2 (512-bit).
- GOST R 34.11-2012 (RFC 6986 section 10) examples M1 and M2. The standard writes vectors
  most significant octet first; the octets hashed and returned are in the reverse order.
- TC 26 (the Russian standardisation committee for cryptography), recommendations on GOST
  R 34.10 and 34.11 in the X.509 certificate and CRL profile ("TK26IOK"): the 256-bit
  example certificate, self-signed with GOST R 34.10-2012 and Streebog-256.
"""

import base64

import gmalg
import gmssl_pyx
import pytest
from asn1crypto import x509 as asn1_x509
from gmalg import ellipticcurve
from gmalg.sm2 import SM2Core
from gostcrypto import gostsignature

from identity.national import gost, registry, sm2
from identity.national.gost import streebog256


def h(text: str) -> int:
    return int(text.replace(" ", ""), 16)


# --- SM3 --------------------------------------------------------------------------------

SM3_VECTORS = [
    (b"abc", "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0"),
    (b"abcd" * 16, "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732"),
]


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_examples_in_both_implementations_we_use(message, digest):
    expected = bytes.fromhex(digest.replace(" ", ""))
    gmalg_sm3 = gmalg.SM3()
    gmalg_sm3.update(message)
    assert gmalg_sm3.value() == expected  # signs
    assert gmssl_pyx.sm3_hash(message) == expected  # verifies


# --- SM2 --------------------------------------------------------------------------------

# GB/T 32918.2-2016 Appendix A: Fp-256 example curve.
EXAMPLE_CURVE = ellipticcurve.ECDLP(
    h("8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3"),
    h("787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498"),
    h("63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A"),
    (
        h("421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D"),
        h("0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2"),
    ),
    h("8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7"),
)


def test_sm2_gbt_32918_2_appendix_a_example():
    # Only the library's low-level API takes a fixed k (and another curve).
    k = h("6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F")
    d = h("128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263")
    core = SM2Core(EXAMPLE_CURVE, gmalg.SM3(), lambda bits: k)
    public = core.generate_pk(d)
    assert public == (
        h("0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A"),
        h("7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857"),
    )
    r, s = core.sign(b"message digest", d, b"ALICE123@YAHOO.COM", public)
    assert r == h("40F1EC59 F793D9F4 9E09DCEF 49130D41 94F79FB1 EED2CAA5 5BACDB49 C4E755D1")
    assert s == h("6FC6DAC3 2C5D5CF1 0C77DFB2 0F7C2EB6 67A45787 2FB09EC5 6327A67E C7DEEBE7")
    assert core.verify(b"message digest", r, s, b"ALICE123@YAHOO.COM", public)


SM2_D = h("3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8")
SM2_K = h("59276E27 D506861A 16680F3A D9C02DCC EF3CC1FA 3CDBE4CE 6D54B80D EAC1BC21")
SM2_RS = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)


SM2_PUBLIC = sm2.SM2PublicKey(
    h("09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020"),
    h("CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13"),
)


def _vector_key() -> sm2.SM2PrivateKey:
    pkcs8 = sm2.SM2PrivateKey(SM2_D, SM2_PUBLIC).pkcs8_der()
    # Loading derives the public key from d and compares it with the stored one.
    return registry.SM2_SM3.load_private(pkcs8)


def test_sm2_gmt_0003_5_example_through_the_production_signer(monkeypatch):
    # The production signer asks secrets.randbits for its nonce: fixing that one source
    # reproduces the standard's signature, so the nonce comes from nowhere else.
    monkeypatch.setattr(sm2.secrets, "randbits", lambda bits: SM2_K)
    key = _vector_key()
    assert key.sign(b"message digest") == SM2_RS


def test_sm2_gmt_0003_5_example_verifies_and_a_changed_one_does_not():
    public = _vector_key().public_key()
    assert public.verify(SM2_RS, b"message digest")
    assert not public.verify(SM2_RS, b"message digesT")
    assert not public.verify(SM2_RS[:-1] + bytes([SM2_RS[-1] ^ 1]), b"message digest")
    # Z_A hashes the distinguishing ID: another ID is another signature.
    other = sm2.SM2PublicKey(public.x, public.y, user_id=b"ALICE123@YAHOO.COM")
    assert not other.verify(SM2_RS, b"message digest")


# --- GOST R 34.10-2012 ----------------------------------------------------------------------

GOST_256_CURVE = {
    "p": h("80000000 00000000 00000000 00000000 00000000 00000000 00000000 00000431"),
    "a": 7,
    "b": h("5FBFF498 AA938CE7 39B8E022 FBAFEF40 563F6E6A 3472FC2A 514C0CE9 DAE23B7E"),
    "m": h("80000000 00000000 00000000 00000001 50FE8A18 92976154 C59CFC19 3ACCF5B3"),
    "q": h("80000000 00000000 00000000 00000001 50FE8A18 92976154 C59CFC19 3ACCF5B3"),
    "x": 2,
    "y": h("08E2A8A0 E65147D4 BD631603 0E16D19C 85C97F0A 9CA26712 2B96ABBC EA7E8FC8"),
}


def test_gost_3410_2012_appendix_a1_256_bit_example():
    engine = gostsignature.new(gostsignature.MODE_256, GOST_256_CURVE)
    d = bytearray.fromhex("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28")
    e = bytearray.fromhex("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5")
    k = bytearray.fromhex("77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3")
    public = engine.public_key_generate(bytearray(d))
    assert public.hex().upper() == (
        "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B"
        "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA"
    )
    rs = engine.sign(bytearray(d), e, k)
    assert rs.hex().upper() == (
        "41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493"
        "01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40"
    )
    assert engine.verify(public, e, rs)


def test_gost_3410_2012_appendix_a2_512_bit_example():
    curve = {
        "p": h(
            "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
            "F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373"
        ),
        "a": 7,
        "b": h(
            "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43"
            "61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC"
        ),
        "x": h(
            "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762"
            "FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A"
        ),
        "y": h(
            "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C"
            "83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E"
        ),
    }
    curve["m"] = curve["q"] = h(
        "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
        "A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF"
    )
    engine = gostsignature.new(gostsignature.MODE_512, curve)
    d = bytearray.fromhex(
        "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020"
        "72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4"
    )
    e = bytearray.fromhex(
        "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591"
        "7184EE536593F44143399 76C647C5D5A407ADEDB1D560C4FC6777D2972075B8C".replace(" ", "")
    )
    k = bytearray.fromhex(
        "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658"
        "86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1"
    )
    rs = engine.sign(bytearray(d), e, k)
    assert rs.hex().upper() == (
        "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3"
        "5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36"
        "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5"
        "823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A"
    )


# --- Streebog (GOST R 34.11-2012) -------------------------------------------------------------

M1 = bytes.fromhex(
    "32313039383736353433323130393837363534333231303938373635343332"
    "3130393837363534333231303938373635343332313039383736353433323130"
)[::-1]
M2 = bytes.fromhex(
    "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2"
    "fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1"
)[::-1]


def test_the_examples_are_the_standard_messages():
    assert M1 == b"012345678901234567890123456789012345678901234567890123456789012"
    # The Lay of Igor's Campaign in Windows-1251; it begins "Se vetri" in Cyrillic.
    assert M2.decode("cp1251").startswith("\u0421\u0435 \u0432\u0435\u0442\u0440\u0438")


@pytest.mark.parametrize(
    ("message", "standard_form"),
    [
        (M1, "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"),
        (M2, "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"),
    ],
)
def test_streebog_256_examples(message, standard_form):
    assert streebog256(message) == bytes.fromhex(standard_form)[::-1]


TK26_CERTIFICATE_256 = base64.b64decode(
    """
MIICYjCCAg+gAwIBAgIBATAKBggqhQMHAQEDAjBWMSkwJwYJKoZIhvcNAQkBFhpH
b3N0UjM0MTAtMjAxMkBleGFtcGxlLmNvbTEpMCcGA1UEAxMgR29zdFIzNDEwLTIw
MTIgKDI1NiBiaXQpIGV4YW1wbGUwHhcNMTMxMTA1MTQwMjM3WhcNMzAxMTAxMTQw
MjM3WjBWMSkwJwYJKoZIhvcNAQkBFhpHb3N0UjM0MTAtMjAxMkBleGFtcGxlLmNv
bTEpMCcGA1UEAxMgR29zdFIzNDEwLTIwMTIgKDI1NiBiaXQpIGV4YW1wbGUwZjAf
BggqhQMHAQEBATATBgcqhQMCAiQABggqhQMHAQECAgNDAARAut/Qw1MUq9KPqkdH
C2xAF3K7TugHfo9n525D2s5mFZdD5pwf90/i4vF0mFmr9nfRwMYP4o0Pg1mOn5Rl
aXNYraOBwDCBvTAdBgNVHQ4EFgQU1fIeN1HaPbw+XWUzbkJ+kHJUT0AwCwYDVR0P
BAQDAgHGMA8GA1UdEwQIMAYBAf8CAQEwfgYDVR0BBHcwdYAU1fIeN1HaPbw+XWUz
bkJ+kHJUT0ChWqRYMFYxKTAnBgkqhkiG9w0BCQEWGkdvc3RSMzQxMC0yMDEyQGV4
YW1wbGUuY29tMSkwJwYDVQQDEyBHb3N0UjM0MTAtMjAxMiAoMjU2IGJpdCkgZXhh
bXBsZYIBATAKBggqhQMHAQEDAgNBAF5bm4BbARR6hJLEoWJkOsYV3Hd7kXQQjz3C
dqQfmHrz6TI6Xojdh/t8ckODv/587NS5/6KsM77vc6Wh90NAT2s=
"""
)


def test_gost_verifier_checks_the_tc26_example_certificate():
    # Its key (CryptoPro-XchA parameters, i.e. the paramSetB curve, with the Streebog-256
    # digest parameters), its hash convention (little-endian) and its signature layout
    # (s || r) are the ones real GOST certificates use; the plugin reads all three.
    cert = asn1_x509.Certificate.load(TK26_CERTIFICATE_256)
    assert cert["signature_algorithm"]["algorithm"].dotted == gost.GOST_2012_256_WITH_STREEBOG_256
    tbs = cert["tbs_certificate"].dump()
    public = registry.public_key_from_spki(
        cert["tbs_certificate"]["subject_public_key_info"].dump()
    )
    signature = cert["signature_value"].native
    assert public.verify(signature, tbs)
    assert not public.verify(signature, tbs[:-1] + bytes([tbs[-1] ^ 1]))
