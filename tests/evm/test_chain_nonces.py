"""Chain.transact when another client sent from the same account since it counted that
account's nonces (a second process with the same deployer): it counts again and sends."""

from ledger.evm.chain import Chain
from network.evm.anvil import dev_accounts


def test_a_transaction_after_another_client_used_the_account_is_sent(anvil):
    account = dev_accounts(8)[7]  # an account no other test sends from
    ours, theirs = Chain.connect(anvil), Chain.connect(anvil)
    before = ours.w3.eth.get_transaction_count(account.address)
    ours.transact(account, account.address, b"")  # counts the nonce locally from now on
    theirs.transact(account, account.address, b"")  # the local count is now stale
    receipt = ours.transact(account, account.address, b"")
    assert receipt["status"] == 1
    assert ours.w3.eth.get_transaction_count(account.address) == before + 3
