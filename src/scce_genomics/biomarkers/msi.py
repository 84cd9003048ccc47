"""MSI scores: tumor against its matched normal, or tumor alone against a baseline of normals.

Both follow MSIsensor-pro (Jia et al., "MSIsensor-pro: fast, accurate, and matched-normal-
sample-free detection of microsatellite instability", Genomics Proteomics Bioinformatics 18:
65–71, 2020) and its predecessor MSIsensor (Niu et al., Bioinformatics 30:1015, 2014): the
score is the percentage of unstable sites among the sites with at least ``min_coverage``
spanning reads (in the tumor and, when paired, in the normal).

**Tumor–normal.** A site is unstable when the tumor carries more reads of a repeat length the
normal does not have than the normal does: one-sided Fisher exact test on the 2×2 table
tumor/normal × (reads at the normal's allele lengths, other lengths), where the normal's
alleles are the lengths holding at least ``allele_fraction`` of its reads (a germline
heterozygous length is an allele, PCR stutter is not), and Benjamini–Hochberg control of the
false discovery rate at ``fdr`` over the covered sites. MSIsensor compares the whole length
distributions with Pearson's χ² instead; testing for new lengths keeps loss of heterozygosity
(a shifted mix of the same two alleles) from reading as instability, and is exact at the
15–60 reads a site has.

**Tumor-only.** MSIsensor-pro's "pro" mode: per site the polymerase-slippage probability
``P = deleted units / all units`` of the reads (a multinomial estimate of a unit being lost),
and a baseline per site from normals of the same assay: the mean and standard deviation of
``P`` over the normals covering it (kept when at least ``baseline_support`` of the normals do);
the tumor's site is unstable when its ``P`` exceeds mean + ``baseline_sd`` × SD. One change:
the SD also holds the tumor's own binomial sampling at its depth, since normals that never
slipped at a site (SD 0) would otherwise make one slipped tumor read "unstable". The score is
the percentage of covered sites above the threshold (Clopper–Pearson CI). MSIsensor-pro
recommends ≥ 20 normals; below ``baseline_min_normals`` no tumor-only score is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scce_genomics.biomarkers.tables import read_checked
from scce_genomics.errors import InputError

__all__ = [
    "BASELINE_COLUMNS",
    "MsiParams",
    "background",
    "build_baseline",
    "not_computed",
    "paired_sites",
    "read_baseline",
    "score_paired",
    "score_tumor_only",
    "slippage",
    "summarise",
    "tumor_only_sites",
    "unstable_fraction",
]

BASELINE_COLUMNS = [
    "chrom",
    "start",
    "end",
    "unit",
    "repeats",
    "normals",
    "n_normals",
    "mean_p",
    "sd_p",
    "threshold",
]


@dataclass(frozen=True)
class MsiParams:
    """Thresholds of the per-site tests and of the MSI status (config ``biomarkers.msi``)."""

    min_coverage: int = 15
    fdr: float = 0.05
    allele_fraction: float = 0.2
    baseline_support: float = 0.5
    baseline_sd: float = 3.0
    baseline_min_normals: int = 5
    min_sites: int = 50
    threshold: float = 3.5

    def test_name(self, mode: str) -> str:
        if mode == "tumor-normal":
            return (
                "one-sided Fisher exact test, tumor vs normal reads at lengths outside the "
                f"normal's alleles (≥ {self.allele_fraction:g} of its reads); "
                f"Benjamini-Hochberg FDR ≤ {self.fdr:g}"
            )
        return (
            f"slippage probability above the baseline's mean + {self.baseline_sd:g} SD "
            "(normals' SD and the tumor's sampling SD; MSIsensor-pro)"
        )


def slippage(matrix: np.ndarray, repeats: np.ndarray) -> np.ndarray:
    """MSIsensor-pro's per-site P: units lost / all units, over the spanning reads.

    ``matrix`` columns are shifts −K..K from the reference number of units ``repeats``: a read
    d units short contributes d lost and ``repeats − d`` kept units, a read d units long
    ``repeats`` kept and d inserted. NaN where no read spans the site.
    """
    k = (matrix.shape[1] - 1) // 2
    shift = np.arange(-k, k + 1)
    lost = matrix @ np.maximum(-shift, 0)
    units = matrix @ np.maximum(shift, 0) + matrix.sum(axis=1) * repeats
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(units > 0, lost / np.maximum(units, 1), np.nan)


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values)."""
    from scipy.stats import false_discovery_control

    return false_discovery_control(p, method="bh") if p.size else p


def paired_sites(tumor: np.ndarray, normal: np.ndarray, params: MsiParams) -> pd.DataFrame:
    """Per-site tumor–normal test (one row per site, in the matrices' order)."""
    from scipy.stats import hypergeom

    n_t, n_n = tumor.sum(axis=1), normal.sum(axis=1)
    alleles = normal >= params.allele_fraction * np.maximum(n_n, 1)[:, None]
    other_t = (tumor * ~alleles).sum(axis=1)
    other_n = (normal * ~alleles).sum(axis=1)
    covered = (n_t >= params.min_coverage) & (n_n >= params.min_coverage)
    # P(X ≥ other_t), X ~ hypergeometric: other-length reads falling on the tumor's side
    p = hypergeom.sf(other_t - 1, n_t + n_n, other_t + other_n, n_t)
    q = np.full(p.size, np.nan)
    q[covered] = _bh(p[covered])
    return pd.DataFrame(
        {
            "tumor_reads": n_t,
            "normal_reads": n_n,
            "tumor_other": other_t,
            "normal_other": other_n,
            "p_value": np.where(covered, p, np.nan),
            "q_value": q,
            "covered": covered,
            "unstable": covered & (q <= params.fdr),
        }
    )


def background(
    other: np.ndarray,
    reads: np.ndarray,
    sites: pd.DataFrame,
    site_prior: float = 30.0,
    kind_prior: float = 200.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Beta distribution of each site's stutter rate, from the normal's non-allele reads.

    Stutter grows with the repeat's length and differs between homopolymers and longer units.
    The rate of a kind of site (unit class × repeat number) is pooled over its sites and
    pulled towards its unit class with the weight of ``kind_prior`` reads; each site's own
    ~20 reads then update that prior (weight ``site_prior`` reads). Returns Beta(a, b): the
    uncertainty of a rate seen in few normal reads stays part of the null.
    """
    unit_class = np.minimum(sites["unit_length"].to_numpy(), 2)
    kind = unit_class * 1000 + sites["repeats"].to_numpy()

    def pooled(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        o = pd.Series(other).groupby(groups).transform("sum").to_numpy(dtype=float)
        r = pd.Series(reads).groupby(groups).transform("sum").to_numpy(dtype=float)
        return o, r

    class_other, class_reads = pooled(unit_class)
    class_rate = (class_other + 0.5) / (class_reads + 1.0)
    kind_other, kind_reads = pooled(kind)
    kind_rate = (kind_other + kind_prior * class_rate) / (kind_reads + kind_prior)
    a = other + site_prior * kind_rate
    b = reads - other + site_prior * (1 - kind_rate)
    return a, b


def unstable_fraction(
    reads: np.ndarray,
    other: np.ndarray,
    prior: tuple[np.ndarray, np.ndarray],
    min_allele_fraction: float = 0.1,
    max_iter: int = 500,
) -> dict[str, float]:
    """Maximum-likelihood share of unstable sites, with a 95% CI (two-component mixture).

    A stable site's tumor reads at non-allele lengths are beta-binomial: binomial at the
    site's stutter rate, that rate Beta-distributed as learnt from the normal (``prior``). An
    unstable site's are binomial at ``e + (1 − e)·f``, ``e`` the mean stutter rate and ``f``
    the share of reads from the mutated allele (purity × cancer-cell fraction / 2 for a change
    on one allele), common to all sites and estimated with the share ``π`` by EM; ``f`` ≥
    ``min_allele_fraction`` keeps a faint component from absorbing stutter noise. Unlike the
    count of sites that pass a multiple-testing threshold, ``π`` does not shrink when depth or
    purity leave single sites short of significance. CI: Wald interval from the observed
    information of ``π`` (``f`` held at its estimate).
    """
    from scipy.optimize import minimize_scalar
    from scipy.stats import betabinom, binom

    if reads.size == 0:
        return {"fraction": np.nan, "ci_low": np.nan, "ci_high": np.nan, "allele_fraction": np.nan}
    a, b = prior
    rate = a / (a + b)
    log0 = betabinom.logpmf(other, reads, a, b)
    pi, f = 0.1, 0.25

    def log1(frac: float) -> np.ndarray:
        return binom.logpmf(other, reads, rate + (1 - rate) * frac)

    for _ in range(max_iter):
        unstable, stable = np.log(pi) + log1(f), np.log1p(-pi) + log0
        resp = np.exp(unstable - np.logaddexp(unstable, stable))
        new_pi = float(np.clip(resp.mean(), 1e-9, 1 - 1e-9))
        new_f = float(
            minimize_scalar(
                lambda x, r=resp: -float((r * log1(x)).sum()),
                bounds=(min_allele_fraction, 0.999),
                method="bounded",
            ).x
        )
        done = abs(new_pi - pi) < 1e-7 and abs(new_f - f) < 1e-6
        pi, f = new_pi, new_f
        if done:
            break
    l1, l0 = np.exp(log1(f)), np.exp(log0)
    info = float((((l1 - l0) / (pi * l1 + (1 - pi) * l0)) ** 2).sum())
    half = 1.96 / np.sqrt(info) if info > 0 else np.inf
    pi = 0.0 if pi < 1e-6 else pi
    return {
        "fraction": pi,
        "ci_low": max(0.0, pi - half),
        "ci_high": min(1.0, pi + half),
        "allele_fraction": f,
    }


def build_baseline(
    sites: pd.DataFrame, normals: list[np.ndarray], params: MsiParams
) -> pd.DataFrame:
    """Per-site mean and SD of the normals' slippage P, and the tumor-only threshold."""
    if not normals:
        raise InputError("a baseline needs at least one normal")
    repeats = sites["repeats"].to_numpy()
    values = np.vstack([slippage(m, repeats) for m in normals])
    depth = np.vstack([m.sum(axis=1) for m in normals])
    values[depth < params.min_coverage] = np.nan
    valid = ~np.isnan(values)
    support = valid.sum(axis=0)
    needed = max(2, int(np.ceil(params.baseline_support * len(normals))))
    keep = support >= needed
    filled = np.where(valid, values, 0.0)
    mean = filled.sum(axis=0) / np.maximum(support, 1)
    sq = (np.where(valid, values - mean, 0.0) ** 2).sum(axis=0)
    sd = np.sqrt(sq / np.maximum(support - 1, 1))
    table = sites.loc[keep, ["chrom", "start", "end", "unit", "repeats"]].copy()
    table["normals"] = support[keep]
    table["n_normals"] = len(normals)
    table["mean_p"] = mean[keep]
    table["sd_p"] = sd[keep]
    table["threshold"] = mean[keep] + params.baseline_sd * sd[keep]
    return table.reset_index(drop=True)


def read_baseline(path: str) -> pd.DataFrame:
    """A baseline written by ``scce-genomics msi baseline``, checked for its columns."""
    hint = "build one with `scce-genomics msi baseline`"
    table = read_checked(path, "MSI baseline", BASELINE_COLUMNS, hint)
    return table[BASELINE_COLUMNS]


def tumor_only_sites(
    sites: pd.DataFrame, tumor: np.ndarray, baseline: pd.DataFrame, params: MsiParams
) -> pd.DataFrame:
    """Per-site tumor-only call against the baseline (rows: the baseline's sites)."""
    key = pd.MultiIndex.from_arrays([sites["chrom"].astype(str), sites["start"]])
    row = key.get_indexer(
        pd.MultiIndex.from_arrays([baseline["chrom"].astype(str), baseline["start"]])
    )
    if (row < 0).any():
        raise InputError(
            f"{int((row < 0).sum())} baseline sites are not among the microsatellite sites: "
            "the baseline was built on another reference or site list"
        )
    counts = tumor[row]
    n_t = counts.sum(axis=1)
    repeats = sites["repeats"].to_numpy()[row]
    p_t = slippage(counts, repeats)
    covered = n_t >= params.min_coverage
    mean, sd = baseline["mean_p"].to_numpy(), baseline["sd_p"].to_numpy()
    # The normals' SD says nothing of the tumor's own sampling: at a site where no normal read
    # slipped (SD 0) one slipped tumor read would exceed the threshold. Add the binomial
    # sampling SD of P at the tumor's depth, at the rate of slipped reads of this site or of
    # its kind (unit class × repeat number) across the baseline, whichever is higher.
    kind = np.minimum(sites["unit_length"].to_numpy()[row], 2) * 1000 + repeats
    kind_mean = pd.Series(mean).groupby(kind).transform("mean").to_numpy()
    slipped = np.clip(np.maximum(mean, kind_mean) * repeats, 1e-4, 0.5)
    sampling = np.sqrt(slipped * (1 - slipped) / np.maximum(n_t, 1)) / repeats
    threshold = mean + params.baseline_sd * np.sqrt(sd**2 + sampling**2)
    return pd.DataFrame(
        {
            "site": row,
            "tumor_reads": n_t,
            "tumor_p": p_t,
            "baseline_mean": mean,
            "baseline_sd": sd,
            "threshold": threshold,
            "covered": covered,
            "unstable": covered & (p_t > threshold),
        }
    )


def _clopper_pearson(k: int, n: int) -> tuple[float, float]:
    from scipy.stats import beta

    lo = float(beta.ppf(0.025, k, n - k + 1)) if k > 0 else 0.0
    hi = float(beta.ppf(0.975, k + 1, n - k)) if k < n else 1.0
    return lo, hi


def summarise(
    per_site: pd.DataFrame,
    params: MsiParams,
    mode: str,
    sites: pd.DataFrame | None = None,
) -> dict[str, object]:
    """Score with its CI, status and what they rest on; "not computed: …" when too thin.

    Tumor–normal: the score is the estimated percentage of unstable sites among the covered
    ones (:func:`unstable_fraction`), beside the percentage that pass the per-site test at the
    FDR (MSIsensor's score, a lower bound that falls with depth and purity). Tumor-only: the
    percentage of covered sites above the baseline threshold (MSIsensor-pro), with its
    Clopper–Pearson 95% CI.
    """
    covered = per_site["covered"].to_numpy(dtype=bool)
    n_cov, n_unstable = int(covered.sum()), int(per_site["unstable"].sum())
    row: dict[str, object] = {
        "mode": mode,
        "sites": len(per_site),
        "sites_covered": n_cov,
        "sites_unstable": n_unstable,
        "msi_score": np.nan,
        "msi_score_ci_low": np.nan,
        "msi_score_ci_high": np.nan,
        "msi_score_sites": np.nan,
        "msi_threshold": params.threshold,
        "msi_status": "",
        "test": params.test_name(mode),
        "min_coverage": params.min_coverage,
    }
    if len(per_site) == 0:
        row["msi_status"] = "not computed: no microsatellite sites in the targets"
        return row
    if n_cov < params.min_sites:
        where = "the tumor" if mode == "tumor-only" else "both tumor and normal"
        row["msi_status"] = (
            f"not computed: {n_cov} of {len(per_site)} sites have ≥ {params.min_coverage} "
            f"spanning reads in {where}; at least {params.min_sites} are needed"
        )
        return row
    share = 100.0 * n_unstable / n_cov
    row["msi_score_sites"] = round(share, 2)
    if mode == "tumor-normal":
        if sites is None:
            raise ValueError("tumor-normal scores need the site table")
        cov_sites = sites.loc[covered].reset_index(drop=True)
        part = per_site.loc[covered]
        prior = background(
            part["normal_other"].to_numpy(), part["normal_reads"].to_numpy(), cov_sites
        )
        est = unstable_fraction(
            part["tumor_reads"].to_numpy(), part["tumor_other"].to_numpy(), prior
        )
        score, lo, hi = 100 * est["fraction"], 100 * est["ci_low"], 100 * est["ci_high"]
    else:
        score = share
        lo, hi = (100 * x for x in _clopper_pearson(n_unstable, n_cov))
    row["msi_score"] = round(float(score), 2)
    row["msi_score_ci_low"] = round(float(lo), 2)
    row["msi_score_ci_high"] = round(float(hi), 2)
    row["msi_status"] = "MSI-H" if score >= params.threshold else "MSS"
    return row


_SITE_FIELDS = ["chrom", "start", "end", "unit", "repeats"]
_BLANK = ("msi_score", "msi_score_ci_low", "msi_score_ci_high", "msi_score_sites")


def not_computed(params: MsiParams, mode: str, reason: str) -> dict[str, object]:
    """A summary row without a score: the reason in ``msi_status``."""
    row = summarise(pd.DataFrame({"covered": [], "unstable": []}), params, mode)
    row["msi_status"] = f"not computed: {reason}"
    return row


def score_paired(
    sites: pd.DataFrame,
    tumor: np.ndarray,
    normal: np.ndarray,
    params: MsiParams,
    normal_name: str = "",
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Per-site results and the summary of a tumor against its matched normal."""
    per_site = paired_sites(tumor, normal, params)
    summary = summarise(per_site, params, "tumor-normal", sites)
    summary["compared_with"] = f"matched normal {normal_name}".strip()
    return pd.concat([sites[_SITE_FIELDS].reset_index(drop=True), per_site], axis=1), summary


def score_tumor_only(
    sites: pd.DataFrame,
    tumor: np.ndarray,
    baseline: pd.DataFrame,
    params: MsiParams,
    baseline_name: str = "baseline",
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Per-site results and the summary of a tumor against a baseline of normals.

    A baseline of fewer than ``baseline_min_normals`` normals, or without sites, gives no score.
    """
    per_site = tumor_only_sites(sites, tumor, baseline, params)
    n_normals = int(baseline["n_normals"].max()) if len(baseline) else 0
    if len(baseline) == 0:
        summary = not_computed(
            params, "tumor-only", f"{baseline_name} holds no site covered by enough normals"
        )
    else:
        summary = summarise(per_site, params, "tumor-only")
        if n_normals < params.baseline_min_normals:
            summary.update(dict.fromkeys(_BLANK, np.nan))
            summary["msi_status"] = (
                f"not computed: the baseline holds {n_normals} normals, fewer than the "
                f"{params.baseline_min_normals} needed (biomarkers.msi.baseline_min_normals)"
            )
    summary["compared_with"] = f"baseline of {n_normals} normals ({baseline_name})"
    fields = sites.iloc[per_site["site"]][_SITE_FIELDS].reset_index(drop=True)
    return pd.concat([fields, per_site.drop(columns="site")], axis=1), summary
