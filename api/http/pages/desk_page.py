"""The eBL desk (signed in): the eBLs the organisation holds or issued, the actions it may
take on each now and only those (``chaincode.ebl_actions``), and a container's pickup right
looked up by its number (delegate it, or let the container out at the gate).

Every action is two steps: the form, then a review that says what will change, then the
commit. The chaincode stays the judge at the commit: an action that became impossible in
between (another desk was quicker, the container was already picked up) is refused with the
rule's own words.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.http.pages.printing import reference_of
from api.http.pages.site import (
    PageContext,
    PageError,
    PageRoute,
    Site,
    context_of,
    form_text,
    signed_in,
    site_of,
)
from chaincode.documents import envelope
from chaincode.documents.registry import DocumentKind
from chaincode.ebl_actions import Offer, document_offers, releasable_containers, right_offers
from chaincode.identifiers import CONTAINER_PATTERN, DOC_ID_PATTERN
from chaincode.lifecycle import Refusal
from chaincode.records import Actor, DocumentRecord, PickupRight
from chaincode.transactions import Op
from identity.roles import Role
from ledger.interface import Receipt

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Ctx = Annotated[PageContext, Depends(context_of)]
SiteDep = Annotated[Site, Depends(site_of)]
DocPath = Annotated[str, Path(pattern=DOC_ID_PATTERN)]
ContainerPath = Annotated[str, Path(pattern=CONTAINER_PATTERN)]
EblAction = Literal["transfer", "endorse", "surrender", "accept", "reject", "release"]
ContainerAction = Literal["delegate", "pickup"]

OPS: Mapping[str, Op] = {
    "transfer": Op.TRANSFER,
    "endorse": Op.ENDORSE,
    "surrender": Op.SURRENDER,
    "accept": Op.ACCEPT,
    "reject": Op.REJECT,
    "release": Op.RELEASE,
    "delegate": Op.DELEGATE,
    "pickup": Op.PICKUP,
}
SLUGS: Mapping[Op, str] = {op: slug for slug, op in OPS.items()}
LISTED = 100  # eBLs listed per section
DEFAULT_RELEASE = datetime.timedelta(days=3)


@runtime_checkable
class IssuedListing(Protocol):
    """An engine that lists the documents an organisation issued (the embedded one)."""

    def issued_by(self, org_id: str, kind: str, limit: int = 100) -> list[str]: ...


@dataclass(frozen=True)
class EblRow:
    doc_id: str
    record: DocumentRecord
    reference: str | None
    offers: tuple[Offer, ...]
    rights: tuple[tuple[str, PickupRight | None], ...]

    @property
    def anchor(self) -> str:
        return "ebl-" + self.doc_id[7:19]


def _rights(site: Site, record: DocumentRecord) -> dict[str, PickupRight | None]:
    return {c: site.node.ledger.pickup_right(c) for c in record.containers}


def _record(site: Site, doc_id: str) -> DocumentRecord:
    record = site.node.ledger.document(doc_id)
    if record is None or record.kind is not DocumentKind.EBL:
        raise PageError(404, "desk.no_such_ebl", doc=doc_id)
    return record


def _row(site: Site, who: Actor, doc_id: str, now: datetime.datetime) -> EblRow | None:
    record = site.node.ledger.document(doc_id)
    if record is None or record.kind is not DocumentKind.EBL:
        return None
    reference = None
    try:
        content = envelope.parse(site.node.signed_document(doc_id, who)).document
        reference = reference_of(record.kind, content)
    except (Refusal, envelope.EnvelopeError):
        pass
    rights = _rights(site, record)
    offers = document_offers(record, who, rights, now)
    offers += tuple(o for r in rights.values() if r is not None for o in right_offers(r, who, now))
    return EblRow(doc_id, record, reference, offers, tuple(rights.items()))


def _done(ctx: PageContext) -> dict[str, Any] | None:
    """The notice of an action just committed (from the redirect's query)."""
    q = ctx.request.query_params
    op, entry = q.get("done"), q.get("entry", "")
    if op not in set(OPS.values()) or not entry.isdigit():
        return None
    return {"op": op, "entry": int(entry)}


@router.get("/desk")
def desk(ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    now = site.now()
    node = site.node
    held = node.holdings(who.id, who)[:LISTED]
    issued: list[str] = []
    if isinstance(node.ledger, IssuedListing):
        issued = [d for d in node.ledger.issued_by(who.id, DocumentKind.EBL.value, LISTED)]
    held_rows = [r for d in held if (r := _row(site, who, d, now)) is not None]
    issued_rows = [r for d in issued if d not in held and (r := _row(site, who, d, now))]
    return site.render(
        ctx,
        "desk.html",
        held=held_rows,
        issued=issued_rows,
        issued_above=bool(issued) and not issued_rows,
        lists_issued=isinstance(node.ledger, IssuedListing),
        slugs=SLUGS,
        done=_done(ctx),
        is_terminal=Role.TERMINAL in who.roles,
    )


# --- actions on an eBL ----------------------------------------------------------------


def _parties(site: Site, who: Actor) -> list[Any]:
    return [o for o in site.organisations() if o.id != who.id]


def _party(form: FormData, name: str, site: Site) -> str:
    value = form_text(form, name, 100)
    if site.organisation(value) is None:
        raise PageError(422, "desk.pick_party", field=name)
    return value


def _expires(form: FormData, now: datetime.datetime) -> datetime.datetime:
    text = form_text(form, "expires", 40)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise PageError(422, "desk.bad_expiry") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    if moment <= now:
        raise PageError(422, "desk.expiry_past")
    return moment


def _ebl_fields(
    op: Op, form: FormData, site: Site, record: DocumentRecord, now: datetime.datetime
) -> tuple[dict[str, Any], list[tuple[str, str]], dict[str, Any]]:
    """The transaction's fields, what the review shows (label key, value), and the form's
    values to carry to the commit; ``PageError`` naming a field that is missing or wrong."""
    if op in (Op.TRANSFER, Op.ENDORSE):
        to = _party(form, "to", site)
        return {"to": to}, [("desk.field.to", to)], {"to": to}
    if op is Op.SURRENDER:
        purpose = form_text(form, "purpose", 20)
        if purpose not in ("delivery", "amendment"):
            raise PageError(422, "desk.pick_purpose")
        return {"purpose": purpose}, [("desk.field.purpose", purpose)], {"purpose": purpose}
    if op is Op.REJECT:
        reason = form_text(form, "reason", 500)
        if not reason:
            raise PageError(422, "desk.need_reason")
        return {"reason": reason}, [("desk.field.reason", reason)], {"reason": reason}
    if op is Op.RELEASE:
        containers = [c for c in form.getlist("containers") if isinstance(c, str)]
        if not containers or any(c not in record.containers for c in containers):
            raise PageError(422, "desk.pick_containers")
        to = _party(form, "to", site)
        expires = _expires(form, now)
        terminal = form_text(form, "terminal", 100)
        fields: dict[str, Any] = {"containers": containers, "to": to, "expires": expires}
        review = [
            ("desk.field.containers", ", ".join(containers)),
            ("desk.field.to", to),
            ("desk.field.expires", expires.isoformat(timespec="minutes")),
        ]
        if terminal:
            if site.organisation(terminal) is None:
                raise PageError(422, "desk.pick_party", field="terminal")
            fields["terminal"] = terminal
            review.append(("desk.field.terminal", terminal))
        carry = {"to": to, "expires": expires.isoformat(timespec="minutes"), "terminal": terminal}
        return fields, review, carry | {"containers": containers}
    return {}, [], {}


def _action_page(
    site: Site, ctx: PageContext, step: str, status: int = 200, **values: Any
) -> Response:
    return site.render(ctx, "action.html", status, step=step, **values)


def _ebl_context(
    site: Site, who: Actor, doc_id: str, action: str, now: datetime.datetime
) -> dict[str, Any]:
    record = _record(site, doc_id)
    rights = _rights(site, record)
    terminals = [o for o in site.organisations() if Role.TERMINAL in o.roles]
    return {
        "op": OPS[action],
        "action": action,
        "subject": doc_id,
        "record": record,
        "post_to": f"/desk/ebls/{doc_id}/{action}",
        "parties": _parties(site, who),
        "terminals": terminals,
        "releasable": releasable_containers(record, rights, now),
        "default_expiry": (now + DEFAULT_RELEASE).strftime("%Y-%m-%dT%H:%M"),
        "right": None,
    }


@router.get("/desk/ebls/{doc_id}/{action}")
def ebl_action_form(doc_id: DocPath, action: EblAction, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    now = site.now()
    values = _ebl_context(site, who, doc_id, action, now)
    offered = {
        o.op for o in document_offers(values["record"], who, _rights(site, values["record"]), now)
    }
    if values["op"] not in offered:
        raise PageError(409, "desk.not_now", action=ctx.t("op." + values["op"].value))
    return _action_page(site, ctx, "form", **values, review=[], carry={})


def _committed(
    site: Site, ctx: PageContext, receipt: Receipt, op: Op, back: str, fragment: str = ""
) -> Response:
    sep = "&" if "?" in back else "?"
    target = f"{back}{sep}done={op.value}&entry={receipt.index}"
    return site.redirect(ctx, target + (f"#{fragment}" if fragment else ""))


@router.post("/desk/ebls/{doc_id}/{action}")
async def ebl_action(
    request: Request, doc_id: DocPath, action: EblAction, ctx: Ctx, site: SiteDep
) -> Response:
    who = signed_in(ctx)
    form = await request.form(max_files=0, max_fields=2000)
    site.check_form(ctx, form)
    now = site.now()
    values = _ebl_context(site, who, doc_id, action, now)
    op: Op = values["op"]
    fields, review, carry = _ebl_fields(op, form, site, values["record"], now)
    if form_text(form, "step", 10) != "commit":
        return _action_page(site, ctx, "review", **values, review=review, carry=carry)
    receipt = await run_in_threadpool(site.node.submit, who.id, op, doc=doc_id, **fields)
    return _committed(site, ctx, receipt, op, "/desk", f"ebl-{doc_id[7:19]}")


# --- a container's pickup right -------------------------------------------------------


@router.get("/desk/containers")
def container_page(
    ctx: Ctx,
    site: SiteDep,
    number: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    who = signed_in(ctx)
    problem = None
    right = None
    documents: list[str] = []
    offers: tuple[Offer, ...] = ()
    container = (number or "").strip().upper()
    if container:
        if not re.fullmatch(CONTAINER_PATTERN, container):
            problem = ctx.t("desk.bad_container")
        else:
            right = site.node.ledger.pickup_right(container)
            documents = site.node.container_documents(container, who)
            offers = right_offers(right, who, site.now()) if right else ()
    return site.render(
        ctx,
        "container.html",
        container=container,
        problem=problem,
        right=right,
        documents=documents,
        offers=offers,
        slugs=SLUGS,
        now=site.now(),
        done=_done(ctx),
    )


def _container_context(site: Site, who: Actor, container: str, action: str) -> dict[str, Any]:
    right = site.node.ledger.pickup_right(container)
    if right is None:
        raise PageError(404, "desk.no_right", container=container)
    return {
        "op": OPS[action],
        "action": action,
        "subject": container,
        "record": None,
        "post_to": f"/desk/containers/{container}/{action}",
        "parties": _parties(site, who),
        "terminals": [],
        "releasable": (),
        "default_expiry": "",
        "right": right,
    }


@router.get("/desk/containers/{container}/{action}")
def container_action_form(
    container: ContainerPath, action: ContainerAction, ctx: Ctx, site: SiteDep
) -> Response:
    who = signed_in(ctx)
    values = _container_context(site, who, container, action)
    offered = {o.op for o in right_offers(values["right"], who, site.now())}
    if values["op"] not in offered:
        raise PageError(409, "desk.not_now", action=ctx.t("op." + values["op"].value))
    return _action_page(site, ctx, "form", **values, review=[], carry={})


@router.post("/desk/containers/{container}/{action}")
async def container_action(
    request: Request, container: ContainerPath, action: ContainerAction, ctx: Ctx, site: SiteDep
) -> Response:
    who = signed_in(ctx)
    form = await request.form(max_files=0, max_fields=20)
    site.check_form(ctx, form)
    values = _container_context(site, who, container, action)
    op: Op = values["op"]
    right: PickupRight = values["right"]
    field = "to" if op is Op.DELEGATE else "holder"
    party = _party(form, field, site)
    review = [("desk.field." + field, party)]
    if form_text(form, "step", 10) != "commit":
        return _action_page(site, ctx, "review", **values, review=review, carry={field: party})
    node = site.node
    if op is Op.DELEGATE:
        receipt = await run_in_threadpool(
            node.submit, who.id, Op.DELEGATE, doc=right.ebl, container=container, to=party
        )
    else:
        receipt = await run_in_threadpool(node.pickup, container, who.id, party)
    return _committed(site, ctx, receipt, op, f"/desk/containers?number={container}")


__all__ = ["OPS", "IssuedListing", "router"]
