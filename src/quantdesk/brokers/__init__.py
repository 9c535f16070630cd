"""Brokers: adapters of the ``Broker`` port, the paper broker and Interactive Brokers.

``quantdesk.brokers.paper.PaperBroker`` needs nothing but the trading library;
``quantdesk.brokers.ib.IbBroker`` imports ``ib_async`` and is imported only where it is used.
"""

from quantdesk.brokers.paper import PaperBroker

__all__ = ["PaperBroker"]
