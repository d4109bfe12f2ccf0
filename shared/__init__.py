"""Wirestream's common package: event models, codec, Kafka runner, Redis helpers,
settings and telemetry. Services import from here; nothing here imports a service."""
