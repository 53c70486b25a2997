"""Pixels and files (top layer): the Streamlit dashboard and the ``borderwatch`` command line."""
