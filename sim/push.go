package sim

import (
	_ "embed"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/hunterbot/hunterbot/internal/chatproto"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// The push channel. Like the real site, the chat page opens a WebSocket to
// /chatws and speaks MQTT over it; the sim PUBLISHes a protobuf
// TechwolfChatProtocol on topic "chat" for every new message of the
// account's conversations (type 1) and for every read receipt of the
// candidate (type 6). The page answers a push by reloading its lists by
// XHR, as before; the push only says "something changed, now".
//
// Pushes are best effort, as on the real site: a frame may be dropped at
// random (SetPushDrop) and a slow page loses frames when its queue is
// full. The history XHR stays the source of truth.

// chatWSPath is the push channel's WebSocket path.
const chatWSPath = "/chatws"

// pushQueue is how many frames one connection may have waiting.
const pushQueue = 256

// pushHub keeps the open push connections per account. Its own mutex is
// taken under s.mu (publish) and alone (register), never the other way.
type pushHub struct {
	mu       sync.Mutex
	disabled bool
	drop     float64
	rng      *rand.Rand
	conns    map[*account]map[*pushConn]bool
	total    int
	kick     chan struct{}
	stop     chan struct{} // closes the pump; nil when none runs
	stats    PushStats
}

// PushStats counts what the push channel did since the sim started.
type PushStats struct {
	Connects  int // MQTT sessions accepted
	Published int // frames queued to a connection
	Dropped   int // frames dropped on purpose (SetPushDrop)
	Overflow  int // frames lost because a connection's queue was full
}

type pushConn struct {
	out chan []byte // protocol payloads
}

func newPushHub(seed int64) *pushHub {
	return &pushHub{rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		conns: map[*account]map[*pushConn]bool{}, kick: make(chan struct{}, 1)}
}

// hub returns the sim's push hub, creating it on first use (New does not
// know about it, so older callers keep working).
func (s *Sim) hub() *pushHub {
	s.pushOnce.Do(func() { s.pushes = newPushHub(s.seed) })
	return s.pushes
}

// SetPush turns the push channel on (the default) or off. Off, /chatws
// answers 404 and the chat page falls back to polling its lists.
func (s *Sim) SetPush(on bool) {
	h := s.hub()
	h.mu.Lock()
	h.disabled = !on
	h.mu.Unlock()
}

// SetPushDrop makes the sim drop each push frame with probability rate
// (0..1), to test that a lost push changes nothing. The draw uses its own
// random stream, so the truth stays deterministic.
func (s *Sim) SetPushDrop(rate float64) {
	if rate < 0 {
		rate = 0
	}
	if rate > 1 {
		rate = 1
	}
	h := s.hub()
	h.mu.Lock()
	h.drop = rate
	h.mu.Unlock()
}

// PushStats returns the push channel's counters.
func (s *Sim) PushStats() PushStats {
	h := s.hub()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

// publish queues frame to every push connection of a. Callers hold s.mu;
// it never blocks.
func (h *pushHub) publish(a *account, frame *chatproto.TechwolfChatProtocol) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.conns[a]) == 0 {
		return
	}
	if h.drop > 0 && h.rng.Float64() < h.drop {
		h.stats.Dropped++
		return
	}
	payload, err := proto.Marshal(frame)
	if err != nil {
		return // cannot happen for frames built here
	}
	for c := range h.conns[a] {
		select {
		case c.out <- payload:
			h.stats.Published++
		default:
			h.stats.Overflow++
		}
	}
}

// pushMessage publishes a new message of conv. Callers hold s.mu.
func (s *Sim) pushMessage(conv *conversation, m *Message) {
	body := &chatproto.TechwolfMessageBody{Type: proto.Int32(int32(m.Body.Type)), TemplateId: proto.Int32(1),
		Text: proto.String(m.Body.Text)}
	if d := m.Body.Dialog; d != nil {
		body.Dialog = &chatproto.TechwolfDialog{Text: proto.String(m.Body.Text), Operated: proto.Bool(d.Operated != 0),
			Buttons: []*chatproto.TechwolfButton{{Text: proto.String("同意")}, {Text: proto.String("拒绝")}}}
	}
	if m.Body.URL != "" {
		body.HyperLink = &chatproto.TechwolfHyperLink{Text: proto.String(m.Body.Text), Url: proto.String(m.Body.URL),
			HyperLinkType: proto.Int32(1)}
	}
	user := func(p Party) *chatproto.TechwolfUser {
		return &chatproto.TechwolfUser{Uid: proto.Int64(p.UID), Name: proto.String(p.Name), Source: proto.Int32(0)}
	}
	msg := &chatproto.TechwolfMessage{From: user(m.From), To: user(m.To), Type: proto.Int32(int32(m.Type)),
		Mid: proto.Int64(m.MID), Time: proto.Int64(m.Time), Body: body, Status: proto.Int32(int32(m.Status)),
		PushText: proto.String(m.Body.Text), SecurityId: proto.String(conv.cand.securityID)}
	s.hub().publish(conv.acct, &chatproto.TechwolfChatProtocol{Type: proto.Int32(chatproto.TypeMessages),
		Messages: []*chatproto.TechwolfMessage{msg}})
}

// pushRead publishes the candidate's read receipt up to mid. Callers hold
// s.mu.
func (s *Sim) pushRead(conv *conversation, mid int64, at time.Time) {
	s.hub().publish(conv.acct, &chatproto.TechwolfChatProtocol{Type: proto.Int32(chatproto.TypeRead),
		MessageRead: []*chatproto.TechwolfMessageRead{{UserId: proto.Int64(conv.cand.id),
			MessageId: proto.Int64(mid), ReadTime: proto.Int64(at.UnixMilli())}}})
}

// kickPump wakes the event pump after an event was scheduled, so it can
// shorten its wait. Callers may hold s.mu.
func (s *Sim) kickPump() {
	select {
	case s.hub().kick <- struct{}{}:
	default:
	}
}

//go:embed web/vendor/paho-mqtt-min.js
var pahoJS []byte

// handleScript serves the pages' vendored scripts. They never change while
// the sim runs, so the browser may keep them: a chat page reload then costs
// no script download.
func handleScript(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("file") != "paho-mqtt-min.js" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
	_, _ = w.Write(pahoJS)
}

// writeWait bounds one WebSocket write (and clears the deadline an
// http.Server's WriteTimeout left on the hijacked connection).
const writeWait = 10 * time.Second

var wsUpgrader = websocket.Upgrader{
	Subprotocols:    []string{"mqtt", "mqttv3.1"},
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
}

// handleChatWS serves /chatws: a logged-in WebSocket speaking MQTT.
func (s *Sim) handleChatWS(w http.ResponseWriter, r *http.Request) {
	h := s.hub()
	h.mu.Lock()
	off := h.disabled
	h.mu.Unlock()
	if off {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	ss := s.sessionOf(r, s.now())
	var a *account
	if ss != nil {
		a = ss.acct
	}
	s.mu.Unlock()
	if a == nil {
		// The real gateway refuses a handshake without the login cookie.
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	ws, err := wsUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered the client already
	}
	defer ws.Close()
	rd := &wsReader{ws: ws}
	keepAlive, err := s.mqttConnect(ws, rd)
	if err != nil {
		s.log.Debug().Err(err).Str("account", a.cfg.ID).Msg("sim: push connect refused")
		return
	}
	c := &pushConn{out: make(chan []byte, pushQueue)}
	h.register(s, a, c)
	defer h.unregister(a, c)

	var wmu sync.Mutex // writes come from the reader (acks) and the writer
	write := func(pkt packets.ControlPacket) error {
		wmu.Lock()
		defer wmu.Unlock()
		_ = ws.SetWriteDeadline(time.Now().Add(writeWait))
		wr, err := ws.NextWriter(websocket.BinaryMessage)
		if err != nil {
			return err
		}
		if err := pkt.Write(wr); err != nil {
			return err
		}
		return wr.Close()
	}
	done := make(chan struct{})
	go func() {
		defer ws.Close() // ends the read loop when a write fails
		var id uint16
		for {
			select {
			case <-done:
				return
			case payload := <-c.out:
				id++
				if id == 0 {
					id = 1
				}
				pub := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
				pub.TopicName, pub.Qos, pub.MessageID, pub.Payload = chatproto.Topic, 1, id, payload
				if err := write(pub); err != nil {
					return
				}
			}
		}
	}()
	defer close(done)
	for {
		if keepAlive > 0 {
			// MQTT: a client silent for 1.5 keep-alive periods is gone.
			_ = ws.SetReadDeadline(time.Now().Add(keepAlive * 3 / 2))
		}
		pkt, err := packets.ReadPacket(rd)
		if err != nil {
			return
		}
		switch p := pkt.(type) {
		case *packets.SubscribePacket:
			ack := packets.NewControlPacket(packets.Suback).(*packets.SubackPacket)
			ack.MessageID = p.MessageID
			for _, q := range p.Qoss {
				ack.ReturnCodes = append(ack.ReturnCodes, min(q, 1))
			}
			err = write(ack)
		case *packets.PingreqPacket:
			err = write(packets.NewControlPacket(packets.Pingresp))
		case *packets.PublishPacket:
			// A client's own chat frame: the sim's pages send by XHR, so
			// only acknowledge it.
			if p.Qos == 1 {
				ack := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
				ack.MessageID = p.MessageID
				err = write(ack)
			}
		case *packets.DisconnectPacket:
			return
		}
		if err != nil {
			return
		}
	}
}

// mqttConnect reads the client's CONNECT and answers CONNACK. It returns
// the client's keep-alive period.
func (s *Sim) mqttConnect(ws *websocket.Conn, rd io.Reader) (time.Duration, error) {
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	pkt, err := packets.ReadPacket(rd)
	if err != nil {
		return 0, err
	}
	cp, ok := pkt.(*packets.ConnectPacket)
	if !ok {
		return 0, errors.New("first packet is not CONNECT")
	}
	ack := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
	ack.ReturnCode = cp.Validate()
	_ = ws.SetWriteDeadline(time.Now().Add(writeWait))
	wr, err := ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return 0, err
	}
	if err := ack.Write(wr); err != nil {
		return 0, err
	}
	if err := wr.Close(); err != nil {
		return 0, err
	}
	if ack.ReturnCode != packets.Accepted {
		return 0, errors.New(packets.ConnackReturnCodes[ack.ReturnCode])
	}
	return time.Duration(cp.Keepalive) * time.Second, nil
}

func (h *pushHub) register(s *Sim, a *account, c *pushConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns[a] == nil {
		h.conns[a] = map[*pushConn]bool{}
	}
	h.conns[a][c] = true
	h.total++
	h.stats.Connects++
	// A manual clock only moves by Advance, which applies due events
	// itself; any other clock needs the pump to make candidates act on
	// time while a page listens.
	if _, manual := s.clk.(*clock.Manual); !manual && h.stop == nil {
		h.stop = make(chan struct{})
		go s.pump(h.stop)
	}
}

func (h *pushHub) unregister(a *account, c *pushConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns[a], c)
	h.total--
	if h.total == 0 && h.stop != nil {
		close(h.stop)
		h.stop = nil
	}
}

// pump applies candidate events when they fall due, so their pushes leave
// on time instead of at the next request. It runs while a push connection
// is open.
func (s *Sim) pump(stop <-chan struct{}) {
	h := s.hub()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		now := s.now()
		var next time.Time
		if s.queue.Len() > 0 {
			next = s.queue[0].at
		}
		s.mu.Unlock()
		wait := time.Second // also catches Advance jumps of a scaled clock
		if !next.IsZero() {
			d := next.Sub(now)
			if sp, ok := s.clk.(interface{ Speed() float64 }); ok && sp.Speed() > 0 {
				d = time.Duration(float64(d) / sp.Speed())
			}
			wait = max(min(wait, d), time.Millisecond)
		}
		t.Reset(wait)
		select {
		case <-stop:
			return
		case <-h.kick:
		case <-t.C:
		}
	}
}

// wsReader reads the byte stream of a WebSocket's binary messages (an
// MQTT packet may span messages, or a message hold several packets).
type wsReader struct {
	ws *websocket.Conn
	r  io.Reader
}

func (w *wsReader) Read(p []byte) (int, error) {
	for {
		if w.r == nil {
			_, r, err := w.ws.NextReader()
			if err != nil {
				return 0, err
			}
			w.r = r
		}
		n, err := w.r.Read(p)
		if errors.Is(err, io.EOF) {
			w.r = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}
