"""HTTP plumbing shared by every domain's routes: app factory, errors, runtime state."""
