"""Run records and the writers that turn them into files."""
