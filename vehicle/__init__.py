"""The car as the assistant sees it: a CAN database, a gateway to the ECUs, and a simulator.

This package has no machine-learning dependency and never imports ``assistant``.
"""
