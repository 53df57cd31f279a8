"""``syncdeck dev``: the app on one connector under development, checked again on every
save of its file."""
