"""The repaint paints what changed: an idle tick rebuilds nothing, a sync rebuilds its
own connector only, and a hidden panel is never repainted."""

from __future__ import annotations

from typing import Any

import pytest

import syncdeck.tui.app as app_module
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.widgets.connector_panel import ConnectorPanel

from .support import RecordingApp, wait_until
from .tui_connectors import Counted


async def test_only_what_changed_is_rebuilt_and_only_the_shown_panel_painted(
    make_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    shown: list[str] = []
    build, show = app_module.build_overview, ConnectorPanel.show

    def counting_build(cid: str, *args: Any, **kwargs: Any) -> Any:
        built.append(cid)
        return build(cid, *args, **kwargs)

    def counting_show(panel: ConnectorPanel, *args: Any) -> None:
        shown.append(panel.connector_id)
        show(panel, *args)

    monkeypatch.setattr(app_module, "build_overview", counting_build)
    monkeypatch.setattr(ConnectorPanel, "show", counting_show)
    context = make_context({cid: (lambda cid=cid: Counted(cid)) for cid in ("a", "b", "c")})
    app = RecordingApp(context, repaint_interval=60)  # the test drives the repaints
    async with app.run_test() as pilot:
        await pilot.pause(0.5)  # a few polls of an unchanged state database
        built.clear()
        shown.clear()
        for _ in range(10):
            app.repaint()
        assert built == []  # nothing changed, nothing rebuilt
        assert set(shown) == {"a"}  # the shown panel only

        app.select_connector("b")
        shown.clear()
        await pilot.press("s")
        for _ in range(200):
            app.repaint()
            if app.overviews["b"].status is DisplayStatus.SUCCEEDED:
                break
            await pilot.pause(0.02)
        await wait_until(pilot, lambda: app.overviews["b"].status is DisplayStatus.SUCCEEDED)
        assert set(built) == {"b"}
        assert set(shown) == {"b"}
