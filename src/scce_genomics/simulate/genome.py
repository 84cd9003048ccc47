"""Genomes to plant tumors in: a synthetic one, or real sequence read from a FASTA.

The synthetic genome mirrors six real human chromosomes scaled down (chr3, chr8, chr9, chr11,
chr13, chr17), with genes at their real arm positions (SOX2/PIK3CA/TP63 on 3q, CDKN2A on 9p,
CCND1 on 11q, RB1 on 13q, TP53 on 17p ...), so arm-level and driver results of a demo run can be
read against the ESCC/SCLC references exactly as a real run would be. Random sequence is easy
for every caller, though, so :func:`genome_from_fasta` takes real human sequence instead
(repeats, GC structure, low-complexity stretches), with arms from an arm table or p/q halves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scce_genomics.errors import InputError
from scce_genomics.fileio import open_binary

__all__ = [
    "CODE",
    "DECODE",
    "Chromosome",
    "Gene",
    "SyntheticGenome",
    "genome_from_fasta",
    "make_genome",
    "revcomp_codes",
]

CODE = {b: i for i, b in enumerate("ACGTN")}
DECODE = np.frombuffer(b"ACGTN", dtype=np.uint8)
_STOPS = {"TAA", "TAG", "TGA"}

#: (name, real length in Mb, centromere fraction, genes as (symbol, fraction along, strand)).
_LAYOUT: tuple[tuple[str, float, float, tuple[tuple[str, float, str], ...]], ...] = (
    (
        "chr3",
        198.3,
        0.46,
        (("FHIT", 0.30, "-"), ("SOX2", 0.91, "+"), ("PIK3CA", 0.87, "+"), ("TP63", 0.95, "+")),
    ),
    ("chr8", 145.1, 0.31, (("FGFR1", 0.27, "-"), ("MYC", 0.88, "+"))),
    ("chr9", 138.4, 0.32, (("CDKN2A", 0.16, "-"), ("NOTCH1", 0.97, "-"))),
    ("chr11", 135.1, 0.40, (("CCND1", 0.51, "+"), ("ATM", 0.80, "+"))),
    ("chr13", 114.4, 0.15, (("BRCA2", 0.28, "+"), ("RB1", 0.42, "+"))),
    ("chr17", 83.3, 0.30, (("TP53", 0.09, "-"), ("ERBB2", 0.48, "+"))),
)


@dataclass
class Gene:
    """One protein-coding gene with a single transcript (0-based half-open exon spans)."""

    symbol: str
    chrom: str
    strand: str
    exons: list[tuple[int, int]]

    @property
    def start(self) -> int:
        return self.exons[0][0]

    @property
    def end(self) -> int:
        return self.exons[-1][1]


@dataclass
class Chromosome:
    """Sequence (uint8 codes 0-4 for ACGTN) and centromere span (0-based half-open)."""

    name: str
    seq: np.ndarray
    centromere: tuple[int, int]

    @property
    def length(self) -> int:
        return int(self.seq.size)


@dataclass
class SyntheticGenome:
    chromosomes: list[Chromosome]
    genes: list[Gene] = field(default_factory=list)

    def chrom(self, name: str) -> Chromosome:
        return next(c for c in self.chromosomes if c.name == name)

    def arms(self) -> list[tuple[str, str, int, int]]:
        """(chrom, arm, start, end) with p = [0, centromere start), q = [centromere end, end)."""
        rows = []
        for c in self.chromosomes:
            rows.append((c.name, c.name.removeprefix("chr") + "p", 0, c.centromere[0]))
            rows.append((c.name, c.name.removeprefix("chr") + "q", c.centromere[1], c.length))
        return [r for r in rows if r[3] > r[2]]  # a piece of a q arm has no p arm


def revcomp_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of base codes (N stays N), along the last axis."""
    comp = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
    return comp[codes[..., ::-1]]


def _background(rng: np.random.Generator, length: int) -> np.ndarray:
    """Random sequence whose GC fraction drifts between windows (isochore-like, 35-60%)."""
    window = 5_000
    n_windows = -(-length // window)
    gc = np.clip(rng.normal(0.42, 0.06, n_windows), 0.30, 0.62)
    gc_per_base = np.repeat(gc, window)[:length]
    u = rng.random(length)
    strong = u < gc_per_base
    base = np.where(strong, 1 + (rng.random(length) < 0.5), 3 * (rng.random(length) < 0.5))
    seq = base.astype(np.uint8)
    # Homopolymers and short tandem repeats, where indel calling is hard in real genomes.
    for _ in range(max(1, length // 20_000)):
        pos = int(rng.integers(0, length - 40))
        if rng.random() < 0.5:
            seq[pos : pos + int(rng.integers(8, 16))] = rng.integers(0, 4)
        else:
            unit = rng.integers(0, 4, int(rng.integers(2, 4))).astype(np.uint8)
            reps = np.tile(unit, 6)
            seq[pos : pos + reps.size] = reps
    # Interspersed repeats: copies of one element with 8% divergence (low MAPQ, like Alus).
    element = rng.integers(0, 4, 300).astype(np.uint8)
    for _ in range(max(1, length // 100_000)):
        pos = int(rng.integers(0, length - 300))
        copy = element.copy()
        mutate = rng.random(300) < 0.08
        copy[mutate] = rng.integers(0, 4, int(mutate.sum()))
        seq[pos : pos + 300] = copy
    return seq


def _coding_sequence(rng: np.random.Generator, n_codons: int) -> str:
    """ATG + random sense codons + a stop codon: a valid open reading frame for csq."""
    codons = ["ATG"]
    while len(codons) < n_codons - 1:
        codon = "".join(rng.choice(list("ACGT"), 3))
        if codon not in _STOPS:
            codons.append(codon)
    codons.append("TAA")
    return "".join(codons)


def _place_gene(
    rng: np.random.Generator, chrom: Chromosome, symbol: str, frac: float, strand: str
) -> Gene:
    """Write a 4-exon ORF (exons 120-240 bp, introns 600-1500 bp) into the chromosome."""
    exon_lengths = [int(x) for x in rng.integers(40, 81, 4) * 3]
    intron_lengths = [int(x) for x in rng.integers(600, 1500, 3)]
    span = sum(exon_lengths) + sum(intron_lengths)
    start = int(frac * chrom.length)
    start = min(max(start, 2_000), chrom.length - span - 2_000)
    cen0, cen1 = chrom.centromere
    if start < cen1 and start + span > cen0:
        start = cen1 + 5_000
    cds = _coding_sequence(rng, sum(exon_lengths) // 3)
    codes = np.frombuffer(cds.encode(), dtype=np.uint8)
    cds_codes = np.array([CODE[chr(c)] for c in codes], dtype=np.uint8)
    if strand == "-":
        cds_codes = revcomp_codes(cds_codes)
        exon_lengths = exon_lengths[::-1]
        intron_lengths = intron_lengths[::-1]
    exons = []
    pos, used = start, 0
    for i, length in enumerate(exon_lengths):
        chrom.seq[pos : pos + length] = cds_codes[used : used + length]
        exons.append((pos, pos + length))
        used += length
        pos += length
        if i < len(intron_lengths):
            # canonical splice sites GT...AG on the transcribed strand
            intron = slice(pos, pos + intron_lengths[i])
            donor, acceptor = ((2, 3), (0, 2)) if strand == "+" else ((1, 3), (0, 1))
            chrom.seq[intron.start : intron.start + 2] = donor
            chrom.seq[intron.stop - 2 : intron.stop] = acceptor
            pos += intron_lengths[i]
    return Gene(symbol=symbol, chrom=chrom.name, strand=strand, exons=exons)


def make_genome(rng: np.random.Generator, scale: float = 1 / 400) -> SyntheticGenome:
    """Build the six-chromosome genome, each ``scale`` × its real length (≥ 150 kb)."""
    chromosomes: list[Chromosome] = []
    genes: list[Gene] = []
    for name, mb, cen_frac, gene_specs in _LAYOUT:
        length = max(150_000, int(mb * 1e6 * scale))
        seq = _background(rng, length)
        cen_len = max(10_000, length // 40)
        cen0 = int(cen_frac * length)
        seq[cen0 : cen0 + cen_len] = CODE["N"]
        chrom = Chromosome(name=name, seq=seq, centromere=(cen0, cen0 + cen_len))
        chromosomes.append(chrom)
        for symbol, frac, strand in gene_specs:
            genes.append(_place_gene(rng, chrom, symbol, frac, strand))
    return SyntheticGenome(chromosomes=chromosomes, genes=genes)


#: byte -> base code: ACGT (either case) -> 0-3, anything else (N, IUPAC) -> 4.
_ENCODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _ENCODE[ord(_b)] = _ENCODE[ord(_b.lower())] = _i


def _read_fasta(path: Path) -> dict[str, np.ndarray]:
    """All records of a FASTA (plain or gzipped) as base codes."""
    try:
        with open_binary(path) as handle:
            data = handle.read()
    except (OSError, EOFError) as err:
        raise InputError(f"cannot read FASTA ({err})", path) from None
    if not data.lstrip().startswith(b">"):
        raise InputError("not a FASTA file: the first line must start with '>'", path, 1)
    records: dict[str, np.ndarray] = {}
    for block in data.lstrip()[1:].split(b"\n>"):
        header, _, body = block.partition(b"\n")
        name = header.split()[0].decode() if header.split() else ""
        if not name or name in records:
            raise InputError(f"FASTA record with an empty or repeated name {name!r}", path)
        seq = np.frombuffer(body.replace(b"\n", b"").replace(b"\r", b""), dtype=np.uint8)
        records[name] = _ENCODE[seq]
    return records


def _parse_region(region: str) -> tuple[str, int, int | None]:
    """``chr21:100001-600000`` (1-based, inclusive) -> (chr21, 100000, 600000); ``chr21`` too."""
    match = re.fullmatch(r"([^:\s]+)(?::([\d,]+)-([\d,]+))?", region.strip())
    if not match:
        raise InputError(f"region {region!r} must look like chr21 or chr21:100001-600000")
    name, start, end = match.groups()
    if start is None:
        return name, 0, None
    s, e = int(start.replace(",", "")) - 1, int(end.replace(",", ""))
    if not 0 <= s < e:
        raise InputError(f"region {region!r}: start must be ≥ 1 and below the end")
    return name, s, e


def _centromere(name: str, length: int, offset: int, arms: pd.DataFrame | None) -> tuple[int, int]:
    """Centromere span from the arm table (shifted by ``offset``), else the contig's middle."""
    if arms is not None:
        bare = name.removeprefix("chr")
        rows = arms[arms["chrom"].astype(str).str.removeprefix("chr") == bare]
        p = rows[rows["arm"].astype(str).str.endswith("p")]
        q = rows[rows["arm"].astype(str).str.endswith("q")]
        if not q.empty:
            cen1 = int(q["start"].min()) - offset
            cen0 = int(p["end"].max()) - offset if not p.empty else cen1
            cen0, cen1 = (min(max(x, 0), length) for x in (cen0, cen1))
            return cen0, max(cen0, cen1)
    return length // 2, length // 2


def genome_from_fasta(
    fasta: str | Path,
    region: str = "",
    arms: str | Path = "",
    min_length: int = 10_000,
) -> SyntheticGenome:
    """Real sequence to plant tumors in: every contig ≥ ``min_length`` (or one ``region``).

    Arms come from ``arms`` (chrom, arm, start, end; ``chr`` naming either way) when given,
    else each contig is split into p/q halves: a piece of a chromosome has no known centromere.
    Soft-masked (lower-case) bases count as bases; N and IUPAC codes stay N and get no reads
    or variants. No genes: events are planted on positions, not on driver genes.
    """
    fasta = Path(fasta)
    if not fasta.is_file():
        raise InputError("FASTA not found; check --fasta", fasta)
    records = _read_fasta(fasta)
    table = None
    if arms:
        try:
            table = pd.read_csv(arms, sep="\t", dtype={"chrom": str})
        except (OSError, pd.errors.ParserError) as err:
            raise InputError(f"cannot read arm table ({err})", arms) from None
        if not {"chrom", "arm", "start", "end"} <= set(table.columns):
            raise InputError("arm table needs columns chrom, arm, start, end", arms)
    offset = 0
    if region:
        name, start, end = _parse_region(region)
        if name not in records:
            raise InputError(
                f"region contig {name!r} is not in the FASTA (it has "
                f"{', '.join(list(records)[:5])})",
                fasta,
            )
        seq = records[name]
        end = seq.size if end is None else end
        if end > seq.size:
            raise InputError(f"region {region!r} ends past {name} ({seq.size:,} bp)", fasta)
        records, offset = {name: seq[start:end]}, start
    chromosomes = []
    for name, seq in records.items():
        if seq.size < min_length or (seq < 4).sum() < min_length // 2:
            continue
        chromosomes.append(Chromosome(name, seq.copy(), _centromere(name, seq.size, offset, table)))
    if not chromosomes:
        raise InputError(
            f"no contig of at least {min_length:,} bp with sequence (not N) in the FASTA", fasta
        )
    return SyntheticGenome(chromosomes=chromosomes, genes=[])
