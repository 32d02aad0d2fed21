"""Image sets: their lifecycle, the read, write and search operations, and the metadata
documents with the rules updates and copies follow."""
