"""Database access: pool, migrations, the embedded server."""
