import io
import json

from hisho.dlp.cli import main


def _refuse(constant: str) -> object:
    raise AssertionError(f"not JSON: {constant}")


def run(data: str) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    status = main([], stdin=io.StringIO(data), stdout=out)
    # parse_constant: a NaN or Infinity in the output (not JSON) fails the test.
    lines = out.getvalue().splitlines()
    return status, [json.loads(line, parse_constant=_refuse) for line in lines]


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


def test_every_output_line_is_json_even_for_nan_or_huge_ids() -> None:
    # NaN and Infinity are not JSON; 1e999 is, but has no finite value to echo back.
    status, rows = run(
        '{"id": NaN, "text": "a"}\n'
        '{"id": -Infinity, "text": "a"}\n'
        '{"id": 1e999, "text": "a"}\n'
        '{"id": 1, "text": "a", "x": NaN}\n'
        '{"id": 2.5, "text": "a"}\n'
    )
    assert status == 1
    assert [row.get("error") for row in rows] == [
        "line 1: not valid JSON",
        "line 2: not valid JSON",
        "line 3: 'id' must be a string, number or null",
        "line 4: not valid JSON",
        None,
    ]
    assert all(row["id"] is None for row in rows[:4]) and rows[4]["id"] == 2.5
