"""The leadflow compiler: checked model → IR → optimized IR → standalone Python module."""
