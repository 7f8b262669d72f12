"""Directories beyond storage: validation, CSV import/export, filling from the records.

The declarations and the SQLite storage are in :mod:`atsnb.store.directories`; the organisation
model that reports read is :mod:`atsnb.reference.org`.
"""
