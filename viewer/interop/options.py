"""What an export contains: de-identified by default, confirmed clusters by default."""

from __future__ import annotations

from dataclasses import dataclass, field

from viewer.core.annotations import Cluster, ClusterState, ImageAnnotations, StudyAnnotations
from viewer.store.safe_names import file_component

DEIDENTIFIED_NOTE = (
    "De-identified export: images are identified by DICOM UIDs only; reader names are "
    "replaced by reader-1, reader-2, ...; free-text notes and patient attributes are left out."
)
IDENTIFIED_NOTE = "Export keeps reader names, notes and (in DICOM SR) the source images' patient attributes."


@dataclass
class ExportOptions:
    """Choices shared by every export format.

    Parameters
    ----------
    keep_identity
        Keep reader names, notes and patient attributes (default: UIDs only).
    replace_uids
        Replace the source images' UIDs by new ones, the same UID by the same new one
        throughout this export (PS3.15 action U); by default they are kept so that the
        export still points at the images it annotates (the Retain UIDs Option).
    include_suggested
        Also export clusters the program suggested and no reader confirmed (the CSV always
        lists every cluster with its state; rejected ones are never exported elsewhere).
    """

    keep_identity: bool = False
    include_suggested: bool = False
    replace_uids: bool = False
    _pseudonyms: dict[str, str] = field(default_factory=dict, repr=False)
    _uids: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def note(self) -> str:
        """What the export contains, in one sentence for the user and the file."""
        return IDENTIFIED_NOTE if self.keep_identity else DEIDENTIFIED_NOTE

    def reader(self, name: str) -> str:
        """The reader as written: the name, or a stable pseudonym within this export."""
        if self.keep_identity:
            return name
        if name not in self._pseudonyms:
            self._pseudonyms[name] = f"reader-{len(self._pseudonyms) + 1}"
        return self._pseudonyms[name]

    def uid(self, value: str) -> str:
        """A UID as written: kept, or replaced consistently within this export."""
        if not self.replace_uids or not value:
            return value
        if value not in self._uids:
            from pydicom.uid import generate_uid

            self._uids[value] = str(generate_uid())
        return self._uids[value]

    def text(self, value: str | None) -> str:
        """A free-text field as written: kept, or empty when de-identifying."""
        return (value or "") if self.keep_identity else ""

    def exports_cluster(self, cluster: Cluster) -> bool:
        """Whether a cluster is a finding in exports other than CSV."""
        if cluster.state is ClusterState.CONFIRMED:
            return True
        return cluster.state is ClusterState.SUGGESTED and self.include_suggested


def image_file_name(img: ImageAnnotations, options: ExportOptions | None = None) -> str:
    """The de-identified name of an image in exports: ``<SOP Instance UID>.dcm`` (the UID as the
    export writes it: the replacement one with ``options.replace_uids``).

    Frame N > 0 of a multi-frame image is ``<uid>_frame<N>.dcm``. A UID that is no safe
    file name (``../..``, an absolute path, other characters) is made one
    (:func:`viewer.store.safe_names.file_component`), so it cannot lead out of the folder.
    """
    sop = options.uid(img.sop_instance_uid) if options is not None else img.sop_instance_uid
    uid = file_component(sop, fallback="image")
    return f"{uid}.dcm" if img.frame == 0 else f"{uid}_frame{img.frame}.dcm"


def study_file_stem(model: StudyAnnotations, options: ExportOptions) -> str:
    """The name of a per-study-and-reader export file without its suffix:
    ``<Study Instance UID>.<reader>`` as the export writes them, made a safe file name."""
    study_uid = options.uid(model.study_instance_uid) or "study"
    return file_component(f"{study_uid}.{options.reader(model.reader)}", fallback="study")
