"""Registers every sub-command on the ``fonet`` application."""

from api.cli import app, inventory_cmd

inventory_cmd.register(app)
