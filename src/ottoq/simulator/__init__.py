"""The simulator: a living demo fleet, and simulated networks, driven through the engine."""
