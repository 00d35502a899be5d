"""Bench only: switch single steps of the message path off in an app process, to measure
what each costs (bench/live_bench.py, "What each step costs"). HISHO_BENCH_OFF is a
comma-separated list of: audit, seal, dlp, fanout, index (the blind index of the
message's words), notices (whether to queue an e-mail notice or a Web Push).
HISHO_BENCH_SWITCH_INTERVAL sets the process's GIL switch interval in seconds
(`sys.setswitchinterval`; Python's default is 0.005), for `live_bench.py
--switch-interval`. Never installed outside the bench."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.apps import AppConfig


class BenchLiveConfig(AppConfig):
    name = "bench.live"
    label = "bench_live"

    def ready(self) -> None:
        interval = os.environ.get("HISHO_BENCH_SWITCH_INTERVAL")
        if interval:
            sys.setswitchinterval(float(interval))
        off = {step for step in os.environ.get("HISHO_BENCH_OFF", "").split(",") if step}
        import hisho.desk.actions as actions
        import hisho.desk.live as live
        import hisho.inbound as inbound
        from hisho.dlp import MaskResult

        if "audit" in off:
            actions.record_event = lambda *args, **kwargs: None  # type: ignore[assignment]
        if "seal" in off:

            def plain_body(errand: Any, seal_id: Any, body: str) -> bytes:
                return body.encode()

            actions.seal_message_body = plain_body  # type: ignore[assignment]
        if "dlp" in off:
            inbound.mask_cards = lambda text: MaskResult(text, 0)  # type: ignore[assignment]
        if "fanout" in off:
            live._send = lambda *args, **kwargs: None  # type: ignore[assignment]
        if "index" in off:
            actions.do_index_errand_text = lambda *args, **kwargs: None  # type: ignore[assignment]
        if "notices" in off:
            import hisho.push.send as push

            actions._notify = lambda *args, **kwargs: None  # type: ignore[assignment]
            push.announce = lambda *args, **kwargs: None  # type: ignore[assignment]
