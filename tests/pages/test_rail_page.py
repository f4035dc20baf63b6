"""The rail corridor pages over real HTTP: the board and a consignment's journey (route,
wagons, containers, seals, border events, and the release decision naming each seal and
why), under the read policy, in all three languages."""

import re

import pytest

from tests.pages.conftest import BROKEN_SEAL, DOSTYK, INTACT_SEAL


def test_the_journey_page_needs_a_signed_in_organisation(world, pages):
    response = pages.get(f"/rail/{world.rail_inspected}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=%2Frail%2F")


def test_inspection_required_names_the_broken_seal_and_why(world, pages):
    pages.sign_in("kz-customs")
    page = pages.get(f"/rail/{world.rail_inspected}")
    assert page.status_code == 200, page.text[:500]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert 'data-decision="INSPECTION_REQUIRED" data-recorded="yes"' in text
    assert "decision-inspection_required" in text
    # The finding names the broken seal and the rule; the intact seal is not named.
    findings = re.findall(r'data-subject="([^"]+)" data-reason="([^"]+)"', text)
    assert findings == [(BROKEN_SEAL, "broken")]
    assert "seal broken" in text
    # The route with the gauge-change crossing, the wagons, containers and seals.
    assert "Border crossing Alashankou \u2013 Dostyk" in text
    assert "gauge change" in text
    assert f'data-station="{DOSTYK}"' in text
    assert "5271034" in text
    assert "TRIU8734127" in text
    assert f'data-seal="{BROKEN_SEAL}" data-result="BROKEN"' in text
    assert f'data-seal="{INTACT_SEAL}" data-result="INTACT"' in text
    events = re.findall(r'data-event="([A-Z_]+)"', text)
    assert events == [
        "DEPARTURE",
        "ARRIVAL",
        "DEPARTURE",
        "ARRIVAL",
        "SEAL_CHECK",
        "RELEASE_DECISION",
    ]


def test_direct_release_in_green_with_every_seal_intact(world, pages):
    pages.sign_in("cn-railway")
    text = pages.get(f"/rail/{world.rail_released}").text
    assert 'data-decision="DIRECT_RELEASE" data-recorded="yes"' in text
    assert "decision-direct_release" in text
    assert "data-subject=" not in text
    assert "Every seal was checked at this crossing and found intact." in text


def test_the_board_lists_what_the_reader_may_read(world, pages):
    pages.sign_in("kz-customs")
    board = pages.get("/rail")
    assert board.status_code == 200
    listed = re.findall(r'data-consignment="([^"]+)"', board.text)
    assert set(listed) >= {world.rail_released, world.rail_inspected}
    assert "Inspection required" in board.text
    assert "Direct release" in board.text


@pytest.mark.parametrize(
    ("org", "status"),
    [("sg-customs", 403), ("sg-importer", 403), ("kz-ktz", 200), ("cn-gacc", 200)],
)
def test_the_read_policy_decides_who_sees_the_journey(world, pages, org, status):
    pages.sign_in(org)
    page = pages.get(f"/rail/{world.rail_inspected}")
    assert page.status_code == status, page.text[:500]
    if status == 403:
        assert BROKEN_SEAL not in page.text
        assert world.rail_inspected not in re.findall(
            r'data-consignment="([^"]+)"', pages.get("/rail").text
        )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ("需要查验", "封志破损", "口岸事件")),
        ("ru", ("Требуется досмотр", "пломба повреждена", "Пограничные события")),
    ],
)
def test_the_journey_in_chinese_and_russian(world, pages, lang, words):
    pages.sign_in("kz-customs")
    assert pages.get(f"/language/{lang}?next=/rail").status_code in (303, 307)
    page = pages.get(f"/rail/{world.rail_inspected}")
    assert page.headers["content-language"] == lang
    for word in words:
        assert word in page.text
    # The decision's code stays beside its translation, for the form it is printed on.
    assert '<span class="verdict-en" lang="en">INSPECTION_REQUIRED</span>' in page.text


def test_an_unknown_consignment_is_a_page_not_a_trace(world, pages):
    pages.sign_in("kz-customs")
    page = pages.get("/rail/sha256:" + "0" * 64)
    assert page.status_code == 404
    assert "<h1" in page.text


def test_the_board_draws_the_release_time_report_as_svg(world, pages):
    pages.sign_in("kz-customs")
    board = pages.get("/rail").text
    (chart,) = re.findall(r"<figure class=\"chart\">.*?</figure>", board, re.S)
    assert 'data-pair="Alashankou-Dostyk"' in chart
    # Both world consignments: arrival at Alashankou (minute 2000) to the decision at Dostyk
    # (minute 2500): 500 minutes, 8.3 h.
    bars = dict(re.findall(r'data-bar="(p\d\d)"[^>]*width="([\d.]+)"', chart))
    assert set(bars) == {"p50", "p90"}
    assert float(bars["p50"]) == float(bars["p90"]) > 1
    assert chart.count("8.3 h") == 2
    assert "<script" not in chart


def test_the_document_page_of_a_consignment_links_its_journey(world, pages):
    pages.sign_in("cn-railway")
    page = pages.get(f"/documents/{world.rail_released}")
    assert page.status_code == 200
    assert f'href="/rail/{world.rail_released}"' in page.text
    other = pages.get(f"/documents/{world.co}")
    assert 'href="/rail/sha256:' not in other.text


def test_a_consignment_held_from_another_ledger_shows_as_held(world):
    """A consignment held from another country's ledger (RAIL_IMPORT) has no document
    record here: its journey says HELD and links no Document page."""
    import dataclasses
    from urllib.parse import quote

    from api.http.pages import i18n
    from api.http.pages.rail_page import journey_view
    from chaincode.read_policy import OPERATOR
    from network.rail import RailDesk

    status = RailDesk(world.node).status(world.rail_inspected, OPERATOR)
    held = journey_view(world.site, dataclasses.replace(status, status=None))
    assert (held["state"], held["held"], held["doc"]) == ("HELD", True, world.rail_inspected)
    page = world.site.env.get_template("rail.html").render(
        t=i18n.Catalogs()["en"], lang="en", languages=i18n.LANGUAGES, session=None, me=None,
        csrf="x", csrf_field="csrf", nonce="n", here="/rail", path="/rail", quote=quote,
        demo=True, **held,
    )  # fmt: skip
    assert 'data-state="HELD"' in page
    assert "Held from the origin country" in page
    assert f'href="/documents/{world.rail_inspected}"' not in page
    assert 'data-decision="INSPECTION_REQUIRED"' in page
