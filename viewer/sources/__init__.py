"""Where studies come from: folders and DICOMDIR trees, the worklist index, archives.

Sits above :mod:`viewer.store` and :mod:`viewer.dicom`; never imports Qt.
"""
