"""Network operations: alarms, the impact of failures, and where a fibre is cut.

Domain code only: it reads and writes the store, never SNMP or HTTP.
"""
