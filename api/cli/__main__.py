"""``python -m api.cli`` runs the ``fonet`` command."""

from api.cli import main

main()
