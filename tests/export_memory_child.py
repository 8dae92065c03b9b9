"""Run one CSV export in a process of its own and print its memory use as JSON.

``python -m tests.export_memory_child <database name> <seller id> <orders|customers>``
(from the repository root, with the test run's environment). Used by
``tests/test_export_memory.py``: the figure must be about the export, so the
process first runs the same export over an empty date range (Django set up,
every module imported, the connection open) and takes its resident size then
as the baseline; then it streams the full export, counting lines without
keeping them, and reads its peak resident size since the baseline (``VmHWM``
counted afresh through ``/proc/self/clear_refs``).
"""

from __future__ import annotations

import json
import os
import resource
import sys


def peak_rss_kib() -> int:
    """This process's peak resident set size so far (Linux: KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def status_kib(field: str) -> int:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of this process, in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> bool:
    """Start ``VmHWM`` afresh from the current size (Linux ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def main(database: str, seller_id: str, kind: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = database  # the test run's database
    settings.DEBUG = False
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    from marketplace_core.panels.seller_exports import SellerExportView

    seller = get_user_model()._default_manager.get(pk=int(seller_id))
    view = SellerExportView.as_view()

    def export(**params: str) -> tuple[int, int]:
        request = RequestFactory().get("/seller/exports/", {"export": kind, **params})
        request.user = seller
        response = view(request)
        assert response.status_code == 200, response.status_code
        lines = size = 0
        for piece in response.streaming_content:  # type: ignore[attr-defined]
            lines += piece.count(b"\n")
            size += len(piece)
        response.close()
        return lines, size

    empty, _ = export(start="1990-01-01", end="1990-01-01")
    # The resident size now, not the peak so far, and the peak counted afresh: a
    # transient peak of the imports would otherwise hide what the export adds.
    # Without clear_refs the process's whole peak is used (it can only overstate).
    fresh = reset_peak()
    baseline = status_kib("VmRSS")
    lines, size = export()
    peak = status_kib("VmHWM") if fresh else peak_rss_kib()
    print(json.dumps({"empty_lines": empty, "lines": lines, "bytes": size,
                      "baseline_kib": baseline, "peak_kib": peak,
                      "process_peak_kib": peak_rss_kib()}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
