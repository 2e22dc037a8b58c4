"""The physical fibre layer: cables, fibres, closures, splices, ODFs and circuits."""
