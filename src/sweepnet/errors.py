"""Exceptions sweepnet raises for bad input, so callers can catch them by kind."""


class ShapeError(ValueError):
    """An array or layer does not have the shape the next step needs.

    The message names the layer (by position and ``repr``) and both shapes.
    """
