"""Local-only: third-party packages the reference imports but the endpoints under test do not
use (LLM frameworks, Google APIs, OCR ...) resolve to permissive stand-in modules when missing."""
import sys, importlib.abc, importlib.machinery, types
STUB = {'curlify', 'fastapi', 'flask_admin', 'googleapiclient', 'langchain', 'langchain_community',
        'langchain_core', 'langchain_experimental', 'langchain_openai', 'langchain_text_splitters',
        'langserve', 'pyperclip'}
class _Any:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return _Any()
    def __getattr__(self, n): return _Any()
    def __iter__(self): return iter(())
    def __mro_entries__(self, bases): return (object,)
class _Mod(types.ModuleType):
    __path__ = []
    def __getattr__(self, n):
        if n.startswith('__'): raise AttributeError(n)
        return _Any
class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] not in STUB and not name.startswith('google.generativeai'): return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec): return _Mod(spec.name)
    def exec_module(self, module): pass
sys.meta_path.append(_Finder())
