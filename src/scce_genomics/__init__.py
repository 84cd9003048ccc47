"""scce-genomics: somatic mutation and copy-number spectra of small cell esophageal carcinoma."""

__all__ = ["__version__"]
__version__ = "0.1.0"
