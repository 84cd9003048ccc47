# PureCN's somatic posterior for one tumor-only sample, the peer of bench_tumor_only.py.
#
#   Rscript purecn_somatic.R VCF CNR SEG SAMPLE OUTDIR
#
# VCF: candidates with FORMAT AD/DP and INFO POP_AF/DB; CNR/SEG: CNVkit log2 ratios and segments
# (cnvkit.py export seg). Follows PureCN's recipe for third-party segmentation (PureCN.R with
# --seg-file --log-ratio-file --fun-segmentation Hclust) through its R API, and writes
# OUTDIR/SAMPLE_variants.tsv (predictSomatic) and OUTDIR/SAMPLE_purity.tsv.
suppressPackageStartupMessages(library(PureCN))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 5) stop("usage: purecn_somatic.R VCF CNR SEG SAMPLE OUTDIR")
vcf_file <- args[1]
sample <- args[4]
outdir <- args[5]
set.seed(1)
log_ratio <- readLogRatioFile(args[2])
ret <- runAbsoluteCN(
    log.ratio = log_ratio$log.ratio,
    seg.file = args[3],
    vcf.file = vcf_file,
    genome = "hg38",
    sex = "diploid",
    sampleid = sample,
    fun.segmentation = segmentationHclust,
    plot.cnv = FALSE,
    min.ploidy = 1.4,
    max.ploidy = 6,
    test.purity = seq(0.15, 0.95, by = 0.01),
    verbose = FALSE
)
best <- ret$results[[1]]
write.table(
    data.frame(sample = sample, purity = best$purity, ploidy = best$ploidy),
    file.path(outdir, paste0(sample, "_purity.tsv")),
    sep = "\t", quote = FALSE, row.names = FALSE
)
variants <- predictSomatic(ret)
write.table(
    variants[, c("chr", "start", "REF", "ALT", "POSTERIOR.SOMATIC", "ML.SOMATIC", "ML.C",
        "ML.M", "ML.LOH", "prior.somatic")],
    file.path(outdir, paste0(sample, "_variants.tsv")),
    sep = "\t", quote = FALSE, row.names = FALSE
)
