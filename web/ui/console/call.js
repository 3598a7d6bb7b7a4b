// The agent's side of a call (docs/protocol.md §5): the visitor's page
// offers, the console answers. One controller per task; its panel shows
// the remote and local video, the call's state and duration, and mute,
// camera and hang-up. Signalling frames of a task are handled one after
// another, so candidates never overtake their offer.
import {h, clock} from './dom.js';
import {texts as T} from './texts.js';

// calls maps task ids to their peer connections, for inspection (getStats)
// from the page and by tests.
export const calls = new Map();
window.interactCalls = calls;

export function createCall(taskId, sock, visitorName, onError) {
  let mode = ''; // the task's call: '', 'audio' or 'video'
  let stream = null;
  let pc = null;
  let session = '';
  let startedAt = 0;
  // Signalling work runs in order on a chain; a stopped call starts a new
  // one (operations of a closed peer connection never settle).
  let chain = Promise.resolve();
  let gen = 0;
  let theirs = {audio: true, video: true};
  let note = '';

  const remote = h('video', {class: 'remote', autoplay: true, playsinline: true, 'aria-label': T.remoteVideo + ' ' + visitorName});
  const local = h('video', {class: 'local', autoplay: true, playsinline: true, 'aria-label': T.localVideo});
  local.muted = true;
  const st = h('p', {class: 'call-status', role: 'status'});
  const dur = h('time', {class: 'call-duration', 'aria-label': T.callDuration});
  const muteBtn = h('button', {type: 'button', class: 'mute-btn', 'aria-pressed': 'false', onclick: () => toggle('audio')}, T.mute);
  const camBtn = h('button', {type: 'button', class: 'cam-btn', 'aria-pressed': 'false', onclick: () => toggle('video')}, T.camOff);
  const hangBtn = h('button', {type: 'button', class: 'danger hangup-btn', onclick: hangUp}, T.hangUp);
  const el = h('section', {class: 'callbox', hidden: true, 'aria-label': T.call + ': ' + visitorName},
    h('div', {class: 'vids'}, remote, local),
    h('div', {class: 'call-bar'}, st, dur),
    h('div', {class: 'call-controls', role: 'group', 'aria-label': T.callControls}, muteBtn, camBtn, hangBtn));
  const timer = setInterval(render, 1000);

  const run = fn => {
    const g = gen;
    chain = chain.then(() => g === gen && fn()).catch(e => g === gen && onError(e));
  };

  async function ensureMedia() {
    if (stream || !mode) return;
    const md = navigator.mediaDevices;
    if (!md) {
      note = T.noMic;
      return;
    }
    try {
      stream = await md.getUserMedia({audio: true, video: mode === 'video'});
    } catch {
      try {
        stream = mode === 'video' ? await md.getUserMedia({audio: true}) : null;
        note = stream ? T.noCam : T.noMic;
      } catch {
        note = T.noMic;
      }
    }
    if (stream && !mode) return release();
    local.srcObject = stream;
    render();
  }

  function release() {
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    local.srcObject = null;
  }

  function sending(kind) {
    const t = stream && (kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks())[0];
    return !!t && t.enabled;
  }

  function toggle(kind) {
    if (!stream) return;
    const tracks = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    const on = !(tracks[0] && tracks[0].enabled);
    for (const t of tracks) t.enabled = on;
    sendMedia();
    render();
  }

  function sendMedia() {
    if (pc) sock.quiet('call.media', {taskId, audio: sending('audio'), video: sending('video')});
  }

  async function offer(x) {
    if (!mode) return;
    if (!pc || x.session !== session) { // a new peer connection (the visitor's page reloaded)
      closePeer();
      const cfg = await sock.request('rtc.config', {taskId});
      await ensureMedia();
      if (!mode) return;
      session = x.session;
      const s = session;
      const p = new RTCPeerConnection({iceServers: cfg.iceServers || [], iceTransportPolicy: cfg.forceRelay ? 'relay' : 'all'});
      pc = p;
      calls.set(taskId, p);
      let batch = []; // candidates go out in batches
      p.addEventListener('icecandidate', e => {
        if (!e.candidate || pc !== p) return;
        if (!batch.length) {
          setTimeout(() => {
            while (pc === p && batch.length) sock.quiet('rtc.ice', {taskId, session: s, candidates: batch.splice(0, 20)});
          }, 15);
        }
        batch.push(e.candidate.toJSON());
      });
      p.addEventListener('track', e => { remote.srcObject = e.streams[0] || new MediaStream([e.track]); });
      p.addEventListener('connectionstatechange', () => {
        if (pc !== p) return;
        if (p.connectionState === 'connected' && !startedAt) {
          startedAt = Date.now();
          sendMedia();
        }
        render();
      });
      await p.setRemoteDescription({type: 'offer', sdp: x.sdp});
      if (stream) for (const t of stream.getTracks()) p.addTrack(t, stream); // into the offer's transceivers
    } else { // an ICE restart, with fresh TURN credentials: the call's first may have expired
      const p = pc;
      const cfg = await sock.request('rtc.config', {taskId});
      if (pc !== p) return;
      p.setConfiguration({...p.getConfiguration(), iceServers: cfg.iceServers || []});
      await p.setRemoteDescription({type: 'offer', sdp: x.sdp});
    }
    const a = await pc.createAnswer();
    await pc.setLocalDescription(a);
    await sock.request('rtc.answer', {taskId, session, sdp: pc.localDescription.sdp});
    render();
  }

  function candidates(x) {
    if (!pc || x.session !== session || !pc.remoteDescription) return;
    for (const c of x.candidates || []) pc.addIceCandidate(c).catch(() => {});
  }

  function closePeer() {
    if (pc) pc.close();
    pc = null;
    calls.delete(taskId);
    startedAt = 0;
    remote.srcObject = null;
  }

  function hangUp() {
    sock.request('call.hangup', {taskId}).catch(onError);
    stop();
  }

  function stop() {
    gen++;
    chain = Promise.resolve();
    closePeer();
    release();
    mode = note = '';
    theirs = {audio: true, video: true};
    render();
  }

  function render() {
    el.hidden = !mode;
    el.classList.toggle('video', mode === 'video');
    const s = pc && pc.connectionState;
    let text = note || T.callConnecting;
    if (s === 'connected') text = (note ? note + ' ' : '') + T.callConnected;
    else if (startedAt && (s === 'disconnected' || s === 'failed')) text = T.callReconnecting;
    if (s === 'connected' && !theirs.audio) text += ' · ' + T.theyMuted;
    if (s === 'connected' && mode === 'video' && !theirs.video) text += ' · ' + T.theirCamOff;
    if (st.textContent !== text) st.textContent = text;
    dur.textContent = startedAt ? clock((Date.now() - startedAt) / 1000) : '';
    const muted = stream && !sending('audio');
    muteBtn.textContent = muted ? T.unmute : T.mute;
    muteBtn.setAttribute('aria-pressed', String(!!muted));
    const camOff = stream && !sending('video');
    camBtn.hidden = mode !== 'video';
    camBtn.textContent = camOff ? T.camOn : T.camOff;
    camBtn.setAttribute('aria-pressed', String(!!camOff));
    muteBtn.disabled = !stream;
    camBtn.disabled = !stream || !stream.getVideoTracks().length;
  }

  return {
    el,
    get mode() { return mode; },
    // set follows the task's call (assignment, hello, call.state); rejoin
    // (a call found on connecting) asks the visitor's page to offer anew.
    set(m, rejoin) {
      m = m === 'audio' || m === 'video' ? m : '';
      if (m && rejoin && !pc) sock.quiet('rtc.restart', {taskId});
      if (m === mode) return;
      if (mode) stop();
      mode = m;
      render();
      if (m) run(ensureMedia); // ready before the visitor's offer arrives
    },
    frame(f) {
      const x = f.data || {};
      if (f.type === 'rtc.offer') run(() => offer(x));
      if (f.type === 'rtc.ice') run(() => candidates(x));
      if (f.type === 'call.media' && typeof x.audio === 'boolean') {
        theirs = {audio: x.audio, video: x.video};
        render();
      }
    },
    stop,
    close() {
      stop();
      clearInterval(timer);
    },
  };
}
