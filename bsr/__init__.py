"""Command-line shell and settings of twse-bsr.

The CLI parses arguments and calls one function of a room; settings come from BSR_* variables."""
