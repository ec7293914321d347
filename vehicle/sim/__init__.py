"""The simulated car: ECUs on a python-can bus, and a socketcand server to share that bus."""

from vehicle.sim.ecus import SimulatorStats, VehicleSimulator

__all__ = ["SimulatorStats", "VehicleSimulator"]
