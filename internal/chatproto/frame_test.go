package chatproto

import (
	"bytes"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"google.golang.org/protobuf/proto"
)

func TestDecodeFrameRoundTrip(t *testing.T) {
	in := &TechwolfChatProtocol{Type: proto.Int32(TypeMessages), Messages: []*TechwolfMessage{{
		From: &TechwolfUser{Uid: proto.Int64(42)}, To: &TechwolfUser{Uid: proto.Int64(7)}, Type: proto.Int32(1),
		Mid: proto.Int64(100000001), Body: &TechwolfMessageBody{Type: proto.Int32(1), TemplateId: proto.Int32(1), Text: proto.String("你好")}}}}
	payload, err := proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := EncodePublish(3, payload)
	if err != nil {
		t.Fatal(err)
	}
	// A PINGRESP and the PUBLISH in one WebSocket frame.
	var b bytes.Buffer
	if err := packets.NewControlPacket(packets.Pingresp).Write(&b); err != nil {
		t.Fatal(err)
	}
	b.Write(pub)
	out, err := DecodeFrame(b.Bytes())
	if err != nil || len(out) != 1 {
		t.Fatalf("decode: %v, %d frames", err, len(out))
	}
	if !proto.Equal(out[0], in) {
		t.Fatalf("got %v, want %v", out[0], in)
	}
	if _, err := DecodeFrame(pub[:len(pub)-2]); err == nil {
		t.Fatal("a truncated packet decoded without error")
	}
	bad, _ := EncodePublish(4, []byte{0xff, 0xff})
	if _, err := DecodeFrame(bad); err == nil {
		t.Fatal("a payload that is not the protocol decoded without error")
	}
}
