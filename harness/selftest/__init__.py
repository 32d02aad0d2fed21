"""The self-test: every emulator fault and every SDK bug must be caught (`trials`)."""
