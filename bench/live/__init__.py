"""The live-chat and scaled-shape benchmark (bench/live_bench.py)."""
