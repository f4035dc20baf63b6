"""The sending platform of the crash test, as its own process: it starts a transfer with an
additional document and kills itself with SIGKILL at a chosen point of the exchange
(``before-finish``: the document is uploaded and the finish request is about to leave;
``after-finish``: the receiver has answered the finish, before the sender reads it)."""

import os
import signal
import sys
from pathlib import Path

import httpx

from interop.pint import PlatformSigner
from network.home import Home
from tests.interop.pint.platforms import PLATFORMS, Network, Platform, example_td
from tests.interop.pint.test_crash import INVOICE

home, workdir, receiver_url, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]


def die(*_: object) -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def on_request(request: httpx.Request) -> None:
    if point == "before-finish" and request.url.path.endswith("/finish-transfer"):
        die()


def on_response(response: httpx.Response) -> None:
    if point == "after-finish" and response.request.url.path.endswith("/finish-transfer"):
        response.read()
        die()


h = Home(home)
keys = {code: PlatformSigner.of(code, h.signing_key(org)) for code, (org, _) in PLATFORMS.items()}
net = Network(h, keys, workdir)
a = net.build("AEOT", served=False)
a.sender.client = httpx.Client(
    timeout=30, event_hooks={"request": [on_request], "response": [on_response]}
)
b = Platform.__new__(Platform)  # only its peer is needed: a URL and a code
b.code, b.url = "SGTD", receiver_url
b.directory = None  # type: ignore[assignment]
transfer = a.first_transfer(example_td(), b, "sg-importer", documents=(INVOICE,))
a.sender.send(transfer)
sys.exit("the sender was meant to be killed before it finished")
