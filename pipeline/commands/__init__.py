"""Click commands, one module per stage; `pipeline.cli` registers them."""
