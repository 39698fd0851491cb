"""mammo-viewer: read mammograms, mark and measure breast calcifications, group them into clusters."""

__version__ = "0.1.0"
