"""Mutation catalogues (SBS96, SBS6, DBS78, ID83) from somatic VCFs and the reference FASTA.

Labels and classification follow SigProfilerMatrixGenerator so that our matrices can be fed to
SigProfiler tools and compared with COSMIC signatures by label. Contexts are read from the
reference (never trusted from the VCF): each chromosome is loaded once as a numpy array and all
samples' variants on it are classified together, so a million SNVs cost a few array operations
rather than a million FASTA look-ups. Variants whose context runs off a chromosome end, holds an
N, whose alleles are not plain A/C/G/T, or whose REF disagrees with the FASTA are skipped and
counted in ``skipped.tsv``. VCFs that were not called against this FASTA (contig naming style,
contig lengths, positions past a contig's end) are refused (``spectra.contigs``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from scce_genomics.cosmic import BASES, SBS6_CHANNELS, SBS96_CHANNELS
from scce_genomics.errors import InputError
from scce_genomics.fileio import read_bed_intervals, write_tsv
from scce_genomics.spectra.contigs import (
    check_contig_lengths,
    check_naming_style,
    check_positions,
    unknown_contigs,
)
from scce_genomics.spectra.variants import VcfHeader, read_header, read_variants, sample_name_of

__all__ = [
    "DBS78_CHANNELS",
    "ID83_CHANNELS",
    "TRINUCLEOTIDES",
    "Catalogs",
    "build_catalogs",
    "classify_indel",
    "sbs6_from_sbs96",
    "trinucleotide_opportunities",
    "write_catalogs",
]

#: The 78 strand-folded doublet substitutions, SigProfilerMatrixGenerator order.
DBS78_CHANNELS: tuple[str, ...] = tuple(
    f"{ref}>{alt}"
    for ref, alts in (
        ("AC", "CA CG CT GA GG GT TA TG TT"),
        ("AT", "CA CC CG GA GC TA"),
        ("CC", "AA AG AT GA GG GT TA TG TT"),
        ("CG", "AT GC GT TA TC TT"),
        ("CT", "AA AC AG GA GC GG TA TC TG"),
        ("GC", "AA AG AT CA CG TA"),
        ("TA", "AT CG CT GC GG GT"),
        ("TC", "AA AG AT CA CG CT GA GG GT"),
        ("TG", "AA AC AT CA CC CT GA GC GT"),
        ("TT", "AA AC AG CA CC CG GA GC GG"),
    )
    for alt in alts.split()
)


def _id83_channels() -> tuple[str, ...]:
    one = [f"1:{kind}:{base}:{n}" for kind in ("Del", "Ins") for base in "CT" for n in range(6)]
    rep = [
        f"{size}:{kind}:R:{n}" for kind in ("Del", "Ins") for size in range(2, 6) for n in range(6)
    ]
    mh = [f"{size}:Del:M:{n}" for size in range(2, 6) for n in range(1, size if size < 5 else 6)]
    return tuple(one + rep + mh)


#: The 83 indel classes (SigProfilerMatrixGenerator order): size:type:base/R/M:count.
ID83_CHANNELS: tuple[str, ...] = _id83_channels()
#: The 32 pyrimidine-centred trinucleotides (opportunity tables; ``references.opportunity``).
TRINUCLEOTIDES: tuple[str, ...] = tuple(a + m + b for a in BASES for m in "CT" for b in BASES)

_SBS96_INDEX = {label: i for i, label in enumerate(SBS96_CHANNELS)}
_DBS78_INDEX = {label: i for i, label in enumerate(DBS78_CHANNELS)}
_ID83_INDEX = {label: i for i, label in enumerate(ID83_CHANNELS)}
_COMP = str.maketrans("ACGTN", "TGCAN")

# byte -> base code: A C G T (either case) -> 0..3, anything else -> 4 (N).
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i
# (ref code, alt code) -> substitution class 0..5 in SBS6 order after pyrimidine folding.
_SUB = np.full((5, 5), -1, dtype=np.int64)
for (_r, _a), _lab in {
    ("C", "A"): 0,
    ("C", "G"): 1,
    ("C", "T"): 2,
    ("T", "A"): 3,
    ("T", "C"): 4,
    ("T", "G"): 5,
    ("G", "T"): 0,
    ("G", "C"): 1,
    ("G", "A"): 2,
    ("A", "T"): 3,
    ("A", "G"): 4,
    ("A", "C"): 5,
}.items():
    _SUB[BASES.index(_r), BASES.index(_a)] = _lab
assert [SBS96_CHANNELS[i * 4][2:5] for i in range(6)] == list(SBS6_CHANNELS)

#: Reasons a variant was not counted (columns of ``Catalogs.skipped``).
SKIP_REASONS: tuple[str, ...] = (
    "not_pass",
    "symbolic",
    "non_acgt_allele",
    "ref_mismatch",
    "chrom_end",
    "n_context",
    "unknown_chrom",
    "mnv_3plus",
    "complex_indel",
)


def _rc(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


@dataclass
class Catalogs:
    """A cohort's catalogues: channels × samples count frames plus skipped-variant counts.

    ``notices`` are one-line remarks on what was counted that a user should see (FILTER ``.``
    kept as passing, variants on contigs the FASTA lacks); the CLI prints them on stderr.
    """

    sbs96: pd.DataFrame
    dbs78: pd.DataFrame
    id83: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)
    notices: list[str] = field(default_factory=list)

    @property
    def sbs6(self) -> pd.DataFrame:
        return sbs6_from_sbs96(self.sbs96)


def sbs6_from_sbs96(sbs96: pd.DataFrame) -> pd.DataFrame:
    """Sum SBS96 channels into the six substitution classes (label-aligned)."""
    classes = pd.Index([label[2:5] for label in sbs96.index])
    out = sbs96.groupby(classes).sum().reindex(list(SBS6_CHANNELS), fill_value=0)
    out.index.name = "MutationType"
    return out


# ----------------------------------------------------------------------------- classification


#: ALT alleles that are not a sequence: symbolic (<DEL>, <*>), breakends, spanning deletions
#: (*) and no ALT at all (.).
_SYMBOLIC = r"<.*>|.*[\[\]].*|\*|\."


def _split_records(
    variants: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """SNVs (MNV records broken into their changed bases), indel records, and the masks of
    symbolic-ALT records and of records with a non-A/C/G/T base (N, IUPAC codes) in an allele.
    """
    ref = variants["ref"].to_numpy(dtype=object)
    alt = variants["alt"].to_numpy(dtype=object)
    lr = variants["ref"].str.len().to_numpy()
    la = variants["alt"].str.len().to_numpy()
    acgt_ref = variants["ref"].str.fullmatch("[ACGT]+").to_numpy(dtype=bool)
    valid = acgt_ref & variants["alt"].str.fullmatch("[ACGT]+").to_numpy(dtype=bool)
    symbolic = np.zeros(len(variants), dtype=bool)
    if not valid.all():  # the rare rest: symbolic ALT, or N / IUPAC codes in an allele
        rest = variants.loc[~valid, "alt"].str.fullmatch(_SYMBOLIC).to_numpy(dtype=bool)
        symbolic[~valid] = rest
    snv_mask = valid & (lr == 1) & (la == 1) & (ref != alt)
    snvs = variants.loc[snv_mask, ["sample", "chrom", "pos", "ref", "alt"]]
    mnv_mask = valid & (lr == la) & (lr > 1)
    parts = [snvs]
    if mnv_mask.any():
        rows = []
        for s, c, p, r, a in variants.loc[
            mnv_mask, ["sample", "chrom", "pos", "ref", "alt"]
        ].itertuples(index=False):
            rows += [(s, c, p + i, r[i], a[i]) for i in range(len(r)) if r[i] != a[i]]
        parts.append(pd.DataFrame(rows, columns=["sample", "chrom", "pos", "ref", "alt"]))
    indels = variants.loc[valid & (lr != la), ["sample", "chrom", "pos", "ref", "alt"]]
    return (
        pd.concat(parts, ignore_index=True),
        indels.reset_index(drop=True),
        symbolic,
        ~valid & ~symbolic,
    )


def classify_indel(seq: bytes, pos: int, ref: str, alt: str) -> str | None:
    """ID83 label of one indel (VCF 1-based ``pos``) against an upper-case chromosome.

    Follows SigProfilerMatrixGenerator: the repeat tract is the deleted/inserted unit's copies
    on both sides in the reference; deletions outside repeats look for microhomology at either
    flank (longest wins). Returns ``None`` for complex changes (both alleles altered).
    """
    # Trim shared suffix, then shared prefix beyond the anchor, so padded indels classify.
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[:2] == alt[:2]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    if len(alt) == 1 and ref[0] == alt[0] and len(ref) > 1:
        kind, unit = "Del", ref[1:]
    elif len(ref) == 1 and alt[0] == ref[0] and len(alt) > 1:
        kind, unit = "Ins", alt[1:]
    else:
        return None
    size = len(unit)
    ub = unit.encode()
    start = pos  # 0-based index of the first base after the anchor
    copies = 1 if kind == "Del" else 0
    left = start
    while left - size >= 0 and seq[left - size : left] == ub:
        copies += 1
        left -= size
    right = start + size if kind == "Del" else start
    while right + size <= len(seq) and seq[right : right + size] == ub:
        copies += 1
        right += size
    if kind == "Ins":
        copies += 1  # the inserted unit itself
    n_rep = min(copies - 1, 5)
    if size == 1:
        base = "C" if unit in "CG" else "T"
        return f"1:{kind}:{base}:{n_rep}"
    label_size = min(size, 5)
    if kind == "Del" and copies == 1:
        after = seq[start + size : start + 2 * size - 1].decode()
        before = seq[max(start - size + 1, 0) : start].decode()
        forward = next((i for i in range(size - 1, 0, -1) if after[:i] == unit[:i]), 0)
        reverse = next(
            (i for i in range(size - 1, 0, -1) if len(before) >= i and before[-i:] == unit[-i:]),
            0,
        )
        homology = max(forward, reverse)
        if homology > 0:
            return f"{label_size}:Del:M:{min(homology, 5)}"
    return f"{label_size}:{kind}:R:{n_rep}"


def _chrom_codes(fasta: pysam.FastaFile, chrom: str) -> tuple[np.ndarray, bytes]:
    raw = fasta.fetch(chrom).upper().encode()
    return _CODE[np.frombuffer(raw, dtype=np.uint8)], raw


def build_catalogs(
    vcfs: Sequence[str | Path],
    fasta: str | Path,
    names: Sequence[str] | None = None,
    pass_only: bool = True,
    doublets_in_sbs: bool = False,
) -> Catalogs:
    """SBS96, DBS78 and ID83 count matrices for a cohort of single-tumor somatic VCFs.

    Two adjacent SNVs of one sample (separate records or one MNV record) form a doublet counted
    in DBS78, as in SigProfilerMatrixGenerator; runs of three or more are MNVs. By default a
    doublet is one event and its bases leave SBS96 and MNV bases are skipped (the COSMIC/PCAWG
    convention); ``doublets_in_sbs=True`` also counts them in SBS96, which is what
    SigProfilerMatrixGenerator 1.4 does, for identical matrices. A sample without a single
    countable mutation still gets an all-zero column.
    """
    if names is not None and len(names) != len(vcfs):
        raise InputError(f"{len(names)} sample names given for {len(vcfs)} VCFs")
    paths = [Path(v) for v in vcfs]
    headers = [read_header(p) for p in paths]
    sample_names = (
        list(names)
        if names is not None
        else [sample_name_of(p, h) for p, h in zip(paths, headers, strict=True)]
    )
    _check_unique(sample_names, paths)
    fasta = Path(fasta)
    with _open_fasta(fasta) as ref_fa:
        fasta_lengths = dict(zip(ref_fa.references, ref_fa.lengths, strict=True))
        variants, skipped, notices = _read_cohort(
            paths, headers, sample_names, fasta_lengths, fasta, pass_only
        )
        return _count(variants, skipped, notices, ref_fa, doublets_in_sbs)


def _read_cohort(
    paths: Sequence[Path],
    headers: Sequence[VcfHeader],
    sample_names: Sequence[str],
    fasta_lengths: dict[str, int],
    fasta: Path,
    pass_only: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """All samples' variants (``sample`` = index), FILTER counts and notices, after the checks
    that the VCFs were called against ``fasta``."""
    skipped = pd.DataFrame(0, index=pd.Index(sample_names, name="sample"), columns=SKIP_REASONS)
    frames = []
    unfiltered: dict[str, int] = {}
    for i, (path, header, name) in enumerate(zip(paths, headers, sample_names, strict=True)):
        records = read_variants(path, pass_only)
        skipped.loc[name, "not_pass"] = records.n_filtered
        if records.n_unfiltered:
            unfiltered[name] = records.n_unfiltered
        contigs = list(pd.unique(records.variants["chrom"]))
        check_naming_style(contigs, fasta_lengths, path, fasta)
        check_contig_lengths(header.contig_lengths, contigs, fasta_lengths, path, fasta)
        frames.append(records.variants.assign(sample=np.int64(i)))
    variants = pd.concat(frames, ignore_index=True)
    check_positions(variants, fasta_lengths, paths, fasta)
    notices = _notices(unfiltered, unknown_contigs(variants, fasta_lengths))
    return variants, skipped, notices


def _count(
    variants: pd.DataFrame,
    skipped: pd.DataFrame,
    notices: list[str],
    ref_fa: pysam.FastaFile,
    doublets_in_sbs: bool,
) -> Catalogs:
    """Classify and count every sample's variants, one chromosome at a time."""
    snvs, indels, symbolic, non_acgt = _split_records(variants)
    n = len(skipped)
    sbs = np.zeros(n * 96, dtype=np.int64)
    dbs = np.zeros(n * 78, dtype=np.int64)
    ids = np.zeros(n * 83, dtype=np.int64)
    skip_counts = np.zeros((n, len(SKIP_REASONS)), dtype=np.int64)
    reason = {r: j for j, r in enumerate(SKIP_REASONS)}
    sample_of = variants["sample"].to_numpy(dtype=np.int64)
    skip_counts[:, reason["symbolic"]] = np.bincount(sample_of[symbolic], minlength=n)
    skip_counts[:, reason["non_acgt_allele"]] = np.bincount(sample_of[non_acgt], minlength=n)

    known = set(ref_fa.references)
    chroms = pd.unique(pd.concat([snvs["chrom"], indels["chrom"]], ignore_index=True))
    for chrom in chroms:
        s_chr = snvs[snvs["chrom"] == chrom]
        i_chr = indels[indels["chrom"] == chrom]
        if chrom not in known:
            np.add.at(skip_counts[:, reason["unknown_chrom"]], s_chr["sample"].to_numpy(), 1)
            np.add.at(skip_counts[:, reason["unknown_chrom"]], i_chr["sample"].to_numpy(), 1)
            continue
        codes, raw = _chrom_codes(ref_fa, str(chrom))
        if len(s_chr):
            _count_snvs(s_chr, codes, sbs, dbs, skip_counts, reason, doublets_in_sbs)
        for sample, pos, r, a in i_chr[["sample", "pos", "ref", "alt"]].itertuples(index=False):
            p0 = int(pos) - 1
            if p0 < 0:
                skip_counts[sample, reason["chrom_end"]] += 1
                continue
            if raw[p0 : p0 + len(r)] != r.encode():
                skip_counts[sample, reason["ref_mismatch"]] += 1
                continue
            label = classify_indel(raw, int(pos), r, a)
            if label is None:
                skip_counts[sample, reason["complex_indel"]] += 1
            else:
                ids[sample * 83 + _ID83_INDEX[label]] += 1

    skipped = skipped + pd.DataFrame(skip_counts, index=skipped.index, columns=SKIP_REASONS)
    columns = pd.Index(list(skipped.index))
    return Catalogs(
        sbs96=_frame(sbs.reshape(n, 96).T, SBS96_CHANNELS, columns),
        dbs78=_frame(dbs.reshape(n, 78).T, DBS78_CHANNELS, columns),
        id83=_frame(ids.reshape(n, 83).T, ID83_CHANNELS, columns),
        skipped=skipped.astype(np.int64),
        notices=notices,
    )


def _check_unique(names: Sequence[str], paths: Sequence[Path]) -> None:
    """Two VCFs under one sample name would be summed into one column: refuse."""
    first: dict[str, Path] = {}
    for name, path in zip(names, paths, strict=True):
        if name in first:
            raise InputError(
                f"two VCFs are sample {name!r} ({first[name]}, {path}); give each VCF a "
                "distinct --name"
            )
        first[name] = path


def _open_fasta(fasta: Path) -> pysam.FastaFile:
    if not fasta.is_file():
        raise InputError("reference FASTA not found", fasta)
    try:
        return pysam.FastaFile(str(fasta))
    except (OSError, ValueError) as err:
        raise InputError(
            f"cannot open FASTA ({err}); is it indexed (samtools faidx)?", fasta
        ) from None


def _notices(unfiltered: dict[str, int], unknown: pd.Series) -> list[str]:
    """One line each for FILTER ``.`` records kept and variants on contigs the FASTA lacks."""
    notices = []
    if unfiltered:
        total = sum(unfiltered.values())
        notices.append(
            f"FILTER '.' (filters not applied) in {total} record{'s' * (total != 1)} of "
            f"{', '.join(unfiltered)}: counted as passing; filter the VCF first to leave them out"
        )
    if len(unknown):
        total = int(unknown.sum())
        shown = ", ".join(f"{c} ({k})" for c, k in unknown.head(5).items())
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        notices.append(
            f"{total} variant{'s' * (total != 1)} on contigs not in the FASTA: {shown}{more}; "
            "skipped (unknown_chrom in skipped.tsv)"
        )
    return notices


def _frame(values: np.ndarray, channels: Sequence[str], columns: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame(
        values, index=pd.Index(list(channels), name="MutationType"), columns=columns
    )
    return frame.astype(np.int64)


def _base_codes(bases: pd.Series) -> np.ndarray:
    """Codes of one-letter alleles without a Python loop (UCS-4 code points -> lookup)."""
    points = np.ascontiguousarray(bases.to_numpy(dtype="U1")).view(np.uint32)
    return _CODE[np.minimum(points, 255)]


def _count_snvs(
    snvs: pd.DataFrame,
    codes: np.ndarray,
    sbs: np.ndarray,
    dbs: np.ndarray,
    skip_counts: np.ndarray,
    reason: dict[str, int],
    doublets_in_sbs: bool = False,
) -> None:
    """Vectorised SBS96/DBS78 counting of one chromosome's SNVs (all samples)."""
    length = len(codes)
    snvs = snvs.drop_duplicates(["sample", "pos", "alt"]).sort_values(["sample", "pos"])
    sample = snvs["sample"].to_numpy(dtype=np.int64)
    p0 = snvs["pos"].to_numpy(dtype=np.int64) - 1
    ref_c = _base_codes(snvs["ref"])
    alt_c = _base_codes(snvs["alt"])

    inside = (p0 >= 0) & (p0 < length)
    genome_ref = np.full(len(p0), 4, dtype=np.uint8)
    genome_ref[inside] = codes[p0[inside]]
    bad_pos = ~inside
    mismatch = inside & (genome_ref != ref_c)
    np.add.at(skip_counts[:, reason["chrom_end"]], sample[bad_pos], 1)
    np.add.at(skip_counts[:, reason["ref_mismatch"]], sample[mismatch], 1)
    good = inside & ~mismatch
    sample, p0, ref_c, alt_c = sample[good], p0[good], ref_c[good], alt_c[good]

    # Runs of adjacent positions within one sample: 1 -> SBS, 2 -> DBS, 3+ -> MNV (skipped).
    if len(p0):
        new_sample = sample[1:] != sample[:-1]
        distinct = np.r_[True, new_sample | (p0[1:] != p0[:-1])]
        run_id = np.cumsum(np.r_[True, new_sample | (p0[1:] - p0[:-1] > 1)]) - 1
        # Run length in distinct positions (multi-allelic sites count once).
        member_len = np.bincount(run_id, weights=distinct).astype(np.int64)[run_id]
    else:
        member_len = np.zeros(0, dtype=np.int64)
    single = (member_len == 1) | doublets_in_sbs
    if not doublets_in_sbs:
        np.add.at(skip_counts[:, reason["mnv_3plus"]], sample[member_len >= 3], 1)

    # SBS96 from the single SNVs.
    sp, ss, sr, sa = p0[single], sample[single], ref_c[single], alt_c[single]
    edge = (sp == 0) | (sp == length - 1)
    np.add.at(skip_counts[:, reason["chrom_end"]], ss[edge], 1)
    sp, ss, sr, sa = sp[~edge], ss[~edge], sr[~edge], sa[~edge]
    five, three = codes[sp - 1], codes[sp + 1]
    has_n = (five == 4) | (three == 4)
    np.add.at(skip_counts[:, reason["n_context"]], ss[has_n], 1)
    five, three, ss, sr, sa = five[~has_n], three[~has_n], ss[~has_n], sr[~has_n], sa[~has_n]
    purine = (sr == 0) | (sr == 2)
    five_f = np.where(purine, 3 - three, five)
    three_f = np.where(purine, 3 - five, three)
    sub = _SUB[sr, sa]
    channel = five_f.astype(np.int64) * 24 + sub * 4 + three_f.astype(np.int64)
    np.add.at(sbs, ss * 96 + channel, 1)

    # DBS78 from two-position runs: first member carries the doublet.
    doublet = member_len == 2
    if doublet.any():
        dp, ds, dr, da = p0[doublet], sample[doublet], ref_c[doublet], alt_c[doublet]
        first = np.r_[True, (ds[1:] != ds[:-1]) | (dp[1:] != dp[:-1] + 1)]
        # Keep one SNV per position (multi-allelic sites in a doublet use the first ALT).
        keep = np.r_[True, (ds[1:] != ds[:-1]) | (dp[1:] != dp[:-1])]
        dp, ds, dr, da, first = dp[keep], ds[keep], dr[keep], da[keep], first[keep]
        idx = np.flatnonzero(first)
        idx = idx[idx + 1 < len(dp)]
        letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
        for j in idx:
            ref2 = letters[[dr[j], dr[j + 1]]].tobytes().decode()
            alt2 = letters[[da[j], da[j + 1]]].tobytes().decode()
            label = f"{ref2}>{alt2}"
            if label not in _DBS78_INDEX:
                label = f"{_rc(ref2)}>{_rc(alt2)}"
            dbs[ds[j] * 78 + _DBS78_INDEX[label]] += 1


# ----------------------------------------------------------------------------- output


def write_catalogs(catalogs: Catalogs, outdir: str | Path) -> dict[str, Path]:
    """Write SBS96/SBS6/DBS78/ID83 (SigProfiler matrix format) and skipped counts."""
    outdir = Path(outdir)
    paths = {}
    for name, frame in (
        ("SBS96", catalogs.sbs96),
        ("SBS6", catalogs.sbs6),
        ("DBS78", catalogs.dbs78),
        ("ID83", catalogs.id83),
    ):
        path = outdir / f"{name}.tsv"
        write_tsv(frame.reset_index(), path)
        paths[name] = path
    paths["skipped"] = outdir / "skipped.tsv"
    write_tsv(catalogs.skipped.reset_index(), paths["skipped"])
    return paths


def read_matrix(path: str | Path) -> pd.DataFrame:
    """A SigProfiler-format matrix (``MutationType`` + a column per sample), channels × samples."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", index_col=0)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read mutation matrix ({err})", path) from None
    table.index.name = "MutationType"
    table.columns = table.columns.astype(str)
    try:
        return table.astype(float)
    except ValueError:
        raise InputError("mutation matrix has non-numeric counts", path) from None


# ----------------------------------------------------------------------------- opportunity


def trinucleotide_opportunities(fasta: str | Path, bed: str | Path | None = None) -> pd.Series:
    """Counts of the 32 pyrimidine-centred trinucleotides, both strands folded.

    Restricted to BED intervals when given (a context counts when its middle base is inside).
    Contexts with N are skipped. Used to renormalise spectra between genome/exome/custom
    genomes (see ``references.opportunity_weights``).
    """
    fasta = Path(fasta)
    counts = np.zeros(64, dtype=np.int64)
    intervals = None if bed is None else read_bed_intervals(bed)
    with _open_fasta(fasta) as ref_fa:
        if intervals and not set(intervals) & set(ref_fa.references):
            bed_contig, fasta_contig = next(iter(intervals)), ref_fa.references[0]
            raise InputError(
                f"no contig of the BED is in the FASTA {fasta} (BED '{bed_contig}', FASTA "
                f"'{fasta_contig}'); give a BED on the FASTA's contigs",
                bed,
            )
        for chrom in ref_fa.references:
            if intervals is not None and chrom not in intervals:
                continue
            codes = _chrom_codes(ref_fa, chrom)[0].astype(np.int64)
            if len(codes) < 3:
                continue
            tri = codes[:-2] * 16 + codes[1:-1] * 4 + codes[2:]
            valid = (codes[:-2] < 4) & (codes[1:-1] < 4) & (codes[2:] < 4)
            if intervals is not None:
                mask = np.zeros(len(codes), dtype=np.int64)
                for start, end in intervals[chrom]:
                    mask[max(start, 0) : min(end, len(codes))] = 1
                valid &= mask[1:-1].astype(bool)
            counts += np.bincount(tri[valid], minlength=64)
    labels = ["".join(t) for t in itertools.product(BASES, repeat=3)]
    full = pd.Series(counts, index=labels)
    folded = {t: int(full[t] + full[_rc(t)]) for t in TRINUCLEOTIDES}
    series = pd.Series(folded, name="count", dtype=np.int64)
    series.index.name = "context"
    return series
