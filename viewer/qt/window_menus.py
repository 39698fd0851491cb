"""The main window's own menus and toolbar: File, Edit, Clusters, Describe, Tools.

The View and Window menus come from :mod:`viewer.qt.view_controls`; Study, Detect, Help
and the export menu from :mod:`viewer.qt.workflow`. Every action is window-wide
(:meth:`MainWindow.make_action`), so its key works wherever the focus is in the window.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QToolBar

from viewer.core.quick_entry import STUDY_FIELDS
from viewer.qt.orientation_menu import OrientationMenu
from viewer.qt.preferences_dialog import PreferencesDialog

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

TOOLS = (
    ("pan", "&Pan / select", "Escape"),
    ("calcification", "&Calcification (click)", "C"),
    ("edit", "&Edit outline / move mark", "E"),
    ("draw", "&Draw outline by hand", "D"),
    ("lasso", "Draw a cluster (&lasso)", "G"),
    ("ruler", "&Ruler", "R"),
    ("calibrate", "Cali&brate (line of known length)", "K"),
)
"""(tool name, menu text, key) in menu and toolbar order; "pan" is no tool."""

REDO_KEYS = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
"""Redo on every platform, each key once (the platform's Redo key is one of them, or on
macOS Cmd+Shift+Z, which Qt spells Ctrl+Shift+Z): a key registered twice is ambiguous."""


def build_menus(window: MainWindow) -> None:
    """Build the menus and the toolbar; sets the window's ``save_action``, ``tool_actions``,
    ``labels_action`` and ``frame_actions``."""
    act = window.make_action
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    opening = window.opening
    file_menu.addAction(act("Open &files...", opening.open_files_dialog, QKeySequence.StandardKey.Open))
    file_menu.addAction(act("Open f&older...", opening.open_folder_dialog, "Ctrl+Shift+O"))
    file_menu.addAction(
        act(
            "Open from ser&ver...",
            window.server_opening.open_dialog,
            "Ctrl+Alt+O",
            tip="Search a DICOMweb archive (PACS) and open a study; its marks are kept there",
        )
    )
    window.save_action = act(
        "&Save annotations",
        window.save,
        QKeySequence.StandardKey.Save,
        tip="Save the marks as JSON beside the study's DICOM files",
    )
    file_menu.addAction(window.save_action)
    file_menu.addSeparator()
    file_menu.addAction(act("Reader &name...", window.ask_reader))
    file_menu.addAction(
        act(
            "&Preferences...",
            lambda: PreferencesDialog(window).exec(),
            "Ctrl+,",
            tip="Your name, caches, studies decoded ahead, and each server's credentials",
        )
    )
    file_menu.addSeparator()
    file_menu.addAction(act("&Quit", window.close, QKeySequence.StandardKey.Quit))

    edit_menu = menu.addMenu("&Edit")
    window.undo_action = act("&Undo", window.undo, QKeySequence.StandardKey.Undo)
    window.redo_action = act("&Redo", window.redo)
    window.redo_action.setShortcuts(REDO_KEYS)
    edit_menu.addAction(window.undo_action)
    edit_menu.addAction(window.redo_action)
    edit_menu.addSeparator()
    edits = window.editing
    edit_menu.addAction(act("&Delete selected marks", edits.delete_selected, QKeySequence.StandardKey.Delete))
    edit_menu.addAction(
        act(
            "Make selected marks &point-only",
            edits.make_point_only,
            "Ctrl+P",
            tip="keep a mark without an outline: its size is 'not measured'",
        )
    )
    edit_menu.addAction(act("Remove &manual calibration", window.remove_calibration))
    edit_menu.addSeparator()
    # "/" (Ctrl+L links a CC and MLO finding)
    edit_menu.addAction(act("&Filter the marks list", window.marks_panel.focus_filter, "/"))
    window.frame_actions = [
        act("Next frame", lambda: window.cells.step_frame(1), "PgDown"),
        act("Previous frame", lambda: window.cells.step_frame(-1), "PgUp"),
    ]

    cluster_menu = menu.addMenu("&Clusters")
    ctl = window.controller
    for text, slot, key in (
        ("&Confirm suggested cluster", ctl.confirm_selected, "Ctrl+Return"),
        ("&Group selected marks into a cluster", ctl.group_selected_marks, "Ctrl+G"),
        ("&Merge selected clusters", ctl.merge_selected, "Ctrl+Shift+M"),
        ("&Add selected marks to the selected cluster", ctl.add_selected_marks_to_cluster, "Ctrl+Alt+A"),
        (
            "&Remove selected marks from their cluster",
            ctl.remove_selected_marks_from_cluster,
            "Ctrl+Alt+R",
        ),
        ("&Split selected marks off into a new cluster", ctl.split_selected, "Ctrl+Alt+S"),
        ("&Dissolve cluster (not a cluster)", ctl.dissolve_selected, "Ctrl+Shift+G"),
    ):
        cluster_menu.addAction(act(text, slot, key))
    cluster_menu.addSeparator()
    cluster_menu.addAction(act("Grouping &rule...", edits.ask_rule))

    describe_menu = menu.addMenu("&Describe")
    for set_name, key in (
        ("morphology", "Shift+M"),
        ("distribution", "Shift+D"),
        ("assessment", "Shift+A"),
        ("recommendation", "Shift+R"),
    ):
        describe_menu.addAction(
            act(f"{set_name.capitalize()}: type its key...", partial(window.start_entry, set_name), key)
        )
    describe_menu.addAction(act("Cluster &note...", edits.ask_note, "Shift+N"))
    describe_menu.addSeparator()
    describe_menu.addAction(
        act(
            "&Study assessment: type c, r, l or o, then its value...",
            window.entry_keys.start_study_fields,
            "B",
        )
    )
    for field_name, title in STUDY_FIELDS.items():
        describe_menu.addAction(
            act(f"{title}: type its key...", partial(window.entry_keys.start_study, field_name))
        )

    tools_menu = menu.addMenu("&Tools")
    group = QActionGroup(window)
    window.tool_actions = {}
    for name, text, key in TOOLS:
        action: QAction = act(text, partial(window.set_tool, name), key, checkable=True)
        group.addAction(action)
        tools_menu.addAction(action)
        window.tool_actions[name] = action
    window.tool_actions["pan"].setChecked(True)

    window.view_controls.build_menus(menu)
    window.workflow.build_menus(menu, file_menu)
    window.labels_action = act("Size &labels", window.cells.toggle_labels, "L", checkable=True)
    window.labels_action.setChecked(window.prefs.show_size_labels)
    view_menu = window.view_controls.view_menu
    view_menu.addAction(window.labels_action)
    view_menu.addSeparator()
    for action in window.frame_actions:
        view_menu.addAction(action)
    OrientationMenu(window).build_menu(view_menu)  # its actions keep it

    bar = QToolBar("Tools", window)
    bar.setObjectName("tools_toolbar")
    for name, _text, _key in TOOLS:
        bar.addAction(window.tool_actions[name])
    bar.addSeparator()
    bar.addAction(window.view_controls.loupe_action)
    bar.addSeparator()
    bar.addAction(window.save_action)
    window.addToolBar(bar)
