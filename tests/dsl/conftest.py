"""The golden inputs are deliberately broken rule files: not test blocks for pytest to collect."""

collect_ignore_glob = ["golden/*.leadflow"]
