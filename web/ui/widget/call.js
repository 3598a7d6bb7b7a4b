// The visitor's side of a call (docs/protocol.md §5): the pre-call check of
// microphone and camera, the peer connection (the visitor offers, the agent
// answers), the in-call controls and the call's duration. Media flow peer to
// peer; the task's WebSocket carries the signalling. Every listener is
// added with addEventListener (no on* properties).

const RESTART_MS = 2000; // a "disconnected" call this long gets an ICE restart
const RETRY_MS = 5000; // a restarted call not connected again this long restarts again

// media runs the pre-call check: it asks for the microphone (and the
// camera for video) and fails with the key of a text that says why not.
export async function media(mode) {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia || !window.RTCPeerConnection) throw why('noMedia');
  try {
    return await md.getUserMedia({ audio: true, video: mode === 'video' });
  } catch (e) {
    const n = (e && e.name) || '';
    if (n === 'NotAllowedError' || n === 'SecurityError') throw why(mode === 'video' ? 'camDenied' : 'micDenied');
    if (n === 'NotReadableError' || n === 'AbortError') throw why('deviceBusy');
    if (n === 'NotFoundError' || n === 'OverconstrainedError') {
      const kinds = (await md.enumerateDevices().catch(() => [])).map((d) => d.kind);
      throw why(!kinds.includes('audioinput') ? 'noMic' : 'noCam');
    }
    throw why('noMedia');
  }
}

function why(key) {
  const e = new Error(key);
  e.key = key;
  return e;
}

// createCall returns the call controller of one widget. io gives it the
// texts (T, fmt), the element helper h, send(type, data) and
// request(type, data) on the task's socket, emit(event, data), name() (the
// agent's name) and hangUp() (what the hang-up button does).
export function createCall(io) {
  const { T, fmt, h, send, request, emit } = io;
  let mode = ''; // the task's call: '', 'audio' or 'video'
  let stream = null; // local media
  let pc = null;
  let session = '';
  let ready = false; // an agent is connected and the socket is up
  let starting = null;
  let pending = []; // remote candidates waiting for the answer
  let startedAt = 0; // when the media first connected
  let restartTimer = 0;
  let restarts = 0; // ICE restarts since the call last connected
  let theirs = { audio: true, video: true };
  let note = '';

  const remote = h('video', { class: 'remote', autoplay: true, playsinline: true });
  const local = h('video', { class: 'local', autoplay: true, playsinline: true, 'aria-label': T.localVideo });
  local.muted = true;
  const st = h('p', { class: 'cst', role: 'status', dir: 'auto' });
  const dur = h('time', { class: 'dur', 'aria-label': T.duration });
  const muteBtn = h('button', { type: 'button', class: 'cb mute', 'aria-pressed': 'false' }, T.mute);
  const camBtn = h('button', { type: 'button', class: 'cb cam', 'aria-pressed': 'false' }, T.camOff);
  const hangBtn = h('button', { type: 'button', class: 'cb hang' }, T.hangUp);
  const el = h(
    'section',
    { class: 'call', hidden: true, 'aria-label': T.callLabel },
    h('div', { class: 'vids' }, remote, local),
    h('div', { class: 'cbar' }, st, dur),
    h('div', { class: 'ctl', role: 'group', 'aria-label': T.callControls }, muteBtn, camBtn, hangBtn),
  );
  muteBtn.addEventListener('click', () => toggle('audio'));
  camBtn.addEventListener('click', () => toggle('video'));
  hangBtn.addEventListener('click', () => io.hangUp());
  const clock = setInterval(tick, 1000);

  function toggle(kind) {
    if (!stream) return;
    const tracks = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    const on = !(tracks[0] && tracks[0].enabled);
    for (const t of tracks) t.enabled = on;
    sendMedia();
    render();
  }

  function sending(kind) {
    const t = stream && (kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks())[0];
    return !!t && t.enabled;
  }

  function sendMedia() {
    if (pc) send('call.media', { audio: sending('audio'), video: sending('video') });
  }

  function tick() {
    if (!startedAt) return (dur.textContent = '');
    const s = Math.floor((Date.now() - startedAt) / 1000);
    dur.textContent = Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function render() {
    el.hidden = !mode;
    el.classList.toggle('video', mode === 'video');
    const name = io.name();
    remote.setAttribute('aria-label', fmt(T.remoteVideo, { name }));
    const muted = stream && !sending('audio');
    muteBtn.textContent = muted ? T.unmute : T.mute;
    muteBtn.setAttribute('aria-pressed', String(!!muted));
    const camOff = stream && !sending('video');
    camBtn.hidden = mode !== 'video';
    camBtn.textContent = camOff ? T.camOn : T.camOff;
    camBtn.setAttribute('aria-pressed', String(!!camOff));
    muteBtn.disabled = camBtn.disabled = !stream;
    const s = pc && pc.connectionState;
    let text = note || T.calling;
    if (s === 'connected') text = fmt(T.inCall, { name });
    else if (startedAt) text = T.callReconnecting; // also on a peer connection renewed meanwhile
    if (s === 'connected' && !theirs.audio) text += ' ' + fmt(T.theyMuted, { name });
    if (s === 'connected' && mode === 'video' && !theirs.video) text += ' ' + fmt(T.theirCamOff, { name });
    if (st.textContent !== text) st.textContent = text;
    tick();
  }

  // start opens the peer connection and offers, or re-offers with an ICE
  // restart; it waits until there is a call, media and a connected agent.
  function start(restart) {
    if (!mode || !stream || !ready) return;
    if (starting) return;
    if (pc && !restart) return;
    // An agent whose console reloaded has a new peer connection: after a
    // few answered restarts without success, start afresh. Offers that never
    // reached the agent (the socket was down) do not count.
    if (restart && restarts > 2) return renew();
    const p = (starting = offer(restart)
      // An offer after a drop that finds no path (the network is still
      // down) is tried again: a peer connection without candidates changes
      // no state. Offers of a stopped or renewed call retry nothing.
      .then(() => {
        if (starting !== p) return;
        if (restart) restarts++;
        if (restart || startedAt) retry(RETRY_MS);
      })
      // The offer was refused or lost: offer again, as an ICE restart.
      .catch(() => starting === p && retry(RESTART_MS))
      .finally(() => {
        if (starting === p) starting = null;
      }));
  }

  // retry restarts ICE in ms unless the call is connected by then.
  function retry(ms) {
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => pc && pc.connectionState !== 'connected' && start(true), ms);
  }

  async function offer(restart) {
    if (pc && restart) {
      // Fresh TURN credentials: those the call started with may have expired.
      const p = pc;
      const cfg = await request('rtc.config', {});
      if (pc !== p) return;
      p.setConfiguration({ ...p.getConfiguration(), iceServers: cfg.iceServers || [] });
    }
    if (!pc) {
      const cfg = await request('rtc.config', {});
      if (!mode || !stream || pc) return;
      session = Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => b.toString(16).padStart(2, '0')).join('');
      const p = new RTCPeerConnection({ iceServers: cfg.iceServers || [], iceTransportPolicy: cfg.forceRelay ? 'relay' : 'all' });
      pc = p;
      io.ctx.rtc = p; // for inspection (getStats) by the page and tests
      for (const t of stream.getTracks()) p.addTrack(t, stream);
      const s = session;
      // Candidates go out in batches: fewer frames, well inside the rate limit.
      let batch = [];
      p.addEventListener('icecandidate', (e) => {
        if (!e.candidate || pc !== p) return;
        if (!batch.length)
          setTimeout(() => {
            while (pc === p && batch.length) send('rtc.ice', { session: s, candidates: batch.splice(0, 20) });
          }, 15);
        batch.push(e.candidate.toJSON());
      });
      p.addEventListener('track', (e) => {
        remote.srcObject = e.streams[0] || new MediaStream([e.track]);
      });
      p.addEventListener('connectionstatechange', () => pc === p && changed());
    }
    const p = pc;
    const o = await p.createOffer(restart ? { iceRestart: true } : undefined);
    if (pc !== p) return;
    await p.setLocalDescription(o);
    render();
    await request('rtc.offer', { session, sdp: p.localDescription.sdp });
  }

  function changed() {
    const s = pc.connectionState;
    clearTimeout(restartTimer);
    if (s === 'connected') restarts = 0;
    if (s === 'connected' && !startedAt) {
      startedAt = Date.now();
      sendMedia();
      emit('call.connected', { modality: mode });
    }
    if (s === 'failed') start(true);
    else if (s !== 'connected' && startedAt) retry(s === 'disconnected' ? RESTART_MS : RETRY_MS);
    render();
  }

  async function answer(x) {
    if (!pc || x.session !== session || pc.signalingState !== 'have-local-offer') return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: x.sdp });
    } catch {
      return renew(); // an answer from a new peer connection of the agent
    }
    for (const c of pending.splice(0)) pc.addIceCandidate(c).catch(() => {});
  }

  // renew replaces the peer connection (same media) and offers anew.
  function renew() {
    clearTimeout(restartTimer);
    if (pc) pc.close();
    pc = io.ctx.rtc = null;
    pending = [];
    starting = null;
    restarts = 0;
    start(false);
  }

  function candidates(x) {
    if (!pc || x.session !== session) return;
    for (const c of x.candidates || []) {
      // Candidates of a restart may come before its answer: keep them until then.
      if (pc.remoteDescription && pc.signalingState === 'stable') pc.addIceCandidate(c).catch(() => {});
      else pending.push(c);
    }
  }

  // stop ends the call on this side: media released, connection closed.
  function stop() {
    const was = mode;
    clearTimeout(restartTimer);
    starting = null; // operations of a closed peer connection never settle
    if (pc) pc.close();
    pc = io.ctx.rtc = null;
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    remote.srcObject = local.srcObject = null;
    pending = [];
    startedAt = 0;
    theirs = { audio: true, video: true };
    mode = note = '';
    render();
    if (was) emit('call.ended', {});
  }

  return {
    el,
    get mode() {
      return mode;
    },
    get stream() {
      return stream;
    },
    // use adopts the local media of the pre-call check.
    use(s) {
      if (stream && stream !== s) for (const t of stream.getTracks()) t.stop();
      stream = s;
      local.srcObject = s;
      note = '';
      render();
      start(false);
    },
    // set follows the task's call (hello, call.state); a call appearing
    // without local media (a reloaded page) asks for it again.
    async set(m) {
      if (m === mode) return;
      if (!m) return stop();
      if (mode) stop();
      mode = m;
      note = '';
      render();
      emit('call.started', { modality: m });
      if (!stream) {
        note = T.checking;
        render();
        try {
          const s = await media(m);
          if (mode === m) this.use(s);
          else for (const t of s.getTracks()) t.stop();
        } catch (e) {
          note = T[e.key] || T.noMedia;
          render();
        }
      } else start(false);
    },
    // ready says whether an agent is connected to the call's task and the
    // socket is up; a broken call restarts ICE when it is.
    ready(on) {
      ready = on;
      if (!on) return;
      if (pc && (pc.connectionState === 'failed' || pc.connectionState === 'disconnected')) start(true);
      else start(false);
    },
    frame(f) {
      const x = f.data || {};
      if (f.type === 'rtc.answer') answer(x);
      if (f.type === 'rtc.restart' && pc) renew(); // the agent's console reloaded
      if (f.type === 'rtc.ice') candidates(x);
      if (f.type === 'call.media' && typeof x.audio === 'boolean') {
        theirs = { audio: x.audio, video: x.video };
        render();
      }
    },
    stop,
    render,
    close() {
      stop();
      clearInterval(clock);
    },
  };
}
