"""Dialogs and secondary screens: help, confirmations, cursor edit, history, inspect."""
