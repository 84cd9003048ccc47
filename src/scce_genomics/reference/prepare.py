"""Reference preparation: a plain FASTA, GFF3 and chromosome-arm table named like the FASTA.

Real references arrive gzipped or bgzipped, with ``chr1`` or ``1`` contig names, and arm tables
come from cytobands of a named build; every later stage relies on the three agreeing, so they are
checked and harmonised once here.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd
import pysam

from scce_genomics.errors import InputError
from scce_genomics.fileio import (
    atomic_open,
    atomic_path,
    is_bed_header,
    open_text,
    read_bed_intervals,
)

__all__ = [
    "BUILD_CHR1_LENGTH",
    "CHROMOSOME_LENGTHS",
    "BuildEvidence",
    "bam_build",
    "check_build_consistency",
    "check_gff3_header",
    "contig_naming",
    "detect_build",
    "fasta_contigs",
    "harmonise_contig",
    "normalise_build",
    "prepare_reference",
    "reference_build",
    "reference_lengths",
    "target_intervals",
    "write_targets_bed",
]

#: chr1 length identifies the two human builds.
BUILD_CHR1_LENGTH = {"GRCh37": 249_250_621, "GRCh38": 248_956_422}


def fasta_contigs(path: str | Path) -> dict[str, int]:
    """Contig names and lengths of a FASTA (plain or gzipped), checking it is well formed."""
    path = Path(path)
    if not path.is_file():
        raise InputError("reference FASTA not found; check reference.fasta in the config", path)
    contigs: dict[str, int] = {}
    name: str | None = None
    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith(">"):
                    name = line[1:].split()[0] if line[1:].strip() else ""
                    if not name:
                        raise InputError("FASTA header without a name", path, number)
                    if name in contigs:
                        raise InputError(f"contig {name!r} appears twice", path, number)
                    contigs[name] = 0
                elif name is None:
                    if line.strip():
                        raise InputError(
                            "not a FASTA file: the first line must start with '>'", path, number
                        )
                else:
                    contigs[name] += len(line.strip())
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read FASTA ({err}); is the file truncated?", path) from None
    if not contigs:
        raise InputError("FASTA has no sequences", path)
    empty = [c for c, n in contigs.items() if n == 0]
    if empty:
        raise InputError(f"contig(s) with no sequence: {', '.join(empty[:5])}", path)
    return contigs


def harmonise_contig(name: str, contigs: set[str]) -> str | None:
    """Map ``chr3``/``3`` (and ``chrM``/``MT``) onto the naming the FASTA uses, or None."""
    if name in contigs:
        return name
    bare = name.removeprefix("chr")
    for candidate in (
        bare,
        f"chr{bare}",
        "MT" if bare == "M" else "",
        "chrM" if bare == "MT" else "",
    ):
        if candidate and candidate in contigs:
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# build detection: which human assembly a FASTA, a BAM header or a sample sheet speaks of

#: Full-length chromosome lengths of the two builds (UCSC chromsizes; b37 and hg19 share them).
#: Every chromosome differs between the builds, so one full-length chromosome names the build.
CHROMOSOME_LENGTHS: dict[str, dict[str, int]] = {
    "GRCh37": {
        "1": 249_250_621, "2": 243_199_373, "3": 198_022_430, "4": 191_154_276,
        "5": 180_915_260, "6": 171_115_067, "7": 159_138_663, "8": 146_364_022,
        "9": 141_213_431, "10": 135_534_747, "11": 135_006_516, "12": 133_851_895,
        "13": 115_169_878, "14": 107_349_540, "15": 102_531_392, "16": 90_354_753,
        "17": 81_195_210, "18": 78_077_248, "19": 59_128_983, "20": 63_025_520,
        "21": 48_129_895, "22": 51_304_566, "X": 155_270_560, "Y": 59_373_566,
    },
    "GRCh38": {
        "1": 248_956_422, "2": 242_193_529, "3": 198_295_559, "4": 190_214_555,
        "5": 181_538_259, "6": 170_805_979, "7": 159_345_973, "8": 145_138_636,
        "9": 138_394_717, "10": 133_797_422, "11": 135_086_622, "12": 133_275_309,
        "13": 114_364_328, "14": 107_043_718, "15": 101_991_189, "16": 90_338_345,
        "17": 83_257_441, "18": 80_373_285, "19": 58_617_616, "20": 64_444_167,
        "21": 46_709_983, "22": 50_818_468, "X": 156_040_895, "Y": 57_227_415,
    },
}  # fmt: skip

_HUMAN = {*(str(i) for i in range(1, 23)), "X", "Y", "M", "MT"}

#: Build names in free text: FASTA descriptions, @SQ AS/UR tags, file names.
_BUILD_WORDS = {
    "GRCh37": re.compile(r"(?<![a-z0-9])(grch37|hg19|b37|hs37d5|hs37|g1k_v37)(?![0-9])", re.I),
    "GRCh38": re.compile(
        r"(?<![a-z0-9])(grch38|hg38|hs38dh|hs38|gca_000001405\.15)(?![0-9])", re.I
    ),
}
#: Contig names that exist in one build only (unplaced scaffolds, decoys, alts, HLA).
_BUILD_CONTIGS = {
    "GRCh37": re.compile(r"^(hs37d5|NC_007605|GL\d{6}\.1|(chr)?\w*_gl\d{6}(_random)?)$"),
    "GRCh38": re.compile(r"(KI\d{6}v1|GL\d{6}v1|JTFH\d+v1_decoy|_alt$|^HLA-)"),
}
_ALIASES = {
    "grch37": "GRCh37", "b37": "GRCh37", "hg19": "GRCh37", "hs37d5": "GRCh37",
    "grch38": "GRCh38", "hg38": "GRCh38", "hs38dh": "GRCh38",
}  # fmt: skip
#: Strength of each kind of evidence: a full-length chromosome beats a build named in the file,
#: which beats a build named in a file name or path.
_LENGTH, _NAMED, _HINT = 3, 2, 1


def normalise_build(name: str) -> str:
    """``GRCh37``/``b37``/``hg19`` → ``GRCh37``, ``GRCh38``/``hg38`` → ``GRCh38``, '' → ''."""
    text = name.strip()
    if not text:
        return ""
    if text.lower() not in _ALIASES:
        raise ValueError(f"unknown genome build {name!r}; use GRCh37 (b37, hg19) or GRCh38 (hg38)")
    return _ALIASES[text.lower()]


@dataclass(frozen=True)
class BuildEvidence:
    """What a reference or BAM header says about its build and contig naming, and why.

    ``build`` is GRCh37, GRCh38, ``unknown`` (nothing tells) or ``conflicting`` (equally strong
    evidence for both); ``naming`` is ``chr`` (chr1), ``no-chr`` (1), ``mixed`` or ``none``
    (no human chromosome names, e.g. a synthetic genome).
    """

    build: str
    naming: str
    reasons: tuple[str, ...]
    source: str = ""

    @property
    def known(self) -> bool:
        return self.build in CHROMOSOME_LENGTHS

    def explain(self) -> str:
        """The build with its strongest reasons, for error messages."""
        why = "; ".join(self.reasons[:2]) or "nothing names a build"
        return f"{self.build} ({why})"


def contig_naming(names: Iterable[str]) -> str:
    """``chr`` if human chromosomes are named chr1.., ``no-chr`` if 1.., else mixed/none."""
    human = [n for n in names if n.removeprefix("chr") in _HUMAN]
    with_chr = sum(n.startswith("chr") for n in human)
    if not human:
        return "none"
    if with_chr == len(human):
        return "chr"
    return "no-chr" if with_chr == 0 else "mixed"


def detect_build(
    contigs: Mapping[str, int | None],
    named: Iterable[str] = (),
    hints: Iterable[str] = (),
    source: str = "",
) -> BuildEvidence:
    """Weigh contig lengths, build-only contig names, texts that name a build and file names.

    ``named``: texts written inside the file (FASTA descriptions, @SQ ``AS`` tags); ``hints``:
    file names and ``UR`` paths. Partial references (test pieces) have no full-length
    chromosome, so their names and hints are all there is.
    """
    votes: list[tuple[int, str, str]] = []
    for name, length in contigs.items():
        bare = name.removeprefix("chr")
        for build, lengths in CHROMOSOME_LENGTHS.items():
            if length is not None and lengths.get(bare) == length:
                votes.append((_LENGTH, build, f"contig {name} is {length:,} bp, as in {build}"))
            if _BUILD_CONTIGS[build].search(name):
                votes.append((_NAMED, build, f"contig {name} exists only in {build}"))
    for kind, texts in ((_NAMED, named), (_HINT, hints)):
        for text in texts:
            for build, words in _BUILD_WORDS.items():
                match = words.search(text)
                if match:
                    if kind == _NAMED:
                        said = f"{text.strip()[:60]!r} names {match.group(1)}"
                    else:
                        said = f"file {text.strip().rsplit('/', 1)[-1]!r} is named {match.group(1)}"
                    votes.append((kind, build, said))
    naming = contig_naming(contigs)
    if not votes:
        return BuildEvidence("unknown", naming, (), source)
    top = max(v[0] for v in votes)
    builds = sorted({b for s, b, _ in votes if s == top})
    reasons = tuple(dict.fromkeys(r for _, _, r in sorted(votes, key=lambda v: -v[0])))
    build = builds[0] if len(builds) == 1 else "conflicting"
    return BuildEvidence(build, naming, reasons, source)


def _dict_path(fasta: Path) -> Path:
    stem = fasta.name
    for suffix in (".gz", ".fasta", ".fa", ".fna"):
        stem = stem.removesuffix(suffix)
    return fasta.with_name(stem + ".dict")


def _sq_lines(
    lines: Iterable[Mapping[str, object]],
) -> tuple[dict[str, int | None], list[str], list[str]]:
    contigs: dict[str, int | None] = {}
    named: list[str] = []
    hints: list[str] = []
    for sq in lines:
        contigs[str(sq["SN"])] = int(str(sq["LN"])) if "LN" in sq else None
        if "AS" in sq:
            named.append(str(sq["AS"]))
        if "UR" in sq:
            hints.append(str(sq["UR"]))
    return contigs, list(dict.fromkeys(named)), list(dict.fromkeys(hints))


def reference_build(fasta: str | Path, max_scan_bytes: int = 64 << 20) -> BuildEvidence | None:
    """The build of a reference FASTA from its ``.fai``/``.dict``, headers and file name.

    Reads the FASTA itself only when it is at most ``max_scan_bytes`` (a start-up check must stay
    instant); returns None when a large FASTA has neither index, so the check waits for
    ``prepare-reference``, which reads it anyway.
    """
    fasta = Path(fasta)
    if not fasta.is_file():
        raise InputError("reference FASTA not found; check reference.fasta in the config", fasta)
    contigs: dict[str, int | None] = {}
    named: list[str] = []
    hints = [fasta.name]
    fai, sqdict = Path(f"{fasta}.fai"), _dict_path(fasta)
    if sqdict.is_file():
        with open(sqdict) as handle:
            rows = [
                dict(f.split(":", 1) for f in line.rstrip("\n").split("\t")[1:] if ":" in f)
                for line in handle
                if line.startswith("@SQ")
            ]
        contigs, named, ur = _sq_lines(rows)
        hints += ur
    if fai.is_file():
        table = pd.read_csv(fai, sep="\t", header=None, usecols=[0, 1], dtype={0: str})
        contigs = {str(n): int(x) for n, x in zip(table[0], table[1], strict=True)}
    if fasta.stat().st_size <= max_scan_bytes:
        if not contigs:
            contigs = dict(fasta_contigs(fasta))
        with open_text(fasta) as handle:
            named += [line[1:].strip() for line in handle if line.startswith(">")]
    elif not contigs:
        return None
    return detect_build(contigs, named, hints, source=str(fasta))


def reference_lengths(fasta: str | Path, prepared_fai: str | Path = "") -> dict[str, int]:
    """Contig lengths of a reference FASTA, read from an index where one is up to date.

    In order: ``<fasta>.fai``, the ``.dict`` beside it, the workflow's own ``prepared_fai``
    (``reference/genome.fa.fai`` of an earlier run, if newer than the FASTA), else the FASTA
    itself (one pass; the first run on a large unindexed FASTA pays it once per start-up).
    """
    fasta = Path(fasta)
    if not fasta.is_file():
        raise InputError("reference FASTA not found; check reference.fasta in the config", fasta)
    candidates = [Path(f"{fasta}.fai"), _dict_path(fasta)]
    if prepared_fai:
        candidates.append(Path(prepared_fai))
    for index in candidates:
        if not index.is_file() or index.stat().st_mtime < fasta.stat().st_mtime:
            continue
        lengths: dict[str, int] = {}
        with open(index) as handle:
            for line in handle:
                fields = line.rstrip("\n").split("\t")
                if index.suffix == ".dict":
                    if line.startswith("@SQ"):
                        tags = dict(f.split(":", 1) for f in fields[1:] if ":" in f)
                        lengths[tags["SN"]] = int(tags["LN"])
                elif len(fields) >= 2:
                    lengths[fields[0]] = int(fields[1])
        if lengths:
            return lengths
    return fasta_contigs(fasta)


def bam_build(bam: str | Path) -> BuildEvidence:
    """The build a BAM/CRAM was aligned to, from its ``@SQ`` lines (SN, LN, AS, UR)."""
    try:
        with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
            header = handle.header.to_dict()
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the BAM header ({err})", bam) from None
    contigs, named, hints = _sq_lines(header.get("SQ", []))
    return detect_build(contigs, named, hints, source=str(bam))


def check_build_consistency(
    fasta: str | Path,
    build: str,
    units: pd.DataFrame,
    units_path: str | Path = "units.tsv",
    *,
    realign_bam: bool = True,
    targets: str | Path = "",
) -> BuildEvidence | None:
    """Stop a run whose reference, ``reference.build``, reads and targets speak of different builds.

    Compared, each with a message naming both sides: the configured build with the one the
    FASTA shows; reads declared for a build (optional ``build`` column of ``units.tsv``) with the
    reference; BAM inputs used as they are (``realign_bam: false``) with the reference, by
    build and by ``chr1``/``1`` naming; and the targets BED naming with the reference's.
    """
    config_build = "" if build == "custom" else build
    ref = reference_build(fasta)
    if ref is not None and ref.known and config_build and ref.build != config_build:
        raise InputError(
            f"reference.build says {config_build} but the reference FASTA is {ref.explain()}; set "
            f"reference.build: {ref.build} or use a {config_build} FASTA",
            fasta,
        )
    ref_build = ref.build if ref is not None and ref.known else config_build
    ref_label = (
        f"the reference FASTA is {ref.explain()}"
        if ref is not None and ref.known
        else f"reference.build is {config_build}"
    )
    if "build" in units.columns:
        for row in units.itertuples(index=False):
            line = int(getattr(row, "sheet_line", 0)) or None
            try:
                declared = normalise_build(str(row.build or ""))
            except ValueError as err:
                raise InputError(
                    f"sample {row.sample!r} unit {row.unit!r}: {err}", units_path, line
                ) from None
            if declared and ref_build and declared != ref_build:
                raise InputError(
                    f"sample {row.sample!r} unit {row.unit!r}: the reads are declared {declared} "
                    f"(column build) but {ref_label}; use a {declared} reference (reference.fasta "
                    f"and reference.build) or fix the build column",
                    units_path,
                    line,
                )
    bams = [r for r in units.itertuples(index=False) if str(getattr(r, "bam", "") or "")]
    if not realign_bam:
        for row in bams:
            seen = bam_build(str(row.bam))
            line = int(getattr(row, "sheet_line", 0)) or None
            if seen.known and ref_build and seen.build != ref_build:
                raise InputError(
                    f"sample {row.sample!r} unit {row.unit!r}: the BAM header (@SQ) is "
                    f"{seen.explain()} but {ref_label}; set alignment.realign_bam: true or use "
                    f"a {seen.build} reference",
                    units_path,
                    line,
                )
            if ref is not None and {seen.naming, ref.naming} == {"chr", "no-chr"}:
                raise InputError(
                    f"sample {row.sample!r} unit {row.unit!r}: the BAM names chromosomes "
                    f"{'chr1' if seen.naming == 'chr' else '1'} but the reference FASTA "
                    f"{'chr1' if ref.naming == 'chr' else '1'}; set alignment.realign_bam: true "
                    "or use the matching reference",
                    units_path,
                    line,
                )
    if targets and ref is not None and ref.naming in ("chr", "no-chr"):
        bed = Path(targets)
        if not bed.is_file():
            raise InputError("targets BED not found; check targets in the config", bed)
        names = list(read_bed_intervals(bed))
        if (
            names
            and contig_naming(names) in ("chr", "no-chr")
            and contig_naming(names) != ref.naming
        ):
            raise InputError(
                f"the targets BED names chromosomes like {names[0]!r} but the reference FASTA "
                f"{'with' if ref.naming == 'chr' else 'without'} 'chr'; rename the BED's contigs "
                "to the reference's naming",
                bed,
            )
    return ref


def check_gff3_header(gff3: str | Path) -> None:
    """A GFF3 starts with ``##gff-version 3`` (a GTF or BED passed by mistake does not)."""
    gff3 = Path(gff3)
    if not gff3.is_file():
        raise InputError("GFF3 annotation not found; check reference.gff3 in the config", gff3)
    try:
        with open_text(gff3) as handle:
            first = handle.readline()
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the GFF3 ({err}); is it truncated?", gff3) from None
    if not first.startswith("##gff-version 3"):
        raise InputError(
            "not a GFF3 file: the first line must be '##gff-version 3' (Ensembl GFF3 expected, "
            "not GTF or BED)",
            gff3,
            1,
        )


def _copy_gff3(gff3: Path, contigs: Mapping[str, int], dst: IO[str]) -> tuple[int, dict[str, int]]:
    """Copy GFF3 features on the FASTA's contigs (renamed to its chr/no-chr naming).

    Features on other contigs (patches, alts, chrY of a female-only piece) would make bcftools
    csq and the gene calls look for sequence that is not there; they are counted and left out.
    """
    names = set(contigs)
    rename: dict[str, str | None] = {}
    kept = 0
    dropped: dict[str, int] = {}
    with open_text(gff3) as src:
        for line in src:
            if line.startswith("##FASTA"):
                break
            if line.startswith("#") or not line.strip():
                if line.startswith("##sequence-region"):
                    parts = line.split()
                    target = harmonise_contig(parts[1], names) if len(parts) > 1 else None
                    if target is None:
                        continue
                    line = " ".join([parts[0], target, *parts[2:]]) + "\n"
                dst.write(line)
                continue
            seqid, rest = line.split("\t", 1) if "\t" in line else (line, "")
            if seqid not in rename:
                rename[seqid] = harmonise_contig(seqid, names)
            target = rename[seqid]
            if target is None:
                dropped[seqid] = dropped.get(seqid, 0) + 1
                continue
            kept += 1
            dst.write(f"{target}\t{rest}")
    return kept, dropped


def _arms_table(arms: Path, contigs: dict[str, int]) -> pd.DataFrame:
    try:
        table = pd.read_csv(arms, sep="\t", dtype={"chrom": str})
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read arm table ({err})", arms) from None
    missing = {"chrom", "arm", "start", "end"} - set(table.columns)
    if missing:
        raise InputError(
            f"arm table lacks column(s) {', '.join(sorted(missing))}; need chrom, arm, start, end",
            arms,
        )
    table = table[["chrom", "arm", "start", "end"]].copy()
    table["chrom"] = [harmonise_contig(c, set(contigs)) for c in table["chrom"]]
    table = table.dropna(subset=["chrom"])
    if table.empty:
        raise InputError(
            "no arm in the table is on a contig of the reference FASTA; check reference.build "
            "and reference.arms",
            arms,
        )
    table["end"] = [
        min(int(e), contigs[c]) for c, e in zip(table["chrom"], table["end"], strict=True)
    ]
    return table[table["end"] > table["start"]]


def prepare_reference(
    fasta: str | Path,
    gff3: str | Path,
    outdir: str | Path,
    build: str,
    arms: str | Path,
) -> dict[str, Path]:
    """Write ``genome.fa`` (uncompressed), ``genes.gff3``, ``arms.tsv`` and ``build.txt``."""
    outdir = Path(outdir)
    contigs = fasta_contigs(fasta)
    if build in CHROMOSOME_LENGTHS:
        with open_text(Path(fasta)) as handle:
            named = [line[1:].strip() for line in handle if line.startswith(">")]
        seen = detect_build(dict(contigs), named, [Path(fasta).name], source=str(fasta))
        if seen.known and seen.build != build:
            raise InputError(
                f"reference.build says {build} but the reference FASTA is {seen.explain()}; set "
                f"reference.build: {seen.build} or use a {build} FASTA",
                fasta,
            )
    gff3 = Path(gff3)
    check_gff3_header(gff3)
    arms_path = Path(arms)
    if not arms_path.is_file():
        raise InputError(
            "arm table not found; give reference.arms (chrom, arm, start, end) for a custom build",
            arms_path,
        )
    table = _arms_table(arms_path, contigs)
    out = {
        "fasta": outdir / "genome.fa",
        "gff3": outdir / "genes.gff3",
        "arms": outdir / "arms.tsv",
        "build": outdir / "build.txt",
    }
    with atomic_path(out["fasta"]) as tmp, open_text(Path(fasta)) as src, open(tmp, "w") as dst:
        shutil.copyfileobj(src, dst)
    with atomic_open(out["gff3"]) as dst:
        kept, dropped = _copy_gff3(gff3, contigs, dst)
    if dropped:
        names = ", ".join(list(dropped)[:5])
        print(
            f"warning: {gff3}: {sum(dropped.values())} of {kept + sum(dropped.values())} "
            f"features lie on {len(dropped)} contig(s) absent from the reference FASTA ({names}"
            f"{', ...' if len(dropped) > 5 else ''}); they are left out",
            file=sys.stderr,
        )
    with atomic_open(out["arms"]) as handle:
        table.to_csv(handle, sep="\t", index=False)
    with atomic_open(out["build"]) as handle:
        handle.write(build + "\n")
    return out


def target_intervals(bed: str | Path) -> dict[str, list[tuple[int, int]]]:
    """The capture targets' intervals per contig; a BED without any (a kit file of header lines
    only) stops here, before it sizes a run or reaches bcftools."""
    intervals = read_bed_intervals(bed)
    if not intervals:
        raise InputError("no interval in it; check targets in the config", bed)
    return intervals


def write_targets_bed(bed: str | Path, out: str | Path) -> int:
    """The targets BED as every tool of the workflow reads it: plain text, one interval a line.

    UCSC ``browser``/``track`` lines, which capture kits' BEDs often begin with, stop
    ``bcftools -R/-T``; they and comments are dropped, data lines are kept as they are (names
    and all). A malformed line stops with its file and line number; returns the interval count.
    """
    count = sum(len(spans) for spans in target_intervals(bed).values())
    with open_text(bed) as src, atomic_open(out) as dst:
        for line in src:
            if not is_bed_header(line):
                dst.write(line.rstrip("\r\n") + "\n")
    return count
