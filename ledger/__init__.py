"""Ledger engines that order, persist and prove transactions behind one ``Ledger`` interface.

Empty until the embedded engine lands (issue 3); it exists so the layout is the product's.
"""
