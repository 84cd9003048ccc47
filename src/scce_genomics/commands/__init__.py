"""Thin argparse wrappers, one module per stage; they parse and call the library."""
