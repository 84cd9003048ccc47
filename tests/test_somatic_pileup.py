"""Candidate pileup and read-orientation counts on small constructed BAMs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.somatic.model import SomaticParams, load_candidates, score
from scce_genomics.somatic.orientation import orientation_counts
from scce_genomics.somatic.pileup import ANNOTATIONS, tumor_pileup

LENGTH, READ, FRAGMENT = 1000, 50, 150
C_SITE, G_SITE, T_SITE = 500, 700, 300  # 0-based positions of a C, a G and a T
MPILEUP = ["-d", "10000", "-q", "20", "-Q", "20"]


def reference(tmp_path: Path) -> tuple[Path, str]:
    rng = np.random.default_rng(7)
    seq = list("".join(rng.choice(list("ACGT"), LENGTH)))
    seq[C_SITE], seq[G_SITE], seq[T_SITE] = "C", "G", "T"
    text = "".join(seq)
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "\n".join(text[i : i + 60] for i in range(0, LENGTH, 60)) + "\n")
    pysam.faidx(str(fasta))
    return fasta, text


def write_bam(
    path: Path, sample: str, seq: str, fragments: list[tuple[int, bool, dict[int, str]]]
) -> Path:
    """Fragments (start, read-1-forward?, {position: base}) as proper pairs, sorted + indexed."""
    header = {
        "HD": {"VN": "1.6", "SO": "unsorted"},
        "SQ": [{"SN": "chr1", "LN": LENGTH}],
        "RG": [{"ID": sample, "SM": sample}],
    }
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as bam:
        for i, (start, r1_forward, edits) in enumerate(fragments):
            frag = list(seq[start : start + FRAGMENT])
            for pos, base in edits.items():
                frag[pos - start] = base
            left, right = start, start + FRAGMENT - READ
            for mate in (1, 2):
                forward = r1_forward if mate == 1 else not r1_forward
                pos = left if forward else right
                read = pysam.AlignedSegment()
                read.query_name = f"f{i}"
                read.query_sequence = "".join(frag[pos - start : pos - start + READ])
                read.flag = 1 | 2 | (64 if mate == 1 else 128) | (0 if forward else 16)
                read.flag |= 32 if forward else 0  # mate reverse
                read.reference_id = 0
                read.reference_start = pos
                read.mapping_quality = 60
                read.cigarstring = f"{READ}M"
                read.next_reference_id = 0
                read.next_reference_start = right if forward else left
                read.template_length = FRAGMENT if forward else -FRAGMENT
                read.query_qualities = pysam.qualitystring_to_array("I" * READ)
                read.set_tag("RG", sample)
                bam.write(read)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    return path


def fragments_over(site: int, n: int, r1_forward: bool | None, base: str | None, seed: int):
    """``n`` fragments whose left read covers ``site`` (alternating orientation when None)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        start = site - int(rng.integers(5, READ - 5))
        forward = (i % 2 == 0) if r1_forward is None else r1_forward
        out.append((start, forward, {site: base} if base else {}))
    return out


@pytest.fixture(scope="module")
def pileup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("pileup")
    fasta, seq = reference(tmp)
    tumor = (
        fragments_over(C_SITE, 8, True, "T", 1)  # C>T only in F1R2 fragments: damage-like
        + fragments_over(C_SITE, 20, None, None, 2)
        + fragments_over(G_SITE, 10, None, "A", 3)  # G>A in both orientations: real
        + fragments_over(G_SITE, 20, None, None, 4)
        + fragments_over(T_SITE, 10, None, "G", 5)  # T>G: not a damage class
        + fragments_over(T_SITE, 20, None, None, 6)
    )
    normal = (
        fragments_over(C_SITE, 25, None, None, 7)
        + fragments_over(G_SITE, 25, None, None, 8)
        + fragments_over(T_SITE, 25, None, None, 9)
    )
    t_bam = write_bam(tmp / "T1.bam", "T1", seq, tumor)
    n_bam = write_bam(tmp / "N1.bam", "N1", seq, normal)
    bcf = tmp / "cand.bcf"
    # the workflow's candidate command (rule somatic_candidates_chunk)
    tumor_pileup([t_bam, n_bam], fasta, None, MPILEUP, 2, bcf, tmp / "germline.bcf", 1)
    return {"fasta": fasta, "tumor": t_bam, "normal": n_bam, "bcf": bcf}


def test_candidates_load_per_sample_counts(pileup: dict[str, Path]) -> None:
    cand = load_candidates(pileup["bcf"], "T1", "N1")
    got = cand.table.assign(t_alt=cand.t_alt, t_ref=cand.t_ref, n_ref=cand.n_ref)
    got = got.set_index("pos")
    assert set(got.index) == {C_SITE + 1, G_SITE + 1, T_SITE + 1}
    assert got.loc[C_SITE + 1, ["ref", "alt"]].tolist() == ["C", "T"]
    assert got.loc[C_SITE + 1, "t_alt"] == 8 and got.loc[C_SITE + 1, "t_ref"] == 20
    assert got.loc[G_SITE + 1, "n_ref"] == 25
    tumor_only = load_candidates(pileup["bcf"], "T1", None)
    assert not tumor_only.paired and (tumor_only.n_alt == 0).all()


def test_unknown_sample_is_a_clear_error(pileup: dict[str, Path]) -> None:
    from scce_genomics.errors import InputError

    with pytest.raises(InputError, match="read-group SM"):
        load_candidates(pileup["bcf"], "T9", None)


def test_orientation_counts_split_fragments(pileup: dict[str, Path]) -> None:
    cand = load_candidates(pileup["bcf"], "T1", "N1")
    counts = orientation_counts(pileup["tumor"], pileup["fasta"], cand.table).set_index("pos")
    assert T_SITE + 1 not in counts.index  # T>G cannot be an orientation artifact
    c_site = counts.loc[C_SITE + 1]
    assert (c_site["f1r2_alt"], c_site["f2r1_alt"]) == (8, 0)
    assert c_site["f1r2_ref"] + c_site["f2r1_ref"] == 20
    g_site = counts.loc[G_SITE + 1]
    assert (g_site["f1r2_alt"], g_site["f2r1_alt"]) == (5, 5)


def test_orientation_counts_of_an_unreadable_bam_name_it_and_the_reason(
    pileup: dict[str, Path], tmp_path: Path
) -> None:
    from scce_genomics.errors import InputError

    cand = load_candidates(pileup["bcf"], "T1", "N1")
    bam = tmp_path / "T1.bam"
    bam.write_bytes(b"not a BAM")
    with pytest.raises(InputError, match=r"orientation pileup failed: .*(format|header)") as err:
        orientation_counts(bam, pileup["fasta"], cand.table)
    assert str(bam) in str(err.value)


def test_orientation_feeds_the_model(pileup: dict[str, Path]) -> None:
    """Orientation counts reach the scored sites; a G>A seen in both orientations is kept."""
    cand = load_candidates(pileup["bcf"], "T1", "N1")
    counts = orientation_counts(pileup["tumor"], pileup["fasta"], cand.table)
    scored = score(cand, SomaticParams(min_tlod=0), orientation=counts).set_index("pos")
    assert (scored.loc[C_SITE + 1, "f1r2_alt"], scored.loc[C_SITE + 1, "f2r1_alt"]) == (8, 0)
    assert scored.loc[G_SITE + 1, "artifact_posterior"] < 0.5


def test_vcf_written_a_slice_at_a_time_is_the_same(pileup, tmp_path, monkeypatch) -> None:
    """Slices of one row give the VCF of one slice: no record lost, doubled or reordered."""
    import gzip

    from scce_genomics.somatic import vcf
    from scce_genomics.somatic.vcf import write_somatic_vcf

    cand = load_candidates(pileup["bcf"], "T1", "N1")
    counts = orientation_counts(pileup["tumor"], pileup["fasta"], cand.table)
    scored = score(cand, SomaticParams(min_tlod=0), orientation=counts)
    contigs = {"chr1": LENGTH}
    write_somatic_vcf(scored, contigs, "T1", "N1", tmp_path / "whole.vcf.gz")
    monkeypatch.setattr(vcf, "_SLICE", 1)
    write_somatic_vcf(scored, contigs, "T1", "N1", tmp_path / "sliced.vcf.gz")
    with (
        gzip.open(tmp_path / "whole.vcf.gz", "rt") as a,
        gzip.open(tmp_path / "sliced.vcf.gz", "rt") as b,
    ):
        whole, sliced = a.read(), b.read()
    assert sliced == whole
    assert len([line for line in whole.splitlines() if not line.startswith("#")]) == len(scored)


@pytest.mark.parametrize("empty", [False, True])
def test_cli_chain_from_candidates_to_tmb(
    pileup: dict[str, Path], tmp_path: Path, empty: bool
) -> None:
    """somatic-call -> csq -> somatic-maf -> somatic-cohort, also with no candidate at all."""
    from scce_genomics.cli import main

    fasta, bcf = pileup["fasta"], pileup["bcf"]
    if empty:
        bcf = tmp_path / "empty.bcf"
        subprocess.run(
            ["bcftools", "view", "-i", "POS<0", "-Ob", "-o", str(bcf), str(pileup["bcf"])],
            check=True,
        )
    raw, ann = tmp_path / "raw.vcf.gz", tmp_path / "T1.vcf.gz"
    argv = ["somatic-call", "--candidates", str(bcf), "--tumor", "T1", "--normal", "N1"]
    argv += ["--tumor-bam", str(pileup["tumor"]), "--fasta", str(fasta), "--out", str(raw)]
    argv += ["--params", '{"min_tlod": 0}']
    assert main(argv) == 0
    gff = tmp_path / "genes.gff3"
    gff.write_text("##gff-version 3\n")
    subprocess.run(
        ["bcftools", "csq", "-f", str(fasta), "-g", str(gff), "--local-csq", "-p", "a",
         "-Oz", "-o", str(ann), str(raw)],
        check=True, capture_output=True,
    )  # fmt: skip
    maf = tmp_path / "T1.maf"
    assert main(["somatic-maf", "--vcf", str(ann), "--tumor", "T1", "--normal", "N1",
                 "--out", str(maf)]) == 0  # fmt: skip
    bed = tmp_path / "callable.bed"
    bed.write_text(f"chr1\t0\t{LENGTH}\tCALLABLE\n")
    cohort, tmb = tmp_path / "cohort.maf", tmp_path / "tmb.tsv"
    argv = ["somatic-cohort", "--maf", str(maf), "--tumors", "T1", "--callable", f"T1={bed}"]
    assert main([*argv, "--out-maf", str(cohort), "--out-tmb", str(tmb)]) == 0
    table = pd.read_csv(tmb, sep="\t")
    calls = pd.read_csv(cohort, sep="\t")
    assert "Variant_Classification" in calls.columns
    expected = 0 if empty else len(calls)
    assert calls.empty if empty else len(calls) == 3  # the three planted alleles
    assert table.loc[0, "n_snv"] + table.loc[0, "n_indel"] == expected
    assert table.loc[0, "tmb_per_mb"] == pytest.approx(expected / (LENGTH / 1e6))
    view = subprocess.run(["bcftools", "view", "-H", str(ann)], capture_output=True, text=True)
    assert view.returncode == 0 and (view.stdout == "") == empty


# -- one pileup, two readers: the somatic candidates and the CNV stage's germline SNPs ---------

HET_SITE, HOM_SITE = 850, 150  # a germline heterozygous SNP, and one homozygous in the normal


@pytest.fixture(scope="module")
def germline_pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The pileup fixture's somatic alleles plus a het and a hom-alt germline SNP."""
    tmp = tmp_path_factory.mktemp("germline")
    fasta, seq = reference(tmp)
    alt = {base: "G" if base != "G" else "A" for base in "ACGT"}
    het, hom = alt[seq[HET_SITE]], alt[seq[HOM_SITE]]
    shared = (
        fragments_over(HET_SITE, 15, None, het, 11)
        + fragments_over(HET_SITE, 15, None, None, 12)
        + fragments_over(HOM_SITE, 25, None, hom, 13)
    )
    tumor = fragments_over(G_SITE, 10, None, "A", 3) + fragments_over(G_SITE, 20, None, None, 4)
    normal = fragments_over(G_SITE, 25, None, None, 8)
    return {
        "fasta": fasta,
        "tumor": write_bam(tmp / "T1.bam", "T1", seq, tumor + shared),
        "normal": write_bam(tmp / "N1.bam", "N1", seq, normal + shared),
    }


def records(path: Path, fields: str = "%CHROM\t%POS\t%REF\t%ALT\t%QUAL[\t%AD]\n") -> str:
    return subprocess.run(
        ["bcftools", "query", "-f", fields, str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_one_pileup_equals_the_two_separate_ones(
    germline_pair: dict[str, Path], tmp_path: Path
) -> None:
    """Candidates as from mpileup | norm | view, germline SNPs as from mpileup | call -mv."""
    fasta, t_bam, n_bam = germline_pair["fasta"], germline_pair["tumor"], germline_pair["normal"]
    cand, germ = tmp_path / "cand.bcf", tmp_path / "germ.bcf"
    tumor_pileup([t_bam, n_bam], fasta, None, MPILEUP, 2, cand, germ, normal_index=1)
    pileup = f"bcftools mpileup -f {fasta} -a {ANNOTATIONS} {' '.join(MPILEUP)} -Ou {t_bam} {n_bam}"
    separate = {
        "cand": f"{pileup} | bcftools norm -f {fasta} -m -any -Ou "
        "| bcftools view -i 'ALT!=\"<*>\" && FMT/AD[0:1]>=2' -Ob -o {out}",
        "germ": f"{pileup} | bcftools call -mv -Ou | bcftools view -v snps -m2 -M2 "
        "-i 'GT[1]=\"het\"' -Ob -o {out}",
    }
    for name, command in separate.items():
        out = tmp_path / f"separate.{name}.bcf"
        subprocess.run(command.format(out=out), shell=True, check=True, capture_output=True)
        assert records(tmp_path / f"{name}.bcf") == records(out)
    assert records(germ, "%POS[\t%GT]\n") == records(
        tmp_path / "separate.germ.bcf", "%POS[\t%GT]\n"
    )
    germline = records(germ, "%POS[\t%GT]\n").split()
    assert germline == [str(HET_SITE + 1), "0/1", "0/1"]  # T1 then N1; the hom-alt site is out
    assert {int(line.split("\t")[1]) for line in records(cand).splitlines()} == {
        HOM_SITE + 1, G_SITE + 1, HET_SITE + 1
    }  # fmt: skip


def test_tumor_only_germline_keeps_every_snp_site(
    germline_pair: dict[str, Path], tmp_path: Path
) -> None:
    from scce_genomics.cli import main

    germ = tmp_path / "germ.bcf"
    argv = ["somatic-pileup", "--bams", str(germline_pair["tumor"]), "--fasta"]
    argv += [str(germline_pair["fasta"]), "--out-candidates", str(tmp_path / "cand.bcf")]
    assert main([*argv, "--out-germline", str(germ)]) == 0
    sites = [int(pos) for pos in records(germ, "%POS\n").split()]
    assert sites == [HOM_SITE + 1, G_SITE + 1, HET_SITE + 1]  # no normal: the somatic one too


def test_a_failing_reader_fails_the_pileup_and_leaves_no_output(
    germline_pair: dict[str, Path], tmp_path: Path
) -> None:
    from scce_genomics.errors import InputError

    cand = tmp_path / "cand.bcf"
    germ = tmp_path / "no such folder" / "germ.bcf"  # bcftools view cannot write it
    bams = [germline_pair["tumor"], germline_pair["normal"]]
    with pytest.raises(InputError, match="bcftools view failed"):
        tumor_pileup(bams, germline_pair["fasta"], None, MPILEUP, 2, cand, germ, normal_index=1)
    assert not cand.exists() and not germ.exists()
