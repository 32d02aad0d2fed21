"""DICOM imports: the worker that runs a job, one input file prepared, DICOM P10 acceptance,
and the grouping of instances into image sets."""
