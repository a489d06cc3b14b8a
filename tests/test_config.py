"""Configuration is checked at load time; a misspelled key or a dialect that does not fit
the contract is refused with a message naming the file and the problem."""

import copy
import datetime
import re

import pytest
import yaml
from conftest import PROJECT_ROOT

from inoflow import config as config_module
from inoflow.config import (
    check_site_against_contract,
    document_key,
    load_config,
    read_yaml,
    validate_against_schema,
)
from inoflow.errors import ConfigError


def site_spec(site="IN02"):
    return yaml.safe_load((PROJECT_ROOT / f"config/sites/india/{site}.yaml").read_text(encoding="utf-8"))


def test_shipped_configuration_loads():
    studies = load_config()
    india = studies["india"]
    assert sorted(india.sites) == ["IN01", "IN02", "IN03", "IN04", "IN05"]
    assert india.studyid == "INO-IND-RWS"
    assert india.cuts["2023-04-30"].status == "locked"


def test_misspelled_key_in_study_config_is_refused():
    spec = yaml.safe_load((PROJECT_ROOT / "config/studies/india.yaml").read_text(encoding="utf-8"))
    spec["validation_polcy"] = "fail"
    with pytest.raises(ConfigError, match="Additional properties are not allowed \\('validation_polcy'"):
        validate_against_schema(spec, "study", "india.yaml")


def test_unknown_policy_is_refused():
    spec = yaml.safe_load((PROJECT_ROOT / "config/studies/india.yaml").read_text(encoding="utf-8"))
    spec["validation_policy"] = "ignore"
    with pytest.raises(ConfigError, match="at validation_policy: 'ignore' is not one of"):
        validate_against_schema(spec, "study", "india.yaml")


def test_a_document_found_valid_is_not_validated_again_and_an_invalid_one_always_is(tmp_path, monkeypatch):
    monkeypatch.setenv(config_module.CHECKED_ENV, str(tmp_path / "checked"))
    spec = yaml.safe_load((PROJECT_ROOT / "config/studies/india.yaml").read_text(encoding="utf-8"))
    validate_against_schema(spec, "study", "india.yaml")
    markers = list((tmp_path / "checked").iterdir())
    assert [m.name for m in markers] == [document_key(spec, "study")]
    assert markers[0].stat().st_size == 0  # a name only: no path, no value of the document

    def no_validator(name):
        raise AssertionError(f"validated {name} again")

    monkeypatch.setattr(config_module, "_schema_validator", no_validator)
    validate_against_schema(copy.deepcopy(spec), "study", "india.yaml")  # the same content: remembered
    changed = copy.deepcopy(spec)
    changed["validation_policy"] = "ignore"
    with pytest.raises(AssertionError, match="validated study again"):
        validate_against_schema(changed, "study", "india.yaml")
    monkeypatch.undo()
    monkeypatch.setenv(config_module.CHECKED_ENV, str(tmp_path / "checked"))
    for _ in range(2):  # refused each time: an invalid document is never remembered
        with pytest.raises(ConfigError, match="at validation_policy: 'ignore' is not one of"):
            validate_against_schema(changed, "study", "india.yaml")
    assert len(list((tmp_path / "checked").iterdir())) == 1


def test_a_checked_document_is_named_by_every_type_the_schema_tells_apart():
    keys = [
        document_key(doc, "study")
        for doc in (
            {"a": 1},
            {"a": 1.0},
            {"a": True},
            {"a": "1"},
            {1: "a"},
            {"1": "a"},
            {"a": datetime.date(2022, 9, 30)},
            {"a": "2022-09-30"},
            {"a": {"date": "2022-09-30"}},
            {"a": [1, 2]},
            {"a": [2, 1]},
            {"a": None},
        )
    ]
    assert len(set(keys)) == len(keys)
    assert document_key({"a": 1, "b": 2}, "study") == document_key({"b": 2, "a": 1}, "study")  # order is no content
    assert document_key({"a": 1}, "study") != document_key({"a": 1}, "site")  # each schema its own


def test_misspelled_key_in_site_dialect_is_refused():
    spec = site_spec()
    spec["domains"]["patients"]["colums"] = spec["domains"]["patients"].pop("columns")
    with pytest.raises(ConfigError, match="'colums' was unexpected"):
        validate_against_schema(spec, "site", "IN02.yaml")


def test_dialect_naming_an_unknown_contract_variable_is_refused():
    spec = site_spec()
    spec["domains"]["patients"]["columns"]["Age"] = "AGE_IN_MONTHS"
    with pytest.raises(ConfigError, match="'AGE_IN_MONTHS' is not a variable of the patients contract"):
        check_site_against_contract(spec, "IN02.yaml")


def test_dialect_leaving_a_required_variable_unmapped_is_refused():
    spec = site_spec()
    del spec["domains"]["patients"]["columns"]["Sex"]
    with pytest.raises(ConfigError, match="required contract variable SEX is not mapped"):
        check_site_against_contract(spec, "IN02.yaml")


def test_dialect_with_unit_lacking_a_conversion_is_refused():
    spec = copy.deepcopy(site_spec("IN03"))
    spec["domains"]["assessments"]["columns"]["Platelets (lakh/cumm)"]["unit"] = "crore/cumm"
    with pytest.raises(ConfigError, match="unit 'crore/cumm' has no conversion to 10\\^9/L"):
        check_site_against_contract(spec, "IN03.yaml")


def test_code_mapping_onto_a_non_contract_code_is_refused():
    spec = site_spec()
    spec["codelists"]["SEX"]["Other"] = "X"
    with pytest.raises(ConfigError, match="'Other' maps to 'X'"):
        check_site_against_contract(spec, "IN02.yaml")


def test_the_project_reads_nothing_beside_its_checkout():
    """A clone with nothing beside it runs and tests: the reference files and the source documents
    are the project's own (config/reference/, docs/sources/), and no code, test, rule or
    configuration points at a folder next to the checkout."""
    outside = re.compile(r"\.\./" + "shared|" + "shared" + r"/(seeds|reference)")
    places = [PROJECT_ROOT / "Snakefile"] + [
        p
        for folder in ("src", "tests", "scripts", "workflow", "config", "schemas", "notebooks", "profiles")
        for p in sorted((PROJECT_ROOT / folder).rglob("*"))
        if p.is_file() and p.suffix in {".py", ".smk", ".yaml", ".yml", ".ipynb", ".sh", ".sha256", ""}
    ]
    hits = [
        f"{p.relative_to(PROJECT_ROOT)}:{n}"
        for p in places
        if "__pycache__" not in p.parts
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert len(places) > 100 and not hits, hits
    documents = re.findall(r"^\| `([a-z_]+\.txt)` \|", (PROJECT_ROOT / "docs/sources/README.md").read_text(), re.M)
    assert documents == [
        "india_registry_record.txt",
        "india_paper.txt",
        "italy_protocol_summary.txt",
        "italy_abstract.txt",
    ]
    assert all((PROJECT_ROOT / "docs/sources" / d).stat().st_size > 1500 for d in documents)
    for name in ("outputs.yaml", "published_results.yaml", "registry_definitions.yaml"):
        assert (
            (PROJECT_ROOT / "config/reference" / name)
            .read_text(encoding="utf-8")
            .startswith("# The project's own copy of the study team's reference file")
        )
    published = read_yaml(PROJECT_ROOT / "config/reference/published_results.yaml")
    assert published["india"]["baseline"]["n"] == 32 and published["india"]["response"]["cr_cri"] == 19


def test_a_site_sending_one_workbook_for_every_domain_is_read_in_one_job():
    from inoflow.config import Site

    india = load_config()["india"]
    assert [s for s, site in india.sites.items() if site.sends_one_file()] == ["IN01", "IN04"]
    spec = site_spec("IN01")
    del spec["domains"]["labs"]  # a workbook of fewer domains (another study's form): still one job
    assert Site("IN01", PROJECT_ROOT, spec).sends_one_file()
    spec["domains"]["assessments"]["file"] = "IN01_marrow.xlsx"  # one domain sent apart: a job per domain
    assert not Site("IN01", PROJECT_ROOT, spec).sends_one_file()


def test_sdtm_families_group_raw_domains_with_the_sdtm_domains_they_feed():
    from inoflow.config import load_contract

    families = load_contract().sdtm_families()
    assert families["patients"] == (["patients"], ["DM", "MH", "SC"])
    assert families["assessments_labs"] == (["assessments", "labs"], ["LB", "RS", "VS"])  # LB has both sources
    assert families["followup"] == (["followup"], ["DS", "DD"])
    assert families["transplants_transfusions"] == (["transplants", "transfusions"], ["PR"])  # PR has both sources
    assert families["hospitalisations"] == (["hospitalisations"], ["HO"])
    assert len(families) == 9
    every_sdtm = sorted(d for _, sdtm in families.values() for d in sdtm)
    assert every_sdtm == sorted(load_contract().sdtm_domains())  # each SDTM domain in exactly one family


def test_a_locked_cut_only_allows_policy_fail(tmp_path):
    from inoflow.config import load_study

    spec = yaml.safe_load((PROJECT_ROOT / "config/studies/india.yaml").read_text(encoding="utf-8"))
    spec["cuts"]["2023-04-30"]["validation_policy"] = "quarantine"
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(ConfigError, match="cut '2023-04-30' is locked, so its validation policy must be 'fail'"):
        load_study(tmp_path / "study.yaml")
    spec["cuts"]["2023-04-30"]["status"] = "interim"
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert load_study(tmp_path / "study.yaml").cuts["2023-04-30"].validation_policy == "quarantine"


def test_a_site_extending_a_template_reads_both_files_and_the_site_wins():
    """IT07 extends the study's CRF template: both files are the dialect (the workflow declares
    both as inputs of the site's extract jobs, so editing the template reruns them), the
    template's mapping is merged under the site's keys and "{site}" names the site's file."""
    from inoflow.config import load_site

    site = load_site("config/sites/italy/IT07.yaml", "IT07")
    template = PROJECT_ROOT / "config/sites/italy/templates/crf_workbook.yaml"
    assert site.dialect_files == [PROJECT_ROOT / "config/sites/italy/IT07.yaml", template]
    assert {site.domain_spec(d)["file"] for d in site.domains} == {"IT07_INO-CD22_CRF.xlsx"}
    assert site.sends_one_file()
    india = load_site("config/sites/india/IN02.yaml", "IN02")
    assert india.dialect_files == [PROJECT_ROOT / "config/sites/india/IN02.yaml"]
    overriding = load_site("config/sites/italy/IT14.yaml", "IT14")  # decimal points, not commas
    assert overriding.reader("patients")["decimal"] == "."
