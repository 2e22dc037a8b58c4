"""fonet: a fibre-optic network model of Kabupaten Mojokerto that plans and monitors."""

__version__ = "0.1.0"
