"""Sex chromosomes in the copy-number summaries: sex resolution, X against its expectation,
Y on its own, autosome-only ploidy/FGA, and a sex mismatch between sample and reference."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from scce_genomics.cnv.sex import SexCall, read_sex_call, resolve_sex, write_sex_call
from scce_genomics.cnv.summary import summarise_cohort
from scce_genomics.errors import InputError

MB = 1_000_000
# A small genome: one autosome and X, Y, with real-like arm boundaries.
ARMS = pd.DataFrame(
    {
        "chrom": ["chr1", "chr1", "chrX", "chrX", "chrY", "chrY"],
        "arm": ["1p", "1q", "Xp", "Xq", "Yp", "Yq"],
        "start": [0, 125 * MB, 0, 61 * MB, 0, 10 * MB],
        "end": [123 * MB, 248 * MB, 58 * MB, 156 * MB, 10 * MB, 57 * MB],
    }
)


def check_json(tmp_path: Path, inferred: str) -> Path:
    path = tmp_path / f"check_{inferred}.json"
    path.write_text(json.dumps({"sample": "T", "inferred_sex": inferred, "reason": ""}))
    return path


def test_sex_from_sheet_else_sex_check_else_na(tmp_path: Path) -> None:
    male = check_json(tmp_path, "male")
    call = resolve_sex("T", "female", male)
    assert (call.sex, call.source) == ("female", "sheet")
    assert "inferred male" in call.reason
    assert resolve_sex("T", "", male).source == "sex_check"
    assert resolve_sex("T", "NA", check_json(tmp_path, "ambiguous")).sex == "NA"
    unknown = resolve_sex("T", "", None)
    assert unknown.sex == "NA" and "not in the sheet" in unknown.reason
    assert unknown.cnvkit_args() == []
    with pytest.raises(InputError, match="use female or male"):
        resolve_sex("T", "M/F", None)
    write_sex_call(call, tmp_path / "s.json")
    assert read_sex_call(tmp_path / "s.json") == call


@pytest.mark.parametrize(
    ("sex", "reference", "log2_x", "args"),
    [
        ("male", "female", -1.0, ["--sample-sex", "male"]),
        ("female", "male", 1.0, ["--sample-sex", "female", "--male-reference"]),
        ("male", "male", 0.0, ["--sample-sex", "male", "--male-reference"]),
        ("female", "female", 0.0, ["--sample-sex", "female"]),
    ],
)
def test_expected_x_ratio_and_cnvkit_options(
    sex: str, reference: str, log2_x: float, args: list[str]
) -> None:
    call = SexCall("T", sex, "sheet", reference)
    assert call.expected_log2_x == log2_x
    assert call.expected_cn_x == (1.0 if sex == "male" else 2.0)
    assert call.cnvkit_args() == args


def segments(x_log2: float, y_log2: float, x_cn: float, y_cn: float) -> str:
    rows = [
        ("chr1", 1 * MB, 123 * MB, 0.02, 2),
        ("chr1", 125 * MB, 248 * MB, 0.45, 3),
        ("chrX", 1 * MB, 156 * MB, x_log2, x_cn),
        ("chrY", 3 * MB, 57 * MB, y_log2, y_cn),
    ]
    head = "chromosome\tstart\tend\tgene\tlog2\tcn\n"
    return head + "".join(f"{c}\t{s}\t{e}\t-\t{v}\t{n}\n" for c, s, e, v, n in rows)


def run(tmp_path: Path, cases: dict[str, tuple[str, SexCall | None]]) -> dict[str, pd.DataFrame]:
    arms = tmp_path / "arms.tsv"
    ARMS.to_csv(arms, sep="\t", index=False)
    genes = tmp_path / "genes.bed"
    genes.write_text("chr1\t130000000\t130010000\tMYC\n")
    calls, sexes = [], []
    for name, (text, sex) in cases.items():
        path = tmp_path / f"{name}.call.cns"
        path.write_text(text)
        calls.append(str(path))
        sex_path = tmp_path / f"{name}.sex.json"
        write_sex_call(sex or SexCall(name, "NA", "NA", "female", "no sheet sex"), sex_path)
        sexes.append(str(sex_path))
    return summarise_cohort(calls, str(arms), str(genes), {}, sexes=sexes)


def test_male_on_female_reference_is_neutral_x_and_present_y(tmp_path: Path) -> None:
    # a male tumor with an intact X and Y against CNVkit's default (female) reference, as in
    # CNVkit's own m-on-f test segments: chrX near -1, chrY near 0
    t = run(
        tmp_path,
        {
            "M": (segments(-0.93, 0.12, 1, 1), SexCall("M", "male", "sheet", "female")),
            "F": (segments(0.93, -2.02, 2, 0), SexCall("F", "female", "sheet", "male")),
            "NOSEX": (segments(-0.93, 0.12, 1, 1), None),
        },
    )
    arms = t["arms"].set_index(["sample", "arm"])
    for sample in ("M", "F"):
        assert arms.loc[(sample, "Xp"), "call"] == "neutral"
        assert arms.loc[(sample, "Xq"), "call"] == "neutral"
        assert arms.loc[(sample, "1q"), "call"] == "gain"
    assert arms.loc[("M", "Xp"), "log2"] == pytest.approx(0.07)
    assert arms.loc[("M", "Xp"), "expected_log2"] == -1.0
    # Y is not an arm row: it is reported on its own
    assert not t["arms"]["arm"].isin(["Yp", "Yq"]).any()
    sex = t["sex"].set_index(["sample", "chrom"])
    assert sex.loc[("M", "chrY"), "call"] == "present"
    assert sex.loc[("F", "chrY"), "call"] == "not expected"
    assert sex.loc[("M", "chrX"), "call"] == "neutral"
    # unknown sex: X arms NA with the reason, never a loss
    assert (arms.loc["NOSEX"].loc[["Xp", "Xq"], "call"] == "NA").all()
    assert arms.loc[("NOSEX", "Xp"), "reason"].startswith("sample sex unknown")


def test_x_events_called_against_the_sex_expectation(tmp_path: Path) -> None:
    # male: X at log2 0 against a female reference is two copies where one is expected (gain);
    # female: X at -1 is a loss; male Y at -3 with CN 0 is a loss of Y
    t = run(
        tmp_path,
        {
            "M": (segments(0.0, -3.0, 2, 0), SexCall("M", "male", "sheet", "female")),
            "F": (segments(-1.0, -2.0, 1, 0), SexCall("F", "female", "sex_check", "female")),
        },
    )
    arms = t["arms"].set_index(["sample", "arm"])["call"]
    assert arms[("M", "Xp")] == "gain" and arms[("F", "Xq")] == "loss"
    assert t["sex"].set_index(["sample", "chrom"]).loc[("M", "chrY"), "call"] == "loss"


def test_fga_and_ploidy_over_autosomes_x_apart(tmp_path: Path) -> None:
    t = run(
        tmp_path,
        {"F": (segments(-1.0, -2.0, 1, 0), SexCall("F", "female", "sheet", "female"))},
    )
    s = t["summary"].set_index("sample").loc["F"]
    # autosomes: 1q (123 of 245 Mb) altered; X (lost) and Y count in neither
    assert s["fraction_genome_altered"] == pytest.approx(123 / 245, abs=1e-3)
    assert s["ploidy"] == pytest.approx((2 * 122 + 3 * 123) / 245, abs=1e-3)
    assert s["fraction_x_altered"] == 1.0
    assert s["x_cn"] == 1 and s["x_expected_cn"] == 2
    assert s["sex"] == "female" and s["sex_source"] == "sheet"
    assert not math.isnan(s["ploidy"])
