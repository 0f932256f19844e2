"""Listening to queries (Daft 0.7.26's ``daft.subscribers``): the
:class:`Subscriber` interface and its events, the event log, and the
dashboard (:func:`launch`)."""

from ketch.subscribers.abc import StatType, Subscriber
from ketch.subscribers.dashboard import launch

__all__ = ["StatType", "Subscriber", "launch"]
