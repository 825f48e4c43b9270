"""ecowatch: monitoring data to official figures, warnings and closed-loop action."""

__version__ = "0.1.0"
