"""The node as a member of a network: its home directory and configuration, the demo network,
and the composition that verifies a signed document against identity and chaincode.
"""
