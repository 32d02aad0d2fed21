"""The server suite: certify an endpoint against the spec and the documented behaviour."""
