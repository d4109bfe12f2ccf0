"""Entry point: ``python -m services.publishing``."""
from __future__ import annotations

from functools import partial

from services.publishing.bootstrap import serve
from services.publishing.handlers import SERVICE
from services.publishing.settings import PublishingSettings
from shared.service import run_service


def main() -> None:
    settings = PublishingSettings()
    run_service(SERVICE, settings, partial(serve, settings))


if __name__ == "__main__":
    main()
