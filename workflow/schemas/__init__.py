"""The JSON schemas of the workflow's configuration (config, study, site), installed with the
engine as ``inoflow.config_schemas`` so that it validates configuration wherever it is installed."""
