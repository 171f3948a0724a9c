"""How signatures are computed from media: the service and the partner client run this same code."""
