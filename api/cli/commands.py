"""Registers every sub-command on the ``fonet`` application."""

from api.cli import (
    app,
    data_cmd,
    demo_cmd,
    export_cmd,
    fibre_cmd,
    inventory_cmd,
    noc_cmd,
    otdr_cmd,
    plan_cmd,
    report_cmd,
    serve_cmd,
    snmp_cmd,
    steiner_cmd,
)

demo_cmd.register(app)
inventory_cmd.register(app)
plan_cmd.register(app)
steiner_cmd.register(app)
snmp_cmd.register(app)
noc_cmd.register(app)
otdr_cmd.register(app)
report_cmd.register(app)
fibre_cmd.register(app)
export_cmd.register(app)
serve_cmd.register(app)
data_cmd.register(app)
