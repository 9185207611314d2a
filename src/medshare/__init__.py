"""medshare: a regional platform for sharing medical equipment, results, specialists and supplies."""

__version__ = "0.1.0"
