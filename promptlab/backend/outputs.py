"""Where the app saves generated images: ``$PROMPTLAB_HOME/outputs/txt2img/<date>/`` (A1111's shape)."""

from __future__ import annotations

import datetime
from pathlib import Path

from promptlab.paths import user_home


def output_dir(kind: str = "txt2img", day: datetime.date | None = None) -> Path:
    day = day or datetime.date.today()
    return user_home() / "outputs" / kind / day.isoformat()
