"""What to simulate: tumor profiles (signatures, CN events, drivers) and the cohort spec."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TumorProfile:
    """What kind of tumor to plant: signature mix, arm and focal CN events, driver SNVs."""

    signatures: dict[str, float]
    arm_gains: tuple[str, ...] = ()
    arm_losses: tuple[str, ...] = ()
    focal_amps: tuple[str, ...] = ()
    homdels: tuple[str, ...] = ()
    drivers: tuple[str, ...] = ()
    #: HRD scars (simulate/scars.py): interstitial LOH regions and telomeric allelic imbalances.
    hrd_loh: int = 0
    hrd_tai: int = 0


#: ESCC-like (APOBEC SBS2/13, 3q gain, 3p loss, CCND1/SOX2 amp, CDKN2A deletion) and
#: SCLC-like (tobacco SBS4, RB1 mutation with 13q LOH, 3p/17p loss, FHIT deletion, MYC amp).
PROFILES: dict[str, TumorProfile] = {
    "escc": TumorProfile(
        signatures={"SBS1": 0.15, "SBS5": 0.25, "SBS2": 0.25, "SBS13": 0.25, "SBS16": 0.10},
        arm_gains=("3q", "8q"),
        arm_losses=("3p", "9p", "17p"),
        focal_amps=("CCND1", "SOX2"),
        homdels=("CDKN2A",),
        drivers=("TP53", "NOTCH1", "PIK3CA"),
    ),
    "sclc": TumorProfile(
        signatures={"SBS4": 0.55, "SBS5": 0.25, "SBS1": 0.10, "SBS13": 0.10},
        arm_gains=("8q",),
        arm_losses=("3p", "13q", "17p"),
        focal_amps=("MYC",),
        homdels=("FHIT",),
        drivers=("TP53", "RB1"),
    ),
    "flat": TumorProfile(signatures={"SBS1": 0.3, "SBS5": 0.7}),
    #: Homologous-recombination deficient (SBS3, LOH and telomeric-AI scars) with X-arm events
    #: (Xp loss, Xq gain, as in ESCC); needs the sex chromosomes (``sex_chromosomes``).
    "hrd": TumorProfile(
        signatures={"SBS3": 0.5, "SBS5": 0.3, "SBS1": 0.2},
        arm_gains=("8q", "Xq"),
        arm_losses=("17p", "Xp"),
        focal_amps=("MYC",),
        homdels=("CDKN2A",),
        drivers=("TP53", "BRCA2"),
        hrd_loh=3,
        hrd_tai=3,
    ),
}


@dataclass
class CohortSpec:
    """The knobs of a simulated cohort; defaults make the bundled demo."""

    patients: int = 3
    profiles: tuple[str, ...] = ("escc", "sclc", "escc")
    tumor_only: int = 1
    scale: float = 1 / 400
    read_length: int = 100
    fragment_mean: int = 320
    fragment_sd: int = 40
    tumor_depth: float = 40.0
    normal_depth: float = 25.0
    units_per_sample: int = 2
    snvs: int = 300
    indel_fraction: float = 0.10
    dbs_fraction: float = 0.01
    subclonal_fraction: float = 0.2
    subclone_ccf: float = 0.4
    purity_range: tuple[float, float] = (0.55, 0.8)
    ffpe_rate: float = 0.01
    assay: str = "wgs"
    seed: int = 1
    sex: str = "female"
    #: Add chrX and chrY to the synthetic genome (female XX, male XY); off by default so the
    #: default genome stays the six autosomes. ``sexes`` cycles over patients (else ``sex``).
    sex_chromosomes: bool = False
    sexes: tuple[str, ...] = ()
    germline_snp_rate: float = 1e-3
    extra: dict[str, float] = field(default_factory=dict)
    #: Real sequence to plant the tumors in (FASTA, plain or gzipped) instead of the random
    #: genome; ``region`` (chr:start-end, 1-based) takes a piece of it, ``arms`` an arm table
    #: (else each contig is split into p/q halves).
    fasta: str = ""
    region: str = ""
    arms: str = ""
    #: Plant every somatic variant at one of these VAFs (a copy-neutral tumor whose nested clones
    #: carry the variants; purity = 2 × the highest VAF); empty: purity, clonality and CN decide.
    vaf_bins: tuple[float, ...] = ()
    #: Fraction of each normal's DNA from another individual (own germline haplotypes drawn
    #: from a separate generator, so the rest of the cohort is unchanged); 0: none.
    contaminate_normal: float = 0.0


# ---------------------------------------------------------------------------------------------
# genome files
