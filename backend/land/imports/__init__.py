"""Importing parcels and land contracts from .xlsx files: every bad row reported, all or nothing, with a dry run."""
