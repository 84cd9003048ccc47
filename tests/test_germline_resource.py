"""The germline resource's start-up check and AF look-up; the panel-of-normals builder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.cli import main
from scce_genomics.errors import InputError
from scce_genomics.somatic.cli import load_pon
from scce_genomics.somatic.germline_resource import (
    check_germline_resource,
    check_somatic_resources,
    population_af,
    resource_records,
)

CONTIGS = {"chr1": 5000, "chr2": 4000}


def fasta(tmp_path: Path, contigs: dict[str, int] = CONTIGS) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "ref.fa"
    with open(path, "w") as handle:
        for name, length in contigs.items():
            seq = "".join(rng.choice(list("ACGT"), length))
            handle.write(f">{name}\n" + "\n".join(seq[i : i + 60] for i in range(0, length, 60)))
            handle.write("\n")
    pysam.faidx(str(path))
    return path


def vcf(
    tmp_path: Path,
    records: list[str],
    contigs: dict[str, int] = CONTIGS,
    info: str = '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
    name: str = "resource.vcf",
    compress: bool = True,
    index: bool = True,
) -> Path:
    lines = ["##fileformat=VCFv4.2", *(f"##contig=<ID={c},length={n}>" for c, n in contigs.items())]
    lines += [info, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO", *records]
    plain = tmp_path / name
    plain.write_text("\n".join(lines) + "\n")
    if not compress:
        return plain
    gz = Path(f"{plain}.gz")
    pysam.tabix_compress(str(plain), str(gz), force=True)
    if index:
        pysam.tabix_index(str(gz), preset="vcf", force=True)
    return gz


RECORDS = ["chr1\t100\t.\tA\tG\t.\tPASS\tAF=0.3", "chr1\t200\t.\tC\tT,G\t.\tPASS\tAF=0.01,0.2"]


def test_good_resource_passes_and_af_is_fetched(tmp_path: Path) -> None:
    ref = fasta(tmp_path)
    res = vcf(tmp_path, RECORDS)
    check_germline_resource(res, ref)
    sites = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr1", "chr2"],
            "pos": [100, 200, 200, 300, 100],
            "ref": ["A", "C", "C", "G", "A"],
            "alt": ["G", "G", "A", "T", "G"],
        }
    )
    af = population_af(res, sites)
    assert af[:2].tolist() == [0.3, 0.2]
    assert np.isnan(af[2:]).all()  # another allele, an unlisted site, a contig it lacks
    by_site = population_af(res, sites, match_alleles=False)
    assert by_site[2] == 0.2
    assert len(resource_records(res, min_af=0.05)) == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: t / "missing.vcf.gz", "not found; fix somatic.germline_resource"),
        (lambda t: vcf(t, RECORDS, compress=False), "not bgzip-compressed; run: bgzip"),
        (lambda t: vcf(t, RECORDS, index=False), "no tabix index"),
        (
            lambda t: vcf(
                t,
                ["chr1\t100\t.\tA\tG\t.\tPASS\tPOPAF=0.3"],
                info='##INFO=<ID=POPAF,Number=A,Type=Float,Description="x">',
            ),
            "declares no INFO/AF .*POPAF.*germline_resource_af_field",
        ),
        (
            lambda t: vcf(t, ["1\t100\t.\tA\tG\t.\tPASS\tAF=0.3"], contigs={"1": 5000, "2": 4000}),
            "names chromosomes like '1' but the reference FASTA like 'chr1'",
        ),
        (
            lambda t: vcf(t, RECORDS, contigs={"chr1": 9000, "chr2": 4000}),
            "chr1 is 9,000 bp here but 5,000 bp in the reference FASTA: another build",
        ),
        (
            lambda t: vcf(t, ["chrZ\t1\t.\tA\tG\t.\tPASS\tAF=0.1"], contigs={"chrZ": 100}),
            "none of its contigs",
        ),
    ],
)
def test_bad_resource_names_file_and_fix(tmp_path: Path, make, message: str) -> None:
    ref = fasta(tmp_path, {"chr1": 5000, "chr2": 4000, "chr3": 100})
    with pytest.raises(InputError, match=message) as err:
        check_germline_resource(make(tmp_path), ref)
    assert "\n" not in str(err.value)
    assert ".vcf" in str(err.value)  # names the file


def test_resource_of_another_human_build(tmp_path: Path) -> None:
    """A GRCh37 resource (chr1 at its full GRCh37 length) against a GRCh38 reference."""
    ref = fasta(tmp_path)
    res = vcf(tmp_path, RECORDS, contigs={"chr1": 249_250_621, "chr2": 4000})
    with pytest.raises(InputError, match=r"GRCh37.*reference is GRCh38.*af-only-gnomad\.hg38"):
        check_germline_resource(res, ref, build="GRCh38")


def test_config_check_covers_resource_and_panel(tmp_path: Path) -> None:
    ref = fasta(tmp_path)
    res = vcf(tmp_path, RECORDS)
    config = {"reference": {"fasta": str(ref), "build": "custom"}, "somatic": {}}
    check_somatic_resources(config)  # nothing configured: nothing to check
    config["somatic"] = {"germline_resource": str(res), "germline_resource_af_field": "AF"}
    check_somatic_resources(config)
    config["somatic"]["germline_resource_af_field"] = "gnomAD_AF"
    with pytest.raises(InputError, match="INFO/gnomAD_AF"):
        check_somatic_resources(config)
    config["somatic"] = {"pon": str(tmp_path / "nope.vcf.gz")}
    with pytest.raises(InputError, match=r"fix somatic\.pon"):
        check_somatic_resources(config)


def normal_vcf(tmp_path: Path, name: str, records: list[str]) -> Path:
    lines = [
        "##fileformat=VCFv4.2",
        *(f"##contig=<ID={c},length={n}>" for c, n in CONTIGS.items()),
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{name}",
        *records,
    ]
    path = tmp_path / f"{name}.vcf"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_pon_build_from_normal_vcfs(tmp_path: Path) -> None:
    ref = fasta(tmp_path)
    seq = pysam.FastaFile(str(ref))
    base = {p: seq.fetch("chr1", p - 1, p) for p in (100, 200, 300)}
    alt = {p: "A" if b != "A" else "C" for p, b in base.items()}

    def rec(p: int, gt: str = "0/1", filt: str = "PASS") -> str:
        return f"chr1\t{p}\t.\t{base[p]}\t{alt[p]}\t.\t{filt}\t.\tGT\t{gt}"

    vcfs = [
        normal_vcf(tmp_path, "N1", [rec(100), rec(200), rec(300)]),
        normal_vcf(tmp_path, "N2", [rec(100), rec(200, "0/0"), rec(300, filt="LowQual")]),
        normal_vcf(tmp_path, "N3", [rec(100), rec(300)]),
    ]
    out = tmp_path / "pon.vcf.gz"
    args = ["pon", "build", "--vcfs", *map(str, vcfs), "--fasta", str(ref), "--min-normals", "2"]
    assert main([*args, "--out", str(out)]) == 0
    panel = load_pon(str(out))
    assert sorted(panel["pos"]) == [100, 300]  # 300: N1 and N3 (N2's record fails its filter)
    text = subprocess.run(["bcftools", "view", str(out)], capture_output=True, text=True).stdout
    assert "##PON_SIZE=3" in text and "N_NORMALS=3" in text
    assert Path(f"{out}.tbi").exists()
    assert main([*args[:-1], "4", "--out", str(tmp_path / "x.vcf.gz")]) == 2


def test_pon_build_from_bams_matches_min_normals(tmp_path: Path) -> None:
    """Two normals carry one allele with >= 2 alt reads; a third allele is in one normal only."""
    from test_somatic_pileup import fragments_over, reference, write_bam

    ref, seq = reference(tmp_path)
    alt_c = "A"
    bams = []
    for i, (carrier, single) in enumerate([(True, True), (True, False), (False, False)]):
        frags = fragments_over(500, 20, None, alt_c if carrier else None, seed=i)
        frags += fragments_over(300, 20, None, "G" if single else None, seed=10 + i)
        bams.append(write_bam(tmp_path / f"N{i}.bam", f"N{i}", seq, frags))
    out = tmp_path / "pon.vcf.gz"
    code = main(
        ["pon", "build", "--bams", *map(str, bams), "--fasta", str(ref), "--min-normals", "2",
         "--threads", "2", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    panel = load_pon(str(out))
    assert panel[["pos", "alt"]].values.tolist() == [[501, alt_c]]


def test_pon_build_from_an_unreadable_bam_names_the_tool_and_its_reason(tmp_path: Path) -> None:
    from scce_genomics.somatic.pon import alleles_from_bams
    from test_somatic_pileup import reference

    ref, _ = reference(tmp_path)
    bam = tmp_path / "N0.bam"
    bam.write_bytes(b"not a BAM")
    with pytest.raises(InputError, match=r"bcftools mpileup of the normals failed: .*header"):
        alleles_from_bams([bam], ref)
