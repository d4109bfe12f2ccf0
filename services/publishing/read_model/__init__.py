"""The read model's write side and its rebuild from Kafka: publishing's alone (the
gateway only reads, through :mod:`shared.read_model`)."""
from services.publishing.read_model.writer import Delivery, ReadModelWriter

__all__ = ["Delivery", "ReadModelWriter"]
