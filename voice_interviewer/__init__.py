"""voice-interviewer: a spoken mock interviewer for machine-learning job interviews."""

__version__ = "0.1.0"
