"""The open study as one Qt-free object, driven by both the GUI and the headless commands.

Sits above :mod:`viewer.sources` and :mod:`viewer.interop`; never imports Qt.
"""
