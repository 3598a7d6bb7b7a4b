package interact

import "time"

// ICEServer is one STUN or TURN server as a browser's RTCPeerConnection
// takes it (RTCIceServer).
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ICEConfig is what both parties of a call need to set up its media path:
// the servers, with TURN credentials bound to one task, and whether media
// must go through the relay (iceTransportPolicy "relay").
type ICEConfig struct {
	Servers    []ICEServer `json:"iceServers"`
	ForceRelay bool        `json:"forceRelay,omitempty"`
	Expires    time.Time   `json:"expires,omitzero"`
}
