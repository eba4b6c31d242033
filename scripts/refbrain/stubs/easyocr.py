"""Stand-in: OCR is not used by the endpoints under test."""
class Reader:
    def __init__(self, *a, **k): pass
    def readtext(self, *a, **k): return []
