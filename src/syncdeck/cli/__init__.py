"""Command line entry point (argparse); imports Textual only when it opens the UI."""
