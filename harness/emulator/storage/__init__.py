"""The emulator's state: one SQLite database with its tables, and the S3 the imports use."""
