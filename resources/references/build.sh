#!/usr/bin/env bash
# Rebuild the shipped reference profiles from the source files in resources/references/source/.
# Run from the repository root: bash resources/references/build.sh
set -euo pipefail
S=resources/references/source
OUT=${1:-resources/references}
EXPOSURES=$S/signatures/PCAWG7_SigProfiler_SBS_exposures_shared.tsv.gz
NO_SCLC_CN="no per-patient SCLC copy number exists in any reachable source; published arm-level evidence only (Miura 1992: 3p loss 13/13, 17p13 loss 12/13; Ried 1994 CGH of 13 primaries), not used as per-patient data"

scce-genomics reference build --name ESCC --outdir "$OUT/ESCC" --build GRCh37 --assay exome \
  --maf $S/mutations/TCGA_ESCC_MC3_GRCh37.maf.tsv.gz \
  --seg $S/cna/TCGA_ESCC_SNP6_segments_hg19.seg.tsv.gz \
  --sbs96 $S/sbs96/ESCC_TCGA_WES_SBS96_counts.tsv.gz --exposures $EXPOSURES \
  --sample-prefix TCGA_ESCC:: --arm-threshold 0.2 \
  --description "TCGA oesophageal squamous cell carcinoma (MC3 exomes, SNP6 segments, PCAWG7 SBS96/attributions)" \
  --source S1 --source S2 --source S3 --source S4

scce-genomics reference build --name EAC --outdir "$OUT/EAC" --build GRCh37 --assay exome \
  --maf $S/mutations/TCGA_EAC_MC3_GRCh37.maf.tsv.gz \
  --seg $S/cna/TCGA_EAC_SNP6_segments_hg19.seg.tsv.gz \
  --sbs96 $S/sbs96/EAC_TCGA_WES_SBS96_counts.tsv.gz --exposures $EXPOSURES \
  --sample-prefix TCGA_EAC:: --arm-threshold 0.2 --common-patients \
  --description "TCGA oesophageal adenocarcinoma (MC3 exomes, SNP6 segments, PCAWG7 SBS96/attributions; the 66 patients with every source)" \
  --source S1 --source S2 --source S3 --source S4

scce-genomics reference build --name SCLC --outdir "$OUT/SCLC" --build GRCh37 --assay exome \
  --maf $S/mutations/SCLC_George2015_GRCh37.maf.tsv.gz \
  --sbs96 $S/sbs96/SCLC_WES_SBS96_counts.tsv.gz --exposures $EXPOSURES --sample-prefix SCLC:: \
  --unavailable "arm_cnv=$NO_SCLC_CN" --unavailable "focal_cnv=$NO_SCLC_CN" \
  --description "Small cell lung cancer: exomes (PCAWG7 'Lung-Small', random half of 70; SBS96/attributions) and George et al. 2015 coding calls (97 patients)" \
  --source S2 --source S3 --source S9
