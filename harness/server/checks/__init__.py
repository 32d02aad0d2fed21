"""The server suite's behaviour checks, one module per family."""
