import pytest

from interop.pint import PlatformSigner
from network.home import Home
from tests.interop.pint.platforms import PLATFORMS, Network


@pytest.fixture(scope="session")
def platform_keys(_demo_home_template):
    """Each platform's signing key: a demo organisation's document key (P-256, ES256),
    decrypted once per session."""
    home = Home(_demo_home_template)
    return {
        code: PlatformSigner.of(code, home.signing_key(org)) for code, (org, _) in PLATFORMS.items()
    }


@pytest.fixture
def net(demo_home, platform_keys, tmp_path):
    network = Network(demo_home, platform_keys, tmp_path / "platforms")
    yield network
    network.close()
