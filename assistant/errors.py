"""The assistant's errors: one base with a machine-readable ``code``, one type per stage."""

from __future__ import annotations


class CarvoiceError(Exception):
    """Base error of the assistant."""

    code = "carvoice-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigError(CarvoiceError):
    """The configuration is invalid or names something missing."""

    code = "config"


class RequestError(CarvoiceError):
    """A request line or payload that cannot be served as it is."""

    code = "bad-request"


class UnderstandingError(CarvoiceError):
    """The understanding stage failed (not: "did not understand", which is a reply)."""

    code = "understanding"


class ModelError(UnderstandingError):
    """The local language model could not be loaded or run."""

    code = "model"
