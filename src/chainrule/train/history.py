"""The record of a training run: one entry per epoch."""
from __future__ import annotations

from .callbacks import monitor_mode


class History:
    """What :func:`fit` returns: one record per epoch.

    ``history.records`` is the list of per-epoch dicts (``epoch``, ``loss``, the training
    metrics, ``val_loss`` and ``val_*`` metrics with a validation loader, ``lr``, ``time``
    in seconds); ``history["val_loss"]`` is one quantity's list over the epochs.
    """

    def __init__(self, records=()):
        self.records = [dict(r) for r in records]

    def __getitem__(self, key: str) -> list:
        if not any(key in r for r in self.records):
            raise KeyError(f"History: no quantity {key!r}; logged: {', '.join(self.keys())}")
        return [r.get(key) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def keys(self) -> list:
        """The quantities logged, in the order they first appear."""
        return list(dict.fromkeys(k for r in self.records for k in r))

    def best(self, monitor: str = "val_loss", mode: str = "auto") -> dict:
        """The record of the epoch where ``monitor`` was best (smallest for losses)."""
        values = self[monitor]
        pick = min if monitor_mode(monitor, mode) == "min" else max
        return self.records[values.index(pick(v for v in values if v is not None))]

    def to_dict(self) -> dict:
        """``{quantity: [value per epoch]}``."""
        return {key: self[key] for key in self.keys()}

    def __repr__(self) -> str:
        return f"History({len(self)} epochs: {', '.join(self.keys())})"


__all__ = ["History"]
