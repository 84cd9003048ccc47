#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian/Ubuntu machine:
#   1. command-line tools from Debian packages (when running as root with apt-get),
#   2. a project virtualenv in .venv with the package and its test extras.
# Where it cannot install (no root, no apt), it lists what is missing with the conda and
# environment-module names, and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package(s)
declare -A DEBIAN=(
  [bwa]=bwa [samtools]=samtools [bcftools]=bcftools [tabix]=tabix [bgzip]=tabix
  [mosdepth]="mosdepth libhts-dev" [freebayes]=freebayes [Rscript]="r-base-core r-bioc-dnacopy"
  [chromium]="chromium chromium-driver" [git]=git
)
declare -A CONDA=(
  [bwa]=bioconda::bwa [samtools]=bioconda::samtools [bcftools]=bioconda::bcftools
  [tabix]=bioconda::htslib [bgzip]=bioconda::htslib [mosdepth]=bioconda::mosdepth
  [freebayes]=bioconda::freebayes [Rscript]="conda-forge::r-base bioconda::bioconductor-dnacopy"
  [chromium]=conda-forge::chromium [git]=conda-forge::git
)
# Libraries and helpers that are not commands of their own.
EXTRA_DEBIAN="libhts-dev r-bioc-dnacopy python3-venv python3-dev gcc zlib1g-dev"

missing=()
for tool in "${!DEBIAN[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
# mosdepth needs the unversioned libhts.so (Debian's libhts-dev); DNAcopy is an R package.
if command -v mosdepth >/dev/null 2>&1 && ! mosdepth --version >/dev/null 2>&1; then
  missing+=(mosdepth)
fi
if command -v Rscript >/dev/null 2>&1 && ! Rscript -e 'library(DNAcopy)' >/dev/null 2>&1; then
  missing+=(Rscript)
fi

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    pkgs=""
    for tool in "${missing[@]}"; do pkgs+=" ${DEBIAN[$tool]}"; done
    echo "setup: installing Debian packages:$pkgs $EXTRA_DEBIAN"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $pkgs $EXTRA_DEBIAN >/dev/null
  else
    {
      echo "setup: these tools are missing and cannot be installed here (not root or no apt-get):"
      for tool in "${missing[@]}"; do
        printf '  %-10s Debian: %-28s conda: %s\n' "$tool" "${DEBIAN[$tool]}" "${CONDA[$tool]}"
      done
      echo "Install them with your package manager, 'mamba install -c conda-forge -c bioconda ...',"
      echo "or 'module load <tool>' on a cluster, then run this script again."
    } >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "setup: Python >= 3.10 is needed (found $("$PYTHON" --version 2>&1))" >&2
  exit 1
}
stamp=.venv/.setup-stamp
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: creating the virtualenv .venv (pip install -e '.[test]')"
  [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi
.venv/bin/scce-genomics check-tools
