// Package chatproto is the recruiter site's chat push payload
// (TechwolfChatProtocol, protobuf, chat.proto) and its MQTT 3.1.1 framing
// over WebSocket: the sim encodes pushes with it and the page layer decodes
// the frames Chromium reports.
package chatproto

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"google.golang.org/protobuf/proto"
)

// Topic is the MQTT topic the site's chat frames travel on.
const Topic = "chat"

// Protocol types of TechwolfChatProtocol.type.
const (
	TypeMessages = 1 // messages[] carries new messages
	TypeRead     = 6 // messageRead[] carries read receipts
)

// EncodePublish wraps a protocol frame in an MQTT PUBLISH on Topic with
// QoS 1 and packet id.
func EncodePublish(id uint16, payload []byte) ([]byte, error) {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.TopicName = Topic
	p.Qos = 1
	p.MessageID = id
	p.Payload = payload
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		return nil, fmt.Errorf("encode publish: %w", err)
	}
	return b.Bytes(), nil
}

// DecodeFrame reads every MQTT packet of one WebSocket frame's bytes and
// returns the TechwolfChatProtocol payloads of its PUBLISH packets on
// Topic. Other packets (CONNACK, SUBACK, PINGRESP) are skipped. A frame that
// is not MQTT, or a payload that is not the protocol, is an error.
func DecodeFrame(b []byte) ([]*TechwolfChatProtocol, error) {
	r := bytes.NewReader(b)
	var out []*TechwolfChatProtocol
	for r.Len() > 0 {
		pkt, err := packets.ReadPacket(r)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return out, fmt.Errorf("decode mqtt frame: truncated packet: %w", err)
			}
			return out, fmt.Errorf("decode mqtt frame: %w", err)
		}
		pub, ok := pkt.(*packets.PublishPacket)
		if !ok || pub.TopicName != Topic {
			continue
		}
		var msg TechwolfChatProtocol
		if err := proto.Unmarshal(pub.Payload, &msg); err != nil {
			return out, fmt.Errorf("decode chat protocol: %w", err)
		}
		out = append(out, &msg)
	}
	return out, nil
}
