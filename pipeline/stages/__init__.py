"""Pipeline stages: plain functions `stage(programme, workspace, settings) -> report`."""
