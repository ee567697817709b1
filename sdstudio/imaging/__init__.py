"""Pure imaging (numpy + Pillow; never Qt, torch or OpenCV).

``image_io`` opens and saves photos, ``masks`` reads and shapes masks, ``tiling`` runs
work in blended tiles with bounded memory, ``colour`` holds small colour operations.
Import the module you need; this package imports nothing itself.
"""
