"""Errors the emulator answers with: one base class writes every error response.

As in moto, each error knows its `error_code` (the `X-Amzn-Errortype` value)
and its `http_status`; the two are kept apart by name.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """An error answered as restJson1: status, `X-Amzn-Errortype` and `{"message": ...}`."""

    error_code: ClassVar[str] = "InternalServerException"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **self.extra}


class ValidationException(ServiceError):
    error_code = "ValidationException"
    http_status = 400


class SerializationException(ServiceError):
    """Malformed JSON or a member of the wrong type (Smithy server validation)."""

    error_code = "SerializationException"
    http_status = 400


class AccessDeniedException(ServiceError):
    error_code = "AccessDeniedException"
    http_status = 403


class MissingAuthenticationTokenException(ServiceError):
    error_code = "MissingAuthenticationTokenException"
    http_status = 403


class UnrecognizedClientException(ServiceError):
    error_code = "UnrecognizedClientException"
    http_status = 403


class InvalidSignatureException(ServiceError):
    error_code = "InvalidSignatureException"
    http_status = 403


class ResourceNotFoundException(ServiceError):
    error_code = "ResourceNotFoundException"
    http_status = 404


class UnknownOperationException(ServiceError):
    error_code = "UnknownOperationException"
    http_status = 404


class MethodNotAllowedException(ServiceError):
    error_code = "MethodNotAllowedException"
    http_status = 405


class ConflictException(ServiceError):
    error_code = "ConflictException"
    http_status = 409


class ServiceQuotaExceededException(ServiceError):
    error_code = "ServiceQuotaExceededException"
    http_status = 402


class RequestEntityTooLargeException(ServiceError):
    error_code = "RequestEntityTooLargeException"
    http_status = 413


class UnsupportedMediaTypeException(ServiceError):
    error_code = "UnsupportedMediaTypeException"
    http_status = 415


class ThrottlingException(ServiceError):
    error_code = "ThrottlingException"
    http_status = 429


class InternalServerException(ServiceError):
    error_code = "InternalServerException"
    http_status = 500
