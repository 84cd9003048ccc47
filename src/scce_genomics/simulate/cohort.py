"""Synthetic tumor/normal cohorts with truth: genome, germline, somatic events, reads.

Everything is drawn from one seed, so a cohort is reproducible bit for bit. A tumor is a mix of
normal cells and two tumor clones; each cell type contributes two haplotype sequences (germline
SNPs, plus somatic SNVs/DBS/indels for tumor clones) with per-base copy numbers, and read pairs
are sampled in proportion to copies × cell fraction. The truth files hold what a perfect caller
would report: somatic variants with expected VAF, allele-specific copy-number segments, the
signature mix and purity.

Random genomes make every caller look perfect, so ``CohortSpec.fasta`` plants the same events in
real sequence instead (e.g. the bundled GRCh38 chr21 piece, or a region of any chromosome):
signature SNVs in the real trinucleotide contexts, indels, FFPE damage, and copy-number events
on positions (a gain, a loss, a focal amplification and a homozygous deletion per contig),
since driver genes may not exist there. ``CohortSpec.vaf_bins`` plants variants at fixed VAFs
(nested clones on a copy-neutral tumor), for recall/precision per VAF.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pysam

from scce_genomics.cosmic import cosmic_signatures
from scce_genomics.errors import InputError
from scce_genomics.fileio import atomic_open
from scce_genomics.simulate.events import (
    Sites,
    Variant,
    arm_copy_numbers,
    cn_segments,
    draw_germline,
    draw_somatic,
    positional_copy_numbers,
)
from scce_genomics.simulate.genome import (
    SyntheticGenome,
    genome_from_fasta,
    make_genome,
)
from scce_genomics.simulate.karyotype import SEXES, add_sex_chromosomes, germline_copies
from scce_genomics.simulate.reads import Source, haplotype, write_reads
from scce_genomics.simulate.reference import capture_targets, write_reference
from scce_genomics.simulate.scars import plant_scars
from scce_genomics.simulate.spec import PROFILES, CohortSpec, TumorProfile

__all__ = [
    "PROFILES",
    "CohortSpec",
    "TumorProfile",
    "simulate_cohort",
    "write_reference",
]


def _write_vcf(path: Path, genome: SyntheticGenome, rows: list[tuple[Variant, dict]]) -> None:
    header = ["##fileformat=VCFv4.2", "##source=scce-genomics simulate"]
    header += [f"##contig=<ID={c.name},length={c.length}>" for c in genome.chromosomes]
    header += [
        '##INFO=<ID=TYPE,Number=1,Type=String,Description="SNV, DBS, INS or DEL">',
        '##INFO=<ID=SOURCE,Number=1,Type=String,Description="Signature, driver or germline">',
        '##INFO=<ID=VAF,Number=1,Type=Float,Description="Expected variant allele fraction">',
        '##INFO=<ID=CCF,Number=1,Type=Float,Description="Cancer cell fraction">',
        '##INFO=<ID=HAP,Number=1,Type=Integer,Description="Haplotype (2 = both)">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    order = {c.name: i for i, c in enumerate(genome.chromosomes)}
    rows = sorted(rows, key=lambda r: (order[r[0].chrom], r[0].pos))
    plain = path.with_suffix("")
    with atomic_open(plain) as handle:
        handle.write("\n".join(header) + "\n")
        for v, info in rows:
            fields = ";".join(f"{k}={val}" for k, val in info.items())
            handle.write(f"{v.chrom}\t{v.pos + 1}\t.\t{v.ref}\t{v.alt}\t.\tPASS\t{fields}\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


def _contaminated(
    own: list[Source], genome: SyntheticGenome, spec: CohortSpec, patient: int
) -> list[Source]:
    """Mix a normal with another individual's germline haplotypes at ``contaminate_normal``."""
    frac = spec.contaminate_normal
    if not 0 < frac < 1:
        raise InputError("--contaminate-normal must be a fraction in [0, 1)")
    other = draw_germline(
        np.random.default_rng([spec.seed, 7919, patient]), genome, spec.germline_snp_rate
    )
    mixed = [Source(s.haps, {k: v * (1 - frac) for k, v in s.weight.items()}) for s in own]
    for h in (0, 1):
        haps = {
            c.name: haplotype(c.seq, [v for v in other if v.chrom == c.name and v.hap in (h, 2)])
            for c in genome.chromosomes
        }
        weight = {c.name: np.full(c.length, frac, dtype=np.float32) for c in genome.chromosomes}
        mixed.append(Source(haps, weight))
    return mixed


def _needs_sex_chromosomes(profile: TumorProfile) -> bool:
    return any(a.startswith(("X", "Y")) for a in profile.arm_gains + profile.arm_losses)


def _altered_arms(genome: SyntheticGenome, profile: TumorProfile) -> set[str]:
    """Arms that the profile's arm and focal events touch (HRD scars go elsewhere)."""
    arms = set(profile.arm_gains + profile.arm_losses)
    for symbol in profile.focal_amps + profile.homdels:
        gene = next((g for g in genome.genes if g.symbol == symbol), None)
        if gene is None:
            continue
        for chrom, arm, s, e in genome.arms():
            if chrom == gene.chrom and s <= gene.start < e:
                arms.add(arm)
    return arms


def simulate_cohort(outdir: str | Path, spec: CohortSpec) -> dict[str, Any]:
    """Write reference, reads, truth and sample sheets for a cohort; return a summary."""
    outdir = Path(outdir)
    if spec.patients < 1:
        raise InputError("--patients must be at least 1")
    if not 0 <= spec.tumor_only <= spec.patients:
        raise InputError("--tumor-only must be between 0 and --patients")
    unknown = [p for p in spec.profiles if p not in PROFILES]
    if unknown:
        raise InputError(f"unknown profile(s) {unknown}; choose from {sorted(PROFILES)}")
    if spec.assay not in ("wgs", "exome"):
        raise InputError("--assay must be wgs or exome")
    bins = sorted({float(b) for b in spec.vaf_bins}, reverse=True)
    if bins and not all(0 < b <= 0.5 for b in bins):
        raise InputError("--vaf-bins must be VAFs in (0, 0.5] (heterozygous, copy-neutral)")
    sexes = spec.sexes or (spec.sex,)
    bad = [x for x in sexes if x not in SEXES]
    if bad:
        raise InputError(f"unknown sex {bad[0]!r}; use female or male")
    if spec.sex_chromosomes and spec.fasta:
        raise InputError("--sex-chromosomes adds chrX/chrY to the synthetic genome, not to --fasta")
    needs_xy = [p for p in spec.profiles if _needs_sex_chromosomes(PROFILES[p])]
    if needs_xy and not spec.sex_chromosomes:
        raise InputError(f"profile {needs_xy[0]} has X-arm events: add --sex-chromosomes")
    rng = np.random.default_rng(spec.seed)
    if spec.fasta:
        genome = genome_from_fasta(spec.fasta, spec.region, spec.arms)
    else:
        genome = make_genome(rng, spec.scale)
        if spec.sex_chromosomes:
            add_sex_chromosomes(genome, spec.seed, spec.scale)
    paths = write_reference(genome, outdir, spec.assay)
    signatures = cosmic_signatures("SBS", "3.4", "GRCh38")
    sites = Sites(genome, rng) if spec.fasta else Sites(genome)
    capture = None
    if spec.assay == "exome":
        capture = {c.name: np.full(c.length, 0.02) for c in genome.chromosomes}
        for s, e, chrom in capture_targets(genome):
            capture[chrom][max(0, s - 150) : e + 150] = 1.0
    sample_rows: list[tuple[str, ...]] = []
    unit_rows: list[tuple[str, str, Path, Path]] = []
    summary: dict[str, Any] = {"samples": []}
    for p in range(spec.patients):
        patient = f"P{p + 1}"
        profile_name = spec.profiles[p % len(spec.profiles)]
        profile = PROFILES[profile_name]
        sex = sexes[p % len(sexes)]
        copies = germline_copies(genome, sex)
        germline = draw_germline(rng, genome, spec.germline_snp_rate)
        normal_haps = [
            {
                c.name: haplotype(
                    c.seq, [v for v in germline if v.chrom == c.name and v.hap in (h, 2)]
                )
                for c in genome.chromosomes
            }
            for h in (0, 1)
        ]
        _write_vcf(
            outdir / "truth" / f"{patient}.germline.vcf.gz",
            genome,
            [(v, {"TYPE": v.kind, "SOURCE": "germline", "HAP": v.hap}) for v in germline],
        )
        has_normal = p < spec.patients - spec.tumor_only
        # per-haplotype weight of a normal cell: 1 per present copy (a male's X and Y: one)
        normal_weight = [
            {
                c.name: np.full(c.length, copies[c.name][h], dtype=np.float32)
                for c in genome.chromosomes
            }
            for h in (0, 1)
        ]
        if has_normal:
            normal = f"{patient}N"
            sources = [Source(normal_haps[h], normal_weight[h]) for h in (0, 1)]
            if spec.contaminate_normal:
                sources = _contaminated(sources, genome, spec, p)
            units = write_reads(
                rng,
                genome,
                sources,
                spec.normal_depth,
                spec,
                0.0,
                outdir / "reads" / normal,
                normal,
                capture,
            )
            sample_rows.append((normal, patient, "normal", "blood", "", sex))
            unit_rows += [(normal, f"L{i + 1}", a, b) for i, (a, b) in enumerate(units)]
        tumor = f"{patient}T"
        purity = float(np.round(rng.uniform(*spec.purity_range), 2))
        blocked = {(v.chrom, q) for v in germline for q in range(v.pos - 2, v.pos + 3)}
        somatic = draw_somatic(rng, genome, sites, profile, spec, signatures, blocked)
        scars: list[dict[str, object]] = []
        if bins:
            cn = {
                c.name: np.repeat(copies[c.name].reshape(2, 1), c.length, axis=1)
                for c in genome.chromosomes
            }
        elif genome.genes:
            cn = arm_copy_numbers(rng, genome, profile, copies)
            if profile.hrd_loh or profile.hrd_tai:
                scars = plant_scars(
                    rng, genome, cn, profile.hrd_loh, profile.hrd_tai, spec.scale,
                    _altered_arms(genome, profile),
                )  # fmt: skip
        else:
            cn = positional_copy_numbers(rng, genome)
        for v in somatic:
            if v.source in profile.drivers:  # clonal, on the haplotype the tumor keeps (LOH)
                v.hap = int(np.argmax(cn[v.chrom][:, v.pos]))
                v.subclonal = False
        sub_ccf = spec.subclone_ccf
        # Cell populations (variants carried, fraction of cells): two clones, the second with the
        # subclonal variants too; or, with VAF bins, nested clones where population j carries the
        # variants of bins 0..j (bins high to low), so a bin-k variant is in 2 × VAF_k of cells.
        if bins:
            purity = min(1.0, 2 * bins[0])
            bin_of = np.empty(len(somatic), dtype=np.int64)
            bin_of[rng.permutation(len(somatic))] = np.arange(len(somatic)) % len(bins)
            cells = [2 * b for b in bins] + [0.0]
            populations = [
                ([v for v, k in zip(somatic, bin_of, strict=True) if k <= j],
                 (cells[j] - cells[j + 1]) / purity)
                for j in range(len(bins))
            ]  # fmt: skip
        else:
            populations = [
                ([v for v in somatic if not v.subclonal], 1 - sub_ccf),
                (somatic, sub_ccf),
            ]
        sources = [
            Source(normal_haps[h], {k: v * (1 - purity) for k, v in normal_weight[h].items()})
            for h in (0, 1)
        ]
        for carried, frac in populations:
            for h in (0, 1):
                chosen = [v for v in carried if v.hap == h]
                haps = {
                    c.name: haplotype(
                        c.seq,
                        [v for v in germline if v.chrom == c.name and v.hap in (h, 2)]
                        + [v for v in chosen if v.chrom == c.name],
                    )
                    for c in genome.chromosomes
                }
                weight = {k: arr[h].astype(np.float32) * purity * frac for k, arr in cn.items()}
                sources.append(Source(haps, weight))
        tissue = "ffpe" if p % 2 == 0 else "fresh"
        ffpe = spec.ffpe_rate if tissue == "ffpe" else 0.0
        units = write_reads(
            rng,
            genome,
            sources,
            spec.tumor_depth,
            spec,
            ffpe,
            outdir / "reads" / tumor,
            tumor,
            capture,
        )
        sample_rows.append((tumor, patient, "tumor", tissue, f"{purity}", sex))
        unit_rows += [(tumor, f"L{i + 1}", a, b) for i, (a, b) in enumerate(units)]
        truth_rows = []
        for i, v in enumerate(somatic):
            arr = cn[v.chrom][:, v.pos]
            ccf = (2 * bins[bin_of[i]] / purity) if bins else (sub_ccf if v.subclonal else 1.0)
            depth_copies = (1 - purity) * copies[v.chrom].sum() + purity * arr.sum()
            vaf = purity * ccf * arr[v.hap] / depth_copies if depth_copies > 0 else 0.0
            if vaf <= 0:
                continue
            truth_rows.append(
                (
                    v,
                    {
                        "TYPE": v.kind,
                        "SOURCE": v.source,
                        "VAF": f"{vaf:.4f}",
                        "CCF": ccf,
                        "HAP": v.hap,
                    },
                )
            )
        _write_vcf(outdir / "truth" / f"{tumor}.somatic.vcf.gz", genome, truth_rows)
        segs = cn_segments(cn)
        with atomic_open(outdir / "truth" / f"{tumor}.cn.tsv") as handle:
            segs.to_csv(handle, sep="\t", index=False)
        info = {
            "sample": tumor,
            "patient": patient,
            "profile": profile_name,
            "purity": purity,
            "tissue": tissue,
            "ffpe_rate": ffpe,
            "matched_normal": f"{patient}N" if has_normal else None,
            "sex": sex,
            "hrd_events": scars,
            "signature_mix": profile.signatures,
            "events": asdict(profile),
            "n_somatic": len(truth_rows),
        }
        with atomic_open(outdir / "truth" / f"{tumor}.json") as handle:
            json.dump(info, handle, indent=2)
        summary["samples"].append(info)
    samples = pd.DataFrame(
        sample_rows, columns=["sample", "patient", "type", "tissue", "purity", "sex"]
    )
    units_df = pd.DataFrame(unit_rows, columns=["sample", "unit", "fq1", "fq2"])
    units_df["fq1"] = [str(Path(x).relative_to(outdir)) for x in units_df["fq1"]]
    units_df["fq2"] = [str(Path(x).relative_to(outdir)) for x in units_df["fq2"]]
    with atomic_open(outdir / "samples.tsv") as handle:
        samples.to_csv(handle, sep="\t", index=False)
    with atomic_open(outdir / "units.tsv") as handle:
        units_df.to_csv(handle, sep="\t", index=False)
    summary["reference"] = {k: str(v) for k, v in paths.items()}
    summary["spec"] = {k: v for k, v in asdict(spec).items() if k != "extra"}
    with atomic_open(outdir / "truth" / "cohort.json") as handle:
        json.dump(summary, handle, indent=2, default=str)
    return summary
