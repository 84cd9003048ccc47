"""The simulated genome written as a reference: FASTA, GFF3, arm table and capture targets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scce_genomics.fileio import atomic_open
from scce_genomics.simulate.genome import (
    DECODE,
    Gene,
    SyntheticGenome,
)


def write_reference(genome: SyntheticGenome, outdir: Path, assay: str) -> dict[str, Path]:
    """Write FASTA, GFF3 (Ensembl style, as ``bcftools csq`` expects), arms, targets BED."""
    ref = outdir / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    paths = {
        "fasta": ref / "genome.fa",
        "gff3": ref / "genes.gff3",
        "arms": ref / "arms.tsv",
        "targets": ref / "targets.bed",
        "genes_bed": ref / "genes.bed",
    }
    with atomic_open(paths["fasta"]) as fa:
        for chrom in genome.chromosomes:
            fa.write(f">{chrom.name}\n")
            text = DECODE[chrom.seq].tobytes().decode()
            fa.writelines(text[i : i + 60] + "\n" for i in range(0, len(text), 60))
    with atomic_open(paths["gff3"]) as gff:
        gff.write("##gff-version 3\n")
        for chrom in genome.chromosomes:
            gff.write(f"##sequence-region {chrom.name} 1 {chrom.length}\n")
        for i, gene in enumerate(sorted(genome.genes, key=lambda g: (g.chrom, g.start))):
            gff.writelines(gff_lines(gene, i))
    arms = pd.DataFrame(genome.arms(), columns=["chrom", "arm", "start", "end"])
    with atomic_open(paths["arms"]) as handle:
        arms.to_csv(handle, sep="\t", index=False)
    with atomic_open(paths["genes_bed"]) as handle:
        for gene in genome.genes:
            handle.write(f"{gene.chrom}\t{gene.start}\t{gene.end}\t{gene.symbol}\n")
    with atomic_open(paths["targets"]) as handle:
        for start, end, contig in capture_targets(genome):
            handle.write(f"{contig}\t{start}\t{end}\n")
    return paths


def gff_lines(gene: Gene, index: int) -> list[str]:
    gid, tid = f"ENSGSIM{index:05d}", f"ENSTSIM{index:05d}"
    cols = f"{gene.chrom}\tsimulate\t"
    out = [
        f"{cols}gene\t{gene.start + 1}\t{gene.end}\t.\t{gene.strand}\t.\t"
        f"ID=gene:{gid};Name={gene.symbol};biotype=protein_coding;gene_id={gid}\n",
        f"{cols}mRNA\t{gene.start + 1}\t{gene.end}\t.\t{gene.strand}\t.\t"
        f"ID=transcript:{tid};Parent=gene:{gid};Name={gene.symbol}-201;"
        f"biotype=protein_coding;transcript_id={tid}\n",
    ]
    ordered = gene.exons if gene.strand == "+" else gene.exons[::-1]
    done = 0
    for start, end in ordered:
        phase = (3 - done % 3) % 3
        attrs = f"Parent=transcript:{tid}"
        out.append(f"{cols}exon\t{start + 1}\t{end}\t.\t{gene.strand}\t.\t{attrs}\n")
        out.append(f"{cols}CDS\t{start + 1}\t{end}\t.\t{gene.strand}\t{phase}\t{attrs}\n")
        done += end - start
    return out


def capture_targets(genome: SyntheticGenome) -> list[tuple[int, int, str]]:
    """Exome-like capture: every exon ± 50 bp plus one 200 bp target per 10 kb."""
    out: list[tuple[int, int, str]] = []
    for chrom in genome.chromosomes:
        spans = [
            (s - 50, e + 50) for g in genome.genes if g.chrom == chrom.name for s, e in g.exons
        ]
        for pos in range(5_000, chrom.length - 5_000, 10_000):
            if not chrom.centromere[0] - 500 <= pos <= chrom.centromere[1] + 500:
                spans.append((pos, pos + 200))
        spans.sort()
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out.extend((s, e, chrom.name) for s, e in merged)
    return out


# ---------------------------------------------------------------------------------------------
# variants
