"""Renderers: they take model events and an injected stream, and never see the wire format."""
