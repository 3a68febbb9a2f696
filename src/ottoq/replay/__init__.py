"""Real data through OTTO-Q's HTTP API: Dundee charging sessions and 1 Hz driving traces."""
