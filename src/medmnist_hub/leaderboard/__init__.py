"""The MedMNIST leaderboard: result records, the paper's reference rows, aggregation, rendering.

Everything here is plain Python (plus PyYAML for the Hub's eval-result files); the Gradio
app in :mod:`medmnist_hub.leaderboard.app` is the only part that needs ``gradio``.
"""

from .records import (
    SCHEMA,
    RecordError,
    make_record,
    read_record,
    read_records,
    record_key,
    validate_record,
    write_record,
)

__all__ = [
    "SCHEMA",
    "RecordError",
    "make_record",
    "read_record",
    "read_records",
    "record_key",
    "validate_record",
    "write_record",
]
