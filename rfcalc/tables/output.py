"""Where a command's lines go: plain text when piped (rich is not even imported), through rich with
colour on a terminal (FORCE_COLOR and NO_COLOR as rich reads them)."""
from __future__ import annotations

import os
import shutil
import sys
from typing import Iterable, Optional

from .draw import Line, paragraph

PIPED_WIDTH = 200  # the width of tables written to a pipe or file when $COLUMNS does not say


def piped_width() -> int:
    """Table width when output is piped: $COLUMNS when it is a positive number, else PIPED_WIDTH."""
    try:
        return max(int(os.environ.get("COLUMNS", "")), 0) or PIPED_WIDTH
    except ValueError:
        return PIPED_WIDTH


class Output:
    """A command's standard output (or error): its width, and writers of styled lines and paragraphs."""

    def __init__(self, stderr: bool = False):
        self.stream = sys.stderr if stderr else sys.stdout
        self.styled = self.stream.isatty() or bool(os.environ.get("FORCE_COLOR"))
        self.width = shutil.get_terminal_size().columns if self.stream.isatty() else piped_width()
        self._console = None

    @property
    def console(self):
        """A rich console on the same stream, for what is drawn by rich itself (the ERF picture)."""
        if self._console is None:
            from ..commands import make_console

            self._console = make_console(stderr=self.stream is sys.stderr)
        return self._console

    def lines(self, lines: Iterable[Line]) -> None:
        """Write lines of (text, style) segments: styles only on a terminal."""
        if not self.styled:
            self.stream.write("".join("".join(text for text, _ in line) + "\n" for line in lines))
            return
        from rich.text import Text

        text = Text()
        for line in lines:
            for segment, style in line:
                text.append(segment, style)
            text.append("\n")
        self.console.print(text, end="", soft_wrap=True)

    def say(self, text: str, style: Optional[str] = None, indent: str = "") -> None:
        """A paragraph wrapped to the width (continuation lines indented by `indent`)."""
        self.lines(paragraph(text, self.width, style, indent))
