"""The fields HAR 1.2 requires (W3C Web Performance WG, "HTTP Archive (HAR) format",
version 1.2), as a JSON Schema: what a HAR reader relies on being there."""

from __future__ import annotations

from typing import Any

_NAME_VALUE = {
    "type": "object",
    "required": ["name", "value"],
    "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
}
_LIST_OF_PAIRS = {"type": "array", "items": _NAME_VALUE}

HAR_1_2: dict[str, Any] = {
    "type": "object",
    "required": ["log"],
    "properties": {
        "log": {
            "type": "object",
            "required": ["version", "creator", "entries"],
            "properties": {
                "version": {"const": "1.2"},
                "creator": {
                    "type": "object",
                    "required": ["name", "version"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                },
                "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
            },
        }
    },
    "$defs": {
        "entry": {
            "type": "object",
            "required": [
                "startedDateTime",
                "time",
                "request",
                "response",
                "cache",
                "timings",
            ],
            "properties": {
                "startedDateTime": {
                    "type": "string",
                    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
                },
                "time": {"type": "number", "minimum": 0},
                "request": {
                    "type": "object",
                    "required": [
                        "method",
                        "url",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "queryString",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "method": {"type": "string"},
                        "url": {"type": "string", "format": "uri"},
                        "httpVersion": {"type": "string"},
                        "cookies": {"type": "array"},
                        "headers": _LIST_OF_PAIRS,
                        "queryString": _LIST_OF_PAIRS,
                        "postData": {
                            "type": "object",
                            "required": ["mimeType"],
                            "anyOf": [{"required": ["text"]}, {"required": ["params"]}],
                        },
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "response": {
                    "type": "object",
                    "required": [
                        "status",
                        "statusText",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "content",
                        "redirectURL",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "status": {"type": "integer"},
                        "statusText": {"type": "string"},
                        "headers": _LIST_OF_PAIRS,
                        "content": {
                            "type": "object",
                            "required": ["size", "mimeType"],
                            "properties": {
                                "size": {"type": "integer"},
                                "mimeType": {"type": "string"},
                                "text": {"type": "string"},
                                "encoding": {"type": "string"},
                            },
                        },
                        "redirectURL": {"type": "string"},
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "cache": {"type": "object"},
                "timings": {
                    "type": "object",
                    "required": ["send", "wait", "receive"],
                    "properties": {
                        "send": {"type": "number", "minimum": -1},
                        "wait": {"type": "number", "minimum": -1},
                        "receive": {"type": "number", "minimum": -1},
                    },
                },
            },
        }
    },
}
