"""`channelsim fit` on the command line: bad history rows by line, FITTED.yaml's round trip, the draws."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import channelsim as cs
from channelsim.cli import main
from conftest import GALLERY, problem_lines
from fit_data import weekly, write_history

WORKSHOP = next(p for p in GALLERY if p.name == "workshop_intro.yaml")


def _history(path: Path, weeks: int = 60, sources: int | None = None) -> Path:
    """A history of the workshop's sources (the first `sources` of them; None: all)."""
    sc = cs.load(WORKSHOP)
    rng = np.random.default_rng(11)
    series = {s.id: weekly(s.response, 0.3, s.spend_per_week, weeks, rng) for s in sc.sources[:sources]}
    return write_history(path, series)


def test_bad_rows_are_reported_each_with_its_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = ["week,source,spend,leads"] + [f"{w},search_ads,1500,180" for w in range(14)]
    text[3] = "2,serch_ads,1500,180"  # line 4: a typo in the source
    text[5] = "4,search_ads,lots,180"  # line 6: not a number
    text[7] = "6,search_ads,1500,-3"  # line 8: negative leads
    text[9] = "8,search_ads,1500"  # line 10: a field missing
    text.append("13,search_ads,1500,180")  # line 16: week 13 twice
    history = tmp_path / "history.csv"
    history.write_text("\n".join(text) + "\n", encoding="utf-8")
    code = main(["fit", str(history), "--scenario", str(WORKSHOP), "--out", str(tmp_path / "f.yaml")])
    assert code == 2
    err = capsys.readouterr().err
    found = problem_lines(err)
    assert [(int(m["line"]), m["path"]) for m in found] == [
        (4, "source"), (6, "spend"), (8, "leads"), (10, "(top level)"), (16, "week")]  # fmt: skip
    assert "did you mean 'search_ads'" in err and "Traceback" not in err
    assert found[1]["col"] == "14"  # the column where `lots` starts
    assert not (tmp_path / "f.yaml").exists()


def test_a_history_without_its_columns_or_with_gaps_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "h.csv"
    history.write_text("week,source,spend\n0,search_ads,10\n", encoding="utf-8")
    assert main(["fit", str(history), "--scenario", str(WORKSHOP), "--out", str(tmp_path / "f.yaml")]) == 2
    assert "missing column(s) leads" in capsys.readouterr().err
    rows = [f"{w},search_ads,1500,180" for w in range(20) if w != 7]
    history.write_text("week,source,spend,leads\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert main(["fit", str(history), "--scenario", str(WORKSHOP), "--out", str(tmp_path / "f.yaml")]) == 2
    (line,) = problem_lines(capsys.readouterr().err)
    assert line["line"] == "9" and "between 6 and 8" in line["message"]


def test_fit_writes_a_valid_scenario_keeping_comments_order_and_adds_draws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = _history(tmp_path / "history.csv")
    out = tmp_path / "fitted.yaml"
    args = ["fit", str(history), "--scenario", str(WORKSHOP), "--out", str(out), "--draws", "3",
            "--bootstrap", "20", "--plans", "1"]  # fmt: skip
    assert main(args) == 0
    assert re.search(
        r"^fitting: optimizing the plans of the point fit and 1 draw\(s\) \(\d+\.\d s\)$",
        capsys.readouterr().err,
        re.M,
    )
    assert main(["validate", str(out)]) == 0
    before, after = WORKSHOP.read_text("utf-8"), out.read_text("utf-8")
    comments = [line.split("#", 1)[1].strip() for line in before.splitlines() if "#" in line]
    kept = [line.split("#", 1)[1].strip() for line in after.splitlines() if "#" in line]
    assert all(c in kept for c in comments)  # every comment, in the same order
    assert [c for c in kept if c in comments] == comments
    keys = [k for k in re.findall(r"^(\w+):", before, re.M)]
    assert [k for k in re.findall(r"^(\w+):", after, re.M)] == keys  # top-level order kept
    sc = cs.load(out)
    assert [n for n in sc.variants if n.startswith("fit_draw_")] == [
        "fit_draw_01",
        "fit_draw_02",
        "fit_draw_03",
    ]
    assert all(s.adstock > 0 for s in sc.sources)  # replaced (the workshop has none)
    page = (tmp_path / "fit.html").read_text("utf-8")
    assert "Why this form" in page and "How the plan moves across draws" in page and page.count("<img") == 5
    robust = cs.optimize(sc, robust=["fit_draw_01", "fit_draw_02", "fit_draw_03"], risk="cvar", alpha=0.5)
    assert robust.status == "optimal" and len(robust.robust["futures"]) == 4
    # a second fit of the fitted file replaces its draws rather than adding more
    capsys.readouterr()
    assert main([*args[:3], str(out), "--out", str(tmp_path / "again.yaml"), "--draws", "2", "--bootstrap", "20",
                 "--plans", "0", "--quiet"]) == 0  # fmt: skip
    assert capsys.readouterr().err == ""
    again = cs.load(tmp_path / "again.yaml")
    assert [n for n in again.variants if n.startswith("fit_draw_")] == ["fit_draw_01", "fit_draw_02"]


def test_the_round_trip_keeps_a_users_comment_and_writes_numbers_yaml_1_1_reads() -> None:
    from channelsim.fit.roundtrip import fitted_text

    text = ("name: x  # n\nsources:\n  - id: a   # the a source\n"
            "    response: {curve: hill, max_leads_per_week: 20, half_saturation: 80, shape: 1.0}   # my guess\n"
            "    locked: false\n")  # fmt: skip
    out = fitted_text(
        text, "f.yaml", {"a": ({"curve": "linear", "leads_per_unit_spend": 1e-05}, 0.2)}, {}, "fitted"
    )
    assert out.splitlines()[0] == "name: x  # n" and "# the a source" in out and "# my guess" in out
    assert "leads_per_unit_spend: 1.0e-05" in out  # `1e-05` would be a string to the YAML 1.1 loader
    assert out.index("response") < out.index("adstock: 0.2") < out.index("locked")


def test_fit_tells_its_sources_on_stderr_and_quiet_tells_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a piped `simulate` tells its replications: a line a source on stderr, none with --quiet, and
    the same stdout and FITTED.yaml either way."""
    history = _history(tmp_path / "history.csv", weeks=30, sources=2)  # 2: "1/2", "2/2"; fewer charts
    args = ["fit", str(history), "--scenario", str(WORKSHOP), "--bootstrap", "20"]
    (tmp_path / "told").mkdir(), (tmp_path / "quiet").mkdir()
    assert main([*args, "--out", str(tmp_path / "told" / "f.yaml")]) == 0
    told = capsys.readouterr()
    assert main([*args, "--quiet", "--out", str(tmp_path / "quiet" / "f.yaml")]) == 0
    quiet = capsys.readouterr()
    n = 2
    lines = told.err.splitlines()
    assert lines[0] == f"fitting {history}: {n} source(s), 20 bootstrap refits each"
    assert [re.sub(r" \(\d+\.\d s\)$", "", line) for line in lines[1:]] == [
        f"fitting: {done}/{n} sources" for done in range(1, n + 1)
    ]
    assert quiet.err == ""
    untimed = [re.sub(r"in \d+\.\d s", "", line) for line in told.out.splitlines()[:-1]]  # all but "wrote"
    assert untimed == [re.sub(r"in \d+\.\d s", "", line) for line in quiet.out.splitlines()[:-1]]
    assert (tmp_path / "told" / "f.yaml").read_bytes() == (tmp_path / "quiet" / "f.yaml").read_bytes()
