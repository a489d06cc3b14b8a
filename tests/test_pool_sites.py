"""Pooling site by site (inoflow.model.pool.write_pooled_domains) writes the domain that pooling
every site at once (pool_domain) gives: the same records, order, columns and types.

Sites are built and checked in batches (every site its own, a few together, the whole demo
study together). Each site's tables pass through parquet first, as the workflow reads them (harmonised/<site>/),
so that a column a site never fills has that site's own type, as in a real run.
"""

from __future__ import annotations

import pandas as pd
import pytest

from inoflow.config import load_contract
from inoflow.errors import ExtractError
from inoflow.model import pool
from inoflow.model.pool import pool_domain, write_pooled_domains


def _sites(canonical: dict[str, pd.DataFrame], tmp_path):
    """Each site's harmonised tables, as read back from its own parquet files, in site order."""
    sites = sorted({s for table in canonical.values() for s in table["SITEID"].dropna().unique()})
    for site in sites:
        tables = {}
        for raw, table in canonical.items():
            part = table[table["SITEID"] == site]
            if len(part):
                path = tmp_path / f"{site}_{raw}.parquet"
                part.to_parquet(path, index=False)
                tables[raw] = pd.read_parquet(path)
        yield site, tables


def _pooled_both_ways(canonical, studyid, tmp_path):
    contract = load_contract()
    names = [n for n in contract.sdtm_domains() if any(r in canonical for r in contract.sources_of(n))]
    paths = {name: tmp_path / f"{name}.parquet" for name in names}
    counts = write_pooled_domains(names, _sites(canonical, tmp_path), studyid, paths)
    for name in names:
        whole = pool_domain(name, [canonical[r] for r in contract.sources_of(name) if r in canonical], studyid)
        whole.to_parquet(tmp_path / f"{name}.whole.parquet", index=False)
        yield name, counts[name], pd.read_parquet(tmp_path / f"{name}.whole.parquet"), pd.read_parquet(paths[name])


@pytest.mark.parametrize("batch_rows", [1, 300, pool.BATCH_ROWS])
@pytest.mark.parametrize("study", ["india", "italy"])
def test_site_by_site_gives_the_domain_of_all_sites_at_once(
    batch_rows, monkeypatch, study, demo_canonical, italy_canonical, india, italy_study, tmp_path
):
    """Every site its own batch, batches of a few sites, and the whole demo study at once."""
    monkeypatch.setattr(pool, "BATCH_ROWS", batch_rows)
    canonical, studyid = (demo_canonical, india.studyid) if study == "india" else (italy_canonical, italy_study.studyid)
    seen = 0
    for name, count, whole, by_site in _pooled_both_ways(canonical, studyid, tmp_path):
        assert list(by_site.columns) == list(whole.columns), name
        pd.testing.assert_frame_equal(by_site, whole, check_exact=True, obj=name)
        assert count == len(whole)
        seen += len(whole) > 0
    assert seen >= 10


def test_every_sites_failures_are_reported_together(demo_canonical, india, tmp_path, monkeypatch):
    """Two sites each send an impossible marrow blast percentage: both are reported at once,
    each naming its site, file and row, though each site is built and checked on its own."""
    monkeypatch.setattr(pool, "BATCH_ROWS", 1)
    assessments = demo_canonical["assessments"].copy()
    filled = assessments[assessments["BM_BLASTS"].notna()]
    rows = filled.drop_duplicates("SITEID").index[:2]
    assert len(rows) == 2
    assessments.loc[rows, "BM_BLASTS"] = 150.0
    canonical = {**demo_canonical, "assessments": assessments}
    paths = {name: tmp_path / f"{name}.parquet" for name in ("LB", "RS")}
    with pytest.raises(ExtractError) as failed:
        write_pooled_domains(["LB", "RS"], _sites(canonical, tmp_path), india.studyid, paths)
    located = {(f.site, f.file, f.row) for f in failed.value.findings if "0-100" in f.rule}
    expected = {(r.SITEID, r.SRCFILE, int(r.SRCROW)) for r in assessments.loc[rows].itertuples()}
    assert located == expected
    assert not any(path.exists() for path in paths.values())
