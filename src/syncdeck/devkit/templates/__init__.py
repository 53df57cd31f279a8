"""Templates of the files ``syncdeck new-connector`` writes (string.Template, ``$name``)."""
