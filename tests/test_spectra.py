"""Mutation catalogues: contexts, strand folding, doublets, indel classes, SPMG agreement."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from scce_genomics.cli import main
from scce_genomics.cosmic import SBS96_CHANNELS
from scce_genomics.errors import InputError
from scce_genomics.spectra.catalogues import (
    DBS78_CHANNELS,
    ID83_CHANNELS,
    build_catalogs,
    classify_indel,
    trinucleotide_opportunities,
)
from scce_genomics.spectra.variants import sample_name_of
from spectra_oracle import spmg_available, spmg_catalogs

HEADER = (
    '##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{name}\n"
)


def write_fasta(path: Path, chroms: dict[str, str]) -> Path:
    with open(path, "w") as handle:
        for name, seq in chroms.items():
            handle.write(f">{name}\n")
            handle.writelines(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
    pysam.faidx(str(path))
    return path


def write_vcf(path: Path, records: list[tuple], name: str = "T1", gz: bool = False) -> Path:
    lines = [HEADER.format(name=name)]
    for rec in records:
        chrom, pos, ref, alt, *rest = rec
        filt = rest[0] if rest else "PASS"
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\t.\tGT\t0/1\n")
    text = "".join(lines)
    if gz:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


def nonzero(frame: pd.DataFrame, sample: str) -> dict[str, int]:
    col = frame[sample]
    return {k: int(v) for k, v in col[col > 0].items()}


def test_channel_lists_match_sigprofiler_conventions() -> None:
    assert len(DBS78_CHANNELS) == 78 and len(set(DBS78_CHANNELS)) == 78
    assert len(ID83_CHANNELS) == 83 and len(set(ID83_CHANNELS)) == 83
    assert ID83_CHANNELS[0] == "1:Del:C:0" and ID83_CHANNELS[-1] == "5:Del:M:5"
    # Every doublet folds onto exactly one canonical channel.
    comp = str.maketrans("ACGT", "TGCA")
    seen = set()
    pairs = ["".join(p) for p in itertools.product("ACGT", repeat=2)]
    for ref in pairs:
        for alt in pairs:
            if ref[0] == alt[0] or ref[1] == alt[1]:
                continue
            label = f"{ref}>{alt}"
            if label not in DBS78_CHANNELS:
                label = f"{ref.translate(comp)[::-1]}>{alt.translate(comp)[::-1]}"
            assert label in DBS78_CHANNELS
            seen.add(label)
    assert seen == set(DBS78_CHANNELS)


def test_reverse_complement_folding_and_skips(tmp_path: Path) -> None:
    # chr1: ACA at 10-12 (C>A there is A[C>A]A); TGT at 20-22 (G>T is its reverse complement).
    seq = list("G" * 40)
    seq[9:12] = "ACA"
    seq[19:22] = "TGT"
    seq[29:32] = "NCA"
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "".join(seq)})
    vcf = write_vcf(
        tmp_path / "a.vcf",
        [
            ("chr1", 11, "C", "A"),  # A[C>A]A
            ("chr1", 21, "G", "T"),  # TGT G>T == ACA C>A
            ("chr1", 1, "G", "A"),  # first base: no 5' context
            ("chr1", 40, "G", "A"),  # last base: no 3' context
            ("chr1", 31, "C", "T"),  # 5' neighbour is N
            ("chr1", 15, "T", "A"),  # REF disagrees with the FASTA (G)
            ("chrX", 5, "A", "C"),  # contig not in the FASTA
            ("chr1", 25, "G", "C", "LowQual"),  # filtered
        ],
    )
    cat = build_catalogs([vcf], fasta)
    assert nonzero(cat.sbs96, "T1") == {"A[C>A]A": 2}
    assert list(cat.sbs96.index) == list(SBS96_CHANNELS)
    skipped = cat.skipped.loc["T1"]
    assert skipped["chrom_end"] == 2
    assert skipped["n_context"] == 1
    assert skipped["ref_mismatch"] == 1
    assert skipped["unknown_chrom"] == 1
    assert skipped["not_pass"] == 1
    assert cat.sbs6.loc["C>A", "T1"] == 2 and cat.sbs6["T1"].sum() == 2
    # Keeping every FILTER value counts the LowQual record (G>C in GGG -> G[C>G]C... folded).
    assert build_catalogs([vcf], fasta, pass_only=False).sbs96["T1"].sum() == 3


def test_doublets_mnvs_and_multiallelic(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    seq = "".join(rng.choice(list("ACGT"), 400))
    seq = seq[:99] + "GG" + seq[101:]  # positions 100-101 = GG
    fasta = write_fasta(tmp_path / "ref.fa", {"chr2": seq})
    nxt = {"A": "C", "C": "A", "G": "T", "T": "G"}

    def snv(pos: int) -> tuple:
        return ("chr2", pos, seq[pos - 1], nxt[seq[pos - 1]])

    records = [
        ("chr2", 100, "G", "T"),
        ("chr2", 101, "G", "T"),  # adjacent pair -> GG>TT, folded to CC>AA
        ("chr2", 200, seq[199:201], nxt[seq[199]] + nxt[seq[200]]),  # two-base MNV record
        snv(250),
        snv(251),
        snv(252),  # three adjacent: MNV, neither SBS nor DBS
        ("chr2", 300, seq[299:302], nxt[seq[299]] + seq[300:302]),  # MNV record, one change
        ("chr2", 350, seq[349], ",".join(b for b in "ACGT" if b != seq[349])),  # 3 ALTs
    ]
    vcf = write_vcf(tmp_path / "d.vcf.gz", records, gz=True)
    cat = build_catalogs([vcf], fasta)
    dbs = nonzero(cat.dbs78, "T1")
    assert dbs.get("CC>AA") == 1
    assert sum(dbs.values()) == 2
    assert cat.sbs96["T1"].sum() == 1 + 3  # the one-change MNV and the three ALTs
    assert cat.skipped.loc["T1", "mnv_3plus"] == 3
    # SigProfilerMatrixGenerator-compatible mode also counts doublet/run bases in SBS96.
    compat = build_catalogs([vcf], fasta, doublets_in_sbs=True)
    assert compat.sbs96["T1"].sum() == 4 + 4 + 3
    assert compat.dbs78.equals(cat.dbs78)


@pytest.mark.parametrize(
    ("seq", "pos", "ref", "alt", "label"),
    [
        ("ATCCCCGA", 2, "TC", "T", "1:Del:C:3"),  # C homopolymer of 4
        ("ATCCCCGA", 2, "T", "TC", "1:Ins:C:4"),  # insertion into it
        ("ATGGAT", 2, "TG", "T", "1:Del:C:1"),  # G deletion folds to C
        ("GCATCG", 2, "C", "CA", "1:Ins:T:1"),  # A insertion next to one A
        ("GCAGCG", 2, "CA", "C", "1:Del:T:0"),
        ("TTAGAGAGTT", 2, "TAG", "T", "2:Del:R:2"),  # AG repeat x3
        ("TTAGAGAGTT", 2, "T", "TAG", "2:Ins:R:3"),
        ("TTTTGACGACTTTT", 5, "GACG", "G", "3:Del:M:2"),  # 3' microhomology AC
        ("TTTACGACTTTT", 5, "CGAC", "C", "3:Del:M:2"),  # 5' microhomology AC|GAC
        ("TTTTTGCAGTAGCAGCTTTT", 5, "TGCAGTA", "T", "5:Del:M:4"),  # GCAG on the 3' side
        ("AAAAGCTTGCCAAAA", 4, "AGCTTGC", "A", "5:Del:R:0"),
        ("ACGTACGTACGTAAAA", 1, "AC", "AGT", None),  # complex
        ("TTAGAGAGTT", 2, "TAGA", "TA", "2:Del:R:2"),  # padded deletion trims to TAG>T
    ],
)
def test_indel_classes(seq: str, pos: int, ref: str, alt: str, label: str | None) -> None:
    assert classify_indel(seq.encode(), pos, ref, alt) == label


def test_indels_and_empty_samples_through_vcf(tmp_path: Path) -> None:
    seq = "GGGGGTTTTTGACGACTTTTGGGGGATCCCCGAGGGGGG"
    fasta = write_fasta(tmp_path / "ref.fa", {"chr3": seq})
    start = seq.index("GACGAC") + 1
    hp = seq.index("TCCCCG") + 1
    indels = write_vcf(
        tmp_path / "i.vcf",
        [("chr3", start, "GACG", "G"), ("chr3", hp, "TC", "T"), ("chr3", hp, "T", "TCC")],
    )
    empty = write_vcf(tmp_path / "e.vcf", [], name="T2")
    filtered = write_vcf(tmp_path / "f.vcf", [("chr3", 3, "G", "T", "lowqual")], name="T3")
    cat = build_catalogs([indels, empty, filtered], fasta)
    assert nonzero(cat.id83, "T1") == {"3:Del:M:2": 1, "1:Del:C:3": 1, "2:Ins:R:2": 1}
    for sample in ("T2", "T3"):
        for frame in (cat.sbs96, cat.dbs78, cat.id83, cat.sbs6):
            assert sample in frame.columns and int(frame[sample].sum()) == 0
    assert sample_name_of(empty) == "T2"


def test_trinucleotide_opportunities(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"c1": "ACAGTNTT", "c2": "TGT"})
    counts = trinucleotide_opportunities(fasta)
    assert len(counts) == 32 and int(counts.sum()) == 4  # ACA CAG AGT (c1), TGT (c2); N skips
    assert counts["ACA"] == 2  # ACA itself and TGT's reverse complement
    assert counts["CTG"] == 1 and counts["ACT"] == 1  # CAG and AGT fold to CTG, ACT
    bed = tmp_path / "t.bed"
    bed.write_text("c1\t0\t3\n")
    restricted = trinucleotide_opportunities(fasta, bed)
    assert int(restricted.sum()) == 2 and restricted["ACA"] == 1
    # Gzipped BEDs with extra columns, as shipped in resources/genome/, read the same.
    gz = tmp_path / "t.bed.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write("c1\t0\t3\tGENE1\tENSG1\t+\tprotein_coding\n")
    assert trinucleotide_opportunities(fasta, gz).equals(restricted)
    with pytest.raises(InputError, match="BED not found"):
        trinucleotide_opportunities(fasta, tmp_path / "missing.bed")
    other = tmp_path / "other.bed"
    other.write_text("chrc1\t0\t3\n")
    with pytest.raises(InputError, match="BED 'chrc1', FASTA 'c1'"):
        trinucleotide_opportunities(fasta, other)


def test_cli_spectra_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seq = "ACGT" * 30
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": seq})
    vcf = write_vcf(tmp_path / "x.vcf", [("chr1", 6, "C", "T")], name="TUM")
    out = tmp_path / "spectra"
    assert main(["spectra", "--vcf", str(vcf), "--fasta", str(fasta), "--outdir", str(out)]) == 0
    for name in ("SBS96", "SBS6", "DBS78", "ID83"):
        table = pd.read_csv(out / f"{name}.tsv", sep="\t")
        assert list(table.columns) == ["MutationType", "TUM"]
    assert pd.read_csv(out / "SBS96.tsv", sep="\t", index_col=0).loc["A[C>T]G", "TUM"] == 1
    code = main(
        [
            "spectra",
            "--vcf",
            str(tmp_path / "missing.vcf"),
            "--fasta",
            str(fasta),
            "--outdir",
            str(out),
        ]
    )
    assert code == 2 and "VCF not found" in capsys.readouterr().err


@pytest.mark.skipif(not spmg_available(), reason="SigProfilerMatrixGenerator is not installed")
def test_matches_sigprofilermatrixgenerator(tmp_path: Path) -> None:
    """Identical SBS96/DBS78/ID83 counts to SPMG on a random genome with a custom install."""
    rng = np.random.default_rng(11)
    chroms = {f"chr{i}": "".join(rng.choice(list("ACGT"), 30_000)) for i in (1, 2)}
    # Repeats and homopolymers so indel classes vary.
    for name in chroms:
        s = list(chroms[name])
        for k in range(20):
            at = 1000 + k * 1300
            unit = "".join(rng.choice(list("ACGT"), int(rng.integers(1, 5))))
            rep = (unit * int(rng.integers(2, 8)))[:40]
            s[at : at + len(rep)] = rep
        chroms[name] = "".join(s)
    fasta = write_fasta(tmp_path / "ref.fa", chroms)
    nxt = {"A": "G", "C": "T", "G": "A", "T": "C"}
    vcfs, names = [], []
    for t in range(3):
        recs: list[tuple] = []
        for name, s in chroms.items():
            # Events >= 12 bp apart: SPMG folds a doublet with another SNV within 5 bp into an
            # "MNS" class of its own, a quirk we do not copy.
            for p in np.sort(rng.choice(np.arange(10, len(s) - 10, 12), 150, replace=False)):
                p = int(p)
                r = rng.random()
                if r < 0.7:
                    recs.append(
                        (name, p, s[p - 1], rng.choice([b for b in "ACGT" if b != s[p - 1]]))
                    )
                elif r < 0.8:
                    recs.append((name, p, s[p - 1], nxt[s[p - 1]]))
                    recs.append((name, p + 1, s[p], nxt[s[p]]))
                elif r < 0.9:
                    n = int(rng.integers(1, 7))
                    recs.append((name, p, s[p - 1 : p + n], s[p - 1]))
                else:
                    ins = "".join(rng.choice(list("ACGT"), int(rng.integers(1, 6))))
                    recs.append((name, p, s[p - 1], s[p - 1] + ins))
        names.append(f"S{t}")
        vcfs.append(write_vcf(tmp_path / f"S{t}.vcf", recs, name=f"S{t}"))
    ours = build_catalogs(vcfs, fasta, names=names, doublets_in_sbs=True)
    theirs, _ = spmg_catalogs(vcfs, names, fasta, tmp_path / "spmg")
    assert ours.sbs96["S0"].sum() > 200 and ours.id83["S0"].sum() > 20
    assert ours.dbs78["S0"].sum() > 10
    for kind, frame in (("SBS96", ours.sbs96), ("DBS78", ours.dbs78), ("ID83", ours.id83)):
        other = theirs[kind].reindex(frame.index).fillna(0).astype(int)
        diff = (other != frame).to_numpy().sum()
        assert diff == 0, f"{kind}: {diff} cells differ from SigProfilerMatrixGenerator"


# ----------------------------------------------------------------------------- edge cases


def test_non_acgt_alleles_are_skipped_and_never_reach_another_sample(tmp_path: Path) -> None:
    # An N base with an A 5' flank: REF=N used to land in a negative channel that wrapped into
    # the previous sample's column.
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "GGGGGANCGGGGGACGGGGG"})
    first = write_vcf(tmp_path / "a.vcf", [("chr1", 15, "C", "T")], name="S0")  # A[C>T]G
    second = write_vcf(
        tmp_path / "b.vcf",
        [
            ("chr1", 7, "N", "T"),  # REF=N at the N base, flanks A and C
            ("chr1", 9, "G", "N"),  # ALT=N
            ("chr1", 10, "R", "A"),  # IUPAC REF
            ("chr1", 11, "GN", "G"),  # N inside an indel allele
        ],
        name="S1",
    )
    cat = build_catalogs([first, second], fasta)
    assert nonzero(cat.sbs96, "S0") == {"A[C>T]G": 1}
    assert int(cat.sbs96["S1"].sum()) == 0 and int(cat.id83["S1"].sum()) == 0
    assert cat.skipped.loc["S1", "non_acgt_allele"] == 4
    assert cat.skipped.loc["S0"].sum() == 0


@pytest.mark.parametrize(("vcf_chrom", "fasta_chrom"), [("21", "chr21"), ("chr21", "21")])
def test_contig_naming_style_mismatch_is_an_error(
    tmp_path: Path, vcf_chrom: str, fasta_chrom: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {fasta_chrom: "ACGT" * 10})
    vcf = write_vcf(tmp_path / "x.vcf", [(vcf_chrom, 6, "C", "T")])
    out = tmp_path / "out"
    code = main(["spectra", "--vcf", str(vcf), "--fasta", str(fasta), "--outdir", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"'{vcf_chrom}'" in err and f"'{fasta_chrom}'" in err
    assert "bcftools annotate --rename-chrs" in err and str(vcf) in err
    assert not (out / "SBS96.tsv").exists()


def test_filter_dot_counts_as_passing_with_a_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 10})
    vcf = write_vcf(
        tmp_path / "x.vcf",
        [("chr1", 6, "C", "T", "."), ("chr1", 10, "C", "A", "PASS"), ("chr1", 14, "C", "G", "q")],
    )
    cat = build_catalogs([vcf], fasta)
    assert nonzero(cat.sbs96, "T1") == {"A[C>T]G": 1, "A[C>A]G": 1}
    assert cat.skipped.loc["T1", "not_pass"] == 1
    assert len(cat.notices) == 1 and "FILTER '.'" in cat.notices[0]
    out = tmp_path / "out"
    assert main(["spectra", "--vcf", str(vcf), "--fasta", str(fasta), "--outdir", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("notice: ") and "1 record" in err[0]


def test_contig_missing_from_the_fasta_is_counted_with_a_notice(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 10})
    vcf = write_vcf(tmp_path / "x.vcf", [("chr1", 6, "C", "T"), ("HLA-A*01", 5, "A", "C")])
    cat = build_catalogs([vcf], fasta)
    assert cat.skipped.loc["T1", "unknown_chrom"] == 1 and int(cat.sbs96["T1"].sum()) == 1
    assert any("HLA-A*01" in n and "not in the FASTA" in n for n in cat.notices)


def test_position_beyond_the_contig_end_is_an_error(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 10})
    vcf = write_vcf(tmp_path / "x.vcf", [("chr1", 6, "C", "T"), ("chr1", 45, "A", "C")])
    with pytest.raises(InputError, match=r"chr1:45 is beyond the end of chr1 \(40 bp\)") as err:
        build_catalogs([vcf], fasta)
    assert err.value.path == str(vcf)
    # A deletion whose REF runs past the end is the same mistake.
    vcf = write_vcf(tmp_path / "y.vcf", [("chr1", 39, "GTA", "G")])
    with pytest.raises(InputError, match="beyond the end"):
        build_catalogs([vcf], fasta)


def test_header_contig_length_differing_from_the_fasta_is_an_error(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 10})
    vcf = write_vcf(tmp_path / "x.vcf", [("chr1", 6, "C", "T")])
    text = vcf.read_text().replace("#CHROM", "##contig=<ID=chr1,length=4000>\n#CHROM", 1)
    vcf.write_text(text)
    with pytest.raises(InputError, match=r"chr1 is 4000 bp in the VCF header but 40 bp"):
        build_catalogs([vcf], fasta)


def test_symbolic_and_spanning_alleles_are_counted_as_symbolic(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 10})
    vcf = write_vcf(
        tmp_path / "x.vcf",
        [("chr1", 6, "C", "<DEL>"), ("chr1", 10, "C", "*"), ("chr1", 14, "C", "C[chr1:20[")],
    )
    cat = build_catalogs([vcf], fasta)
    assert cat.skipped.loc["T1", "symbolic"] == 3 and cat.skipped.loc["T1"].sum() == 3


def test_cli_refuses_two_vcfs_with_the_same_sample_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 10})
    a = write_vcf(tmp_path / "a.vcf", [("chr1", 6, "C", "T")], name="TUM")
    b = write_vcf(tmp_path / "b.vcf", [("chr1", 10, "C", "T")], name="TUM")
    out = tmp_path / "out"
    args = ["spectra", "--vcf", str(a), "--vcf", str(b), "--fasta", str(fasta), "--outdir"]
    assert main([*args, str(out)]) == 2
    err = capsys.readouterr().err
    assert "'TUM'" in err and str(a) in err and str(b) in err and "--name" in err
    # Explicit names that collide are refused too; distinct names make it run.
    assert main([*args, str(out), "--name", "X", "--name", "X"]) == 2
    assert "'X'" in capsys.readouterr().err
    assert main([*args, str(out), "--name", "X", "--name", "Y"]) == 0
    assert list(pd.read_csv(out / "SBS96.tsv", sep="\t").columns) == ["MutationType", "X", "Y"]


def test_bcf_input_and_truncated_vcf(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 10})
    vcf = write_vcf(tmp_path / "x.vcf", [("chr1", 6, "C", "T")])
    vcf.write_text(vcf.read_text().replace("#CHROM", "##contig=<ID=chr1,length=40>\n#CHROM"))
    bcf = tmp_path / "x.bcf"
    with (
        pysam.VariantFile(str(vcf)) as src,
        pysam.VariantFile(str(bcf), "wb", header=src.header) as dst,
    ):
        for rec in src:
            dst.write(rec)
    assert nonzero(build_catalogs([bcf], fasta).sbs96, "T1") == {"A[C>T]G": 1}
    # A bgzipped VCF cut short must not give a partial catalogue (bcftools exits 0 on it).
    many = write_vcf(tmp_path / "many.vcf", [("chr1", 6, "C", "T")] * 30_000)
    pysam.tabix_compress(str(many), str(tmp_path / "many.vcf.gz"))
    data = (tmp_path / "many.vcf.gz").read_bytes()
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputError, match="cannot read VCF records") as err:
        build_catalogs([cut], fasta)
    assert err.value.path == str(cut)
