"""What AWS HealthImaging stores for an image set, computed from DICOM P10 datasets.

Pure functions, no HTTP and no S3: `frames` gives the stored frames (syntax, bytes, checksum),
`metadata` the image set metadata document. The emulator builds image sets with them; the
server suite checks an endpoint's image sets against the original files with them.
"""

from __future__ import annotations
