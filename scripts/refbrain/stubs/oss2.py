"""Local stand-in for Alibaba OSS: uploads are kept on disk under $REFBRAIN_DIR/uploads."""
import os
class Auth:
    def __init__(self, *a, **k): pass
class Bucket:
    def __init__(self, *a, **k): pass
    def put_object(self, name, content, *a, **k):
        up = os.path.join(os.environ.get('REFBRAIN_DIR', '/tmp/refbrain'), 'uploads')
        os.makedirs(up, exist_ok=True)
        with open(os.path.join(up, os.path.basename(str(name))), 'wb') as f:
            f.write(content if isinstance(content, bytes) else getattr(content, 'read', lambda: b'')())
        return None
    def __getattr__(self, n):
        return lambda *a, **k: None
def __getattr__(name):
    return type(name, (), {'__init__': lambda self, *a, **k: None})
