"""leadflow: lead scoring and nurturing as code."""

__version__ = "0.1.0"
