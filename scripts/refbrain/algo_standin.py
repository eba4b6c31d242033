"""Loopback stand-in for hunter_robot's chat-algorithm service (config chat_url, default :12222).
Answers any POST path with {"status":1,"data":{"message":..,"last_message_intent":..}} chosen
deterministically from keywords of the candidate's last message."""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
RULES = [
    (('薪资', '工资', '多少钱', '待遇'), '薪资8-12K，表现好有绩效奖金', '询问薪资'),
    (('地址', '哪里', '在哪', '位置'), '公司在北京朝阳区望京', '询问工作地点'),
    (('不考虑', '不合适', '不需要', '不用了'), '好的，打扰了', '拒绝'),
    (('谢谢', '感谢'), '不客气', '感谢'),
]
INTENTS = [
    (('不考虑', '不合适', '不需要', '不用了'), 'A.拒绝'),
    (('薪资', '工资', '多少钱', '待遇'), 'C.问岗位相关的薪资问题'),
    (('福利', '五险', '社保'), 'D.问岗位相关的福利问题'),
    (('地址', '哪里', '在哪', '位置'), 'E.问岗位相关的工作地点问题'),
    (('几点', '加班', '时长', '双休'), 'F.问岗位相关的工作时长问题'),
    (('可以', '好的', '行', '有兴趣', '感兴趣'), 'B.肯定'),
]
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = json.loads(self.rfile.read(n) or b'{}')
        msg = str(body.get('message') or body.get('text') or '')
        reply, intent = '好的，我们这个岗位挺适合您的', '闲聊'
        for words, r, i in RULES:
            if any(w in msg for w in words):
                reply, intent = r, i; break
        if self.path.endswith('/chat/completions'):
            msgs = body.get('messages') or [{}]
            last = str(msgs[-1].get('content', ''))
            if '@@@' in last:  # v3's intent classifier: options A..H, candidate text between @@@
                said = last.split('@@@')[-2]
                reply = 'H.没有任何意图'
                for words, opt in INTENTS:
                    if any(w in said for w in words):
                        reply = opt; break
                last = ''
            for words, r, i in RULES:
                if any(w in last for w in words):
                    reply = r; break
            out = json.dumps({'id': 'standin', 'object': 'chat.completion', 'choices': [{'index': 0, 'finish_reason': 'stop', 'message': {'role': 'assistant', 'content': reply}}]}, ensure_ascii=False).encode()
            self.send_response(200); self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', str(len(out))); self.end_headers(); self.wfile.write(out); return
        out = json.dumps({'status': 1, 'data': {'message': reply, 'last_message_intent': intent}}, ensure_ascii=False).encode()
        self.send_response(200); self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): pass
ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 12222), H).serve_forever()
