"""Big jobs on a Ray cluster: captioning on Ray Data, generation on Ray actors.

Nothing here is imported by ``import promptlab``; ``ray`` itself is imported only inside the functions
that need it (``pip install 'promptlab[cluster]'``). Use it through ``--ray [ADDRESS]`` on
``promptlab caption``, ``promptlab generate`` and ``promptlab grid``, or from Python:

- :func:`promptlab.cluster.caption.caption_folder_ray` — the local ``caption_folder`` on Ray Data.
- :func:`promptlab.cluster.generate.ray_backends` — one Backend per Ray actor (a GPU, or a CPU slot),
  for ``run_grid`` and ``BackendPool``.
- :func:`promptlab.cluster.runtime.ray_session` — start a local Ray or join a cluster, with clear errors.
"""
