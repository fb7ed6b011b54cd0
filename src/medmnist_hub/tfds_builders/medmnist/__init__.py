"""The ``medmnist`` TFDS dataset folder (builder, tests, metadata, dummy data)."""
