# PureCN's somatic posterior for one tumor-only sample, the peer of bench_tumor_only.py.
#
#   Rscript purecn_somatic.R VCF CNN CNR SEG SAMPLE OUTDIR
#
# VCF: candidates with FORMAT AD/DP and INFO POP_AF/DB; CNN/CNR/SEG: CNVkit target coverage,
# log2 ratios and segments (cnvkit.py export seg) of the same sample. Follows PureCN's recipe for
# third-party segmentation (--seg-file --log-ratio-file --fun-segmentation Hclust) through its R
# API and writes OUTDIR/SAMPLE_variants.tsv (predictSomatic) and OUTDIR/SAMPLE_purity.tsv.
suppressPackageStartupMessages(library(PureCN))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 6) stop("usage: purecn_somatic.R VCF CNN CNR SEG SAMPLE OUTDIR")
sample <- args[5]
outdir <- args[6]
set.seed(1)
# the bins CNVkit kept, with their log2 ratios (CNVkit tables are 0-based, PureCN's 1-based)
coverage <- readCoverageFile(args[2])
cnr <- read.delim(args[3])
key <- paste(cnr$chromosome, cnr$start + 1)
kept <- match(paste(as.character(seqnames(coverage)), start(coverage)), key)
coverage <- coverage[!is.na(kept)]
log_ratio <- cnr$log2[kept[!is.na(kept)]]
ret <- runAbsoluteCN(
    tumor.coverage.file = coverage,
    log.ratio = log_ratio,
    seg.file = args[4],
    vcf.file = args[1],
    genome = "hg38",
    sex = "diploid",
    sampleid = sample,
    fun.segmentation = segmentationHclust,
    plot.cnv = FALSE,
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
