"""Rich styles from the current Textual theme, so painted cells and log lines follow the
theme setting like the CSS does."""

from __future__ import annotations

from rich.style import Style
from textual.app import App
from textual.color import Color, ColorParseError

from syncdeck.tui.run_log import Level

LEVEL_ROLES: dict[Level, str] = {
    "info": "foreground",
    "success": "success",
    "warning": "warning",
    "error": "error",
}


def role_style(app: App[object], role: str, *, bold: bool = False, dim: bool = False) -> Style:
    """The style of a theme colour (``error``, ``success``, ``accent``...); the default
    foreground when the theme does not define it."""
    if role == "foreground":
        return Style(bold=bold, dim=dim)
    value = app.theme_variables.get(role)
    if value is None:
        return Style(bold=bold, dim=dim)
    try:
        color = Color.parse(value)
    except ColorParseError:
        return Style(bold=bold, dim=dim)
    return Style(color=color.rich_color, bold=bold, dim=dim)
