"""OTDR: reading and writing SR-4731 traces, and placing a break on the map.

- :mod:`fonet.otdr.trace` holds what a trace is (events, parameters, SR-4731 units);
- :mod:`fonet.otdr.sor` reads SR-4731 files (versions 1 and 2);
- :mod:`fonet.otdr.sor_write` writes them;
- :mod:`fonet.otdr.locate` walks a link's spans from the measuring end;
- :func:`locate_break` answers a span, a point and its uncertainty, beside the section the
  SNMP evidence points to (:mod:`fonet.noc.locate`).
"""

from fonet.otdr.service import locate_break
from fonet.otdr.sor import SorEvent, SorTrace, parse_sor, read_sor
from fonet.otdr.sor_write import TraceSpec, WrittenEvent, sor_bytes, write_sor

__all__ = ["SorEvent", "SorTrace", "TraceSpec", "WrittenEvent", "locate_break", "parse_sor",
           "read_sor", "sor_bytes", "write_sor"]
