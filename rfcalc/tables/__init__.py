"""The one table writer of analyze, diff, verify, check and sizes: tables fitted to the terminal's width
(compact forms, names shortened in the middle, columns dropped by a stated priority; numbers never cut),
drawn as lines of styled text and written plain when piped, through rich on a terminal."""
from .draw import Line, panel_lines, paragraph, table_lines, wrap
from .fit import MIDDLE, WRAP, Cell, Fitted, Styled, TableColumn, fit, shorten_middle, text_of
from .output import Output, piped_width

__all__ = ["Cell", "Fitted", "Line", "MIDDLE", "Output", "Styled", "TableColumn", "WRAP", "fit", "panel_lines",
           "paragraph", "piped_width", "shorten_middle", "table_lines", "text_of", "wrap"]
