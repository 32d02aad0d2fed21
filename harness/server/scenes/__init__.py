"""What the checks share, made once per run: the imports of the known set and their
results, the image sets they made, an update, searches.

A scene records no verdicts of its own: the checks that use it judge what it
holds. Check modules import scenes, never each other.
"""
