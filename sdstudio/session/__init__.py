"""Sessions that outlive the window: project files, autosave recovery and history bounds.

Nothing here imports Qt or torch: the app turns its document into a
:class:`~sdstudio.session.project_model.Project` (plain numpy arrays and dicts), and this
package writes, reads, validates and migrates it.
"""
