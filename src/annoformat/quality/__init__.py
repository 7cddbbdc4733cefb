"""The quality layer: measure consistency between annotators, batches and models on the IR.

``compare`` (a reference against a candidate) lives in :mod:`annoformat.quality.compare`; the
matching engine it shares with the other quality commands in :mod:`annoformat.quality.match`;
the similarity measures in :mod:`annoformat.quality.similarity`; item pairing in
:mod:`annoformat.quality.items`; ``agree`` and ``merge`` (several annotators) in
:mod:`annoformat.quality.agree` and :mod:`annoformat.quality.merge`, over the annotator panel of
:mod:`annoformat.quality.panel` and the clusters of :mod:`annoformat.quality.cluster`;
statistics and drift in :mod:`annoformat.quality.stats`; Krippendorff's alpha in
:mod:`annoformat.quality.alpha`. Nothing is imported here, so that ``import annoformat`` stays
cheap (scipy and numpy load only when something is compared).
"""
