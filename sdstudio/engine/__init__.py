"""The editing engine: networks, model files, the catalog of methods, and the jobs.

Nothing here is imported by ``import sdstudio``; the app imports the engine on its worker
thread. ``methods`` (the values), ``backends`` (what runs each kind of method), the
``catalog`` and ``model_file`` metadata reading work without torch, so listing the
available methods stays cheap; everything that runs a network imports torch.
"""
