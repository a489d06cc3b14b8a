"""Stage 1, extract: one file a site sent -> its rows as read, validated and harmonised.

Rule ``extract`` (workflow/rules/extract.smk), one job per cut for every file its sites sent,
each file a part in the output cache (:class:`inoflow.cache.JobParts`). The chain,
:func:`inoflow.extract.process.process_extract`:

- :mod:`~inoflow.extract.ingest`        read the file as sent: every cell as text, with file, sha256, sheet, row
- :mod:`~inoflow.extract.deid`          the de-identification gate: refuse direct identifiers before anything is written
- :mod:`~inoflow.extract.dialect`       the site's dialect resolved per column: variable, type, format, codes, units
- :mod:`~inoflow.extract.parsing`       cell text -> typed values, one parser per dialect rule
- :mod:`~inoflow.extract.validate`      the pandera schema built from the dialect (lazy: every failure listed)
- :mod:`~inoflow.extract.harmonise`     dialect -> the contract's canonical variables, units and codes
- :mod:`~inoflow.extract.plausibility`  each value in its plausible range, no date in the future, no duplicate row
- :mod:`~inoflow.extract.process`       the chain for one file, and quarantine of rows with findings
"""

# What the extract stages write for each site and domain (folders of the cut: as read,
# validated, harmonised); pandas-free, read by the workflow when it starts.
STAGE_FILES = {
    "read": ("ingest", "{domain}.parquet"),
    "accepted": ("validated", "{domain}.parquet"),
    "rejected": ("validated", "{domain}.rejected.parquet"),
    "findings": ("validated", "{domain}.findings.csv"),
    "harmonised": ("harmonised", "{domain}.parquet"),
}
STAGE_FOLDERS = ("ingest", "validated", "harmonised")


def stage_paths(folders: dict[str, str], site: str, domain: str) -> dict[str, str]:
    """Each stage's file of one site and domain: ``folders`` maps each of STAGE_FOLDERS to the
    cut's folder."""
    return {
        stage: f"{folders[folder]}/{site}/{name.format(domain=domain)}" for stage, (folder, name) in STAGE_FILES.items()
    }
