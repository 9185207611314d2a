"""Pages of search results and lenient reading of search filters."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeVar

PAGE_SIZE = 20
E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True)
class Pager:
    """Where one page of results sits among all of them."""

    total: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages the results fill (at least one)."""
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The position of the page's first result, counting from 1."""
        return 0 if self.total == 0 else (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        """The position of the page's last result."""
        return min(self.total, self.page * self.size)


def choice(value: str, options: type[E]) -> E | None:
    """value as a member of options, or None for a blank or unknown filter."""
    try:
        return options(value) if value else None
    except ValueError:
        return None


def grade_level_of(value: str) -> int | None:
    """A grade level filter (1, 2 or 3), or None."""
    return int(value) if value in ("1", "2", "3") else None
