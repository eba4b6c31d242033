"""Stand-in for the openai package: the reference's LLM calls go to the loopback stand-in
through this module (ChatCompletion.create and OpenAI().chat.completions.create)."""
import json, urllib.request
api_key = ''; api_base = 'http://127.0.0.1:12222/v1'; base_url = api_base
def _call(messages, **k):
    req = urllib.request.Request(api_base + '/chat/completions', data=json.dumps({'messages': messages}).encode(), headers={'Content-Type': 'application/json'})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())
class _Obj(dict):
    __getattr__ = dict.get
def _wrap(d):
    if isinstance(d, dict): return _Obj({k: _wrap(v) for k, v in d.items()})
    if isinstance(d, list): return [_wrap(x) for x in d]
    return d
class ChatCompletion:
    @staticmethod
    def create(messages=None, **k): return _wrap(_call(messages or [], **k))
class _Completions:
    def create(self, messages=None, **k): return _wrap(_call(messages or [], **k))
class _Chat:
    completions = _Completions()
class OpenAI:
    def __init__(self, *a, **k): self.chat = _Chat()
AzureOpenAI = OpenAI
def __getattr__(name):
    return type(name, (), {'__init__': lambda self, *a, **k: None})
