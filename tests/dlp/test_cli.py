import io
import json

from hisho.dlp.cli import main


def run(data: str) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    status = main([], stdin=io.StringIO(data), stdout=out)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_scan_lines() -> None:
    status, rows = run(
        '{"id": "m1", "text": "tel ０９０-1234-5678"}\n\n{"id": 2, "text": "nothing"}\n'
    )
    assert status == 0
    assert rows == [
        {"id": "m1", "findings": [{"type": "PHONE_NUMBER", "start": 4, "end": 17}]},
        {"id": 2, "findings": []},
    ]


def test_bad_lines_are_reported_and_the_run_continues() -> None:
    secret = "4111 1111 1111 1111"
    status, rows = run(
        f"{{not json {secret}\n"
        "[1, 2]\n"
        '{"id": "a"}\n'
        '{"id": "b", "text": 42}\n'
        '{"id": {"x": 1}, "text": "y"}\n'
        f'{{"id": "ok", "text": "card {secret}"}}\n'
    )
    assert status == 1
    assert [row["id"] for row in rows] == [None, None, "a", "b", None, "ok"]
    assert all("error" in row for row in rows[:5])
    assert rows[0]["error"] == "line 1: not valid JSON"
    assert rows[5] == {
        "id": "ok",
        "findings": [{"type": "CREDIT_CARD", "start": 5, "end": 24}],
    }
    assert all(secret not in json.dumps(row) for row in rows)


def test_invalid_utf8_line_via_binary_stdin() -> None:
    raw = io.BytesIO(b'{"id": 1, "text": "a"}\n\xff\xfe\n{"id": 3, "text": "b"}\n')
    stdin = io.TextIOWrapper(raw, encoding="utf-8")
    out = io.StringIO()
    assert main([], stdin=stdin, stdout=out) == 1
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row.get("error") for row in rows] == [None, "line 2: not valid UTF-8", None]


def test_lone_surrogates_in_input_do_not_break_output() -> None:
    status, rows = run('{"id": "\\ud800", "text": "\\udc00 090-1234-5678"}\n')
    assert status == 0
    assert rows[0]["findings"] == [{"type": "PHONE_NUMBER", "start": 2, "end": 15}]
