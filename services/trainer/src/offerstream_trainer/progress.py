"""Progress reporting: `progress(label, total)` returns `tick(done, info)`; the CLI draws the
bars with tqdm, library callers may pass None (no output)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

Tick = Callable[[int, Mapping[str, float] | None], None]
Progress = Callable[[str, int], Tick]


def tqdm_progress(enabled: bool = True) -> Progress:
    """Progress bars on stderr (hidden when `enabled` is false)."""
    from tqdm import tqdm

    def make(label: str, total: int) -> Tick:
        bar = tqdm(total=total, desc=label, file=sys.stderr, disable=not enabled, leave=True)

        def tick(done: int, info: Mapping[str, float] | None = None) -> None:
            bar.update(done)
            if info:
                bar.set_postfix({k: round(v, 4) for k, v in info.items()}, refresh=False)
            if bar.n >= total:
                bar.close()

        return tick

    return make
