"""The pydicom boundary: files -> images and studies, no Qt.

Files from real modalities often break value rules (a UID with a leading zero, a DS
with too many digits). A viewer must still show them, so reading never validates
values; writing keeps pydicom's own checks.
"""

from pydicom import config as _pydicom_config

_pydicom_config.settings.reading_validation_mode = _pydicom_config.IGNORE
