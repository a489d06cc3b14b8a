# From hospital extracts to the harmonised study model of real-world inotuzumab ozogamicin
# studies. Stages live in workflow/rules/, helpers in workflow/rules/common.smk, logic in the
# importable package inoflow (src/inoflow). Run: snakemake --cores 4


import sys
import time

from snakemake.utils import min_version

from inoflow.runfailure import after_failure, after_success

RUN_STARTED = time.time()

min_version("9.27")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


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


# After a failed run nothing out of date looks current: each failed cut's results downstream
# of the extract stages are moved to results/.out-of-date/ and the cut gets a RUN_FAILED.txt
# notice (inoflow.runfailure); the notice goes when the cut's book is written again.
onerror:
    for message in after_failure(log, RESULTS, STUDY_CUTS, RUN_STARTED):
        print(f"inoflow: {message}", file=sys.stderr)


onsuccess:
    for cut in after_success(RESULTS, STUDY_CUTS):
        print(
            f"inoflow: {cut} is complete again (its RUN_FAILED.txt was removed)",
            file=sys.stderr,
        )
