"""The terminal UI: every connector with its live checkpoint state, syncs run in the
background, progress streamed into one panel per connector.

Start it with :func:`syncdeck.tui.app.run_app` on an :class:`~syncdeck.app.context.AppContext`.
"""
