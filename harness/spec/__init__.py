"""The OpenAPI document: generated from the model, checked for drift, diffed across versions."""
