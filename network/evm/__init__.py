"""A node on the EVM: deploying the contract and recording it in the home (``home``),
running anvil for development and tests (``anvil``), and writing a Besu QBFT network's
files for production (``besu``).
"""
