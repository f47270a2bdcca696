"""The leadflow runtime: event-log readers, engines, outputs."""
