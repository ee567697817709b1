"""Sessions that outlive the window: undo history, project files and autosave recovery.

Nothing here imports Qt or torch: the app's document keeps its edits in a
:class:`~sdstudio.session.history.History` (plain numpy arrays and dicts), turns itself
into a :class:`~sdstudio.session.project_model.Project` holding that history, and this
package writes, reads, validates and migrates it.
"""
