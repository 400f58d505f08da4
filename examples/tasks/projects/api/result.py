"""Result[T, E]: the project's error handling pattern. Return Ok(value) or Err(error), never raise
for expected failures, never return None to mean 'failed'."""
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
E = TypeVar("E")


@dataclass(frozen=True)
class Ok(Generic[T]):
    value: T

    def is_ok(self):
        return True


@dataclass(frozen=True)
class Err(Generic[E]):
    error: E

    def is_ok(self):
        return False
