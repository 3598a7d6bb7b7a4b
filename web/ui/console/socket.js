// A reconnecting client of the agent WebSocket (docs/protocol.md §3).
// request() sends a frame with an id and resolves with the answer's data
// (ok or message.ack) or rejects with the error's data; other frames go to
// onFrame. When the connection drops, pending requests reject with code
// "disconnected" and the socket reconnects with backoff; the server's hello
// on each connection tells the console to resume.

const TIMEOUT = 15000; // an unanswered request means a dead connection

export class AgentSocket {
  constructor(url, {onFrame, onUp, onDown}) {
    this.url = url;
    this.onFrame = onFrame;
    this.onUp = onUp;
    this.onDown = onDown;
    this.n = 0;
    this.pending = new Map();
    this.delay = 300;
    this.stopped = false;
    this.connect();
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.delay = 300;
      this.onUp();
    });
    ws.addEventListener('message', e => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      this.frame(f);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failAll();
      this.onDown();
      if (!this.stopped) {
        setTimeout(() => this.connect(), this.delay);
        this.delay = Math.min(this.delay * 2, 5000);
      }
    });
  }

  failAll() {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject({code: 'disconnected', message: 'The connection was lost.'});
    }
    this.pending.clear();
  }

  frame(f) {
    const p = f.id ? this.pending.get(f.id) : null;
    if (p) {
      this.pending.delete(f.id);
      clearTimeout(p.timer);
      if (f.type === 'error') p.reject(f.data || {});
      else p.resolve(f.data || {});
      return;
    }
    if (f.type !== 'ok') this.onFrame(f);
  }

  get up() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

  request(type, data) {
    return new Promise((resolve, reject) => {
      if (!this.up) {
        reject({code: 'disconnected', message: 'Not connected.'});
        return;
      }
      const id = String(++this.n);
      const ws = this.ws;
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject({code: 'disconnected', message: 'No answer from the server.'});
        if (this.ws === ws) ws.close(); // reconnects
      }, TIMEOUT);
      this.pending.set(id, {resolve, reject, timer});
      ws.send(JSON.stringify({type, id, data: data || {}}));
    });
  }

  // quiet sends a request whose answer does not matter (typing, read).
  quiet(type, data) {
    this.request(type, data).catch(() => {});
  }

  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close();
  }
}
