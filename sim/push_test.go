package sim

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/gorilla/websocket"

	"github.com/hunterbot/hunterbot/internal/chatproto"
)

// mqttClient is a test's MQTT-over-WebSocket client of /chatws.
type mqttClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func (h *harness) dialPush(t *testing.T) (*mqttClient, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{Jar: h.cl.Jar, Subprotocols: []string{"mqtt"}, HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.Dial("ws"+strings.TrimPrefix(h.srv.URL, "http")+chatWSPath, nil)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { ws.Close() })
	return &mqttClient{t: t, ws: ws}, resp, nil
}

func (c *mqttClient) send(p packets.ControlPacket) {
	c.t.Helper()
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		c.t.Fatal(err)
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b.Bytes()); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next packet; the read deadline only ends a hung test
// (shortly before the test binary's deadline, not a fixed 30 s).
func (c *mqttClient) read() (packets.ControlPacket, []byte) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(step(c.t)))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatal(err)
	}
	p, err := packets.ReadPacket(bytes.NewReader(b))
	if err != nil {
		c.t.Fatal(err)
	}
	return p, b
}

// connect does CONNECT/CONNACK and SUBSCRIBE chat/SUBACK.
func (c *mqttClient) connect() {
	c.t.Helper()
	cp := packets.NewControlPacket(packets.Connect).(*packets.ConnectPacket)
	cp.ProtocolName, cp.ProtocolVersion, cp.CleanSession, cp.Keepalive = "MQTT", 4, true, 25
	cp.ClientIdentifier = "ws-test"
	cp.UsernameFlag, cp.Username = true, "8800123|0"
	c.send(cp)
	if p, _ := c.read(); p.(*packets.ConnackPacket).ReturnCode != packets.Accepted {
		c.t.Fatalf("CONNACK %v", p)
	}
	sp := packets.NewControlPacket(packets.Subscribe).(*packets.SubscribePacket)
	sp.MessageID, sp.Topics, sp.Qoss = 1, []string{chatproto.Topic}, []byte{1}
	c.send(sp)
	if p, _ := c.read(); p.(*packets.SubackPacket).MessageID != 1 {
		c.t.Fatalf("SUBACK %v", p)
	}
}

// frame reads the next PUBLISH and decodes its protocol frame.
func (c *mqttClient) frame() *chatproto.TechwolfChatProtocol {
	c.t.Helper()
	for {
		p, b := c.read()
		if _, ok := p.(*packets.PublishPacket); !ok {
			continue
		}
		frames, err := chatproto.DecodeFrame(b)
		if err != nil || len(frames) != 1 {
			c.t.Fatalf("decode frame: %v (%d frames)", err, len(frames))
		}
		return frames[0]
	}
}

func TestPushChannelRefusesWithoutSession(t *testing.T) {
	h := newHarness(t, 1, nil)
	_, resp, err := h.dialPush(t)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dial without login: err %v, resp %v; want 403", err, resp)
	}
	h.login()
	h.sim.SetPush(false)
	_, resp, err = h.dialPush(t)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("dial with push off: err %v, resp %v; want 404", err, resp)
	}
}

func TestPushChannelCarriesMessagesAndReadReceipts(t *testing.T) {
	h := newHarness(t, 2, nil)
	h.login()
	c, _, err := h.dialPush(t)
	if err != nil {
		t.Fatal(err)
	}
	c.connect()
	geek := h.geekList(1001, 1).ZPData.GeekList[0]
	if env := h.greet(geek); env.Code != 0 {
		t.Fatalf("greet: %d %s", env.Code, env.Message)
	}
	// The recruiter's own greeting is pushed too (the site syncs the
	// sender's clients): from = the recruiter.
	own := c.frame()
	if own.GetType() != chatproto.TypeMessages || own.Messages[0].GetFrom().GetUid() != 8800123 {
		t.Fatalf("greeting frame: %v", own)
	}
	gid := geek.GeekCard.GeekID
	if err := h.sim.Inject("acc", gid, "你好，请问薪资多少？"); err != nil {
		t.Fatal(err)
	}
	// The candidate reads the greeting, then writes.
	read := c.frame()
	if read.GetType() != chatproto.TypeRead || read.MessageRead[0].GetUserId() != gid ||
		read.MessageRead[0].GetMessageId() != own.Messages[0].GetMid() {
		t.Fatalf("read receipt: %v", read)
	}
	msg := c.frame()
	m := msg.Messages[0]
	if msg.GetType() != chatproto.TypeMessages || m.GetFrom().GetUid() != gid || m.GetTo().GetUid() != 8800123 ||
		m.GetBody().GetText() != "你好，请问薪资多少？" || m.GetMid() <= own.Messages[0].GetMid() {
		t.Fatalf("candidate frame: %v", msg)
	}
	// The pushed message is the one the history XHR returns.
	hist := h.history(gid, 0).ZPData.Messages
	if last := hist[len(hist)-1]; last.MID != m.GetMid() || last.Body.Text != m.GetBody().GetText() {
		t.Fatalf("history ends with %+v, push said mid %d", last, m.GetMid())
	}

	// A dropped push is gone for good; the next one still arrives.
	h.sim.SetPushDrop(1)
	if err := h.sim.Inject("acc", gid, "在吗"); err != nil {
		t.Fatal(err)
	}
	h.sim.SetPushDrop(0)
	if err := h.sim.Inject("acc", gid, "我的微信是 abc_123"); err != nil {
		t.Fatal(err)
	}
	if got := c.frame().Messages[0].GetBody().GetText(); got != "我的微信是 abc_123" {
		t.Fatalf("after a dropped push got %q", got)
	}
	if st := h.sim.PushStats(); st.Dropped != 1 || st.Connects != 1 {
		t.Fatalf("stats %+v", st)
	}

	// PINGREQ keeps the session alive.
	c.send(packets.NewControlPacket(packets.Pingreq))
	if p, _ := c.read(); p.Details().Qos != 0 {
		t.Fatalf("ping: %v", p)
	} else if _, ok := p.(*packets.PingrespPacket); !ok {
		t.Fatalf("ping answered with %v", p)
	}
}

func TestPushChannelExchangeCard(t *testing.T) {
	h := newHarness(t, 3, func(sc *Scenario) {
		sc.Accounts[0].Candidates = []ExplicitCandidate{{Job: 1001, Name: "韩梅梅", Gender: "female", Persona: PersonaExchanger, WeChat: "hmm_2026"}}
	})
	h.login()
	c, _, err := h.dialPush(t)
	if err != nil {
		t.Fatal(err)
	}
	c.connect()
	geek := h.geekList(1001, 1).ZPData.GeekList[0]
	h.greet(geek)
	c.frame() // the greeting
	h.send(geek.GeekCard.GeekID, "方便加个微信吗")
	c.frame() // the recruiter's text
	// The exchanger answers a contact request with an exchange card once
	// its reply delay is over.
	h.advance(10 * time.Minute)
	for {
		f := c.frame()
		if f.GetType() != chatproto.TypeMessages {
			continue
		}
		m := f.Messages[0]
		if m.GetBody().GetType() == BodyDialog {
			if m.GetFrom().GetUid() != geek.GeekCard.GeekID || m.GetBody().GetDialog().GetOperated() {
				t.Fatalf("card frame: %v", f)
			}
			return
		}
	}
}
