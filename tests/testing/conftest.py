"""The plugin tests run pytest inside pytest (the `pytester` fixture)."""

pytest_plugins = ["pytester"]
