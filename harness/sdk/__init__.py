"""The SDK suite: a scenario catalogue judged through any SDK via the adapter protocol."""
