"""trialpress: clinical-trial registry records to a publishing site, checklists and PDF briefs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("trialpress")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
