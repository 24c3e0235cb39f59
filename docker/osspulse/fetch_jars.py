"""Build step of docker/osspulse/Dockerfile: Spark's jars from Maven Central into the image.

The same artifacts, SHA-1 checksums and download function as ``make setup`` (osspulse/install.py), so the
image and the native stack run the same jars; nothing is downloaded at run time.

    python fetch_jars.py CACHE_DIR      # writes CACHE_DIR/jars/*.jar
"""

from __future__ import annotations

import sys
from pathlib import Path

from osspulse.install import ARTIFACTS, download


def main(cache: Path) -> None:
    for artifact in ARTIFACTS:
        if artifact.dest.startswith("jars/"):
            download(artifact, cache)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
