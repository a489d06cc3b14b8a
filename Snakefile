# From hospital extracts to the harmonised study model of real-world inotuzumab ozogamicin
# studies. Stages live in workflow/rules/, helpers in workflow/rules/common.smk, logic in the
# importable package inoflow (src/inoflow). Run: snakemake --cores 4


from snakemake.utils import min_version

min_version("9.27")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/sdtm.smk"
include: "workflow/rules/adam.smk"
include: "workflow/rules/endpoints.smk"
include: "workflow/rules/audit.smk"


rule all:
    default_target: True
    input:
        get_final_outputs(),
