"""C emission: the integer IR and the predictor -> C99 sources, from the Jinja templates in templates/."""
