"""Other tools' formats: exports (csv, COCO, INbreast, DICOM SR) and imports.

Sits above :mod:`viewer.store` and :mod:`viewer.dicom`; highdicom is imported only here.
"""
